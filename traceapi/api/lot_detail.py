"""The neighbourhood of one lot for ``GET /api/v1/lots/{id}``, in a fixed number of store calls."""

from __future__ import annotations

from traceapi.api.schemas import LotDetailReport
from traceapi.domain.model import Edge, EdgeType, Node
from traceapi.domain.results import NodeView
from traceapi.services.lookup import resolve_lot
from traceapi.store.base import GraphStore

_AROUND_A_LOT = frozenset(
    {
        EdgeType.OF,
        EdgeType.SUPPLIED,
        EdgeType.PRODUCED,
        EdgeType.CONSUMED_BY,
        EdgeType.SHIPPED_IN,
    }
)


def _unique(ids: list[str], *, without: str | None = None) -> list[str]:
    return [i for i in dict.fromkeys(ids) if i != without]


def lot_detail(store: GraphStore, identifier: str) -> LotDetailReport:
    """The lot ``identifier`` names (any accepted form) with its direct genealogy."""
    lot = resolve_lot(store, identifier)
    around = store.edges_of([lot.id], side="both", types=_AROUND_A_LOT)

    def ends(edge_type: EdgeType, *, outgoing: bool) -> list[str]:
        if outgoing:
            return _unique([e.target for e in around if e.type is edge_type and e.source == lot.id])
        return _unique([e.source for e in around if e.type is edge_type and e.target == lot.id])

    producers = ends(EdgeType.PRODUCED, outgoing=False)
    consumers = ends(EdgeType.CONSUMED_BY, outgoing=True)
    step_edges: list[Edge] = []
    if producers or consumers:
        step_edges = store.edges_of(
            producers + consumers,
            side="both",
            types=frozenset({EdgeType.CONSUMED_BY, EdgeType.PRODUCED, EdgeType.ON}),
        )
    producer_set, consumer_set = set(producers), set(consumers)
    consumed = EdgeType.CONSUMED_BY
    inputs = _unique(
        [e.source for e in step_edges if e.type is consumed and e.target in producer_set],
        without=lot.id,
    )
    produced = EdgeType.PRODUCED
    outputs = _unique(
        [e.target for e in step_edges if e.type is produced and e.source in consumer_set],
        without=lot.id,
    )
    equipment = _unique(
        [e.target for e in step_edges if e.type is EdgeType.ON and e.source in producer_set]
    )
    materials = ends(EdgeType.OF, outgoing=True)
    suppliers = ends(EdgeType.SUPPLIED, outgoing=False)
    inspections = ends(EdgeType.OF, outgoing=False)
    shipments = ends(EdgeType.SHIPPED_IN, outgoing=True)
    wanted = [
        *materials,
        *suppliers,
        *producers,
        *consumers,
        *inputs,
        *outputs,
        *equipment,
        *inspections,
        *shipments,
    ]
    nodes = store.get_nodes(_unique(wanted)) if wanted else {}

    def views(ids: list[str], kind: str | None = None) -> list[NodeView]:
        found: list[Node] = [nodes[i] for i in ids if i in nodes]
        return [NodeView.of(n) for n in found if kind is None or n.kind.value == kind]

    material_views = views(materials, "Material")
    return LotDetailReport(
        lot=NodeView.of(lot),
        material=material_views[0] if material_views else None,
        suppliers=views(suppliers),
        produced_by=views(producers),
        inputs=views(inputs),
        equipment=views(equipment),
        consumed_by=views(consumers),
        outputs=views(outputs),
        inspections=views(inspections, "Inspection"),
        shipments=views(shipments),
    )
