"""The baseline of a root-cause question: the comparable good lots the anomalous ones are held
against.

Three rules, one of which answers each question:

- **given**: the lots the caller names (any identifier form).
- **period** (the default): lots of the anomalous lots' own materials (their ``OF`` edges),
  produced (``produced_at``) from ``period_days`` days before the first anomalous lot to
  ``period_days`` after the last, that are *good*: not among the anomalous lots, no failed
  inspection, and not rejected or recalled.
- **passed_inspection**: the period's lots of those materials that passed an inspection of the
  named characteristic and never failed one.

A period baseline larger than ``max_lots`` keeps the ``max_lots`` lots produced nearest the
anomalous lots' period (ties by id), and says how many it left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, Field

from traceapi.domain.model import EdgeType, LotStatus, Node, NodeKind
from traceapi.errors import InvalidInput
from traceapi.services.rootcause.windows import stored_instant
from traceapi.store.base import GraphStore

DEFAULT_PERIOD_DAYS = 30
DEFAULT_MAX_BASELINE = 1000
_OF = frozenset({EdgeType.OF})
_NOT_GOOD = frozenset({LotStatus.REJECTED.value, LotStatus.RECALLED.value})


class BaselineRule(StrEnum):
    GIVEN = "given"
    PERIOD = "period"
    PASSED_INSPECTION = "passed_inspection"


class BaselineReport(BaseModel):
    """Which lots the anomalous ones were compared with, and by which rule."""

    rule: BaselineRule
    description: str
    lots: list[str] = Field(default_factory=list)
    materials: list[str] = Field(default_factory=list)
    period_from: str | None = None
    period_to: str | None = None
    inspection: str | None = None
    not_good: int = 0
    """Comparable lots left out because they are not good (failed an inspection, rejected,
    recalled, or never passed the named inspection)."""
    beyond_cap: int = 0
    """Good comparable lots left out because the baseline holds at most ``max_lots``."""


def given_baseline(lots: Sequence[str]) -> BaselineReport:
    return BaselineReport(
        rule=BaselineRule.GIVEN, description=f"{len(lots)} lots given", lots=list(lots)
    )


def period_baseline(
    store: GraphStore,
    anomalous: Sequence[Node],
    *,
    period_days: int = DEFAULT_PERIOD_DAYS,
    passed_inspection: str | None = None,
    max_lots: int = DEFAULT_MAX_BASELINE,
) -> BaselineReport:
    """The comparable good lots of ``anomalous`` by the period rule (or, with
    ``passed_inspection``, the passed-inspection rule). InvalidInput naming ``baseline`` when
    an anomalous lot has no material or production time, or when no lot qualifies."""
    if period_days < 0:
        raise InvalidInput("period_days must not be negative", details={"field": "period_days"})
    ids = [lot.id for lot in anomalous]
    material_of: dict[str, list[str]] = defaultdict(list)
    for row in store.edge_rows_of(ids, side="out", types=_OF):
        material_of[row.source].append(row.target)
    materials_found = store.get_nodes(sorted({m for ms in material_of.values() for m in ms}))
    materials = sorted(m for m, n in materials_found.items() if n.kind is NodeKind.MATERIAL)
    without = [i for i in ids if not set(material_of.get(i, ())) & set(materials)]
    untimed = [lot.id for lot in anomalous if stored_instant(lot.props.get("produced_at")) is None]
    if without or untimed:
        problems = []
        if without:
            problems.append(f"no material: {', '.join(without)}")
        if untimed:
            problems.append(f"no produced_at: {', '.join(untimed)}")
        raise InvalidInput(
            "the default baseline (same material, same period) needs each anomalous lot's "
            f"material and production time; {'; '.join(problems)}. Give a baseline.",
            details={"field": "baseline", "no_material": without, "no_produced_at": untimed},
        )
    times = [t for lot in anomalous if (t := stored_instant(lot.props.get("produced_at")))]
    start = min(times) - timedelta(days=period_days)
    end = max(times) + timedelta(days=period_days)
    members = [r.source for r in store.edge_rows_of(materials, side="in", types=_OF)]
    excluded = set(ids)
    found = store.get_nodes([m for m in dict.fromkeys(members) if m not in excluded])
    comparable: dict[str, datetime] = {}
    for node in found.values():
        produced = stored_instant(node.props.get("produced_at"))
        if node.kind is NodeKind.LOT and produced is not None and start <= produced <= end:
            comparable[node.id] = produced
    good = _good_lots(store, {i: found[i] for i in comparable}, passed_inspection)
    not_good = len(comparable) - len(good)
    lo, hi = min(times), max(times)

    def distance(lot_id: str) -> tuple[float, str]:
        moment = comparable[lot_id]
        outside = (lo - moment) if moment < lo else (moment - hi) if moment > hi else timedelta()
        return outside.total_seconds(), lot_id

    kept = sorted(sorted(good, key=distance)[:max_lots])
    rule = BaselineRule.PASSED_INSPECTION if passed_inspection else BaselineRule.PERIOD
    what = f"that passed {passed_inspection!r}" if passed_inspection else "that are good"
    report = BaselineReport(
        rule=rule,
        description=(
            f"lots of {', '.join(materials)} produced from {_day(start)} to {_day(end)} "
            f"({period_days} days around the anomalous lots) {what}"
        ),
        lots=kept,
        materials=materials,
        period_from=_day(start),
        period_to=_day(end),
        inspection=passed_inspection,
        not_good=not_good,
        beyond_cap=len(good) - len(kept),
    )
    if not kept:
        raise InvalidInput(
            f"no baseline: no {report.description}; give a baseline",
            details={"field": "baseline", "rule": rule.value},
        )
    return report


def _good_lots(
    store: GraphStore, lots: dict[str, Node], passed_inspection: str | None
) -> list[str]:
    """The lots among ``lots`` that are good: not rejected or recalled and without a failed
    inspection, or (``passed_inspection``) with a passed and no failed inspection of that
    characteristic."""
    rows = store.edge_rows_of(list(lots), side="in", types=_OF)
    found = store.get_nodes(list(dict.fromkeys(r.source for r in rows)))
    failed: set[str] = set()
    passed: set[str] = set()
    for row in rows:
        node = found.get(row.source)
        if node is None or node.kind is not NodeKind.INSPECTION or row.target not in lots:
            continue
        if passed_inspection is not None and node.props.get("characteristic") != passed_inspection:
            continue
        result = str(node.props.get("result", "")).lower()
        if result == "fail":
            failed.add(row.target)
        elif result == "pass":
            passed.add(row.target)
    return [
        lot_id
        for lot_id, lot in lots.items()
        if lot_id not in failed
        and lot.props.get("status") not in _NOT_GOOD
        and (passed_inspection is None or lot_id in passed)
    ]


def _day(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
