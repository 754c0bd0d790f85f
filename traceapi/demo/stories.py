"""The stories planted in the demo dataset, with the ids that answer them, for README and tests.

The generator fills these while it builds the data (it knows what it consumed and shipped), so
the answers here are computed independently of the trace services that are asked about them.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ContaminatedResin(BaseModel):
    """A supplier reports one PVC compound lot as contaminated: where did it go?"""

    lot_id: str = ""
    supplier_lot: str = ""
    supplier_id: str = ""
    lots: list[str] = Field(default_factory=list)
    """Every lot made with it, directly or through other lots."""
    finished_lots: list[str] = Field(default_factory=list)
    shipments: list[str] = Field(default_factory=list)
    customers: list[str] = Field(default_factory=list)


class SterilizerWindow(BaseModel):
    """A sterilizer found out of calibration: which lots were sterilised in that window?"""

    equipment_id: str = "STER-02"
    window_from: str = ""
    window_to: str = ""
    process_steps: list[str] = Field(default_factory=list)
    """One step record per lot of a chamber load, so several share a start time."""
    load_starts: list[str] = Field(default_factory=list)
    """Start time of each chamber load in the window (one per load)."""
    finished_lots: list[str] = Field(default_factory=list)


class LeakTestRun(BaseModel):
    """A run of leak-test failures whose lots share one moulding machine."""

    equipment_id: str = "MLD-02"
    moulded_lots: list[str] = Field(default_factory=list)
    """The drip-chamber lots moulded while the mould cavity was worn."""
    failed_lots: list[str] = Field(default_factory=list)
    """Assembled lots whose leak test failed because of them."""
    inspections: list[str] = Field(default_factory=list)


class ReworkLoop(BaseModel):
    """A lot reworked into itself: a cycle in the genealogy that traces must survive."""

    lot_id: str = ""
    step_id: str = ""


class DemoStories(BaseModel):
    lots: int
    seed: int
    contaminated_resin: ContaminatedResin = Field(default_factory=ContaminatedResin)
    sterilizer_window: SterilizerWindow = Field(default_factory=SterilizerWindow)
    leak_test_run: LeakTestRun = Field(default_factory=LeakTestRun)
    rework_loops: list[ReworkLoop] = Field(default_factory=list)
    lot_count: int = 0
    """Lots the generator made (close to ``lots``)."""

    def describe(self) -> list[str]:
        """Short lines telling a user which ids to try, as ``traceapi demo`` prints them."""
        resin = self.contaminated_resin
        window = self.sterilizer_window
        run = self.leak_test_run
        lines = [
            f"1. Contaminated resin: supplier lot {resin.supplier_lot} (our {resin.lot_id}) "
            f"reaches {len(resin.finished_lots)} finished lots and {len(resin.customers)} "
            f"customers:  traceapi impact {resin.supplier_lot}",
            f"2. {window.equipment_id} out of calibration {window.window_from} .. "
            f"{window.window_to}: {len(window.process_steps)} step records at "
            f"{len(set(window.load_starts))} start times sterilised {len(window.finished_lots)} "
            f"lots, e.g. {', '.join(window.finished_lots[:3])}",
            f"3. Leak-test failures {_some(run.failed_lots, 6)} share moulding machine "
            f"{run.equipment_id}:  traceapi trace where-from {run.failed_lots[0]}"
            if run.failed_lots
            else "3. (no leak-test run at this size)",
        ]
        if self.rework_loops:
            loop = self.rework_loops[0]
            lines.append(
                f"4. Rework loop: {loop.lot_id} reworked into itself by {loop.step_id}:"
                f"  traceapi trace where-used {loop.lot_id}"
            )
        return lines


def _some(ids: list[str], shown: int) -> str:
    """The first ``shown`` ids, and how many more there are (a list is never cut silently)."""
    head = ", ".join(ids[:shown])
    return head if len(ids) <= shown else f"{head} and {len(ids) - shown} more"
