"""Where a serialised unit has been and where it is now; which units of a lot a consignee holds.

A unit's whereabouts: its lot, where it was commissioned, every container it was packed into
(and the containers' own parents, case onto pallet) with when it was packed and taken out, the
shipments that carried it, and where it is now. A shipment carried the unit when it carried the
unit itself or a container that still held it when the shipment left (``still_inside``, the
rule the impact answer's consignee rows use too). Where it is now is the consignee of the last
shipment that carried it (by ``shipped_at``, then id): ``received`` once a receiving event
named the shipment's despatch advice, ``in_transit`` until then; ``with_us`` when no shipment
carried it.

The units of a lot at a consignee are counted by the impact answer's own accounting
(``unit_carriages``): the units each shipment reached from the lot carried, so a lot's list and
its consignee rows' ``serials`` agree. Each unit is where the last of those shipments took it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Literal

from pydantic import BaseModel, Field

from traceapi.domain.gs1 import GS1Error, parse_identifier
from traceapi.domain.model import Edge, EdgeType, Node, NodeKind
from traceapi.errors import InvalidInput, LimitExceeded, NotFound
from traceapi.services.impact import shipment_origins, unit_carriages
from traceapi.services.lookup import resolve_lot, resolve_node
from traceapi.services.packing import still_inside
from traceapi.store.base import EdgeRow, GraphStore

_PACKED_IN = EdgeType.PACKED_IN
_SHIPPED_IN = EdgeType.SHIPPED_IN
_UPWARDS = frozenset({_PACKED_IN, _SHIPPED_IN})
_SHIPMENT_OUT = frozenset({EdgeType.DELIVERED_TO, EdgeType.SHIPPED_FROM})

MAX_CONTAINERS = 10_000
"""Containers one unit's packing history may name: real hierarchies hold a few (case, pallet,
a re-pack or two); past this the data is not a packing history and the answer says so."""

US = "us"
"""The holder of a unit no shipment carried."""

PlaceStatus = Literal["with_us", "in_transit", "received"]


class NodeRef(BaseModel):
    """A node as these answers name it."""

    id: str
    kind: str
    name: str | None = None

    @classmethod
    def of(cls, node: Node) -> NodeRef:
        return cls(id=node.id, kind=node.kind.value, name=node.name)


class Packing(BaseModel):
    """One ``PACKED_IN`` edge of a unit's packing history: ``item`` (the unit, or a container
    that held it) packed into ``container``."""

    item: str
    container: str
    container_name: str | None = None
    packed_at: str | None = None
    removed_at: str | None = None
    current: bool = Field(description="No unpacking recorded: the item is in it now.")
    packed_read_point: str | None = None
    packed_biz_location: str | None = None
    removed_read_point: str | None = None
    removed_biz_location: str | None = None


class UnitShipment(BaseModel):
    """A shipment that carried the unit, directly (``containers`` empty) or inside containers
    that still held it when it left."""

    shipment: str
    shipped_at: str | None = None
    despatch_advice: str | None = None
    origin: str | None = Field(
        default=None, description="The customer an onward shipment left from; null: ours."
    )
    consignees: list[str] = Field(default_factory=list)
    containers: list[str] = Field(default_factory=list)
    read_point: str | None = None
    biz_location: str | None = None
    received_at: str | None = None
    received_read_point: str | None = None
    received_biz_location: str | None = None
    in_transit: bool


class UnitPlace(BaseModel):
    """Where a unit is now: ``with_us`` (no shipment carried it), or with the consignee of the
    last shipment that carried it, ``in_transit`` or ``received``."""

    status: PlaceStatus
    holder: str | None = Field(description="`us`, or the consignee's customer id.")
    holder_name: str | None = None
    shipment: str | None = None
    since: str | None = Field(
        default=None, description="When it got there: received_at, else shipped_at."
    )


class UnitWhereabouts(BaseModel):
    """Everything known about where one serialised unit has been, and where it is now."""

    unit: NodeRef
    serial: str | None = None
    lot: NodeRef | None = None
    commissioned_at: str | None = None
    commissioned_read_point: str | None = None
    commissioned_biz_location: str | None = None
    packing: list[Packing] = Field(default_factory=list)
    shipments: list[UnitShipment] = Field(default_factory=list)
    now: UnitPlace


class LotUnit(BaseModel):
    """One serialised unit of a lot and where it is now."""

    id: str
    serial: str | None = None
    place: UnitPlace


class LotUnitsReport(BaseModel):
    """A lot's serialised units and where each is now; with a ``consignee``, the units at that
    consignee (received, or in transit to it) and those it received and passed on."""

    lot: NodeRef
    consignee: NodeRef | None = None
    units: list[LotUnit] = Field(default_factory=list)
    passed_on: list[LotUnit] = Field(default_factory=list)
    by_status: dict[str, int] = Field(default_factory=dict)


# -- one unit --------------------------------------------------------------------------------


def unit_whereabouts(store: GraphStore, *, unit: str) -> UnitWhereabouts:
    """The whereabouts of the unit named by ``unit`` (its id, SGTIN URN, GS1 element string
    ``(01)..(21)..`` or Digital Link). ``InvalidInput`` naming the field ``unit`` when it
    names something other than a serialised unit; ``NotFound`` when it names nothing."""
    node = _resolve(store, unit, "unit")
    if node.kind is not NodeKind.UNIT:
        raise InvalidInput(
            f"unit: {unit!r} names a {node.kind.value}, not a serialised unit (SGTIN)",
            details={"field": "unit", "id": node.id, "kind": node.kind.value},
        )
    lot = resolve_lot(store, node.id)
    packed, shipped = _upwards(store, node.id)
    shipment_ids = sorted({e.target for e in shipped})
    containers = sorted({e.target for e in packed})
    nodes = store.get_nodes([*shipment_ids, *containers])
    out_edges = store.edges_of(shipment_ids, side="out", types=_SHIPMENT_OUT)
    consignees: dict[str, list[str]] = {}
    for edge in out_edges:
        if edge.type is EdgeType.DELIVERED_TO:
            consignees.setdefault(edge.source, []).append(edge.target)
    origins = shipment_origins(
        store,
        nodes,
        [i for i in shipment_ids if i in nodes],
        [_row(e) for e in out_edges if e.type is EdgeType.SHIPPED_FROM],
    )
    holder_names = store.get_nodes(sorted({c for cs in consignees.values() for c in cs}))

    by_shipment: dict[str, set[str]] = {}
    for edge in shipped:
        shipment = nodes.get(edge.target)
        if shipment is None:
            continue
        when = _text(shipment.props.get("shipped_at"))
        holders = _holders_at(node.id, packed, when)
        if edge.source in holders:
            by_shipment.setdefault(edge.target, set()).update(
                c for c in _chain(holders, edge.source) if c != node.id
            )
    carried = [
        _unit_shipment(nodes[i], origins.get(i), sorted(consignees.get(i, ())), by_shipment[i])
        for i in by_shipment
    ]
    carried.sort(key=lambda s: (s.shipped_at or "", s.shipment))
    props = node.props
    lot_props = lot.props if lot.kind is NodeKind.LOT else {}
    return UnitWhereabouts(
        unit=NodeRef.of(node),
        serial=_text(props.get("serial")),
        lot=NodeRef.of(lot) if lot.kind is NodeKind.LOT else None,
        commissioned_at=_first_text("produced_at", props, lot_props),
        commissioned_read_point=_first_text("produced_read_point", props, lot_props),
        commissioned_biz_location=_first_text("produced_biz_location", props, lot_props),
        packing=sorted(
            (packing_of(e, nodes.get(e.target)) for e in packed),
            key=lambda p: (p.packed_at or "", p.item, p.container),
        ),
        shipments=carried,
        now=_place_now(
            [(s.shipment, s.shipped_at, s.received_at, s.consignees) for s in carried],
            holder_names,
        ),
    )


def _upwards(store: GraphStore, unit_id: str) -> tuple[list[Edge], list[Edge]]:
    """Every ``PACKED_IN`` edge above the unit (into its containers, theirs, ...) and every
    ``SHIPPED_IN`` edge out of the unit or any of those containers; level by level, each
    container once (a loop in dirty data ends)."""
    packed: list[Edge] = []
    shipped: list[Edge] = []
    seen = {unit_id}
    frontier = [unit_id]
    while frontier:
        level: list[str] = []
        for edge in store.edges_of(frontier, side="out", types=_UPWARDS):
            if edge.type is _SHIPPED_IN:
                shipped.append(edge)
                continue
            packed.append(edge)
            if edge.target not in seen:
                seen.add(edge.target)
                level.append(edge.target)
        if len(seen) > MAX_CONTAINERS:
            raise LimitExceeded(
                f"unit {unit_id!r} is inside more than {MAX_CONTAINERS} containers: "
                "not a packing history",
                details={"unit": unit_id, "max_containers": MAX_CONTAINERS},
            )
        frontier = level
    return packed, shipped


def _holders_at(unit_id: str, packed: list[Edge], when: str | None) -> dict[str, str | None]:
    """The unit and every container holding it at ``when`` (through the containers holding
    those), each with the item it held the unit through (None for the unit itself)."""
    holders: dict[str, str | None] = {unit_id: None}
    frontier = [unit_id]
    by_item: dict[str, list[Edge]] = {}
    for edge in packed:
        by_item.setdefault(edge.source, []).append(edge)
    while frontier:
        level = []
        for item in frontier:
            for edge in by_item.get(item, ()):
                removed = _text(edge.props.get("removed_at"))
                if edge.target not in holders and still_inside(removed, when):
                    holders[edge.target] = item
                    level.append(edge.target)
        frontier = level
    return holders


def _chain(holders: dict[str, str | None], container: str) -> list[str]:
    """``container`` and the containers between it and the unit (outermost first)."""
    chain = []
    at: str | None = container
    while at is not None:
        chain.append(at)
        at = holders[at]
    return chain


def packing_of(edge: Edge, container: Node | None) -> Packing:
    """One ``PACKED_IN`` edge as a packing of the history (``container``: its target node)."""
    props = edge.props
    removed = _text(props.get("removed_at"))
    return Packing(
        item=edge.source,
        container=edge.target,
        container_name=container.name if container is not None else None,
        packed_at=_text(props.get("packed_at")),
        removed_at=removed,
        current=removed is None,
        packed_read_point=_text(props.get("packed_read_point")),
        packed_biz_location=_text(props.get("packed_biz_location")),
        removed_read_point=_text(props.get("removed_read_point")),
        removed_biz_location=_text(props.get("removed_biz_location")),
    )


def _unit_shipment(
    shipment: Node, origin: str | None, consignees: list[str], containers: set[str]
) -> UnitShipment:
    props = shipment.props
    received = _text(props.get("received_at"))
    return UnitShipment(
        shipment=shipment.id,
        shipped_at=_text(props.get("shipped_at")),
        despatch_advice=_text(props.get("despatch_advice")),
        origin=origin,
        consignees=consignees,
        containers=sorted(containers),
        read_point=_text(props.get("read_point")),
        biz_location=_text(props.get("biz_location")),
        received_at=received,
        received_read_point=_text(props.get("received_read_point")),
        received_biz_location=_text(props.get("received_biz_location")),
        in_transit=received is None,
    )


Carried = tuple[str, str | None, str | None, Sequence[str]]
"""(shipment id, shipped_at, received_at, consignees) of one shipment that carried a unit."""


def _place_now(carried: Iterable[Carried], names: dict[str, Node]) -> UnitPlace:
    """Where the last shipment (by ``shipped_at``, then id) that carried a unit took it; with
    us when none did. The one rule for both answers of this module."""
    last = max(carried, key=lambda c: (c[1] or "", c[0]), default=None)
    if last is None:
        return UnitPlace(status="with_us", holder=US)
    shipment, shipped_at, received_at, consignees = last
    holder = consignees[0] if consignees else None
    node = names.get(holder) if holder is not None else None
    return UnitPlace(
        status="in_transit" if received_at is None else "received",
        holder=holder,
        holder_name=node.name if node is not None else None,
        shipment=shipment,
        since=received_at or shipped_at,
    )


# -- the units of a lot ----------------------------------------------------------------------


def lot_units(
    store: GraphStore,
    *,
    lot: str,
    consignee: str | None = None,
    max_nodes: int | None = None,
) -> LotUnitsReport:
    """The serialised units of ``lot`` and where each is now; with ``consignee`` (a customer
    id, or its GLN as 13 digits, SGLN or PGLN URN, ``(414)``/``(417)`` element string or
    Digital Link), only the units at that consignee and those it passed on. Bad input is
    ``InvalidInput`` naming the field (``lot``, ``consignee``)."""
    lot_node = _lot(store, lot)
    customer = _customer(store, consignee) if consignee is not None else None
    unit_edges = store.edges_of([lot_node.id], side="out", types=frozenset({EdgeType.HAS_UNIT}))
    unit_ids = sorted({e.target for e in unit_edges})
    carriages = unit_carriages(store, lot_id=lot_node.id, max_nodes=max_nodes)
    carried: dict[str, list[Carried]] = {}
    received_by: dict[str, set[str]] = {}
    for carriage in carriages:
        props = carriage.shipment.props
        entry: Carried = (
            carriage.shipment.id,
            _text(props.get("shipped_at")),
            _text(props.get("received_at")),
            carriage.recipients,
        )
        for unit_id in carriage.units:
            carried.setdefault(unit_id, []).append(entry)
            for recipient in carriage.recipients:
                received_by.setdefault(recipient, set()).add(unit_id)
    # The accounting knows a lot's units by their HAS_UNIT edges, as this list does (the
    # union only guards the answer against listing a carried unit twice or not at all).
    unit_ids = sorted(set(unit_ids) | carried.keys())
    units = store.get_nodes(unit_ids)
    holders = store.get_nodes(sorted({h for c in carriages for h in c.recipients}))
    listed = [
        LotUnit(
            id=unit_id,
            serial=_text(units[unit_id].props.get("serial")) if unit_id in units else None,
            place=_place_now(carried.get(unit_id, ()), holders),
        )
        for unit_id in unit_ids
    ]
    passed_on: list[LotUnit] = []
    if customer is not None:
        got = received_by.get(customer.id, set())
        passed_on = [u for u in listed if u.id in got and u.place.holder != customer.id]
        listed = [u for u in listed if u.place.holder == customer.id]
    by_status: dict[str, int] = {}
    for item in listed:
        by_status[item.place.status] = by_status.get(item.place.status, 0) + 1
    return LotUnitsReport(
        lot=NodeRef.of(lot_node),
        consignee=NodeRef.of(customer) if customer is not None else None,
        units=listed,
        passed_on=passed_on,
        by_status=dict(sorted(by_status.items())),
    )


def _resolve(store: GraphStore, identifier: str, field: str) -> Node:
    """``resolve_node``, its errors naming ``field``."""
    try:
        return resolve_node(store, identifier)
    except NotFound:
        problem = _gs1_problem(identifier)
        if problem is not None:
            raise InvalidInput(
                f"{field}: {identifier!r} is not a valid GS1 identifier: {problem}",
                details={"field": field, "identifier": identifier},
            ) from None
        raise NotFound(
            f"{field}: nothing is known as {identifier!r}",
            details={"field": field, "identifier": identifier},
        ) from None
    except InvalidInput as bad:
        known = bad.details if isinstance(bad.details, dict) else {}
        raise InvalidInput(f"{field}: {bad.message}", details={**known, "field": field}) from None


def _gs1_problem(identifier: str) -> str | None:
    """What is wrong with an identifier written in a GS1 form (element string, EPC URN,
    Digital Link), so that a mistyped check digit is said, not answered "not found"."""
    text = identifier.strip()
    if not text.startswith(("(", "urn:epc:", "http://", "https://")):
        return None
    try:
        parse_identifier(text)
    except GS1Error as bad:
        return bad.message
    return None


def _lot(store: GraphStore, identifier: str) -> Node:
    node = _resolve(store, identifier, "lot")
    if node.kind is not NodeKind.LOT:
        raise InvalidInput(
            f"lot: {identifier!r} names a {node.kind.value}, not a lot",
            details={"field": "lot", "id": node.id, "kind": node.kind.value},
        )
    return node


def _customer(store: GraphStore, identifier: str) -> Node:
    """The customer named by its id or its GLN in any GS1 form (a party is its GLN: an SGLN's
    extension names a place of the same party)."""
    candidates = [identifier.strip()]
    gln = _gln(identifier)
    if gln is not None:
        candidates.append(f"customer:(417){gln}")
    found = store.get_nodes(candidates)
    for candidate in candidates:
        node = found.get(candidate)
        if node is not None:
            if node.kind is not NodeKind.CUSTOMER:
                raise InvalidInput(
                    f"consignee: {identifier!r} names a {node.kind.value}, not a customer",
                    details={"field": "consignee", "id": node.id, "kind": node.kind.value},
                )
            return node
    raise NotFound(
        f"consignee: no customer is known as {identifier!r}",
        details={"field": "consignee", "identifier": identifier},
    )


def _gln(identifier: str) -> str | None:
    text = identifier.strip()
    if len(text) == 13 and text.isdigit() and text.isascii():
        text = f"(417){text}"
    try:
        parsed = parse_identifier(text)
    except GS1Error:
        return None
    return parsed.party_gln or parsed.gln


# -- small helpers ---------------------------------------------------------------------------


def _row(edge: Edge) -> EdgeRow:
    return EdgeRow(edge.source, edge.target, edge.type, edge.qty, edge.unit)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None


def _first_text(key: str, *props: dict[str, object]) -> str | None:
    for p in props:
        value = _text(p.get(key))
        if value is not None:
            return value
    return None
