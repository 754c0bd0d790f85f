"""Process parameters out of range as seeds: the steps whose recorded value left [low, high],
the lots they made, and where those went.

"Parameter P of steps with step code S (or on equipment E) was outside [low, high], between t1
and t2" names steps by their ``props["params"][P]``; a step whose record has no number for P is
counted apart (``without_parameter``), never taken as in or out of range. A time window uses
the one rule of ``windows.runs_within``.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field

from traceapi.domain.model import EdgeType, Node, NodeKind
from traceapi.domain.results import ImpactReport, NodeView
from traceapi.errors import InvalidInput
from traceapi.services.lookup import resolve_node
from traceapi.services.rootcause.windows import check_window, outputs, runs_within, step_times
from traceapi.store.base import GraphStore

_ON = frozenset({EdgeType.ON})
_PAGE = 5000
KNOWN_SHOWN = 50
"""At most this many known parameter names or step codes are listed in an error."""


class ParameterReading(BaseModel):
    """One step whose parameter was out of range, and what it made."""

    step: str
    value: float
    started_at: str | None = None
    equipment: list[str] = Field(default_factory=list)
    lots: list[str] = Field(default_factory=list)
    """The lots this step produced."""


class ParameterWindowReport(BaseModel):
    """Steps whose recorded parameter left its range, the lots they made, and their impact."""

    parameter: str
    low: float | None = None
    high: float | None = None
    step_code: str | None = None
    equipment: NodeView | None = None
    window_from: str | None = None
    window_to: str | None = None
    steps_checked: int = 0
    """Steps of that code (or on that equipment) in the window."""
    without_parameter: list[str] = Field(default_factory=list)
    """Steps checked whose record has no number for the parameter (neither in nor out)."""
    readings: list[ParameterReading] = Field(default_factory=list)
    """The steps out of range, by start time: value, equipment, lots made."""
    process_steps: list[NodeView] = Field(default_factory=list)
    """The same steps as nodes."""
    lots: list[NodeView] = Field(default_factory=list)
    """Lots those steps produced: the seeds of the impact."""
    impact: ImpactReport | None = None
    """The recall impact of ``lots`` (when asked for)."""


def parameter_value(step: Node, parameter: str) -> float | None:
    """The step's recorded number for ``parameter`` (``props["params"]``), or None."""
    params = step.props.get("params")
    if not isinstance(params, dict):
        return None
    value: Any = params.get(parameter)
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if not isinstance(value, int | float) or not math.isfinite(value):
        return None
    return float(value)


def parameter_window(
    store: GraphStore,
    *,
    parameter: str,
    low: float | None = None,
    high: float | None = None,
    step_code: str | None = None,
    equipment: str | None = None,
    window_from: str | None = None,
    window_to: str | None = None,
    impact: bool = False,
    max_depth: int | None = None,
    max_nodes: int | None = None,
) -> ParameterWindowReport:
    """Steps of ``step_code`` and/or on ``equipment`` (any identifier), running at some moment
    of [``window_from``, ``window_to``] (either open), whose ``parameter`` was below ``low`` or
    above ``high``; the lots they made and (``impact``) those lots' recall impact.

    InvalidInput names the field: no bound, ``high`` below ``low``, neither a step code nor
    equipment, a step code no step has, or a parameter no step checked records (the names they
    do record are listed)."""
    parameter = parameter.strip()
    if not parameter:
        raise InvalidInput("give a parameter name", details={"field": "parameter"})
    if low is None and high is None:
        raise InvalidInput("give low, high or both", details={"field": "low"})
    for name, bound in (("low", low), ("high", high)):
        if bound is not None and not math.isfinite(bound):
            raise InvalidInput(f"{name} must be a finite number", details={"field": name})
    if low is not None and high is not None and high < low:
        raise InvalidInput(f"high ({high:g}) is below low ({low:g})", details={"field": "high"})
    if step_code is None and equipment is None:
        raise InvalidInput("give a step code, equipment or both", details={"field": "step_code"})
    start, end = check_window(window_from, window_to)
    machine: Node | None = None
    if equipment is not None:
        machine = resolve_node(store, equipment)
        if machine.kind is not NodeKind.EQUIPMENT:
            raise InvalidInput(
                f"{equipment!r} names a {machine.kind.value}, not equipment",
                details={"field": "equipment", "id": machine.id, "kind": machine.kind.value},
            )
        ids = [e.source for e in store.edge_rows_of([machine.id], side="in", types=_ON)]
        candidates = [
            s
            for s in store.get_nodes(list(dict.fromkeys(ids))).values()
            if s.kind is NodeKind.PROCESS_STEP
        ]
        if step_code is not None:
            coded = [s for s in candidates if s.props.get("step_code") == step_code]
            if not coded:
                _unknown_code(step_code, {str(s.props.get("step_code")) for s in candidates})
            candidates = coded
    else:
        assert step_code is not None
        candidates = _steps_of_code(store, step_code)
    windowed = start is not None or end is not None
    in_window = [s for s in candidates if runs_within(s, start, end)] if windowed else candidates
    valued: list[tuple[Node, float]] = []
    without: list[str] = []
    for step in in_window:
        value = parameter_value(step, parameter)
        if value is None:
            without.append(step.id)
        else:
            valued.append((step, value))
    if in_window and not valued:
        recorded = sorted(
            {
                name
                for s in in_window
                if isinstance(params := s.props.get("params"), dict)
                for name in params
            }
        )
        raise InvalidInput(
            f"no step checked records a number for {parameter!r}; they record: "
            f"{', '.join(recorded[:KNOWN_SHOWN]) or 'no parameters'}",
            details={"field": "parameter", "recorded": recorded[:KNOWN_SHOWN]},
        )
    outside = [
        (step, value)
        for step, value in valued
        if (low is not None and value < low) or (high is not None and value > high)
    ]
    outside.sort(key=lambda pair: (_start_key(pair[0]), pair[0].id))
    steps = [step for step, _ in outside]
    equipment_of: dict[str, list[str]] = {}
    for row in store.edge_rows_of([s.id for s in steps], side="out", types=_ON):
        equipment_of.setdefault(row.source, []).append(row.target)
    made_by: dict[str, list[str]] = {}
    made = outputs(store, steps, made_by=made_by)
    report = ParameterWindowReport(
        parameter=parameter,
        low=low,
        high=high,
        step_code=step_code,
        equipment=NodeView.of(machine) if machine is not None else None,
        window_from=window_from,
        window_to=window_to,
        steps_checked=len(in_window),
        without_parameter=sorted(without),
        readings=[
            ParameterReading(
                step=step.id,
                value=value,
                started_at=_text(step.props.get("started_at")),
                equipment=equipment_of.get(step.id, []),
                lots=made_by.get(step.id, []),
            )
            for step, value in outside
        ],
        process_steps=[NodeView.of(s) for s in steps],
        lots=[NodeView.of(lot) for lot in made],
    )
    if impact and made:
        from traceapi.services.impact import recall_impact

        report.impact = recall_impact(
            store, lot_ids=[lot.id for lot in made], max_depth=max_depth, max_nodes=max_nodes
        )
    return report


def _steps_of_code(store: GraphStore, step_code: str) -> list[Node]:
    """Every step with this code, paged by id; InvalidInput naming the known codes if none."""
    found: list[Node] = []
    after: str | None = None
    while True:
        page = store.list_nodes(
            kind=NodeKind.PROCESS_STEP, after=after, limit=_PAGE, where={"step_code": step_code}
        )
        found.extend(page)
        if len(page) < _PAGE:
            break
        after = page[-1].id
    if not found:
        known: set[str] = set()
        after = None
        for _ in range(4):  # a few pages of steps name the usual codes; no full scan to fail
            page = store.list_nodes(kind=NodeKind.PROCESS_STEP, after=after, limit=_PAGE)
            known |= {str(s.props["step_code"]) for s in page if "step_code" in s.props}
            if len(page) < _PAGE:
                break
            after = page[-1].id
        _unknown_code(step_code, known)
    return found


def _unknown_code(step_code: str, known: set[str]) -> None:
    shown = sorted(known)[:KNOWN_SHOWN]
    raise InvalidInput(
        f"no step has step code {step_code!r}; known: {', '.join(shown) or 'none'}",
        details={"field": "step_code", "known": shown},
    )


def _start_key(step: Node) -> tuple[int, float]:
    """Steps by start time, those without one last."""
    times = step_times(step)
    return (0, times[0].timestamp()) if times is not None else (1, 0.0)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
