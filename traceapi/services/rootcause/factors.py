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
    """One candidate factor, the anomalous lots that have it (with how near: edges back) and
    the baseline lots that have it."""

    id: str
    kind: FactorKind
    name: str | None = None
    lots: dict[str, int] = field(default_factory=dict)
    """Anomalous lots that have it, each with the fewest edges back to it."""
    good: set[str] = field(default_factory=set)
    """Baseline lots that have it."""
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
    found: int = 0
    """Distinct factors upstream of any analysed lot (``factors`` holds those of anomalous
    lots, and the steps on their machines, for the window scan)."""


def extract_upstream(
    store: GraphStore,
    anomalous: Sequence[str],
    baseline: Sequence[str],
    *,
    max_depth: int | None,
    max_nodes: int,
) -> Upstream:
    """Factors upstream of the ``anomalous`` lots, with the ``baseline`` lots that share each
    (ids of existing lots)."""
    bad = list(dict.fromkeys(anomalous))
    good = [lot for lot in dict.fromkeys(baseline) if lot not in set(bad)]
    reaches = {
        lot: store.reach([lot], direction=Direction.BACKWARD, max_depth=max_depth,
                         max_nodes=max_nodes)
        for lot in bad + good
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

    # What each reached node stands for, worked out once per node, not once per lot.
    kinds: dict[str, FactorKind] = {}
    expands: dict[str, tuple[str, ...]] = {}
    for node_id, kind in kind_of.items():
        found: list[str] = []
        if kind is NodeKind.PROCESS_STEP:
            kinds[node_id] = FactorKind.PROCESS_STEP
            found.append(node_id)
            for machine in step_equipment.get(node_id, ()):
                known = nodes.get(machine)
                if known is not None and known.kind is NodeKind.EQUIPMENT:
                    kinds[machine] = FactorKind.EQUIPMENT
                    found.append(machine)
            operator = nodes[node_id].props.get("operator") if node_id in nodes else None
            if isinstance(operator, str) and operator.strip():
                kinds[OPERATOR_PREFIX + operator.strip()] = FactorKind.OPERATOR
                found.append(OPERATOR_PREFIX + operator.strip())
        elif kind in _LOT_KINDS:
            made = nodes.get(node_id)
            raw = made is not None and made.props.get("lot_type") == LotType.RAW.value
            if node_id in supplied or raw:
                kinds[node_id] = FactorKind.SUPPLIER_LOT
                found.append(node_id)
            for material in material_of.get(node_id, ()):
                known = nodes.get(material)
                if known is not None and known.kind is NodeKind.MATERIAL:
                    kinds[material] = FactorKind.MATERIAL
                    found.append(material)
        elif kind is NodeKind.SUPPLIER:
            kinds[node_id] = FactorKind.SUPPLIER
            found.append(node_id)
        expands[node_id] = tuple(found)

    def new(factor_id: str) -> Factor:
        node = nodes.get(factor_id)
        name = node.name if node is not None else factor_id.removeprefix(OPERATOR_PREFIX)
        return Factor(factor_id, kinds[factor_id], name)

    factors: dict[str, Factor] = {}
    for lot in bad:
        reach = reaches[lot]
        for node_id, depth in zip(reach.ids, reach.depths, strict=True):
            if node_id == lot:
                continue
            for factor_id in expands[node_id]:
                factor = factors.get(factor_id)
                if factor is None:
                    factor = factors[factor_id] = new(factor_id)
                factor.lots.setdefault(lot, depth)  # reaches list nodes nearest first
    machines = {f for f, factor in factors.items() if factor.kind is FactorKind.EQUIPMENT}
    for step_id in steps:  # every analysed step on those machines, for the window scan
        if step_id not in factors and not machines.isdisjoint(step_equipment.get(step_id, ())):
            factors[step_id] = new(step_id)
    tracked = {n for n, fs in expands.items() if any(f in factors for f in fs)}
    reaching: dict[str, list[str]] = defaultdict(list)
    for lot in good:  # one append per (lot, node); the sets below fill at C speed
        for node_id in tracked.intersection(reaches[lot].ids):
            if node_id != lot:
                reaching[node_id].append(lot)
    for node_id, good_lots in reaching.items():
        for factor_id in expands[node_id]:
            factor = factors.get(factor_id)
            if factor is not None:
                factor.good.update(good_lots)
    return Upstream(
        factors, reaches, nodes, dict(step_equipment), dict(material_of), found=len(kinds)
    )


def add_window_factors(upstream: Upstream, *, n_bad: int, n_good: int) -> None:
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
    scans: list[tuple[str, list[datetime], dict[datetime, list[str]]]] = []
    spans: list[tuple[int, int, int]] = []
    counts: list[tuple[int, int]] = []
    for machine, starts in sorted(by_machine.items()):
        order = sorted(starts)
        bad_at = [{lot for s in starts[moment] for lot in factors[s].lots} for moment in order]
        good_at = [{lot for s in starts[moment] for lot in factors[s].good} for moment in order]
        hits = [i for i, lots in enumerate(bad_at) if lots]
        if len(order) < 3 or len(hits) < 2 or len(hits) > MAX_SCANNED_HITS:
            continue
        scan = len(scans)
        scans.append((machine, order, starts))
        for x, first in enumerate(hits):
            bad_in: set[str] = set()
            good_in: set[str] = set()
            position = first
            for last in hits[x:]:
                while position <= last:
                    bad_in |= bad_at[position]
                    good_in |= good_at[position]
                    position += 1
                if not (first == 0 and last == len(order) - 1):
                    spans.append((scan, first, last))
                    counts.append((len(bad_in), len(good_in)))
    best: dict[int, tuple[float, int, int, int]] = {}
    p_values = fisher_greater(counts, n_bad=n_bad, n_good=n_good)
    for p, (scan, first, last) in zip(p_values, spans, strict=True):
        key = (p, last - first, first, last)
        if scan not in best or key < best[scan]:
            best[scan] = key
    for scan, (_, _, first, last) in sorted(best.items()):
        machine, order, starts = scans[scan]
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
            made.good |= factors[step_id].good
        factors[window_id] = made
        upstream.found += 1


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")
