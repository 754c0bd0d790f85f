"""where-used and where-from: one bounded breadth-first reach, then the nodes it found, grouped."""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from operator import itemgetter

from traceapi.domain.model import EdgeType, Node, NodeKind
from traceapi.domain.results import NodeView, TraceReport
from traceapi.gc_pause import collector_paused
from traceapi.services.lookup import resolve_lot
from traceapi.settings import Settings
from traceapi.store.base import Direction, GraphStore, Reach

_ON = frozenset({EdgeType.ON})

_LIST_OF_KIND: dict[NodeKind, str] = {
    NodeKind.LOT: "lots",
    NodeKind.UNIT: "lots",
    NodeKind.CONTAINER: "lots",
    NodeKind.PROCESS_STEP: "process_steps",
    NodeKind.EQUIPMENT: "equipment",
    NodeKind.SUPPLIER: "suppliers",
    NodeKind.SHIPMENT: "shipments",
    NodeKind.CUSTOMER: "customers",
}
"""Which answer list a reached node goes to. Units and containers are traceable material, so
they are listed with the lots (their ``kind`` tells them apart); any other kind a flow edge
reaches in dirty data is listed there too, so nothing reached is ever dropped."""

_LISTS = ("lots", "process_steps", "equipment", "suppliers", "shipments", "customers")


@lru_cache(maxsize=1)
def default_max_nodes() -> int:
    """The configured node cap, read from the environment once per process."""
    return Settings().max_trace_nodes


def node_cap(max_nodes: int | None) -> int:
    """``max_nodes`` or, when None, the configured default cap."""
    return default_max_nodes() if max_nodes is None else max_nodes


def trace_forward(
    store: GraphStore,
    *,
    lot_id: str,
    max_depth: int | None = None,
    max_nodes: int | None = None,
) -> TraceReport:
    """where-used: everything downstream of a lot, through production and shipments."""
    with collector_paused():
        return _trace(store, lot_id, Direction.FORWARD, max_depth, max_nodes)


def trace_backward(
    store: GraphStore,
    *,
    lot_id: str,
    max_depth: int | None = None,
    max_nodes: int | None = None,
) -> TraceReport:
    """where-from: everything upstream of a lot, to supplier lots, with steps and equipment."""
    with collector_paused():
        return _trace(store, lot_id, Direction.BACKWARD, max_depth, max_nodes)


def _trace(
    store: GraphStore,
    identifier: str,
    direction: Direction,
    max_depth: int | None,
    max_nodes: int | None,
) -> TraceReport:
    lot = resolve_lot(store, identifier)
    reach = store.reach(
        [lot.id], direction=direction, max_depth=max_depth, max_nodes=node_cap(max_nodes)
    )
    nodes = store.get_nodes(reach.ids)
    found: dict[str, list[tuple[int, str, Node]]] = {name: [] for name in _LISTS}
    for node_id, depth in zip(reach.ids, reach.depths, strict=True):
        node = nodes.get(node_id)
        if node is None or node_id == lot.id:
            continue
        found[_LIST_OF_KIND.get(node.kind, "lots")].append((depth, node_id, node))
    found["equipment"].extend(_equipment_of_steps(store, reach))
    view = NodeView.trusted
    lists = {
        name: [view(node, depth=depth) for depth, _, node in sorted(entries, key=_DEPTH_AND_ID)]
        for name, entries in found.items()
    }
    return TraceReport.model_construct(
        direction=direction.value,
        lot=view(lot, depth=0),
        lots=lists["lots"],
        process_steps=lists["process_steps"],
        equipment=lists["equipment"],
        suppliers=lists["suppliers"],
        shipments=lists["shipments"],
        customers=lists["customers"],
        max_depth=max_depth,
    )


_DEPTH_AND_ID = itemgetter(0, 1)
"""Every list of a trace is sorted by depth, then id."""


def _equipment_of_steps(store: GraphStore, reach: Reach) -> Iterable[tuple[int, str, Node]]:
    """Equipment the reached process steps ran on, each at the depth of its nearest step."""
    step_depth = {
        node_id: depth
        for node_id, kind, depth in zip(reach.ids, reach.kinds, reach.depths, strict=True)
        if kind == NodeKind.PROCESS_STEP
    }
    if not step_depth:
        return []
    reached = set(reach.ids)
    depth_of: dict[str, int] = {}
    for edge in store.edge_rows_of(list(step_depth), side="out", types=_ON):
        if edge.source in step_depth and edge.target not in reached:
            depth = step_depth[edge.source]
            depth_of[edge.target] = min(depth, depth_of.get(edge.target, depth))
    found = store.get_nodes(list(depth_of))
    return [
        (depth_of[node_id], node_id, node)
        for node_id, node in found.items()
        if node.kind is NodeKind.EQUIPMENT
    ]
