"""Recall impact: from seed lots to affected lots, stock, shipments and tiered consignees.

One forward reach from all seeds, one ``get_nodes`` for the reached lots, shipments and
customers (the only nodes whose properties the answer shows or weighs), and two ``edge_rows_of``
calls: the material edges (``CONSUMED_BY``, ``PRODUCED``, ``HAS_UNIT``, ``PACKED_IN``,
``SHIPPED_IN``) *into* every reached node other than a customer (which also holds those edges
*out of* reached lots, steps, units and containers, except past ``max_depth``), and the
``DELIVERED_TO`` / ``SHIPPED_FROM`` edges out of reached shipments. ``recall_impact`` builds
the whole answer from them; ``recall_consignees`` only the consignee rows (the recall CSV).

Answers are built without validating again (``NodeView.trusted`` and friends): every value in
them comes from validated nodes and edges or is computed here with the field's type. Lists are
sorted once, and answers come out in a defined order whatever order a store returns rows in.

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
from operator import attrgetter

from traceapi.domain.model import EdgeType, LotType, Node, NodeKind
from traceapi.domain.results import (
    ConsigneeRow,
    CustomerImpact,
    ImpactReport,
    ImpactSummary,
    NodeView,
    UnaccountedStep,
)
from traceapi.errors import InvalidInput
from traceapi.gc_pause import collector_paused
from traceapi.services.lookup import resolve_lots
from traceapi.services.quantity_share import propagate_shares
from traceapi.services.trace import node_cap
from traceapi.store.base import Direction, EdgeRow, GraphStore

_CONSUMED_BY = EdgeType.CONSUMED_BY
_PRODUCED = EdgeType.PRODUCED
_HAS_UNIT = EdgeType.HAS_UNIT
_PACKED_IN = EdgeType.PACKED_IN
_SHIPPED_IN = EdgeType.SHIPPED_IN
_DELIVERED_TO = EdgeType.DELIVERED_TO
_SHIPPED_FROM = EdgeType.SHIPPED_FROM
_LOT = NodeKind.LOT
_SHIPMENT = NodeKind.SHIPMENT
_CUSTOMER = NodeKind.CUSTOMER

SHARE_EDGES = frozenset({_CONSUMED_BY, _PRODUCED, _PACKED_IN, _HAS_UNIT})
"""Edges that carry material into a node, and so weigh in its quantity share."""

_MATERIAL_EDGES = SHARE_EDGES | {_SHIPPED_IN}
"""The flow edges the answer weighs. ``SUPPLIED`` edges carry nothing it counts, and deliveries
come from the reached shipments' outgoing edges, so neither is fetched."""

_SHIPMENT_OUT = frozenset({_DELIVERED_TO, _SHIPPED_FROM})

_SHOWN_KINDS = frozenset({_LOT, _SHIPMENT, _CUSTOMER})
"""Reached nodes whose properties the answer shows or weighs: the others are fetched never."""

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
_FINISHED = LotType.FINISHED.value

Portion = tuple[str, float, str | None]
"""(lot id, quantity, unit): part of a carrier's content that is affected product."""


@dataclass(slots=True)
class _Found:
    """The reached subgraph: kinds and depths of every reached node, the lots, shipments and
    customers themselves, and the material edges around them, indexed both ways."""

    nodes: dict[str, Node]
    """Reached lots, shipments and customers (and the seeds)."""
    kind: dict[str, NodeKind]
    depth: dict[str, int]
    frontier: set[str]
    """Reached nodes at ``max_depth``: their outgoing edges were not walked."""
    into: defaultdict[str, list[EdgeRow]] = field(default_factory=lambda: defaultdict(list))
    """``SHARE_EDGES`` into each node, from anywhere (a step's unaffected inputs too)."""
    shipped_in: defaultdict[str, list[EdgeRow]] = field(default_factory=lambda: defaultdict(list))
    """``SHIPPED_IN`` edges from reached carriers, by shipment."""
    out_of: defaultdict[str, list[EdgeRow]] = field(default_factory=lambda: defaultdict(list))
    """Material edges out of reached nodes."""
    unit_lot: dict[str, str] = field(default_factory=dict)

    def index(self, edges: Iterable[EdgeRow]) -> None:
        """Files material edges into reached nodes (and out of reached sources)."""
        depth, into, shipped_in, out_of = self.depth, self.into, self.shipped_in, self.out_of
        unit_lot = self.unit_lot
        for edge in edges:
            source = edge.source
            edge_type = edge.type
            if edge_type is _SHIPPED_IN:
                if source in depth:
                    shipped_in[edge.target].append(edge)
                    out_of[source].append(edge)
                continue
            target = edge.target
            into[target].append(edge)
            if edge_type is _HAS_UNIT:
                unit_lot[target] = source
            if source in depth:
                out_of[source].append(edge)

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
    with collector_paused():
        return _report(_affected(store, lot_ids, max_depth, max_nodes))


@dataclass(frozen=True, slots=True)
class ConsigneeList:
    """The consignee rows of a recall impact (one per customer and lot, by tier, then
    customer, then lot), and how many nodes the recall reached."""

    rows: list[ConsigneeRow]
    reached: int
    """Affected lots, shipments and customers: the size the API's metrics record."""


def recall_consignees(
    store: GraphStore,
    *,
    lot_ids: Sequence[str],
    max_depth: int | None = None,
    max_nodes: int | None = None,
) -> ConsigneeList:
    """``recall_impact(...).consignees`` alone: the recall coordinator's list, without the lot,
    shipment and stock views of the whole answer (a fifth of a large recall's time)."""
    with collector_paused():
        # The pause ends after ``_consignee_list`` has returned and its temporaries are gone:
        # the first collection after it looks at every object made meanwhile that is alive.
        return _consignee_list(_affected(store, lot_ids, max_depth, max_nodes))


def _consignee_list(affected: _Affected) -> ConsigneeList:
    found, shipments = affected.found, affected.shipments
    _, rows = _customers(found, shipments, affected.shares)
    lots = sum(1 for i, k in found.kind.items() if k == _LOT and i in found.nodes)
    customers = len({c for shipment in shipments for c in shipment.recipients})
    return ConsigneeList(rows=rows, reached=lots + len(shipments) + customers)


@dataclass(frozen=True, slots=True)
class _Affected:
    """What every answer about a recall starts from: the seeds, the reached subgraph, the
    quantity shares and the affected shipments."""

    seeds: dict[str, Node]
    found: _Found
    shares: dict[str, float]
    shipments: list[_Shipment]
    max_depth: int | None


def _affected(
    store: GraphStore, lot_ids: Sequence[str], max_depth: int | None, max_nodes: int | None
) -> _Affected:
    if not lot_ids:
        raise InvalidInput("a recall impact needs at least one lot", details={"field": "lots"})
    seeds = resolve_lots(store, lot_ids)
    reach = store.reach(
        list(seeds), direction=Direction.FORWARD, max_depth=max_depth, max_nodes=node_cap(max_nodes)
    )
    ids = reach.ids
    depth = dict(zip(ids, reach.depths, strict=True))
    kind = dict(zip(ids, reach.kinds, strict=True))
    shown = [i for i, k in kind.items() if k in _SHOWN_KINDS and i not in seeds]
    nodes = store.get_nodes(shown)
    nodes.update(seeds)
    found = _Found(
        nodes=nodes,
        kind=kind,
        depth=depth,
        frontier=(set() if max_depth is None else {i for i, d in depth.items() if d >= max_depth}),
    )
    # Customers' incoming edges would bring every delivery they ever got: their affected
    # deliveries come from the reached shipments' outgoing edges instead.
    material = [i for i, k in kind.items() if k != _CUSTOMER]
    found.index(store.edge_rows_of(material, side="in", types=_MATERIAL_EDGES))
    shipment_ids = [i for i, k in kind.items() if k == _SHIPMENT and i in nodes]
    delivered: defaultdict[str, set[str]] = defaultdict(set)
    origin_edges: list[EdgeRow] = []
    if shipment_ids:
        for edge in store.edge_rows_of(shipment_ids, side="out", types=_SHIPMENT_OUT):
            if edge.type is _SHIPPED_FROM:
                origin_edges.append(edge)
            elif kind.get(edge.target) == _CUSTOMER and edge.target in nodes:
                delivered[edge.source].add(edge.target)

    shares = propagate_shares(ids, found.into, seeds=seeds)
    shipments = _shipments(store, found, shipment_ids, delivered, origin_edges)
    return _Affected(
        seeds=seeds, found=found, shares=shares, shipments=shipments, max_depth=max_depth
    )


def _report(affected: _Affected) -> ImpactReport:
    """The whole impact answer."""
    found, shares, shipments = affected.found, affected.shares, affected.shipments
    seeds = affected.seeds
    nodes, kind, depth = found.nodes, found.kind, found.depth
    lots = [
        NodeView.trusted(nodes[i], depth=depth[i], quantity_share=shares[i])
        for i in _by_depth_then_id([i for i, k in kind.items() if k == _LOT and i in nodes], depth)
    ]
    shipment_views = _shipment_views(found, shipments, shares)
    customers, consignees = _customers(found, shipments, shares)
    stock, on_hand = _stock_on_hand(found, lots)
    unaccounted = _unaccounted_steps(found, shares)
    finished = [lot for lot in lots if nodes[lot.id].props.get("lot_type") == _FINISHED]

    by_tier: dict[str, int] = defaultdict(int)
    for customer in customers:
        by_tier[str(customer.tier)] += 1
    shipped: dict[str, float] = defaultdict(float)
    for shipment in shipments:
        if shipment.origin is None:
            for unit, qty in shipment.quantities.items():
                shipped[unit] += qty

    return ImpactReport.model_construct(
        seed_lots=[
            NodeView.trusted(node, depth=0, quantity_share=1.0)
            for node in sorted(seeds.values(), key=attrgetter("id"))
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
            quantity_on_hand=on_hand,
            unaccounted_steps=len(unaccounted),
        ),
        max_depth=affected.max_depth,
    )


def _by_depth_then_id(ids: list[str], depth: dict[str, int]) -> list[str]:
    """``ids`` by depth, then id: the order every list of an answer is in."""
    return sorted(ids, key=lambda node_id: (depth[node_id], node_id))


# -- shipments -------------------------------------------------------------------------------


@dataclass(slots=True)
class _Shipment:
    id: str
    origin: str | None
    """The customer an onward shipment left from; None for our own shipments."""
    recipients: list[str]
    portions: dict[tuple[str, str | None], float]
    """Affected quantity carried, by (lot id, unit), in the order the store lists its edges."""
    quantities: dict[str, float]
    """The same by unit of measure (``UNSPECIFIED_UNIT`` when none was recorded)."""
    shipped_at: str | None


def _shipments(
    store: GraphStore,
    found: _Found,
    shipment_ids: list[str],
    delivered: dict[str, set[str]],
    origin_edges: list[EdgeRow],
) -> list[_Shipment]:
    """The reached shipments, in reach order: origin (edge first, then ``origin`` naming a
    customer), consignees and the affected product each carried."""
    if not shipment_ids:
        return []
    nodes = found.nodes
    origin_of: dict[str, str] = {}
    for edge in sorted(origin_edges, key=attrgetter("target"), reverse=True):
        origin_of[edge.source] = edge.target
    named = {
        i: str(nodes[i].props["origin"])
        for i in shipment_ids
        if i not in origin_of and nodes[i].props.get("origin")
    }
    if named:
        unknown = sorted(set(named.values()) - nodes.keys())
        known = {**store.get_nodes(unknown), **nodes} if unknown else nodes
        for shipment_id, origin in named.items():
            origin_node = known.get(origin)
            if origin_node is not None and origin_node.kind is _CUSTOMER:
                origin_of[shipment_id] = origin

    kind, shipped_in, lot_unit = found.kind, found.shipped_in, found.lot_unit
    result: list[_Shipment] = []
    for shipment_id in shipment_ids:
        # Plain dicts: 0.0 + qty, as a defaultdict(float) adds it, at half the cost.
        portions: dict[tuple[str, str | None], float] = {}
        for edge in shipped_in.get(shipment_id, ()):
            carrier = edge.source
            if kind[carrier] == _LOT:  # the usual case, inline
                qty = edge.qty
                if qty is None:
                    recorded = nodes[carrier].props.get("quantity")
                    qty = float(recorded) if isinstance(recorded, int | float) else 0.0
                key = (carrier, edge.unit or lot_unit(carrier))
                portions[key] = portions.get(key, 0.0) + qty
            else:
                for lot, qty, unit in _portions(found, carrier, edge.qty, edge.unit, set()):
                    portions[(lot, unit)] = portions.get((lot, unit), 0.0) + qty
        quantities: dict[str, float] = {}
        for (_, unit), qty in portions.items():
            measure = unit or UNSPECIFIED_UNIT
            quantities[measure] = quantities.get(measure, 0.0) + qty
        shipped_at = nodes[shipment_id].props.get("shipped_at")
        recipients = delivered.get(shipment_id)
        result.append(
            _Shipment(
                id=shipment_id,
                origin=origin_of.get(shipment_id),
                recipients=sorted(recipients) if recipients else [],
                portions=portions,
                quantities=quantities,
                shipped_at=shipped_at if isinstance(shipped_at, str) else None,
            )
        )
    return result


def _portions(
    found: _Found, carrier: str, qty: float | None, unit: str | None, visiting: set[str]
) -> Iterable[Portion]:
    """Affected lots inside ``carrier`` (a lot, unit or container) and how much of each."""
    kind = found.kind.get(carrier)
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
            if edge.type is _PACKED_IN and edge.source in found.depth:
                inner.extend(_portions(found, edge.source, edge.qty, edge.unit, visiting))
        visiting.discard(carrier)
        return inner
    return []


def _shipment_views(
    found: _Found, shipments: list[_Shipment], shares: dict[str, float]
) -> list[NodeView]:
    """Each shipment with what it carried: quantities, lots, consignees and seed equivalent."""
    depth, nodes = found.depth, found.nodes
    views = []
    for shipment in shipments:
        portions = shipment.portions
        seed_equivalent = sum([qty * shares.get(lot, 0.0) for (lot, _), qty in portions.items()])
        quantities = shipment.quantities  # made for this answer, not changed after
        figures: dict[str, object] = {
            "quantities": quantities,
            "lots": [lot for lot, _ in portions] if len(portions) == 1 else _lots_in(portions),
            "customers": shipment.recipients,
            "seed_equivalent": seed_equivalent,
        }
        share = None
        if len(quantities) == 1:
            ((unit, qty),) = quantities.items()
            figures["quantity"] = qty
            figures["unit"] = unit
            if qty > 0:  # the total of the single unit
                share = seed_equivalent / qty
        if shipment.origin is not None:
            figures["origin_customer"] = shipment.origin
        views.append(
            NodeView.trusted(
                nodes[shipment.id],
                depth=depth[shipment.id],
                quantity_share=share,
                figures=figures,
            )
        )
    views.sort(key=lambda view: (view.depth, view.id))
    return views


def _lots_in(portions: dict[tuple[str, str | None], float]) -> list[str]:
    return sorted({lot for lot, _ in portions})


# -- customers -------------------------------------------------------------------------------


def _tiers(shipments: list[_Shipment]) -> dict[str, int]:
    """Tier of every consignee: 1 from our shipments, origin's tier + 1 from onward ones.

    The lowest tier any route gives (customers met only through a loop of onward shipments
    start at 2, the smallest id first), found level by level from the lowest.
    """
    received = {c for s in shipments for c in s.recipients}
    tier: dict[str, int] = {}
    onward: dict[str, list[str]] = {}
    """Origin -> the consignees of its onward shipments."""
    for shipment in shipments:
        origin, recipients = shipment.origin, shipment.recipients
        if origin is None or origin not in received:
            start = 1 if origin is None else 2  # 2: from a customer we have no delivery to
            for customer in recipients:
                tier[customer] = min(start, tier.get(customer, start))
        if origin is not None and recipients:
            onward.setdefault(origin, []).extend(recipients)
    _settle_tiers(tier, onward, dict(tier))
    while stranded := sorted(received - tier.keys()):
        tier[stranded[0]] = 2  # only reachable through a loop of onward shipments
        _settle_tiers(tier, onward, {stranded[0]: 2})
    return tier


def _settle_tiers(tier: dict[str, int], onward: dict[str, list[str]], new: dict[str, int]) -> None:
    """Lowers tiers along onward shipments from the customers in ``new`` (theirs just set)."""
    levels: dict[int, list[str]] = {}
    for customer, level in new.items():
        levels.setdefault(level, []).append(customer)
    level = min(levels, default=0)
    while levels:
        for origin in levels.pop(level, ()):
            if tier[origin] != level:
                continue  # lowered since: settled from its lower level
            for customer in onward.get(origin, ()):
                if level + 1 < tier.get(customer, level + 2):
                    tier[customer] = level + 1
                    levels.setdefault(level + 1, []).append(customer)
        level += 1


@dataclass(slots=True)
class _Consignee:
    """What the affected shipments delivered to one customer, summed in shipment order."""

    quantities: dict[str, float]
    seed_equivalent: float
    shipments: list[str]
    per_lot: dict[tuple[str, str | None], float]
    """Quantity by (lot id, unit): one consignee row each."""
    lot_shipments: dict[str, set[str]]


def _consignee(received: list[_Shipment], shares: dict[str, float]) -> _Consignee:
    """Sums what ``received`` (one customer's shipments, in shipment order) carried."""
    quantities: dict[str, float] = {}
    seed_equivalent = 0.0
    per_lot: dict[tuple[str, str | None], float] = {}
    lot_shipments: dict[str, set[str]] = {}
    for shipment in received:
        shipment_id = shipment.id
        for key, qty in shipment.portions.items():
            lot, unit = key
            measure = unit or UNSPECIFIED_UNIT
            quantities[measure] = quantities.get(measure, 0.0) + qty
            seed_equivalent += qty * shares.get(lot, 0.0)
            per_lot[key] = per_lot.get(key, 0.0) + qty
            carried_by = lot_shipments.get(lot)
            if carried_by is None:
                lot_shipments[lot] = {shipment_id}
            else:
                carried_by.add(shipment_id)
    return _Consignee(
        quantities=quantities,
        seed_equivalent=seed_equivalent,
        shipments=[shipment.id for shipment in received],
        per_lot=per_lot,
        lot_shipments=lot_shipments,
    )


def _customers(
    found: _Found, shipments: list[_Shipment], shares: dict[str, float]
) -> tuple[list[CustomerImpact], list[ConsigneeRow]]:
    """Consignees by tier, then id, and their rows (by lot) in the same order."""
    tier = _tiers(shipments)
    received: dict[str, list[_Shipment]] = {}
    for shipment in shipments:
        for customer_id in shipment.recipients:
            got = received.get(customer_id)
            if got is None:
                received[customer_id] = [shipment]
            else:
                got.append(shipment)

    dates_of = {s.id: s.shipped_at for s in shipments}
    customers: list[CustomerImpact] = []
    rows: list[ConsigneeRow] = []
    make_row = ConsigneeRow.trusted
    for customer_id in sorted(received, key=lambda c: (tier.get(c, 1), c)):
        consignee = _consignee(received[customer_id], shares)
        node = found.nodes[customer_id]
        customer_tier = tier.get(customer_id, 1)
        by_unit = consignee.quantities
        single = next(iter(by_unit.items())) if len(by_unit) == 1 else None
        customers.append(
            CustomerImpact.trusted_customer(
                node,
                depth=found.depth[customer_id],
                tier=customer_tier,
                quantity=single[1] if single else 0.0,
                unit=single[0] if single else None,
                lots=sorted(consignee.lot_shipments),
                shipments=sorted(consignee.shipments),
                figures={"quantities": by_unit, "seed_equivalent": consignee.seed_equivalent},
            )
        )
        props = node.props
        name, address = node.name, _text(props.get("address"))
        region, customer_type = _text(props.get("region")), _text(props.get("customer_type"))
        per_lot, lot_shipments = consignee.per_lot, consignee.lot_shipments
        keys = sorted(per_lot, key=_lot_then_unit) if len(per_lot) > 1 else per_lot
        for lot, unit in keys:
            carried_by = lot_shipments[lot]
            if len(carried_by) == 1:
                shipment_ids = [*carried_by]
                date = dates_of[shipment_ids[0]]
                dates = [date] if date else []
            else:
                shipment_ids = sorted(carried_by)
                dates = sorted({d for i in shipment_ids if (d := dates_of[i])})
            rows.append(
                make_row(
                    customer_id,
                    name,
                    address,
                    region,
                    customer_type,
                    customer_tier,
                    lot,
                    per_lot[(lot, unit)],
                    unit,
                    shipment_ids,
                    dates,
                )
            )
    return customers, rows


def _lot_then_unit(key: tuple[str, str | None]) -> tuple[str, str]:
    return (key[0], key[1] or "")


_CSV_ORDER = attrgetter("tier", "customer_id", "lot_id")


def consignee_csv(report: ImpactReport | ConsigneeList) -> str:
    """The consignee list as CSV: a header, then one row per customer and lot, by tier."""
    rows = report.consignees if isinstance(report, ImpactReport) else report.rows
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CONSIGNEE_COLUMNS)
    with collector_paused():
        writer.writerows(
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
            for row in sorted(rows, key=_CSV_ORDER)
        )
    return buffer.getvalue()


# -- stock and mass balance ------------------------------------------------------------------


def _stock_on_hand(found: _Found, lots: list[NodeView]) -> tuple[list[NodeView], dict[str, float]]:
    """Affected lots with stock left (recorded ``on_hand``, else produced minus what left),
    and the total on hand by unit of measure."""
    left_memo: dict[str, bool] = {}
    stock: list[NodeView] = []
    by_unit: defaultdict[str, float] = defaultdict(float)
    for lot in lots:
        props = found.nodes[lot.id].props
        recorded = props.get("on_hand")
        if isinstance(recorded, int | float):
            on_hand, source = float(recorded), "recorded"
        else:
            derived = _derived_on_hand(found, lot.id, left_memo)
            if derived is None:
                continue
            on_hand, source = derived, "derived"
        if on_hand > _EPSILON:
            stock.append(lot.trusted_update({"on_hand": on_hand, "on_hand_source": source}))
            by_unit[props.get("unit") or UNSPECIFIED_UNIT] += on_hand
    return stock, dict(by_unit)


def _derived_on_hand(found: _Found, lot_id: str, left_memo: dict[str, bool]) -> float | None:
    if lot_id in found.frontier:
        return None
    quantity = found.nodes[lot_id].props.get("quantity")
    if not isinstance(quantity, int | float):
        produced = [e.qty for e in found.into.get(lot_id, ()) if e.type is _PRODUCED]
        if not produced or any(q is None for q in produced):
            return None
        quantity = sum(q for q in produced if q is not None)
    gone = 0.0
    for edge in found.out_of.get(lot_id, ()):
        edge_type = edge.type
        if edge_type is _CONSUMED_BY or edge_type is _SHIPPED_IN:
            leaves = True
        elif edge_type is _PACKED_IN:
            leaves = _has_left(found, edge.target, left_memo, set())
        elif edge_type is _HAS_UNIT:
            if _has_left(found, edge.target, left_memo, set()):
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
        if edge.type in (_SHIPPED_IN, _CONSUMED_BY) or (
            edge.type is _PACKED_IN and _has_left(found, edge.target, memo, visiting)
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
    into, out_of, frontier = found.into, found.out_of, found.frontier
    for step_id, kind in found.kind.items():
        if kind != NodeKind.PROCESS_STEP:
            continue
        inputs = [e for e in into.get(step_id, ()) if e.type is _CONSUMED_BY]
        outputs = [e for e in out_of.get(step_id, ()) if e.type is _PRODUCED]
        reasons: list[str] = []
        unattributed = 0.0
        missing = [e for e in inputs if e.qty is None]
        if missing:
            reasons.append(
                f"{len(missing)} of {len(inputs)} inputs have no quantity: inputs weighed equally"
            )
            unattributed += len(missing) / len(inputs)
        if step_id not in frontier:
            if not outputs:
                reasons.append("no recorded output: the affected material goes nowhere")
                unattributed += shares.get(step_id, 0.0)
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


def _text(value: object) -> str | None:
    return None if value is None else str(value)
