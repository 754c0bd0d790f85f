"""Which candidate factors lie upstream of each analysed lot, from one reach per lot.

A factor is something a lot's genealogy can share with another's: a supplier lot, a supplier,
a material, a machine, a process step, an operator (a step's ``operator`` property) or a run
of a machine in a time window. Each lot is traced backward once with ``store.reach`` (node by
node, never path enumeration); the nodes and annotation edges found are then read in a few
batched calls (``get_nodes``, ``edge_rows_of``), whatever the number of lots.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from traceapi.domain.model import EdgeType, LotType, Node, NodeKind
from traceapi.services.rootcause.statistics import fisher_greater
from traceapi.services.rootcause.windows import step_times
from traceapi.store.base import Direction, GraphStore, Reach

_ON = frozenset({EdgeType.ON})
_OF_SUPPLIED = frozenset({EdgeType.OF, EdgeType.SUPPLIED})
_LOT_KINDS = frozenset({NodeKind.LOT, NodeKind.UNIT, NodeKind.CONTAINER})
MAX_SCANNED_HITS = 200
"""A machine whose record has more start times upstream of anomalous lots is not scanned for
a window (the scan grows with their square)."""
OPERATOR_PREFIX = "operator:"
"""Operators are step properties, not nodes: their factor id is this prefix and the name."""


class FactorKind(StrEnum):
    SUPPLIER_LOT = "supplier_lot"
    SUPPLIER = "supplier"
    MATERIAL = "material"
    EQUIPMENT = "equipment"
    EQUIPMENT_WINDOW = "equipment_window"
    PROCESS_STEP = "process_step"
    OPERATOR = "operator"


@dataclass(slots=True)
class Factor:
    """One candidate factor and, per analysed lot that has it, how near (edges back)."""

    id: str
    kind: FactorKind
    name: str | None = None
    lots: dict[str, int] = field(default_factory=dict)
    equipment: str | None = None
    """For a window: its machine."""
    window: tuple[datetime, datetime] | None = None
    steps: list[str] = field(default_factory=list)
    """For a window: the step records in it, by start time."""
    windows_possible: int = 1
    """For a window: how many windows one could have drawn on its machine (the scan's size)."""

    def add(self, lot_id: str, depth: int) -> None:
        known = self.lots.get(lot_id)
        if known is None or depth < known:
            self.lots[lot_id] = depth


@dataclass(slots=True)
class Upstream:
    """The factors upstream of the analysed lots, and what was read to find them."""

    factors: dict[str, Factor]
    reaches: dict[str, Reach]
    nodes: dict[str, Node]
    """Every node read: steps and lots reached, their equipment, materials and suppliers."""
    step_equipment: dict[str, list[str]]
    material_of: dict[str, list[str]]


def extract_upstream(
    store: GraphStore, lot_ids: Sequence[str], *, max_depth: int | None, max_nodes: int
) -> Upstream:
    """Factors upstream of every lot in ``lot_ids`` (ids of existing lots)."""
    reaches = {
        lot: store.reach([lot], direction=Direction.BACKWARD, max_depth=max_depth,
                         max_nodes=max_nodes)
        for lot in dict.fromkeys(lot_ids)
    }  # fmt: skip
    kind_of: dict[str, NodeKind] = {}
    for reach in reaches.values():
        kind_of.update(zip(reach.ids, reach.kinds, strict=True))
    steps = [i for i, k in kind_of.items() if k is NodeKind.PROCESS_STEP]
    lots = [i for i, k in kind_of.items() if k in _LOT_KINDS]
    nodes = store.get_nodes(steps + lots)
    step_equipment: dict[str, list[str]] = defaultdict(list)
    for row in store.edge_rows_of(steps, side="out", types=_ON):
        step_equipment[row.source].append(row.target)
    material_of: dict[str, list[str]] = defaultdict(list)
    supplied: set[str] = set()
    for row in store.edge_rows_of(lots, side="both", types=_OF_SUPPLIED):
        if row.type is EdgeType.SUPPLIED:
            supplied.add(row.target)
        elif row.source in kind_of and kind_of[row.source] in _LOT_KINDS:
            material_of[row.source].append(row.target)
    others = {e for targets in step_equipment.values() for e in targets}
    others |= {m for targets in material_of.values() for m in targets}
    others |= {i for i, k in kind_of.items() if k is NodeKind.SUPPLIER}
    nodes.update(store.get_nodes(sorted(others - nodes.keys())))
    equipment = {i for i in others if i in nodes and nodes[i].kind is NodeKind.EQUIPMENT}
    materials = {i for i in others if i in nodes and nodes[i].kind is NodeKind.MATERIAL}
    supplier_lots = supplied | {
        i for i in lots if i in nodes and nodes[i].props.get("lot_type") == LotType.RAW.value
    }

    factors: dict[str, Factor] = {}

    def factor(factor_id: str, kind: FactorKind) -> Factor:
        found = factors.get(factor_id)
        if found is None:
            node = nodes.get(factor_id)
            name = node.name if node is not None else factor_id.removeprefix(OPERATOR_PREFIX)
            found = factors[factor_id] = Factor(factor_id, kind, name)
        return found

    for lot, reach in reaches.items():
        for node_id, kind, depth in zip(reach.ids, reach.kinds, reach.depths, strict=True):
            if node_id == lot:
                continue
            if kind is NodeKind.PROCESS_STEP:
                factor(node_id, FactorKind.PROCESS_STEP).add(lot, depth)
                for machine in step_equipment.get(node_id, ()):
                    if machine in equipment:
                        factor(machine, FactorKind.EQUIPMENT).add(lot, depth)
                step = nodes.get(node_id)
                operator = step.props.get("operator") if step is not None else None
                if isinstance(operator, str) and operator.strip():
                    factor(OPERATOR_PREFIX + operator.strip(), FactorKind.OPERATOR).add(lot, depth)
            elif kind in _LOT_KINDS:
                if node_id in supplier_lots:
                    factor(node_id, FactorKind.SUPPLIER_LOT).add(lot, depth)
                for material in material_of.get(node_id, ()):
                    if material in materials:
                        factor(material, FactorKind.MATERIAL).add(lot, depth)
            elif kind is NodeKind.SUPPLIER:
                factor(node_id, FactorKind.SUPPLIER).add(lot, depth)
    return Upstream(factors, reaches, nodes, dict(step_equipment), dict(material_of))


def add_window_factors(upstream: Upstream, *, anomalous: set[str], baseline: set[str]) -> None:
    """Adds, per machine that made what anomalous lots came from, its strongest time window.

    On each machine, the start times of the analysed lots' upstream steps are put in order. A
    window is a run of consecutive start times; it is shared by every analysed lot with an
    upstream step on that machine starting in it. Of the windows that begin and end at a start
    time with a step upstream of an anomalous lot (any other window is beaten by shrinking it
    to those), the one with the lowest Fisher p-value is kept (ties: the shorter, then the
    earlier), unless it spans the machine's whole record. The window is chosen after looking
    at the anomalous lots, so it records how many windows its machine allowed
    (``windows_possible``, n(n+1)/2 for n start times) and the ranking multiplies its p-value
    by that number: Bonferroni over every window one could have drawn, valid however it was
    chosen. Machines with more than ``MAX_SCANNED_HITS`` such start times are not scanned.
    """
    factors = upstream.factors
    by_machine: dict[str, dict[datetime, list[str]]] = defaultdict(lambda: defaultdict(list))
    for step_id, machines in upstream.step_equipment.items():
        step = upstream.nodes.get(step_id)
        if step is None or step_id not in factors:
            continue
        times = step_times(step)
        if times is None:
            continue
        for machine in machines:
            if machine in factors and factors[machine].kind is FactorKind.EQUIPMENT:
                by_machine[machine][times[0]].append(step_id)
    n_bad, n_good = len(anomalous), len(baseline)
    for machine, starts in sorted(by_machine.items()):
        order = sorted(starts)
        lots_at = [{lot for s in starts[moment] for lot in factors[s].lots} for moment in order]
        hits = [i for i, lots in enumerate(lots_at) if not anomalous.isdisjoint(lots)]
        if len(order) < 3 or len(hits) < 2 or len(hits) > MAX_SCANNED_HITS:
            continue
        best: tuple[float, int, int, int] | None = None
        for x, first in enumerate(hits):
            covered: set[str] = set()
            position = first
            for last in hits[x:]:
                while position <= last:
                    covered |= lots_at[position]
                    position += 1
                if first == 0 and last == len(order) - 1:
                    continue
                a = len(covered & anomalous)
                c = len(covered & baseline)
                p = fisher_greater(a, n_bad - a, c, n_good - c)
                key = (p, last - first, first, last)
                if best is None or key < best:
                    best = key
        if best is None:
            continue
        _, _, first, last = best
        step_ids = [s for moment in order[first : last + 1] for s in starts[moment]]
        ends = [
            times[1]
            for s in step_ids
            if (node := upstream.nodes.get(s)) is not None and (times := step_times(node))
        ]
        window = (order[first], max(ends))
        window_id = f"{machine}@{_iso(window[0])}/{_iso(window[1])}"
        made = Factor(
            window_id,
            FactorKind.EQUIPMENT_WINDOW,
            f"{machine} from {_iso(window[0])} to {_iso(window[1])}",
            equipment=machine,
            window=window,
            steps=step_ids,
            windows_possible=len(order) * (len(order) + 1) // 2,
        )
        for step_id in step_ids:
            for lot, depth in factors[step_id].lots.items():
                made.add(lot, depth)
        factors[window_id] = made


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
