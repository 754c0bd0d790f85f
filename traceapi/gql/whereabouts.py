# mypy: disable-error-code="untyped-decorator"
"""GraphQL shapes of a unit's whereabouts and of where a lot's units are (plain values: ids,
times and places; ``node(id:)`` opens any of them)."""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from traceapi.services.whereabouts import (
    LotUnit,
    LotUnitsReport,
    Packing,
    UnitPlace,
    UnitShipment,
    UnitWhereabouts,
)


def _id(value: str | None) -> strawberry.ID | None:
    return strawberry.ID(value) if value is not None else None


@strawberry.type(
    name="Packing",
    description="One packing: `item` (a lot, a unit, or a container holding the unit asked "
    "about) packed into `container`, and when it was taken out, if it was.",
)
class PackingEntry:
    item: strawberry.ID
    container: strawberry.ID
    container_name: str | None
    packed_at: str | None
    removed_at: str | None
    current: bool = strawberry.field(description="No unpacking recorded: it is in it now.")
    packed_read_point: str | None
    packed_biz_location: str | None
    removed_read_point: str | None
    removed_biz_location: str | None

    @classmethod
    def of(cls, p: Packing) -> PackingEntry:
        return cls(
            item=strawberry.ID(p.item),
            container=strawberry.ID(p.container),
            container_name=p.container_name,
            packed_at=p.packed_at,
            removed_at=p.removed_at,
            current=p.current,
            packed_read_point=p.packed_read_point,
            packed_biz_location=p.packed_biz_location,
            removed_read_point=p.removed_read_point,
            removed_biz_location=p.removed_biz_location,
        )


@strawberry.type(
    name="UnitShipment",
    description="A shipment that carried the unit, directly (`containers` empty) or in "
    "containers that still held it when it left.",
)
class ShipmentEntry:
    shipment: strawberry.ID
    shipped_at: str | None
    despatch_advice: str | None
    origin: strawberry.ID | None = strawberry.field(
        description="The customer an onward shipment left from; null for ours."
    )
    consignees: list[strawberry.ID]
    containers: list[strawberry.ID]
    read_point: str | None
    biz_location: str | None
    received_at: str | None
    received_read_point: str | None
    received_biz_location: str | None
    in_transit: bool

    @classmethod
    def of(cls, s: UnitShipment) -> ShipmentEntry:
        return cls(
            shipment=strawberry.ID(s.shipment),
            shipped_at=s.shipped_at,
            despatch_advice=s.despatch_advice,
            origin=_id(s.origin),
            consignees=[strawberry.ID(c) for c in s.consignees],
            containers=[strawberry.ID(c) for c in s.containers],
            read_point=s.read_point,
            biz_location=s.biz_location,
            received_at=s.received_at,
            received_read_point=s.received_read_point,
            received_biz_location=s.received_biz_location,
            in_transit=s.in_transit,
        )


@strawberry.type(
    name="UnitPlace",
    description="Where a unit is now: `with_us` (no shipment carried it), else with the "
    "consignee of the last shipment that carried it, `in_transit` or `received`.",
)
class PlaceEntry:
    status: str
    holder: strawberry.ID | None = strawberry.field(
        description="`us`, or the consignee's customer id."
    )
    holder_name: str | None
    shipment: strawberry.ID | None
    since: str | None = strawberry.field(description="received_at, else shipped_at.")

    @classmethod
    def of(cls, p: UnitPlace) -> PlaceEntry:
        return cls(
            status=p.status,
            holder=_id(p.holder),
            holder_name=p.holder_name,
            shipment=_id(p.shipment),
            since=p.since,
        )


@strawberry.type(
    name="UnitWhereabouts",
    description="Where a serialised unit has been (commissioning, packing, shipments, with "
    "their places) and where it is now.",
)
class WhereaboutsResult:
    unit: strawberry.ID
    serial: str | None
    lot: strawberry.ID | None
    commissioned_at: str | None
    commissioned_read_point: str | None
    commissioned_biz_location: str | None
    packing: list[PackingEntry] = strawberry.field(
        description="Every container it was packed into, and theirs (case onto pallet)."
    )
    shipments: list[ShipmentEntry]
    now: PlaceEntry

    @classmethod
    def of(cls, w: UnitWhereabouts) -> WhereaboutsResult:
        return cls(
            unit=strawberry.ID(w.unit.id),
            serial=w.serial,
            lot=_id(w.lot.id if w.lot is not None else None),
            commissioned_at=w.commissioned_at,
            commissioned_read_point=w.commissioned_read_point,
            commissioned_biz_location=w.commissioned_biz_location,
            packing=[PackingEntry.of(p) for p in w.packing],
            shipments=[ShipmentEntry.of(s) for s in w.shipments],
            now=PlaceEntry.of(w.now),
        )


@strawberry.type(name="LotUnitPlace", description="One serialised unit of a lot and its place.")
class LotUnitEntry:
    id: strawberry.ID
    serial: str | None
    place: PlaceEntry

    @classmethod
    def of(cls, u: LotUnit) -> LotUnitEntry:
        return cls(id=strawberry.ID(u.id), serial=u.serial, place=PlaceEntry.of(u.place))


@strawberry.type(
    name="LotUnitPlaces",
    description="A lot's serialised units and where each is now; with a consignee, those at "
    "it (received or in transit to it) and, in `passedOn`, those it shipped on.",
)
class LotUnitsResult:
    lot: strawberry.ID
    consignee: strawberry.ID | None
    units: list[LotUnitEntry]
    passed_on: list[LotUnitEntry]
    by_status: JSON = strawberry.field(description="How many of `units` are in each status.")

    @classmethod
    def of(cls, r: LotUnitsReport) -> LotUnitsResult:
        return cls(
            lot=strawberry.ID(r.lot.id),
            consignee=_id(r.consignee.id if r.consignee is not None else None),
            units=[LotUnitEntry.of(u) for u in r.units],
            passed_on=[LotUnitEntry.of(u) for u in r.passed_on],
            by_status=JSON(dict(r.by_status)),
        )
