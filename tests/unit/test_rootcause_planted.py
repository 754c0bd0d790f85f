"""Root-cause ranking on plants with a planted cause among noise (``tests/unit/planted.py``):
the planted factor ranks first, alone, in at least 95 of 100 seeded trials, and with nothing
planted nothing is significant in at least 95 of 100. Each trial builds its own store and asks
with the default baseline (same material, same period, no failed inspection)."""

from __future__ import annotations

from pathlib import Path

import pytest
from scipy.stats import fisher_exact

from tests.unit.planted import PlantedPlant, planted_plant
from traceapi.domain.model import EdgeType
from traceapi.services.rootcause import Candidate, FactorKind, RootCauseReport, root_cause
from traceapi.store.embedded import EmbeddedStore

TRIALS = 100
NEEDED = 95
POWER = {"supplier_lot": 90, "machine_window": 80, "operator": 95}
"""Trials (of 100) in which the planted cause must also be significant at 0.05: a little under
what was measured (95, 83 and 100). A window pays for being drawn after looking (its p-value
is multiplied by the number of windows its machine allows), hence its lower power."""


def _ask(tmp_path: Path, plant: PlantedPlant, seed: int) -> RootCauseReport:
    store = EmbeddedStore(tmp_path / f"plant-{seed}.sqlite3")
    try:
        store.apply_batch(plant.batch)
        return root_cause(store, lot_ids=plant.failed)
    finally:
        store.close()


def _alone_first(report: RootCauseReport) -> Candidate | None:
    """The first candidate, when no other shares its rank."""
    first, *rest = report.candidates
    return first if not rest or rest[0].rank > first.rank else None


def _found(plant: PlantedPlant, report: RootCauseReport) -> bool:
    top = _alone_first(report)
    if top is None:
        return False
    if plant.window_steps:  # the planted machine, in a window holding most of the planted run
        overlap = set(top.steps) & set(plant.window_steps)
        return (
            top.kind is FactorKind.EQUIPMENT_WINDOW
            and top.equipment == plant.cause
            and 2 * len(overlap) >= len(plant.window_steps)
        )
    return top.id == plant.cause


@pytest.mark.slow
@pytest.mark.parametrize("cause", ["supplier_lot", "machine_window", "operator"])
def test_the_planted_cause_ranks_first_in_95_of_100_trials(tmp_path: Path, cause: str) -> None:
    missed, weak = [], []
    for seed in range(TRIALS):
        plant = planted_plant(seed, cause)
        report = _ask(tmp_path, plant, seed)
        if not _found(plant, report):
            missed.append(seed)
        elif not report.candidates[0].significant:
            weak.append(seed)
    assert TRIALS - len(missed) >= NEEDED, f"missed in trials {missed}"
    found_and_significant = TRIALS - len(missed) - len(weak)
    assert found_and_significant >= POWER[cause], f"first but not significant in {weak}"


@pytest.mark.slow
def test_with_nothing_planted_nothing_is_significant_in_95_of_100_trials(tmp_path: Path) -> None:
    flagged = []
    for seed in range(TRIALS):
        plant = planted_plant(seed, "none")
        report = _ask(tmp_path, plant, seed)
        assert report.candidates  # the anomalous lots do have an upstream
        if report.significant or any(c.significant for c in report.candidates):
            flagged.append(seed)
    assert TRIALS - len(flagged) >= NEEDED, f"something significant in trials {flagged}"


def test_one_trial_by_hand_counts_and_evidence(tmp_path: Path) -> None:
    """The planted resin lot's evidence and 2x2 table, from the generator's own edges."""
    plant = planted_plant(3, "supplier_lot")
    report = _ask(tmp_path, plant, 3)
    (planted,) = [c for c in report.candidates if c.id == plant.cause]
    made_with = {
        "SET-" + e.target.removeprefix("PS-MLD-")
        for e in plant.batch.edges
        if e.source == plant.cause and e.type is EdgeType.CONSUMED_BY
    }
    failed, passed = set(plant.failed), set(plant.passed)
    assert report.baseline is not None and set(report.baseline.lots) == passed
    assert planted.anomalous_lots == sorted(made_with & failed)
    assert planted.baseline_lots == sorted(made_with & passed)
    a, c = len(made_with & failed), len(made_with & passed)
    table = [[a, len(failed) - a], [c, len(passed) - c]]
    assert planted.p_value == pytest.approx(fisher_exact(table, alternative="greater").pvalue)
    assert planted.coverage == a / len(failed)
    if c:
        assert planted.lift == pytest.approx((a / len(failed)) / (c / len(passed)))
    else:
        assert planted.lift is None
