"""What each console page shows, shaped from the existing services (lookup, lot detail, traces,
the picture scene, impact): no queries of its own beyond a node's direct neighbours."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from traceapi.api.lot_detail import lot_detail
from traceapi.api.schemas import LotDetailReport
from traceapi.domain.model import EdgeType
from traceapi.domain.results import HolderStock, NodeView, TraceReport
from traceapi.render.scene import trace_scene
from traceapi.services.impact import recall_impact
from traceapi.services.lookup import TRACEABLE_KINDS, resolve_lot, resolve_node
from traceapi.services.trace import trace_backward, trace_forward
from traceapi.store.base import GraphStore

PICTURE_MAX_NODES = 1500
"""The genealogy picture draws at most this many nodes (each column cut past ``COLUMN_CAP``)."""
PICTURE_COLUMN_CAP = 150
HELD_STATUSES = frozenset({"quarantined", "on_hold", "rejected", "recalled"})
"""Lot statuses the picture and the lot file mark: the lot must not move on as it is."""
NEIGHBOURS_SHOWN = 200
"""Per edge type and side on a node's page; a customer may have thousands of shipments."""
_NOT_PROPERTIES = frozenset({"id", "kind", "name", "depth", "quantity_share"})


def node_url(node_id: str, kind: str | None = None) -> str:
    """The console page of a node: lots (units, containers) have their file, others a page."""
    path = "lots" if kind in {k.value for k in TRACEABLE_KINDS} else "nodes"
    return f"/console/{path}/{quote(node_id, safe='')}"


def properties(view: NodeView) -> dict[str, Any]:
    """A node's own properties, in the order it carries them (not id, kind, name)."""
    return {k: v for k, v in view.model_dump().items() if k not in _NOT_PROPERTIES}


def columns_of(views: Iterable[NodeView], *, first: Sequence[str] = ()) -> list[str]:
    """Property names over ``views`` for a table: ``first`` (where present), then the rest in
    order of first appearance."""
    seen: dict[str, None] = {}
    for view in views:
        seen.update(dict.fromkeys(properties(view)))
    return [c for c in first if c in seen] + [c for c in seen if c not in first]


@dataclass(frozen=True, slots=True)
class Delivery:
    shipment: NodeView
    customers: list[NodeView]


@dataclass(slots=True)
class LotFile:
    """One lot, one file: the lot detail answer plus whom its shipments reached."""

    detail: LotDetailReport
    deliveries: list[Delivery] = field(default_factory=list)

    @property
    def held(self) -> bool:
        return str(properties(self.detail.lot).get("status")) in HELD_STATUSES


def lot_file(store: GraphStore, identifier: str) -> LotFile:
    """The lot ``identifier`` names with its direct genealogy and its shipments' consignees."""
    detail = lot_detail(store, identifier)
    shipment_ids = [s.id for s in detail.shipments]
    edges = store.edges_of(shipment_ids, side="out", types=frozenset({EdgeType.DELIVERED_TO}))
    customers = store.get_nodes(sorted({e.target for e in edges})) if edges else {}
    reached: dict[str, list[NodeView]] = defaultdict(list)
    for edge in edges:
        if edge.target in customers:
            reached[edge.source].append(NodeView.of(customers[edge.target]))
    deliveries = [Delivery(s, reached.get(s.id, [])) for s in detail.shipments]
    return LotFile(detail=detail, deliveries=deliveries)


@dataclass(frozen=True, slots=True)
class LotStock:
    """What each holder still has of one lot: us (on hand), and each consignee."""

    lot: NodeView
    on_hand: NodeView | None
    holders: list[HolderStock]
    unknown: bool


def lot_stock(store: GraphStore, identifier: str, *, max_nodes: int) -> LotStock:
    """Stock by holder of one lot, as the impact answer counts it (that answer for this lot
    alone, of which only this lot's rows are shown)."""
    lot = resolve_lot(store, identifier)
    report = recall_impact(store, lot_ids=[lot.id], max_nodes=max_nodes)
    ours = next((v for v in report.stock_on_hand if v.id == lot.id), None)
    holders = [h for h in report.stock_in_distribution if h.lot_id == lot.id]
    return LotStock(
        lot=NodeView.of(lot),
        on_hand=ours,
        holders=holders,
        unknown=lot.id in report.stock_unknown,
    )


@dataclass(frozen=True, slots=True)
class Neighbour:
    edge_type: str
    outgoing: bool
    node: NodeView
    qty: float | None
    unit: str | None


@dataclass(slots=True)
class NodePage:
    node: NodeView
    neighbours: dict[str, list[Neighbour]]
    """By heading (edge type and direction), each cut at ``NEIGHBOURS_SHOWN``."""
    left_out: dict[str, int]


def node_page(store: GraphStore, identifier: str) -> NodePage:
    """Any node (supplier, step, equipment, shipment, customer, ...) and its direct neighbours."""
    node = resolve_node(store, identifier)
    edges = store.edges_of([node.id], side="both")
    others = store.get_nodes(sorted({e.target if e.source == node.id else e.source for e in edges}))
    groups: dict[str, list[Neighbour]] = defaultdict(list)
    left_out: dict[str, int] = defaultdict(int)
    for edge in sorted(edges, key=lambda e: (e.type.value, e.source, e.target)):
        outgoing = edge.source == node.id
        other = others.get(edge.target if outgoing else edge.source)
        if other is None:
            continue
        heading = (
            f"{edge.type.value} → {other.kind.value}"
            if outgoing
            else (f"{other.kind.value} → {edge.type.value}")
        )
        if len(groups[heading]) >= NEIGHBOURS_SHOWN:
            left_out[heading] += 1
            continue
        groups[heading].append(
            Neighbour(edge.type.value, outgoing, NodeView.of(other), edge.qty, edge.unit)
        )
    return NodePage(node=NodeView.of(node), neighbours=dict(groups), left_out=dict(left_out))


def genealogy(
    store: GraphStore,
    identifier: str,
    *,
    direction: str,
    max_depth: int | None,
    max_nodes: int,
) -> dict[str, Any]:
    """The picture of where-used or where-from as Cytoscape elements: the boxes and lines of
    the SVG picture's scene (``traceapi graph``), placed in its columns, with held and
    recalled lots marked and every node linking to its page."""
    trace = trace_backward if direction == "where-from" else trace_forward
    report: TraceReport = trace(store, lot_id=identifier, max_depth=max_depth, max_nodes=max_nodes)
    scene = trace_scene(store, report, max_nodes=PICTURE_MAX_NODES, column_cap=PICTURE_COLUMN_CAP)
    status = {
        v.id: str(properties(v).get("status", ""))
        for v in [report.lot, *report.lots]
        if properties(v).get("status")
    }
    elements: list[dict[str, Any]] = []
    for column, ids in enumerate(scene.columns.ids):
        for row, node_id in enumerate(ids):
            box = scene.boxes[node_id]
            lot_status = status.get(node_id)
            elements.append(
                {
                    "group": "nodes",
                    "data": {
                        "id": node_id,
                        "label": box.label,
                        "kind": box.kind,
                        "category": box.category,
                        "fill": box.fill,
                        "tooltip": box.tooltip,
                        "status": lot_status,
                        "held": lot_status in HELD_STATUSES,
                        "seed": box.seed,
                        "url": node_url(node_id, box.kind),
                    },
                    "position": {"x": column * 190, "y": row * 64},
                }
            )
    for link in scene.links:
        elements.append(
            {
                "group": "edges",
                "data": {
                    "id": f"{link.source}->{link.target}",
                    "source": link.source,
                    "target": link.target,
                    "style": link.style,
                    "via": link.via,
                },
            }
        )
    hidden = scene.columns.hidden_total
    note = None
    if hidden:
        note = (
            f"Large answer: each column shows its first {PICTURE_COLUMN_CAP} nodes; {hidden} "
            "more are not drawn (the REST and GraphQL traces, and the impact, have them all)."
        )
    return {
        "title": scene.title,
        "subtitle": scene.subtitle,
        "note": note,
        "lot": report.lot.id,
        "direction": direction,
        "elements": elements,
    }


def lot_ids_of(text: str) -> list[str]:
    """The identifiers typed or pasted into the impact form: one a line (or comma-separated);
    a line that holds a GS1 barcode or Digital Link stays whole."""
    ids: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if not line:
            continue
        parts = [line] if line.startswith(("(", "http", "urn:", "]")) else line.split(",")
        ids.extend(p.strip() for p in parts if p.strip())
    return list(dict.fromkeys(ids))
