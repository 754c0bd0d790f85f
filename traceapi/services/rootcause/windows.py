"""Equipment and time: when a step ran, which steps ran on a machine in a window, and after it.

One rule says whether a step ran within a window: it started at or before the window's end and
ended at or after its start (a step without an end time counts as its start). GraphQL's
``Equipment.processSteps(from, to)``, the equipment-window seeds and the root-cause window
candidates all ask it here.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from traceapi.domain.model import EdgeType, Node, NodeKind
from traceapi.domain.results import ImpactReport, NodeView
from traceapi.errors import InvalidInput
from traceapi.services.lookup import resolve_node
from traceapi.store.base import GraphStore

_ON = frozenset({EdgeType.ON})
_PRODUCED = frozenset({EdgeType.PRODUCED})


def parse_instant(value: str | None, field: str) -> datetime | None:
    """An ISO 8601 time (UTC when it names no zone); InvalidInput naming ``field`` if not one."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"{field} is not an ISO 8601 time: {value!r}", details={"field": field}
        ) from None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)


def check_window(
    start: str | None, end: str | None, *, start_field: str = "from", end_field: str = "to"
) -> tuple[datetime | None, datetime | None]:
    """Both bounds parsed; InvalidInput naming the field of a bad bound or of an end before
    the start."""
    begins, ends = parse_instant(start, start_field), parse_instant(end, end_field)
    if begins is not None and ends is not None and ends < begins:
        raise InvalidInput(
            f"{end_field} ({end}) is before {start_field} ({start})",
            details={"field": end_field, start_field: start},
        )
    return begins, ends


def stored_instant(value: Any) -> datetime | None:
    """A stored time property as a datetime, or None when it is missing or not a time."""
    try:
        return parse_instant(value, "stored") if isinstance(value, str) else None
    except InvalidInput:
        return None


def step_times(step: Node) -> tuple[datetime, datetime] | None:
    """When a step started and ended (its start when it records no end), or None."""
    began = stored_instant(step.props.get("started_at"))
    if began is None:
        return None
    return began, stored_instant(step.props.get("ended_at")) or began


def runs_within(step: Node, start: datetime | None, end: datetime | None) -> bool:
    """Whether the step ran at some moment of [start, end] (either bound may be open)."""
    times = step_times(step)
    if times is None:
        return False
    began, ended = times
    return (end is None or began <= end) and (start is None or ended >= start)


class EquipmentWindowReport(BaseModel):
    """What a machine made in a time window, what it made right after, and where it went."""

    equipment: NodeView
    window_from: str | None = None
    window_to: str | None = None
    process_steps: list[NodeView] = Field(default_factory=list)
    """Steps on the equipment running at some moment of the window, by start time."""
    lots: list[NodeView] = Field(default_factory=list)
    """Lots those steps produced: the seeds of the impact."""
    carry_over_steps: list[NodeView] = Field(default_factory=list)
    """The next runs on the same equipment after the window (all step records of each of the
    ``carry_over`` start times that follow it)."""
    carry_over_lots: list[NodeView] = Field(default_factory=list)
    """Lots the carry-over steps produced: candidates for carry-over contamination."""
    impact: ImpactReport | None = None
    """The recall impact of ``lots`` (when asked for)."""


def equipment_window(
    store: GraphStore,
    *,
    equipment: str,
    window_from: str | None,
    window_to: str | None,
    carry_over: int = 1,
    impact: bool = False,
    max_depth: int | None = None,
    max_nodes: int | None = None,
) -> EquipmentWindowReport:
    """ "Equipment E was out of calibration from t1 to t2": the steps it ran then, the lots they
    made, the lots of the next ``carry_over`` runs after the window, and (``impact``) the recall
    impact of the lots made in the window."""
    if carry_over < 0:
        raise InvalidInput("carry_over must not be negative", details={"field": "carry_over"})
    start, end = check_window(window_from, window_to)
    node = resolve_node(store, equipment)
    if node.kind is not NodeKind.EQUIPMENT:
        raise InvalidInput(
            f"{equipment!r} names a {node.kind.value}, not equipment",
            details={"field": "equipment", "id": node.id, "kind": node.kind.value},
        )
    step_ids = [e.source for e in store.edge_rows_of([node.id], side="in", types=_ON)]
    steps = [
        s
        for s in store.get_nodes(list(dict.fromkeys(step_ids))).values()
        if s.kind is NodeKind.PROCESS_STEP
    ]
    timed = sorted(
        ((times, s) for s in steps if (times := step_times(s)) is not None),
        key=lambda pair: (pair[0][0], pair[1].id),
    )
    inside = [s for _, s in timed if runs_within(s, start, end)]
    later_starts: list[datetime] = []
    if end is not None:
        later_starts = sorted({t[0] for t, _ in timed if t[0] > end})[:carry_over]
    after = [s for t, s in timed if t[0] in set(later_starts)]
    made = outputs(store, inside)
    made_after = [lot for lot in outputs(store, after) if lot.id not in {m.id for m in made}]
    report = EquipmentWindowReport(
        equipment=NodeView.of(node),
        window_from=window_from,
        window_to=window_to,
        process_steps=[NodeView.of(s) for s in inside],
        lots=[NodeView.of(lot) for lot in made],
        carry_over_steps=[NodeView.of(s) for s in after],
        carry_over_lots=[NodeView.of(lot) for lot in made_after],
    )
    if impact and made:
        from traceapi.services.impact import recall_impact

        report.impact = recall_impact(
            store, lot_ids=[lot.id for lot in made], max_depth=max_depth, max_nodes=max_nodes
        )
    return report


def outputs(
    store: GraphStore, steps: list[Node], *, made_by: dict[str, list[str]] | None = None
) -> list[Node]:
    """The lots ``steps`` produced, in step order, each once; ``made_by`` (when given) is
    filled with each step's lots."""
    if not steps:
        return []
    order = {s.id: i for i, s in enumerate(steps)}
    rows = store.edge_rows_of(list(order), side="out", types=_PRODUCED)
    produced = sorted(
        ((order[r.source], r.target, r.source) for r in rows if r.source in order),
        key=lambda x: x[:2],
    )
    ids = list(dict.fromkeys(target for _, target, _ in produced))
    nodes = store.get_nodes(ids)
    kept = {i for i in ids if i in nodes and nodes[i].kind is not NodeKind.PROCESS_STEP}
    if made_by is not None:
        for _, target, step_id in produced:
            if target in kept and target not in made_by.setdefault(step_id, []):
                made_by[step_id].append(target)
    return [nodes[i] for i in ids if i in kept]
