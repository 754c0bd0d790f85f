"""Recall impact: from seed lots to affected lots, stock, shipments and tiered consignees.

One forward reach from all seeds, one ``get_nodes`` for the reached lots, shipments and
customers (the only nodes whose properties the answer shows or weighs), and two ``edge_rows_of``
calls: the material edges (``CONSUMED_BY``, ``PRODUCED``, ``HAS_UNIT``, ``PACKED_IN``,
``SHIPPED_IN``, ``SUPPLIED``) *into* every reached node other than a customer (which also holds
those edges *out of* reached lots, steps, units and containers, except past ``max_depth``), and
the ``DELIVERED_TO`` / ``SHIPPED_FROM`` edges out of reached shipments. The whole answer also
reads the ``OF`` edges and materials of lots not marked finished. ``recall_impact`` builds the
whole answer; ``recall_consignees`` only the consignee rows (the recall CSV).

Answers are built without validating again (``NodeView.trusted`` and friends): every value in
them comes from validated nodes and edges or is computed here with the field's type. Lists are
sorted once, and answers come out in a defined order whatever order a store returns rows in.

Conventions (see docs/performance.md and the docstrings below):
- Lots are recalled whole: a shipment's affected quantity is what it carried of affected lots
  (a lot's ``SHIPPED_IN`` quantity, one per serialised unit, a container's affected content).
  The lot of a reached serialised unit is an affected lot even when the trace reached only the
  unit; a unit whose lot nobody named is listed itself (``lot_unknown``), so every consignee
  row names a listed item.
- Finished lots: marked so (``lot_type``, or the material's ``material_type``), or produced,
  never consumed and shipped, whatever loaded them (``finished_because`` says which).
- Seed quantity (``traceapi/services/seed_flow.py``, the rule's one home): how much of the seed
  lots, in each seed's own unit, is in every lot, shipment, consignee row and stock figure,
  propagated through same-unit ratios; ``summary.seed_balance`` adds it up (distributed + on
  hand + unaccounted = seed) and ``seed_unaccounted`` says where and why the rest is not
  attributed. ``quantity_share`` and ``seed_equivalent`` are the older concentration figures
  (a step's inputs weighed by quantity when they share a unit, else equally, the step then
  listed in ``unaccounted``), kept for existing readers.
- Stock per holder. Ours (``stock_on_hand``, ``holder: us``): the lot's ``on_hand`` property
  when recorded; otherwise what it held (``quantity``, else produced plus received, else its
  serialised units) less what
  steps consumed and *we* shipped (the lot, its units, containers holding them), in the lot's
  unit. Each consignee's (``stock_in_distribution``): what it received less what it shipped
  onward. A figure below zero is kept and flagged ``negative``; outflows in a unit that cannot
  be reconciled are named (``units_unreconciled``). Lots at ``max_depth`` (whose outgoing edges
  were not walked) get no derived figure.
- Tiers are per route (one consignee row per customer, lot, unit and origin): our own shipments
  (no ``SHIPPED_FROM`` edge, no ``origin`` naming a customer) are tier 1, ``route: direct``; a
  shipment from a customer that holds the lot at tier t is tier t + 1, ``route: onward``,
  ``via`` that customer. A customer's own ``tier`` is its lowest route's; ``tiers`` lists all.
- ``summary.quantity_shipped`` counts our own shipments only, so onward shipments of the same
  product are not counted twice.
"""

from __future__ import annotations

import csv
import heapq
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import attrgetter

from traceapi.domain.model import EdgeType, LotType, Node, NodeKind
from traceapi.domain.results import (
    ConsigneeRow,
    CustomerImpact,
    HolderStock,
    ImpactReport,
    ImpactSummary,
    NodeView,
    SeedLossView,
    UnaccountedStep,
)
from traceapi.domain.units import canonical_unit, same_unit
from traceapi.errors import InvalidInput
from traceapi.gc_pause import collector_paused
from traceapi.services.lookup import resolve_lots
from traceapi.services.packing import still_inside
from traceapi.services.quantity_share import one_unit, propagate_shares
from traceapi.services.seed_flow import (
    LotFlows,
    Outflow,
    SeedFlow,
    propagate_seed,
    seed_amounts,
)
from traceapi.services.trace import node_cap
from traceapi.store.base import Direction, EdgeRow, GraphStore

_CONSUMED_BY = EdgeType.CONSUMED_BY
_PRODUCED = EdgeType.PRODUCED
_HAS_UNIT = EdgeType.HAS_UNIT
_PACKED_IN = EdgeType.PACKED_IN
_SHIPPED_IN = EdgeType.SHIPPED_IN
_DELIVERED_TO = EdgeType.DELIVERED_TO
_SHIPPED_FROM = EdgeType.SHIPPED_FROM
_SUPPLIED = EdgeType.SUPPLIED
_OF = EdgeType.OF
_LOT = NodeKind.LOT
_SHIPMENT = NodeKind.SHIPMENT
_CUSTOMER = NodeKind.CUSTOMER

SHARE_EDGES = frozenset({_CONSUMED_BY, _PRODUCED, _PACKED_IN, _HAS_UNIT})
"""Edges that carry material into a node, and so weigh in its quantity share."""

_MATERIAL_EDGES = SHARE_EDGES | {_SHIPPED_IN, _SUPPLIED}
"""The flow edges the answer weighs (``SUPPLIED``: what a lot was received as). Deliveries come
from the reached shipments' outgoing edges, so they are not fetched here."""

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
    "route",
    "via",
    "lot_id",
    "quantity",
    "unit",
    "shipment_ids",
    "shipped_dates",
    "serials",
]

_EPSILON = 1e-9
_FINISHED = LotType.FINISHED.value

Portion = tuple[str, float, str | None, str | None]
"""(lot id, quantity, unit, serialised unit id or None): part of a carrier's content that is
affected product."""


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
    received: defaultdict[str, list[EdgeRow]] = field(default_factory=lambda: defaultdict(list))
    """``SUPPLIED`` edges into each reached lot: its receipts."""
    unit_lot: dict[str, str] = field(default_factory=dict)
    unpacked: dict[tuple[str, str], str] = field(default_factory=dict)
    """(item, container) -> when the item was taken out of the container (aggregation DELETE)."""

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
            if edge_type is _SUPPLIED:
                self.received[edge.target].append(edge)
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
        return canonical_unit(unit) if isinstance(unit, str) else None


def recall_impact(
    store: GraphStore,
    *,
    lot_ids: Sequence[str],
    max_depth: int | None = None,
    max_nodes: int | None = None,
) -> ImpactReport:
    """What a recall of ``lot_ids`` touches, with quantities, stock and tiered consignees."""
    with collector_paused():
        return _report(store, _affected(store, lot_ids, max_depth, max_nodes))


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
    _, rows = _customers(affected)
    lots = sum(1 for i, k in found.kind.items() if k == _LOT and i in found.nodes)
    lots += len({r.lot_id for r in rows if found.kind.get(r.lot_id) is NodeKind.UNIT})
    customers = len({c for shipment in shipments for c in shipment.recipients})
    return ConsigneeList(rows=rows, reached=lots + len(shipments) + customers)


@dataclass(frozen=True, slots=True)
class UnitCarriage:
    """A shipment that carried serialised units of a lot, directly or in containers that still
    held them when it left: what each consignee row's ``serials`` are made of."""

    shipment: Node
    origin: str | None
    """The customer an onward shipment left from; None for our own shipments."""
    recipients: list[str]
    units: list[str]


def unit_carriages(
    store: GraphStore, *, lot_id: str, max_nodes: int | None = None
) -> list[UnitCarriage]:
    """The shipments a recall of the lot ``lot_id`` (a stored lot id) reaches that carried its
    serialised units, with those units, by the impact answer's own accounting (so a unit taken
    out of a case before the case left is not in the case's shipment)."""
    with collector_paused():
        affected = _affected(store, [lot_id], None, max_nodes)
        nodes = affected.found.nodes
        result = []
        for shipment in affected.shipments:
            units = sorted(
                {
                    u
                    for (lot, _), carried in shipment.serials.items()
                    if lot == lot_id
                    for u in carried
                }
            )
            if units:
                result.append(
                    UnitCarriage(
                        shipment=nodes[shipment.id],
                        origin=shipment.origin,
                        recipients=shipment.recipients,
                        units=units,
                    )
                )
        return result


@dataclass(frozen=True, slots=True)
class _Affected:
    """What every answer about a recall starts from: the seeds, the reached subgraph, the
    quantity shares and the affected shipments."""

    seeds: dict[str, Node]
    found: _Found
    shares: dict[str, float]
    shipments: list[_Shipment]
    max_depth: int | None
    lot_flows: dict[str, LotFlows]
    flow: SeedFlow


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

    containers = [i for i, k in kind.items() if k is NodeKind.CONTAINER]
    if containers:
        for packed in store.edges_of(containers, side="in", types=frozenset({_PACKED_IN})):
            removed = packed.props.get("removed_at")
            if isinstance(removed, str):
                found.unpacked[(packed.source, packed.target)] = removed
    shares = propagate_shares(ids, found.into, seeds=seeds)
    for lot_id in _lots_of_units(store, found):
        shares[lot_id] = 0.0
    shipments = _shipments(store, found, shipment_ids, delivered, origin_edges)
    lot_flows, step_outputs = _flows(found, shipments)
    ours = {s.id for s in shipments if s.origin is None}
    flow = propagate_seed(
        ids,
        seed_amounts(seeds, lot_flows),
        lot_flows,
        step_outputs,
        shipments=ours,
        frontier=found.frontier,
    )
    return _Affected(
        seeds=seeds,
        found=found,
        shares=shares,
        shipments=shipments,
        max_depth=max_depth,
        lot_flows=lot_flows,
        flow=flow,
    )


def _lots_of_units(store: GraphStore, found: _Found) -> list[str]:
    """The lots of reached serialised units that the trace itself did not reach (a unit made
    by a step, whose lot an earlier document named): affected through their units, so they join
    the affected lots, and every consignee row names a listed lot. Their other edges were not
    walked: they count as at the depth bound."""
    kind, depth = found.kind, found.depth
    missing = sorted(
        {lot for unit, lot in found.unit_lot.items() if unit in depth and lot not in depth}
    )
    if not missing:
        return []
    fetched = store.get_nodes(missing)
    added = []
    for unit, lot in found.unit_lot.items():
        node = fetched.get(lot)
        if unit not in depth or node is None or node.kind is not _LOT:
            continue
        if lot not in depth or depth[unit] < depth[lot]:
            depth[lot] = depth[unit]
        if lot not in kind:
            kind[lot] = _LOT
            found.nodes[lot] = node
            found.frontier.add(lot)
            added.append(lot)
    return added


def _flows(
    found: _Found, shipments: list[_Shipment]
) -> tuple[dict[str, LotFlows], dict[str, list[Outflow]]]:
    """What each reached lot held and what left it by our hand (consumed by steps, shipped by
    us: the lot, its units, containers holding them), and each reached step's outputs."""
    ours: defaultdict[str, list[Outflow]] = defaultdict(list)
    for shipment in shipments:
        if shipment.origin is None:
            for (lot, unit), qty in shipment.portions.items():
                ours[lot].append(Outflow(shipment.id, qty, unit))
    lots: dict[str, LotFlows] = {}
    steps: dict[str, list[Outflow]] = {}
    for node_id, kind in found.kind.items():
        if kind is NodeKind.PROCESS_STEP:
            steps[node_id] = [
                Outflow(e.target, e.qty, e.unit)
                for e in found.out_of.get(node_id, ())
                if e.type is _PRODUCED
            ]
            continue
        if kind != _LOT or node_id not in found.nodes:
            continue
        unit = found.lot_unit(node_id)
        base, unit = _base(found, node_id, unit)
        outflows = [
            Outflow(e.target, e.qty, e.unit)
            for e in found.out_of.get(node_id, ())
            if e.type is _CONSUMED_BY
        ]
        outflows += ours.get(node_id, ())
        if unit is None:
            unit = next((canonical_unit(o.unit) for o in outflows if o.unit), None)
        lots[node_id] = LotFlows(base, unit, outflows)
    return lots, steps


def _base(found: _Found, lot_id: str, unit: str | None) -> tuple[float | None, str | None]:
    """What a lot held, and its unit: its recorded ``quantity``, else what steps produced of it
    plus what it was received as (all quantified, in one unit), else the number of its
    serialised units (commissioned SGTINs, in ``pcs``); None when not known."""
    quantity = found.nodes[lot_id].props.get("quantity")
    if isinstance(quantity, int | float) and not isinstance(quantity, bool):
        return float(quantity), unit
    inflows = [e for e in found.into.get(lot_id, ()) if e.type is _PRODUCED]
    inflows += found.received.get(lot_id, ())
    if not inflows and lot_id not in found.frontier:
        units = [e for e in found.out_of.get(lot_id, ()) if e.type is _HAS_UNIT]
        if units and (unit is None or same_unit(unit, "pcs")):
            return sum(1.0 if e.qty is None else e.qty for e in units), unit or "pcs"
    if not inflows or any(e.qty is None for e in inflows):
        return None, unit
    first = unit or next((canonical_unit(e.unit) for e in inflows if e.unit), None)
    if not all(e.unit is None or first is None or same_unit(e.unit, first) for e in inflows):
        return None, unit
    return sum(e.qty or 0.0 for e in inflows), first


def _report(store: GraphStore, affected: _Affected) -> ImpactReport:
    """The whole impact answer."""
    found, shares, shipments = affected.found, affected.shares, affected.shipments
    seeds, flow = affected.seeds, affected.flow
    nodes, kind, depth = found.nodes, found.kind, found.depth
    content = flow.content
    lots = [
        NodeView.trusted(
            nodes[i],
            depth=depth[i],
            quantity_share=shares[i],
            figures={"seed_quantity": content[i]} if i in content else None,
        )
        for i in _by_depth_then_id([i for i, k in kind.items() if k == _LOT and i in nodes], depth)
    ]
    shipment_views = _shipment_views(found, shipments, shares, affected)
    customers, consignees = _customers(affected)
    stock, on_hand, unknown = _stock_on_hand(affected, lots)
    in_distribution = _stock_in_distribution(affected)
    unaccounted = _unaccounted_steps(found, shares)
    finished = _finished(store, found, lots, shipments)
    lots += _units_without_lot(store, found, consignees, shares)

    by_tier: dict[str, int] = defaultdict(int)
    for customer in customers:
        by_tier[str(customer.tier)] += 1
    shipped: dict[str, float] = defaultdict(float)
    for shipment in shipments:
        if shipment.origin is None:
            for unit, qty in shipment.quantities.items():
                shipped[unit] += qty
    held: dict[str, float] = defaultdict(float)
    for holding in in_distribution:
        held[holding.unit or UNSPECIFIED_UNIT] += holding.quantity
    negative = sum(1 for v in stock if v.model_extra and v.model_extra.get("negative"))
    negative += sum(1 for h in in_distribution if h.negative)
    on_hand_seed, lost = flow.total("on_hand"), flow.total("unaccounted")
    balance = {
        unit: {
            "seed": qty,
            "distributed": flow.distributed.get(unit, 0.0),
            "on_hand": on_hand_seed.get(unit, 0.0),
            "unaccounted": lost.get(unit, 0.0),
        }
        for unit, qty in sorted(flow.seed.items())
    }

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
        stock_in_distribution=in_distribution,
        stock_unknown=unknown,
        seed_unaccounted=[
            SeedLossView(node_id=loss.node, seed_quantity=loss.amount, reason=loss.reason)
            for loss in sorted(flow.losses, key=lambda x: (depth.get(x.node, 0), x.node, x.reason))
        ],
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
            quantity_in_distribution=dict(held),
            negative_stock=negative,
            seed_balance=balance,
        ),
        max_depth=affected.max_depth,
    )


def _units_without_lot(
    store: GraphStore, found: _Found, rows: list[ConsigneeRow], shares: dict[str, float]
) -> list[NodeView]:
    """Serialised units whose lot nobody named (a step's output SGTINs without an ILMD lot
    number): a consignee row names such a unit itself, and it is listed with the affected lots
    (``lot_unknown``), so every row names a listed item."""
    named = {row.lot_id for row in rows}
    missing = sorted(i for i in named if found.kind.get(i) is NodeKind.UNIT)
    if not missing:
        return []
    nodes = store.get_nodes(missing)
    return [
        NodeView.trusted(
            nodes[i],
            depth=found.depth[i],
            quantity_share=shares.get(i, 0.0),
            figures={"lot_unknown": True},
        )
        for i in missing
        if i in nodes
    ]


def _finished(
    store: GraphStore, found: _Found, lots: list[NodeView], shipments: list[_Shipment]
) -> list[NodeView]:
    """Affected lots that are finished product, whatever loaded them: marked so (``lot_type``,
    or their material's ``material_type``, ``finished``), or produced, never consumed, and
    shipped (the lot, its units or a container holding them). Each says why."""
    nodes, into, out_of = found.nodes, found.into, found.out_of
    shipped = {lot for s in shipments for lot, _ in s.portions}
    material_of: dict[str, str] = {}
    for lot in lots:
        material = nodes[lot.id].props.get("material")
        if isinstance(material, str):
            material_of[lot.id] = material
    unmarked = [v.id for v in lots if nodes[v.id].props.get("lot_type") != _FINISHED]
    without = [i for i in unmarked if i not in material_of]
    if without:
        for edge in store.edge_rows_of(without, side="out", types=frozenset({_OF})):
            if found.kind.get(edge.source) == _LOT:
                material_of.setdefault(edge.source, edge.target)
    wanted = sorted({material_of[i] for i in unmarked if i in material_of})
    materials = store.get_nodes(wanted) if wanted else {}
    finished_materials = {
        m for m, node in materials.items() if node.props.get("material_type") == _FINISHED
    }
    result = []
    for lot in lots:
        lot_id = lot.id
        if nodes[lot_id].props.get("lot_type") == _FINISHED:
            why = "lot_type"
        elif material_of.get(lot_id) in finished_materials:
            why = "material"
        elif (
            lot_id not in found.frontier
            and lot_id in shipped
            and any(e.type is _PRODUCED for e in into.get(lot_id, ()))
            and not any(e.type is _CONSUMED_BY for e in out_of.get(lot_id, ()))
        ):
            why = "produced, shipped, never consumed"
        else:
            continue
        result.append(lot.trusted_update({"finished_because": why}))
    return result


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
    serials: dict[tuple[str, str | None], list[str]] = field(default_factory=dict)
    """Serialised units carried, by (lot id, unit) as ``portions`` (directly or in containers)."""


def shipment_origins(
    store: GraphStore,
    nodes: dict[str, Node],
    shipment_ids: Iterable[str],
    origin_edges: Iterable[EdgeRow],
) -> dict[str, str]:
    """The customer each onward shipment left from (our own shipments are not keyed): its
    ``SHIPPED_FROM`` edge (the first target by id), else an ``origin`` prop naming a stored
    customer. ``nodes`` holds the shipments (and any customers already fetched)."""
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
    return origin_of


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
    origin_of = shipment_origins(store, nodes, shipment_ids, origin_edges)

    kind, shipped_in, lot_unit = found.kind, found.shipped_in, found.lot_unit
    result: list[_Shipment] = []
    for shipment_id in shipment_ids:
        # Plain dicts: 0.0 + qty, as a defaultdict(float) adds it, at half the cost.
        portions: dict[tuple[str, str | None], float] = {}
        serials: dict[tuple[str, str | None], list[str]] = {}
        raw_time = nodes[shipment_id].props.get("shipped_at")
        when = raw_time if isinstance(raw_time, str) else None
        for edge in shipped_in.get(shipment_id, ()):
            carrier = edge.source
            if kind[carrier] == _LOT:  # the usual case, inline
                qty = edge.qty
                if qty is None:
                    recorded = nodes[carrier].props.get("quantity")
                    qty = float(recorded) if isinstance(recorded, int | float) else 0.0
                key = (carrier, _unit_of(edge.unit) or lot_unit(carrier))
                portions[key] = portions.get(key, 0.0) + qty
            else:
                for lot, qty, unit, item in _portions(
                    found, carrier, edge.qty, edge.unit, set(), when
                ):
                    portions[(lot, unit)] = portions.get((lot, unit), 0.0) + qty
                    if item is not None:
                        serials.setdefault((lot, unit), []).append(item)
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
                serials=serials,
            )
        )
    return result


def _portions(
    found: _Found,
    carrier: str,
    qty: float | None,
    unit: str | None,
    visiting: set[str],
    when: str | None,
) -> Iterable[Portion]:
    """Affected lots inside ``carrier`` (a lot, unit or container) and how much of each. An
    item taken out of a container (``removed_at``) before the shipment left (``when``; always,
    when the shipment has no time) is not in it."""
    kind = found.kind.get(carrier)
    if kind is NodeKind.LOT:
        if qty is None:
            recorded = found.nodes[carrier].props.get("quantity")
            qty = float(recorded) if isinstance(recorded, int | float) else 0.0
        return [(carrier, qty, _unit_of(unit) or found.lot_unit(carrier), None)]
    if kind is NodeKind.UNIT:
        lot = found.unit_lot.get(carrier, carrier)
        return [(lot, 1.0 if qty is None else qty, _unit_of(unit) or found.lot_unit(lot), carrier)]
    if kind is NodeKind.CONTAINER and carrier not in visiting:
        visiting.add(carrier)
        inner: list[Portion] = []
        unpacked = found.unpacked
        for edge in found.into.get(carrier, ()):
            if edge.type is _PACKED_IN and edge.source in found.depth:
                removed = unpacked.get((edge.source, carrier)) if unpacked else None
                if not still_inside(removed, when):
                    continue
                inner.extend(_portions(found, edge.source, edge.qty, edge.unit, visiting, when))
        visiting.discard(carrier)
        return inner
    return []


def _shipment_views(
    found: _Found, shipments: list[_Shipment], shares: dict[str, float], affected: _Affected
) -> list[NodeView]:
    """Each shipment with what it carried: quantities, lots, consignees, the share-weighted
    ``seed_equivalent`` and the ``seed_quantity`` (of the seed lots, in their units) it holds."""
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
            "seed_quantity": _seed_in(affected, portions.items()),
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
        # A receiving event naming the shipment's despatch advice records ``received_at``;
        # until one does, the data says the shipment is in transit.
        figures["in_transit"] = not nodes[shipment.id].props.get("received_at")
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


def _seed_in(
    affected: _Affected, portions: Iterable[tuple[tuple[str, str | None], float]]
) -> dict[str, float]:
    """The seed quantity in these portions of lots: each lot's seed per unit of the lot times
    the quantity, where the portion is in the lot's unit (other units cannot be weighed)."""
    out: dict[str, float] = {}
    per_unit, lot_flows = affected.flow.per_lot_unit, affected.lot_flows
    for (lot, unit), qty in portions:
        concentration = per_unit.get(lot)
        flows = lot_flows.get(lot)
        if not concentration or flows is None or not flows.matches(unit):
            continue
        for seed_unit, per in concentration.items():
            out[seed_unit] = out.get(seed_unit, 0.0) + per * qty
    return out


def _lots_in(portions: dict[tuple[str, str | None], float]) -> list[str]:
    return sorted({lot for lot, _ in portions})


# -- customers -------------------------------------------------------------------------------

_RowKey = tuple[str, str, str | None, str | None]
"""(customer, lot, unit, origin): one consignee row; origin None for our own shipments."""


def _row_tiers(shipments: list[_Shipment]) -> dict[_RowKey, int]:
    """The tier of every route a consignee got a lot by: 1 from our shipments; from an onward
    shipment, one more than the tier at which its origin holds that lot (lowest over routes).

    An origin that got the lot by no reached shipment (data we do not have) counts at its
    lowest tier for any lot, or 1 when it got nothing from us either. Settled lowest tier
    first, so loops of onward shipments end."""
    rows_from: defaultdict[tuple[str, str], list[_RowKey]] = defaultdict(list)
    heap: list[tuple[int, tuple[str, str, str, str], _RowKey]] = []
    """(tier, the key with None as "" so that keys compare, key)."""
    pending: set[_RowKey] = set()
    for shipment in shipments:
        origin = shipment.origin
        for customer in shipment.recipients:
            for lot, unit in shipment.portions:
                key = (customer, lot, unit, origin)
                if key in pending:
                    continue
                pending.add(key)
                if origin is None:
                    heap.append((1, _comparable(key), key))
                else:
                    rows_from[(origin, lot)].append(key)
    heapq.heapify(heap)
    tier: dict[_RowKey, int] = {}
    holds: dict[tuple[str, str], int] = {}
    """(customer, lot) -> its lowest tier for the lot."""
    lowest: dict[str, int] = {}
    while pending:
        if not heap:
            stranded = min(
                pending,
                key=lambda k: (lowest.get(k[3] or "", 1) + 1, k[0], k[1], k[2] or "", k[3] or ""),
            )
            level = lowest.get(stranded[3] or "", 1) + 1
            heap.append((level, _comparable(stranded), stranded))
        level, _, key = heapq.heappop(heap)
        if key in tier:
            continue
        tier[key] = level
        pending.discard(key)
        held = (key[0], key[1])
        if level < holds.get(held, level + 1):
            holds[held] = level
            lowest[key[0]] = min(level, lowest.get(key[0], level))
            for onward in rows_from.get(held, ()):
                if onward not in tier:
                    heapq.heappush(heap, (level + 1, _comparable(onward), onward))
    return tier


def _comparable(key: _RowKey) -> tuple[str, str, str, str]:
    return (key[0], key[1], key[2] or "", key[3] or "")


@dataclass(slots=True)
class _Row:
    quantity: float = 0.0
    shipments: list[str] = field(default_factory=list)
    serials: set[str] = field(default_factory=set)


def _customers(affected: _Affected) -> tuple[list[CustomerImpact], list[ConsigneeRow]]:
    """Consignees by tier, then id, and their rows (by lot, then route) in the same order."""
    found, shipments = affected.found, affected.shipments
    shares = affected.shares
    tier = _row_tiers(shipments)
    rows_of: dict[str, dict[_RowKey, _Row]] = {}
    got: dict[str, list[_Shipment]] = {}
    for shipment in shipments:
        for customer_id in shipment.recipients:
            got.setdefault(customer_id, []).append(shipment)
            rows = rows_of.setdefault(customer_id, {})
            for (lot, unit), qty in shipment.portions.items():
                key = (customer_id, lot, unit, shipment.origin)
                row = rows.get(key)
                if row is None:
                    row = rows[key] = _Row()
                row.quantity += qty
                if shipment.id not in row.shipments:
                    row.shipments.append(shipment.id)
                carried = shipment.serials.get((lot, unit))
                if carried:
                    row.serials.update(carried)
    customer_tier = {c: min(tier[k] for k in rows) for c, rows in rows_of.items() if rows}
    for customer_id, received in got.items():  # shipments that carried nothing affected
        if customer_id not in customer_tier:
            direct = any(s.origin is None for s in received)
            customer_tier[customer_id] = 1 if direct else 2

    dates_of = {s.id: s.shipped_at for s in shipments}
    customers: list[CustomerImpact] = []
    consignees: list[ConsigneeRow] = []
    make_row = ConsigneeRow.trusted
    for customer_id in sorted(got, key=lambda c: (customer_tier[c], c)):
        received = got[customer_id]
        node = found.nodes[customer_id]
        quantities: dict[str, float] = {}
        seed_equivalent = 0.0
        lots: set[str] = set()
        for shipment in received:
            for (lot, unit), qty in shipment.portions.items():
                measure = unit or UNSPECIFIED_UNIT
                quantities[measure] = quantities.get(measure, 0.0) + qty
                seed_equivalent += qty * shares.get(lot, 0.0)
                lots.add(lot)
        rows = rows_of.get(customer_id, {})
        single = next(iter(quantities.items())) if len(quantities) == 1 else None
        customers.append(
            CustomerImpact.trusted_customer(
                node,
                depth=found.depth[customer_id],
                tier=customer_tier[customer_id],
                quantity=single[1] if single else 0.0,
                unit=single[0] if single else None,
                lots=sorted(lots),
                shipments=sorted(s.id for s in received),
                figures={
                    "quantities": quantities,
                    "seed_equivalent": seed_equivalent,
                    "seed_quantity": _seed_in(
                        affected, [((k[1], k[2]), r.quantity) for k, r in rows.items()]
                    ),
                    "tiers": sorted({tier[k] for k in rows}),
                    "via": sorted({k[3] for k in rows if k[3] is not None}),
                },
            )
        )
        props = node.props
        name, address = node.name, _text(props.get("address"))
        region, customer_type = _text(props.get("region")), _text(props.get("customer_type"))
        for key in sorted(rows, key=_row_order):
            _, lot, unit, via = key
            row = rows[key]
            if len(row.shipments) == 1:
                shipment_ids = row.shipments
                date = dates_of[shipment_ids[0]]
                dates = [date] if date else []
            else:
                shipment_ids = sorted(row.shipments)
                dates = sorted({d for i in shipment_ids if (d := dates_of[i])})
            via_node = found.nodes.get(via) if via is not None else None
            consignees.append(
                make_row(
                    customer_id,
                    name,
                    address,
                    region,
                    customer_type,
                    tier[key],
                    lot,
                    row.quantity,
                    unit,
                    shipment_ids,
                    dates,
                    via,
                    via_node.name if via_node is not None else None,
                    _seed_in(affected, [((lot, unit), row.quantity)]),
                    sorted(row.serials),
                )
            )
    return customers, consignees


def _row_order(key: _RowKey) -> tuple[str, str, str]:
    return (key[1], key[2] or "", key[3] or "")


_CSV_ORDER = attrgetter("tier", "customer_id", "lot_id")


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a CSV cell as a formula (OWASP's CSV injection list)."""


def spreadsheet_text(value: str) -> str:
    """Text as a spreadsheet shows it, never as a formula: a loaded name or id that starts
    like one (``=HYPERLINK(...)``) gets a leading apostrophe, which Excel and LibreOffice hide."""
    return f"'{value}" if value.startswith(_FORMULA_STARTS) else value


def consignee_csv(report: ImpactReport | ConsigneeList) -> str:
    """The consignee list as CSV: a header, then one row per customer and lot, by tier. Text
    from loaded data goes through ``spreadsheet_text`` (recall teams open this in Excel)."""
    rows = report.consignees if isinstance(report, ImpactReport) else report.rows
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(CONSIGNEE_COLUMNS)
    text = spreadsheet_text
    with collector_paused():
        writer.writerows(
            [
                text(row.customer_id),
                text(row.customer_name or ""),
                text(row.address or ""),
                text(row.region or ""),
                text(row.customer_type or ""),
                row.tier,
                row.route,
                text(row.via or ""),
                text(row.lot_id),
                f"{row.quantity:g}",
                text(row.unit or ""),
                text(";".join(row.shipment_ids)),
                text(";".join(row.shipped_dates)),
                text(";".join(row.serials)),
            ]
            for row in sorted(rows, key=_CSV_ORDER)
        )
    return buffer.getvalue()


# -- stock and mass balance ------------------------------------------------------------------


def _stock_on_hand(
    affected: _Affected, lots: list[NodeView]
) -> tuple[list[NodeView], dict[str, float], list[str]]:
    """What we still hold of each affected lot (recorded ``on_hand``, else what it held less
    what steps consumed and we shipped), and the total by unit. Lots at ``max_depth`` and lots
    whose quantity nobody recorded get no derived figure; a figure below zero is kept and
    flagged ``negative``; outflows in a unit that cannot be reconciled with the lot's are named
    in ``units_unreconciled`` (the figure leaves them out). The lots without a figure are
    returned too (``stock_unknown``), so none goes unsaid."""
    found, lot_flows, seed_on_hand = affected.found, affected.lot_flows, affected.flow.on_hand
    stock: list[NodeView] = []
    unknown: list[str] = []
    by_unit: defaultdict[str, float] = defaultdict(float)
    for lot in lots:
        props = found.nodes[lot.id].props
        flows = lot_flows.get(lot.id)
        unit = flows.unit if flows is not None else found.lot_unit(lot.id)
        figures: dict[str, object] = {"holder": "us", "on_hand_unit": unit or UNSPECIFIED_UNIT}
        recorded = props.get("on_hand")
        if isinstance(recorded, int | float) and not isinstance(recorded, bool):
            on_hand, source = float(recorded), "recorded"
        elif flows is None or flows.base is None or lot.id in found.frontier:
            unknown.append(lot.id)
            continue
        else:
            same, other, _ = flows.split()
            on_hand = flows.base - sum(o.qty or 0.0 for o in same)
            source = "derived"
            if other:
                figures["units_unreconciled"] = sorted(
                    {f"{o.target} ({o.unit or 'no unit'})" for o in other}
                )
        if abs(on_hand) <= _EPSILON and "units_unreconciled" not in figures:
            continue
        figures.update(on_hand=on_hand, on_hand_source=source)
        if on_hand < -_EPSILON:
            figures["negative"] = True
        seed = seed_on_hand.get(lot.id)
        if seed:
            figures["seed_quantity_on_hand"] = seed
        stock.append(lot.trusted_update(figures))
        by_unit[unit or UNSPECIFIED_UNIT] += on_hand
    return stock, dict(by_unit), unknown


def _stock_in_distribution(affected: _Affected) -> list[HolderStock]:
    """What each consignee still holds of each affected lot: what it received, less what it
    shipped onward (same unit); below zero is kept and flagged ``negative``."""
    found, shipments = affected.found, affected.shipments
    received: dict[tuple[str, str, str | None], float] = {}
    onward: dict[tuple[str, str, str | None], float] = {}
    for shipment in shipments:
        for (lot, unit), qty in shipment.portions.items():
            for customer in shipment.recipients:
                key = (customer, lot, unit)
                received[key] = received.get(key, 0.0) + qty
            if shipment.origin is not None:
                key = (shipment.origin, lot, unit)
                onward[key] = onward.get(key, 0.0) + qty
    result = []
    for key in sorted(received.keys() | onward.keys(), key=lambda k: (k[0], k[1], k[2] or "")):
        holder, lot, unit = key
        got = received.get(key)
        left = onward.get(key, 0.0)
        quantity = (got or 0.0) - left
        node = found.nodes.get(holder)
        result.append(
            HolderStock(
                holder=holder,
                holder_name=node.name if node is not None else None,
                lot_id=lot,
                quantity=quantity,
                unit=unit,
                received=got,
                shipped_onward=left,
                negative=quantity < -_EPSILON,
                seed_quantity=_seed_in(affected, [((lot, unit), quantity)]) if quantity > 0 else {},
            )
        )
    return result


def _unaccounted_steps(found: _Found, shares: dict[str, float]) -> list[UnaccountedStep]:
    """Reached steps whose mass balance does not close, and the fraction that cannot be attributed.

    Inputs without a quantity: the fraction of inputs that are unquantified (their weights are a
    guess). No recorded output: all of it. Outputs above inputs (same unit throughout): the
    excess over the outputs. Inputs in several units: named (their weights are a guess), with
    no fraction of their own. Steps in several units are not balanced; the reasons add up.
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
        elif not one_unit(inputs):
            named = ", ".join(sorted({canonical_unit(e.unit) for e in inputs if e.unit}))
            reasons.append(
                f"inputs in several units ({named}) cannot be added: inputs weighed equally, "
                "so quantity_share is an estimate (seed_quantity is not)"
            )
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


def _unit_of(unit: str | None) -> str | None:
    """A recorded unit in the stored vocabulary (stores loaded before units were normalised at
    load may hold ``KGM`` or ``EA``): one unit is one key in every figure."""
    return canonical_unit(unit) if unit else None


def _text(value: object) -> str | None:
    return None if value is None else str(value)
