"""Recall impact: from seed lots to affected lots, stock, shipments and tiered consignees.

One forward reach from all seeds, one ``get_nodes`` for what it found, and two ``edges_of``
calls: every flow edge *into* a reached node other than a customer (which also holds the flow
edges *out of* reached lots, steps, units and containers, except past ``max_depth``), and the
``DELIVERED_TO`` / ``SHIPPED_FROM`` edges out of reached shipments.

Conventions (see docs/performance.md and the docstrings below):
- Lots are recalled whole: a shipment's affected quantity is what it carried of affected lots
  (a lot's ``SHIPPED_IN`` quantity, one per serialised unit, a container's affected content).
  ``seed_equivalent`` weighs those quantities by quantity share.
- Stock on hand is the lot's ``on_hand`` property when recorded; otherwise it is derived as the
  lot's ``quantity`` (or what its steps produced) minus what left it: consumed by steps, shipped,
  packed into containers that shipped, and its units that left. Lots at ``max_depth`` (whose
  outgoing edges were not walked) get no derived figure.
- Tiers: a shipment with no ``SHIPPED_FROM`` edge and no ``origin`` naming a customer is ours;
  its consignees are tier 1. A shipment from a customer of tier t delivers to tier t + 1.
- ``summary.quantity_shipped`` counts our own shipments only, so onward shipments of the same
  product are not counted twice.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import cast

from traceapi.domain.model import FLOW_EDGE_TYPES, Edge, EdgeType, LotType, Node, NodeKind
from traceapi.domain.results import (
    ConsigneeRow,
    CustomerImpact,
    ImpactReport,
    ImpactSummary,
    NodeView,
    UnaccountedStep,
)
from traceapi.errors import InvalidInput
from traceapi.services.lookup import resolve_lots
from traceapi.services.quantity_share import Inflow, propagate_shares
from traceapi.services.trace import node_cap
from traceapi.store.base import Direction, GraphStore

_SHIPMENT_OUT = frozenset({EdgeType.DELIVERED_TO, EdgeType.SHIPPED_FROM})

SHARE_EDGES = frozenset(
    {EdgeType.CONSUMED_BY, EdgeType.PRODUCED, EdgeType.PACKED_IN, EdgeType.HAS_UNIT}
)
"""Edges that carry material into a node, and so weigh in its quantity share."""

UNSPECIFIED_UNIT = "unspecified"
"""Key for quantities whose unit of measure nobody recorded."""

CONSIGNEE_COLUMNS = [
    "customer_id",
    "customer_name",
    "address",
    "region",
    "customer_type",
    "tier",
    "lot_id",
    "quantity",
    "unit",
    "shipment_ids",
    "shipped_dates",
]

_EPSILON = 1e-9

Portion = tuple[str, float, str | None]
"""(lot id, quantity, unit): part of a carrier's content that is affected product."""


@dataclass
class _Found:
    """The reached subgraph: nodes, depths and the edges around them, indexed both ways."""

    nodes: dict[str, Node]
    depth: dict[str, int]
    frontier: set[str]
    """Reached nodes at ``max_depth``: their outgoing edges were not walked."""
    into: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    out_of: dict[str, list[Edge]] = field(default_factory=lambda: defaultdict(list))
    unit_lot: dict[str, str] = field(default_factory=dict)

    def add(self, edge: Edge) -> None:
        """Index an edge into a reached node (and out of its source, when reached)."""
        self.into[edge.target].append(edge)
        if edge.source in self.depth:
            self.out_of[edge.source].append(edge)
        if edge.type is EdgeType.HAS_UNIT:
            self.unit_lot[edge.target] = edge.source

    def kind(self, node_id: str) -> NodeKind | None:
        node = self.nodes.get(node_id)
        return node.kind if node is not None else None

    def reached(self, node_id: str) -> bool:
        return node_id in self.depth

    def lot_unit(self, lot_id: str) -> str | None:
        node = self.nodes.get(lot_id)
        unit = node.props.get("unit") if node is not None else None
        return unit if isinstance(unit, str) else None


def recall_impact(
    store: GraphStore,
    *,
    lot_ids: Sequence[str],
    max_depth: int | None = None,
    max_nodes: int | None = None,
) -> ImpactReport:
    """What a recall of ``lot_ids`` touches, with quantities, stock and tiered consignees."""
    if not lot_ids:
        raise InvalidInput("a recall impact needs at least one lot", details={"field": "lots"})
    seeds = resolve_lots(store, lot_ids)
    reach = store.reach(
        list(seeds), direction=Direction.FORWARD, max_depth=max_depth, max_nodes=node_cap(max_nodes)
    )
    depth = dict(zip(reach.ids, reach.depths, strict=True))
    found = _Found(
        nodes=store.get_nodes(reach.ids),
        depth=depth,
        frontier=(set() if max_depth is None else {i for i, d in depth.items() if d >= max_depth}),
    )
    # Customers' incoming edges would bring every delivery they ever got: their affected
    # deliveries come from the reached shipments' outgoing edges instead.
    kinds = dict(zip(reach.ids, reach.kinds, strict=True))
    material = [i for i, kind in kinds.items() if kind != NodeKind.CUSTOMER]
    for edge in store.edges_of(material, side="in", types=FLOW_EDGE_TYPES):
        found.add(edge)
    shipment_ids = [i for i, kind in kinds.items() if kind == NodeKind.SHIPMENT]
    origin_edges: list[Edge] = []
    if shipment_ids:
        for edge in store.edges_of(shipment_ids, side="out", types=_SHIPMENT_OUT):
            if edge.type is EdgeType.SHIPPED_FROM:
                origin_edges.append(edge)
            elif edge.target in depth:
                found.add(edge)

    shares = propagate_shares(
        reach.ids,
        {
            node_id: [Inflow(e.source, e.qty) for e in edges if e.type in SHARE_EDGES]
            for node_id, edges in found.into.items()
        },
        seeds=seeds,
    )
    lots = sorted(
        (
            NodeView.of(node, depth=depth[node_id], quantity_share=shares.get(node_id, 0.0))
            for node_id, node in found.nodes.items()
            if node.kind is NodeKind.LOT
        ),
        key=_depth_then_id,
    )
    shipments = _shipments(store, found, shares, origin_edges)
    customers, consignees = _customers(found, shipments)
    stock = _stock_on_hand(found, lots)
    unaccounted = _unaccounted_steps(found, shares)
    finished = [lot for lot in lots if getattr(lot, "lot_type", None) == LotType.FINISHED.value]
    shipment_views = [s.view for s in sorted(shipments.values(), key=lambda s: s.sort_key)]

    by_tier: dict[str, int] = defaultdict(int)
    for customer in customers:
        by_tier[str(customer.tier)] += 1
    shipped: dict[str, float] = defaultdict(float)
    for shipment in shipments.values():
        if shipment.origin is None:
            for unit, qty in shipment.quantities.items():
                shipped[unit] += qty
    on_hand: dict[str, float] = defaultdict(float)
    for view in stock:
        on_hand[getattr(view, "unit", None) or UNSPECIFIED_UNIT] += float(
            getattr(view, "on_hand", 0.0)
        )

    return ImpactReport(
        seed_lots=[
            NodeView.of(node, depth=0, quantity_share=1.0)
            for node in sorted(seeds.values(), key=lambda n: n.id)
        ],
        lots=lots,
        finished_lots=finished,
        stock_on_hand=stock,
        shipments=shipment_views,
        customers=customers,
        unaccounted=unaccounted,
        consignees=consignees,
        summary=ImpactSummary(
            seed_lots=len(seeds),
            affected_lots=len(lots),
            finished_lots=len(finished),
            lots_with_stock_on_hand=len(stock),
            shipments=len(shipments),
            customers=len(customers),
            customers_by_tier=dict(sorted(by_tier.items(), key=lambda kv: int(kv[0]))),
            quantity_shipped=dict(shipped),
            quantity_on_hand=dict(on_hand),
            unaccounted_steps=len(unaccounted),
        ),
        max_depth=max_depth,
    )


# -- shipments -------------------------------------------------------------------------------


@dataclass
class _Shipment:
    node: Node
    depth: int
    origin: str | None
    """The customer an onward shipment left from; None for our own shipments."""
    recipients: list[str]
    portions: dict[tuple[str, str | None], float]
    """Affected quantity carried, by (lot id, unit)."""
    shares: dict[str, float]
    view: NodeView = field(init=False)

    def __post_init__(self) -> None:
        seed_equivalent = sum(
            qty * self.shares.get(lot, 0.0) for (lot, _), qty in self.portions.items()
        )
        quantities = self.quantities
        total = sum(quantities.values())
        extra: dict[str, object] = {
            "depth": self.depth,
            "quantities": quantities,
            "lots": sorted({lot for lot, _ in self.portions}),
            "customers": self.recipients,
            "seed_equivalent": seed_equivalent,
        }
        if len(quantities) == 1:
            ((unit, qty),) = quantities.items()
            extra["quantity"] = qty
            extra["unit"] = unit
        if self.origin is not None:
            extra["origin_customer"] = self.origin
        if total > 0 and len(quantities) == 1:
            extra["quantity_share"] = seed_equivalent / total
        self.view = NodeView.of(self.node, **extra)

    @property
    def quantities(self) -> dict[str, float]:
        by_unit: dict[str, float] = defaultdict(float)
        for (_, unit), qty in self.portions.items():
            by_unit[unit or UNSPECIFIED_UNIT] += qty
        return dict(by_unit)

    @property
    def sort_key(self) -> tuple[int, str]:
        return (self.depth, self.node.id)

    @property
    def shipped_at(self) -> str | None:
        value = self.node.props.get("shipped_at")
        return value if isinstance(value, str) else None


def _shipments(
    store: GraphStore, found: _Found, shares: dict[str, float], origin_edges: list[Edge]
) -> dict[str, _Shipment]:
    """The reached shipments: origin (edge first, then ``origin`` naming a customer), consignees
    and the affected product each carried."""
    shipment_ids = [i for i, n in found.nodes.items() if n.kind is NodeKind.SHIPMENT]
    if not shipment_ids:
        return {}
    origin_of: dict[str, str] = {}
    for edge in sorted(origin_edges, key=lambda e: e.target, reverse=True):
        origin_of[edge.source] = edge.target
    named = {
        i: str(found.nodes[i].props["origin"])
        for i in shipment_ids
        if i not in origin_of and found.nodes[i].props.get("origin")
    }
    if named:
        unknown = sorted(set(named.values()) - found.nodes.keys())
        known = {**store.get_nodes(unknown), **found.nodes} if unknown else found.nodes
        for shipment_id, origin in named.items():
            origin_node = known.get(origin)
            if origin_node is not None and origin_node.kind is NodeKind.CUSTOMER:
                origin_of[shipment_id] = origin

    result: dict[str, _Shipment] = {}
    for shipment_id in shipment_ids:
        portions: dict[tuple[str, str | None], float] = defaultdict(float)
        for edge in found.into.get(shipment_id, ()):
            if edge.type is EdgeType.SHIPPED_IN and found.reached(edge.source):
                for lot, qty, unit in _portions(found, edge.source, edge.qty, edge.unit, set()):
                    portions[(lot, unit)] += qty
        recipients = sorted(
            {
                e.target
                for e in found.out_of.get(shipment_id, ())
                if e.type is EdgeType.DELIVERED_TO and found.kind(e.target) is NodeKind.CUSTOMER
            }
        )
        result[shipment_id] = _Shipment(
            node=found.nodes[shipment_id],
            depth=found.depth[shipment_id],
            origin=origin_of.get(shipment_id),
            recipients=recipients,
            portions=dict(portions),
            shares=shares,
        )
    return result


def _portions(
    found: _Found, carrier: str, qty: float | None, unit: str | None, visiting: set[str]
) -> Iterable[Portion]:
    """Affected lots inside ``carrier`` (a lot, unit or container) and how much of each."""
    kind = found.kind(carrier)
    if kind is NodeKind.LOT:
        if qty is None:
            recorded = found.nodes[carrier].props.get("quantity")
            qty = float(recorded) if isinstance(recorded, int | float) else 0.0
        return [(carrier, qty, unit or found.lot_unit(carrier))]
    if kind is NodeKind.UNIT:
        lot = found.unit_lot.get(carrier, carrier)
        return [(lot, 1.0 if qty is None else qty, unit or found.lot_unit(lot))]
    if kind is NodeKind.CONTAINER and carrier not in visiting:
        visiting.add(carrier)
        inner: list[Portion] = []
        for edge in found.into.get(carrier, ()):
            if edge.type is EdgeType.PACKED_IN and found.reached(edge.source):
                inner.extend(_portions(found, edge.source, edge.qty, edge.unit, visiting))
        visiting.discard(carrier)
        return inner
    return []


# -- customers -------------------------------------------------------------------------------


def _tiers(shipments: dict[str, _Shipment]) -> dict[str, int]:
    """Tier of every consignee: 1 from our shipments, origin's tier + 1 from onward ones."""
    received = {c for s in shipments.values() for c in s.recipients}
    tier: dict[str, int] = {}

    def offer(customer: str, candidate: int) -> bool:
        if candidate < tier.get(customer, candidate + 1):
            tier[customer] = candidate
            return True
        return False

    for shipment in shipments.values():
        if shipment.origin is None:
            for customer in shipment.recipients:
                offer(customer, 1)
        elif shipment.origin not in received:
            for customer in shipment.recipients:
                offer(customer, 2)  # from a customer we have no affected delivery to
    while True:
        changed = False
        for shipment in shipments.values():
            if shipment.origin in tier:
                for customer in shipment.recipients:
                    changed |= offer(customer, tier[shipment.origin] + 1)
        if changed:
            continue
        stranded = sorted(received - tier.keys())
        if not stranded:
            return tier
        tier[stranded[0]] = 2  # only reachable through a loop of onward shipments


def _customers(
    found: _Found, shipments: dict[str, _Shipment]
) -> tuple[list[CustomerImpact], list[ConsigneeRow]]:
    tier = _tiers(shipments)
    per_lot: dict[tuple[str, str, str | None], float] = defaultdict(float)
    per_lot_shipments: dict[tuple[str, str], set[str]] = defaultdict(set)
    per_customer: dict[str, list[_Shipment]] = defaultdict(list)
    for shipment in shipments.values():
        for customer in shipment.recipients:
            per_customer[customer].append(shipment)
            for (lot, unit), qty in shipment.portions.items():
                per_lot[(customer, lot, unit)] += qty
                per_lot_shipments[(customer, lot)].add(shipment.node.id)

    customers: list[CustomerImpact] = []
    for customer_id, delivered_by in per_customer.items():
        quantities: dict[str, float] = defaultdict(float)
        seed_equivalent = 0.0
        lots: set[str] = set()
        for shipment in delivered_by:
            for (lot, unit), qty in shipment.portions.items():
                quantities[unit or UNSPECIFIED_UNIT] += qty
                seed_equivalent += qty * shipment.shares.get(lot, 0.0)
                lots.add(lot)
        single = next(iter(quantities.items())) if len(quantities) == 1 else None
        customers.append(
            cast(
                CustomerImpact,
                CustomerImpact.of(
                    found.nodes[customer_id],
                    depth=found.depth[customer_id],
                    tier=tier.get(customer_id, 1),
                    quantity=single[1] if single else 0.0,
                    unit=single[0] if single else None,
                    quantities=dict(quantities),
                    seed_equivalent=seed_equivalent,
                    lots=sorted(lots),
                    shipments=sorted(s.node.id for s in delivered_by),
                ),
            )
        )
    customers.sort(key=lambda c: (c.tier, c.id))

    dates_of = {s.node.id: s.shipped_at for s in shipments.values()}
    rows = []
    for (customer_id, lot, unit), qty in per_lot.items():
        node = found.nodes[customer_id]
        shipment_ids = sorted(per_lot_shipments[(customer_id, lot)])
        rows.append(
            ConsigneeRow(
                customer_id=customer_id,
                customer_name=node.name,
                address=_text(node.props.get("address")),
                region=_text(node.props.get("region")),
                customer_type=_text(node.props.get("customer_type")),
                tier=tier.get(customer_id, 1),
                lot_id=lot,
                quantity=qty,
                unit=unit,
                shipment_ids=shipment_ids,
                shipped_dates=sorted({d for i in shipment_ids if (d := dates_of[i])}),
            )
        )
    rows.sort(key=lambda r: (r.tier, r.customer_id, r.lot_id, r.unit or ""))
    return customers, rows


def consignee_csv(report: ImpactReport) -> str:
    """The consignee list as CSV: a header, then one row per customer and lot, by tier."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CONSIGNEE_COLUMNS)
    for row in sorted(report.consignees, key=lambda r: (r.tier, r.customer_id, r.lot_id)):
        writer.writerow(
            [
                row.customer_id,
                row.customer_name or "",
                row.address or "",
                row.region or "",
                row.customer_type or "",
                row.tier,
                row.lot_id,
                f"{row.quantity:g}",
                row.unit or "",
                ";".join(row.shipment_ids),
                ";".join(row.shipped_dates),
            ]
        )
    return buffer.getvalue()


# -- stock and mass balance ------------------------------------------------------------------


def _stock_on_hand(found: _Found, lots: list[NodeView]) -> list[NodeView]:
    """Affected lots with stock left: recorded ``on_hand``, else produced minus what left."""
    left_memo: dict[str, bool] = {}
    stock: list[NodeView] = []
    for lot in lots:
        node = found.nodes[lot.id]
        recorded = node.props.get("on_hand")
        if isinstance(recorded, int | float):
            on_hand, source = float(recorded), "recorded"
        else:
            derived = _derived_on_hand(found, lot.id, left_memo)
            if derived is None:
                continue
            on_hand, source = derived, "derived"
        if on_hand > _EPSILON:
            stock.append(lot.model_copy(update={"on_hand": on_hand, "on_hand_source": source}))
    return stock


def _derived_on_hand(found: _Found, lot_id: str, left_memo: dict[str, bool]) -> float | None:
    if lot_id in found.frontier:
        return None
    quantity = found.nodes[lot_id].props.get("quantity")
    if not isinstance(quantity, int | float):
        produced = [e.qty for e in found.into.get(lot_id, ()) if e.type is EdgeType.PRODUCED]
        if not produced or any(q is None for q in produced):
            return None
        quantity = sum(q for q in produced if q is not None)
    gone = 0.0
    for edge in found.out_of.get(lot_id, ()):
        if edge.type in (EdgeType.CONSUMED_BY, EdgeType.SHIPPED_IN):
            leaves = True
        elif edge.type is EdgeType.PACKED_IN:
            leaves = _has_left(found, edge.target, left_memo, set())
        elif edge.type is EdgeType.HAS_UNIT:
            leaves = _has_left(found, edge.target, left_memo, set())
            if leaves:
                gone += 1.0 if edge.qty is None else edge.qty
            continue
        else:
            continue
        if leaves:
            if edge.qty is None:
                return None
            gone += edge.qty
    return float(quantity) - gone


def _has_left(found: _Found, item: str, memo: dict[str, bool], visiting: set[str]) -> bool:
    """Whether a unit or container was shipped or consumed, itself or inside a container."""
    if item in memo:
        return memo[item]
    if item in visiting or item in found.frontier:
        return False
    visiting.add(item)
    left = False
    for edge in found.out_of.get(item, ()):
        if edge.type in (EdgeType.SHIPPED_IN, EdgeType.CONSUMED_BY) or (
            edge.type is EdgeType.PACKED_IN and _has_left(found, edge.target, memo, visiting)
        ):
            left = True
            break
    visiting.discard(item)
    memo[item] = left
    return left


def _unaccounted_steps(found: _Found, shares: dict[str, float]) -> list[UnaccountedStep]:
    """Reached steps whose mass balance does not close, and the fraction that cannot be attributed.

    Inputs without a quantity: the fraction of inputs that are unquantified (their weights are a
    guess). No recorded output: all of it. Outputs above inputs (same unit throughout): the
    excess over the outputs. Steps in several units are not balanced; the reasons add up.
    """
    result: list[UnaccountedStep] = []
    for step_id, node in found.nodes.items():
        if node.kind is not NodeKind.PROCESS_STEP:
            continue
        inputs = [e for e in found.into.get(step_id, ()) if e.type is EdgeType.CONSUMED_BY]
        outputs = [e for e in found.out_of.get(step_id, ()) if e.type is EdgeType.PRODUCED]
        share = shares.get(step_id, 0.0)
        reasons: list[str] = []
        unattributed = 0.0
        missing = [e for e in inputs if e.qty is None]
        if missing:
            reasons.append(
                f"{len(missing)} of {len(inputs)} inputs have no quantity: inputs weighed equally"
            )
            unattributed += len(missing) / len(inputs)
        if step_id not in found.frontier:
            if not outputs:
                reasons.append("no recorded output: the affected material goes nowhere")
                unattributed += share
            elif not missing and all(e.qty is not None for e in outputs):
                units = {e.unit for e in inputs} | {e.unit for e in outputs}
                consumed = sum(e.qty or 0.0 for e in inputs)
                produced = sum(e.qty or 0.0 for e in outputs)
                if len(units) == 1 and produced > consumed * (1 + _EPSILON) + _EPSILON:
                    unit = f" {next(iter(units))}" if next(iter(units)) else ""
                    reasons.append(
                        f"outputs ({produced:g}{unit}) exceed inputs ({consumed:g}{unit})"
                    )
                    unattributed += (produced - consumed) / produced
        if reasons:
            result.append(
                UnaccountedStep(
                    step_id=step_id,
                    reason="; ".join(reasons),
                    share_unaccounted=min(1.0, unattributed),
                )
            )
    result.sort(key=lambda u: (found.depth.get(u.step_id, 0), u.step_id))
    return result


def _depth_then_id(view: NodeView) -> tuple[int, str]:
    return (view.depth or 0, view.id)


def _text(value: object) -> str | None:
    return None if value is None else str(value)
