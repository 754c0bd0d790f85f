"""EPCIS events to the traceability graph: what each event type and business step means for flow.

- Commissioning (and any ILMD ``cbvmda:lotNumber``) makes lots; a lot commissioned by an
  ObjectEvent with a quantity gets that ``quantity`` and ``unit`` (the sum over this
  document's commissioning events of that lot; a later document's figure replaces it; a lot
  commissioned in several units gets none, warned); serialised items (SGTIN) become
  Units with ``Lot -HAS_UNIT-> Unit`` and ``Unit -OF-> Lot``; a unit whose lot is unknown stays a
  Unit without lot (warned). LGTIN class quantities are lots; GTIN-level quantities (no lot) are
  kept as a per-event "lot unknown" Lot node (warned), so they never join unrelated genealogies.
- Every GS1 key (GTIN, SSCC, GLN in an EPC URN, SGTIN pattern or Digital Link; in EPC lists,
  quantity classes, parentID, read point, business location, source and destination) is
  checked by validation with the GS1 code ``traceapi scan`` uses (``gs1_key_problem``): a wrong
  check digit or a URN whose prefix and reference do not make a GTIN-14 rejects the document.
- Quantities keep their value; units are stored in the vocabulary of ``traceapi.domain.units``
  (UN/ECE Rec 20 ``KGM`` is ``kg``, ``MTR`` is ``m``, ``EA``/``H87``/``C62`` are ``pcs``; a
  quantity without ``uom`` is counted in ``pcs``, as a serialised item is).
- Parties are their GLN: ``supplier:(417)<gln>`` / ``customer:(417)<gln>`` whether the GLN came
  as an SGLN URN (any extension), a PGLN URN or a Digital Link ``/414/`` or ``/417/``.
- Receiving/accepting with a source owning party (else possessing party):
  ``Supplier -SUPPLIED-> object``. A receiving event whose despatch advice names a shipment
  already known (in this document or the store) is the consignee receiving it: the shipment
  gets ``received_at`` (and ``received_read_point`` / ``received_biz_location``), and no
  ``SUPPLIED`` edge is made (nothing was supplied to us). A receipt loaded before its shipping
  document, by a destination party already known as a customer, is kept the same way on a
  Shipment named by the despatch advice (warned), which the shipping event fills in when it
  arrives; a receipt by a party not yet known as a customer is taken as ours.
- Places, as written: lots and serialised units made by commissioning or a transformation
  get ``produced_at``, ``produced_read_point`` / ``produced_biz_location``, shipments
  ``read_point`` / ``biz_location``, ``SUPPLIED`` edges ``read_point`` / ``biz_location``,
  ``PACKED_IN`` edges ``packed_read_point`` / ``packed_biz_location`` (and on unpacking
  ``removed_read_point`` / ``removed_biz_location``).
- Shipping/departing: ``object -SHIPPED_IN-> Shipment -DELIVERED_TO-> Customer`` (destination
  owning party, else possessing party); the Shipment id is the despatch advice when one is
  given, else ``shipment:<event hash>``. When the source party is a known customer (a
  distributor), ``Shipment -SHIPPED_FROM->`` that customer marks an onward shipment. The
  shipment's ``origin`` prop is the source party's customer id (``customer:(417)<gln>``, the
  party as written is ``origin_party``), so the impact answer still tells an onward shipment
  when the distributor's documents were loaded before ours.
- TransformationEvent: ``input -CONSUMED_BY-> ProcessStep -PRODUCED-> output`` (quantities on
  the edges), ``ProcessStep -ON-> Equipment`` for the read point (else business location). The
  step id is the transformationID when given (several events may share one), else the hash.
- AggregationEvent ADD/OBSERVE: ``child -PACKED_IN-> parent`` (SSCC/GRAI/GIAI: Container; a
  serialised case: its Unit). DELETE keeps the edge and records ``removed_at`` on it.
- TransactionEvent: a business transaction naming a known Shipment adds the objects to it;
  otherwise the transactions are kept as ``biz_transactions`` props on the objects.
- An ObjectEvent may carry only sensor data observed at a read point (GS1's JSON Schema
  allows it): it names no object, so it maps to nothing (warned).
- AssociationEvent (sensors, assets, installed parts) is not material flow: the children get
  ``associated_with``/``associated_at`` props and no edge.
- Error declarations: a declared event is not mapped. Its ProcessStep/Shipment is recorded with
  ``status: error_declared``; when the store already holds flow edges that event created, they
  are re-stated with ``erroneous: true`` (the store contract has no edge removal, see the
  warning) so readers can tell.
Duplicates (same CBV event hash) are mapped once; event-derived ids come from the hash, not the
eventID, so a resent copy with another eventID changes nothing. The eventID is kept as the
``event_id`` prop, not as an alias: eventIDs are reused across published documents, and an alias
can name only one node.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from loaders.epcis.document import EpcisDocument, Event
from loaders.epcis.event_hash import event_hash
from loaders.epcis.graph_builder import GraphBuilder
from loaders.epcis.identifiers import EpcRef, parse_epc, party_key
from loaders.epcis.timestamps import iso_utc
from traceapi.domain.model import FLOW_EDGE_TYPES, Batch, EdgeType, NodeKind
from traceapi.domain.units import canonical_unit
from traceapi.gc_pause import collector_paused
from traceapi.store.base import GraphStore

LOT_NUMBER = "urn:epcglobal:cbv:mda#lotNumber"
EXPIRY_FIELDS = ("urn:epcglobal:cbv:mda#itemExpirationDate", "urn:epcglobal:cbv:mda#bestBeforeDate")
_PRODUCT_NAME_ATTRS = ("regulatedProductName", "descriptionShort", "tradeItemDescription", "name")
_ADDRESS_ATTRS = (
    "streetAddressOne",
    "streetAddressTwo",
    "city",
    "state",
    "postalCode",
    "countryCode",
)
_RECEIVING = frozenset({"receiving", "accepting"})
_SHIPPING = frozenset({"shipping", "departing"})
_CONTAINER_SCHEMES = frozenset({"sscc", "grai", "giai"})


@dataclass(slots=True)
class _Item:
    """One object an event touches, as the node it maps to and the quantity it stands for."""

    node_id: str
    qty: float | None
    unit: str | None
    lot_id: str | None = None


@dataclass(slots=True)
class _Context:
    doc: EpcisDocument
    builder: GraphBuilder
    store: GraphStore | None
    warnings: list[str] = field(default_factory=list)
    units_without_lot: set[str] = field(default_factory=set)
    units_with_lot: set[str] = field(default_factory=set)
    ignored: dict[str, int] = field(default_factory=dict)
    onward: list[tuple[str, str]] = field(default_factory=list)
    """(shipment id, customer id) pairs to link with SHIPPED_FROM if the customer is known."""
    gtin_names: dict[str, str] = field(default_factory=dict)
    commissioned: dict[str, dict[str, float]] = field(default_factory=dict)
    """Lot id -> unit -> quantity made by commissioning ObjectEvents with a quantity list."""


def map_document(doc: EpcisDocument, *, store: GraphStore | None = None) -> tuple[Batch, list[str]]:
    """The batch for one validated document and the warnings a user should read."""
    with collector_paused():
        return _map_document(doc, store=store)


def _map_document(doc: EpcisDocument, *, store: GraphStore | None) -> tuple[Batch, list[str]]:
    ctx = _Context(doc=doc, builder=GraphBuilder(source=doc.name), store=store)
    ctx.gtin_names = _product_names(doc.master_data)
    hashes = [event_hash(e) for e in doc.events]
    declared_hashes = {
        h for h, e in zip(hashes, doc.events, strict=True) if e.get("errorDeclaration")
    }
    declared_ids = {
        e["eventID"] for e in doc.events if e.get("errorDeclaration") and e.get("eventID")
    }
    seen: dict[str, int] = {}
    for index, (event, key) in enumerate(zip(doc.events, hashes, strict=True)):
        if (
            event.get("errorDeclaration")
            or key in declared_hashes
            or event.get("eventID") in declared_ids
        ):
            if not event.get("errorDeclaration"):
                ctx.warnings.append(
                    f"{_label(index, event)} is declared erroneous later in "
                    "this document: not mapped"
                )
                continue
            _declare_error(ctx, event, key, _label(index, event))
            continue
        if key in seen:
            ctx.warnings.append(
                f"{_label(index, event)} duplicates event #{seen[key]} (same "
                f"CBV event hash {key}): mapped once"
            )
            continue
        seen[key] = index
        _map_event(ctx, ctx.builder, event, key)
    _finish(ctx)
    return ctx.builder.to_batch(), ctx.warnings


def _label(index: int, event: Event) -> str:
    event_id = event.get("eventID")
    return f"event #{index}" + (f" ({event_id})" if event_id else "")


# -- identifiers to nodes ------------------------------------------------------------------


def _quantity(value: str | None) -> float | None:
    """The float of a validated decimal text (``float`` rounds a decimal string correctly,
    exactly as ``float(Decimal(value))`` does, at a fraction of the cost)."""
    return None if value is None else float(value)


def _ilmd(event: Event) -> tuple[str | None, str | None]:
    """The lot number and expiry (or best-before) date an event's ILMD gives, if any."""
    lot = expiry = None
    for key, value in event.get("ilmd") or ():
        if not isinstance(value, str) or not value.strip():
            continue
        if key == LOT_NUMBER and lot is None:
            lot = value.strip()
        elif key in EXPIRY_FIELDS and expiry is None:
            expiry = value.strip()
    return lot, expiry


def _material(ctx: _Context, b: GraphBuilder, gtin: str) -> str:
    return b.node(
        f"(01){gtin}", NodeKind.MATERIAL, name=ctx.gtin_names.get(gtin), props={"gtin": gtin}
    )


_URN_SAFE_LOT = re.compile(r"[A-Za-z0-9_-]*\Z")
"""Lot numbers that need no escaping in a URN (the common case: skip the per-character walk)."""


def _lgtin_urn(sgtin_urn: str | None, lot: str) -> list[str]:
    """The LGTIN class URN of a lot named by ILMD, built from a unit's SGTIN URN."""
    if not sgtin_urn or not sgtin_urn.startswith("urn:epc:id:sgtin:"):
        return []
    company, item, _ = sgtin_urn[len("urn:epc:id:sgtin:") :].split(".", 2)
    escaped = (
        lot
        if _URN_SAFE_LOT.match(lot)
        else "".join(c if c.isalnum() or c in "-_" else f"%{ord(c):02X}" for c in lot)
    )
    return [f"urn:epc:class:lgtin:{company}.{item}.{escaped}"]


def _lot(
    ctx: _Context,
    b: GraphBuilder,
    ref: EpcRef | None,
    gtin: str,
    lot: str,
    props: dict[str, Any] | None = None,
    *,
    aliases: list[str] | None = None,
) -> str:
    node_id = f"(01){gtin}(10){lot}"
    if node_id in b.nodes:
        b.node(node_id, NodeKind.LOT, aliases=aliases or (), props=props)
        return node_id
    aliases = list(aliases or [])
    if ref is not None and ref.scheme == "lgtin":
        aliases += ref.aliases
    name = ctx.gtin_names.get(gtin)
    b.node(
        node_id,
        NodeKind.LOT,
        name=f"{name} lot {lot}" if name else None,
        aliases=aliases,
        props={"gtin": gtin, "lot_number": lot, "material": f"(01){gtin}", **(props or {})},
    )
    b.edge(node_id, EdgeType.OF, _material(ctx, b, gtin))
    return node_id


def _item(
    ctx: _Context,
    b: GraphBuilder,
    text: str,
    *,
    qty: str | None = None,
    uom: str | None = None,
    lot: str | None = None,
    key: str = "",
    lot_props: dict[str, Any] | None = None,
) -> _Item | None:
    """The node for one EPC or EPC class (created in ``b``), or None for keys we do not trace."""
    ref = parse_epc(text)
    amount = _quantity(qty)
    unit = canonical_unit(uom) if uom else ("pcs" if amount is not None else None)
    if ref.scheme == "sgtin" and ref.gtin:
        unit_props: dict[str, Any] = {"gtin": ref.gtin, "serial": ref.serial}
        if lot_props:
            unit_props.update((k, v) for k, v in lot_props.items() if k.startswith("produced_"))
        unit_id = b.node(ref.node_id, NodeKind.UNIT, aliases=ref.aliases, props=unit_props)
        lot_id = None
        if lot:
            lot_id = _lot(ctx, b, None, ref.gtin, lot, lot_props, aliases=_lgtin_urn(ref.urn, lot))
            b.edge(lot_id, EdgeType.HAS_UNIT, unit_id, qty=1.0, unit="pcs")
            b.edge(unit_id, EdgeType.OF, lot_id)
            ctx.units_with_lot.add(unit_id)
        else:
            ctx.units_without_lot.add(unit_id)
        return _Item(unit_id, 1.0, "pcs", lot_id)
    if ref.scheme == "lgtin" and ref.gtin and ref.lot is not None:
        lot_id = _lot(ctx, b, ref, ref.gtin, ref.lot, lot_props)
        return _Item(lot_id, amount, unit, lot_id)
    if ref.scheme == "gtin" and ref.gtin:
        if lot:
            lot_id = _lot(ctx, b, None, ref.gtin, lot, lot_props)
            return _Item(lot_id, amount, unit, lot_id)
        placeholder = f"(01){ref.gtin}@{key}"
        name = ctx.gtin_names.get(ref.gtin) or f"GTIN {ref.gtin}"
        b.node(
            placeholder,
            NodeKind.LOT,
            name=f"{name} (lot unknown)",
            props={"gtin": ref.gtin, "lot_known": False, "epc_class": text},
        )
        b.edge(placeholder, EdgeType.OF, _material(ctx, b, ref.gtin))
        ctx.warnings.append(
            f"{text} names a product without a lot: kept as {placeholder!r}, "
            "which no other event can reach"
        )
        return _Item(placeholder, amount, unit)
    if ref.scheme in _CONTAINER_SCHEMES:
        node_id = b.node(
            ref.node_id, NodeKind.CONTAINER, aliases=ref.aliases, props={"epc": ref.urn or text}
        )
        return _Item(node_id, amount if amount is not None else 1.0, unit or "pcs")
    label = ref.scheme if ref.scheme != "other" else _scheme_of(text)
    ctx.ignored[label] = ctx.ignored.get(label, 0) + 1
    return None


def _scheme_of(text: str) -> str:
    parts = text.split(":")
    return parts[3] if text.startswith("urn:epc:") and len(parts) > 3 else parts[0]


def _items(
    ctx: _Context,
    b: GraphBuilder,
    epcs: Iterable[str] | None,
    quantities: Iterable[dict[str, str | None]] | None,
    *,
    lot: str | None,
    key: str,
    lot_props: dict[str, Any] | None = None,
) -> list[_Item]:
    out = []
    for text in epcs or ():
        item = _item(ctx, b, text, lot=lot, key=key, lot_props=lot_props)
        if item is not None:
            out.append(item)
    for element in quantities or ():
        item = _item(
            ctx,
            b,
            element["epcClass"] or "",
            qty=element.get("quantity"),
            uom=element.get("uom"),
            lot=lot,
            key=key,
            lot_props=lot_props,
        )
        if item is not None:
            out.append(item)
    return out


def _master_name(ctx: _Context, ref: EpcRef) -> tuple[str | None, dict[str, Any]]:
    master = ctx.doc.master_data
    attrs = master.get(ref.text) or (master.get(ref.urn) if ref.urn else None)
    if not attrs:
        return None, {"address": None, "region": None}
    address = ", ".join(attrs[a] for a in _ADDRESS_ATTRS if attrs.get(a))
    return attrs.get("name"), {"address": address or None, "region": attrs.get("countryCode")}


def _party(ctx: _Context, b: GraphBuilder, text: str, kind: NodeKind) -> str:
    ref = parse_epc(text)
    prefix = "customer" if kind is NodeKind.CUSTOMER else "supplier"
    name, extra = _master_name(ctx, ref)
    props: dict[str, Any] = {"party": text, "gln": ref.key}
    if kind is NodeKind.CUSTOMER:
        props.update(extra)
    else:
        props["address"] = extra["address"]
    return b.node(f"{prefix}:{party_key(ref)}", kind, name=name, props=props)


def _location(ctx: _Context, b: GraphBuilder, text: str) -> str:
    ref = parse_epc(text)
    name, extra = _master_name(ctx, ref)
    return b.node(
        f"location:{ref.node_id}",
        NodeKind.EQUIPMENT,
        name=name,
        props={"location": text, "address": extra["address"]},
    )


def _first(entries: list[tuple[str | None, str]] | None, type_: str) -> str | None:
    for t, value in entries or ():
        if t == type_:
            return value
    return None


def _party_of(entries: list[tuple[str | None, str]] | None) -> str | None:
    """The owning party of a source/destination list, else the possessing party."""
    return _first(entries, "owning_party") or _first(entries, "possessing_party")


def _product_names(master: dict[str, dict[str, str]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for element_id, attrs in master.items():
        name = next((attrs[a] for a in _PRODUCT_NAME_ATTRS if attrs.get(a)), None)
        if not name:
            continue
        try:
            ref = parse_epc(element_id)
        except ValueError:
            continue
        if ref.gtin:
            names.setdefault(ref.gtin, name)
    return names


# -- events --------------------------------------------------------------------------------


def _map_event(ctx: _Context, b: GraphBuilder, event: Event, key: str) -> list[str]:
    """Adds the event's nodes and edges to ``b``; returns ids of event-derived nodes."""
    kind = event["type"]
    time = iso_utc(event["eventTime"])
    lot, expiry = _ilmd(event)
    lot_props: dict[str, Any] = {}
    if expiry:
        lot_props["expires_at"] = expiry
    biz_step = event.get("bizStep")
    places = _places(event)
    if biz_step == "commissioning" or kind == "TransformationEvent":
        lot_props["produced_at"] = time
        lot_props.update({f"produced_{name}": where for name, where in places.items()})
    derived: list[str] = []
    if kind == "TransformationEvent":
        derived.append(_transformation(ctx, b, event, key, time, lot, lot_props))
        flow_items: list[_Item] = []
    elif kind == "AggregationEvent":
        flow_items = _aggregation(ctx, b, event, key, time)
    elif kind == "AssociationEvent":
        _association(ctx, b, event, key, time)
        flow_items = []
    else:
        flow_items = _items(
            ctx,
            b,
            event.get("epcList"),
            event.get("quantityList"),
            lot=lot if event.get("action") != "DELETE" else None,
            key=key,
            lot_props=lot_props,
        )
        if kind == "ObjectEvent" and biz_step == "commissioning" and event.get("action") == "ADD":
            for item in flow_items:
                if item.lot_id is not None and item.lot_id == item.node_id and item.qty is not None:
                    made = ctx.commissioned.setdefault(item.lot_id, {})
                    made[item.unit or "pcs"] = made.get(item.unit or "pcs", 0.0) + item.qty
        if kind == "ObjectEvent" and not flow_items and event.get("sensorElementList"):
            ctx.warnings.append(
                f"an ObjectEvent ({event.get('eventID') or key}) reports sensor data at "
                f"{event.get('readPoint')} and names no object: nothing to trace, not stored"
            )
        if kind == "TransactionEvent":
            parent = event.get("parentID")
            if parent:
                parent_item = _item(ctx, b, parent, key=key)
                if parent_item is not None:
                    flow_items.insert(0, parent_item)
            _transaction(ctx, b, event, key, flow_items)
    if event.get("action") == "DELETE":
        return derived
    if biz_step in _RECEIVING:
        despatch = _first(event.get("bizTransactionList"), "desadv")
        known = despatch is not None and _is_shipment(ctx, b, despatch)
        if despatch and not known and _to_known_customer(ctx, b, event):
            # A customer's receipt of a shipment whose shipping document is not loaded yet:
            # the shipment is kept as received, and the shipping event fills it in later.
            ctx.warnings.append(
                f"a receipt names despatch advice {despatch!r}, which no loaded shipment has "
                "yet: kept as received, its contents come with the shipping document"
            )
            known = True
        if despatch and known:
            # The consignee receiving a shipment we know (by its despatch advice): the shipment
            # arrived; nothing was supplied to us.
            b.node(
                despatch,
                NodeKind.SHIPMENT,
                props={
                    "received_at": time,
                    **{f"received_{name}": where for name, where in places.items()},
                },
            )
            return derived
        supplier = _party_of(event.get("sourceList"))
        if supplier:
            supplier_id = _party(ctx, b, supplier, NodeKind.SUPPLIER)
            for item in flow_items:
                b.edge(
                    supplier_id,
                    EdgeType.SUPPLIED,
                    item.node_id,
                    qty=item.qty,
                    unit=item.unit,
                    props={"received_at": time, **places},
                    event=key,
                )
    if biz_step in _SHIPPING and flow_items:
        derived.append(_shipping(ctx, b, event, key, time, flow_items, places))
    return derived


def _places(event: Event) -> dict[str, str]:
    """Where an event happened, as written: ``read_point`` and ``biz_location``."""
    places = {}
    if event.get("readPoint"):
        places["read_point"] = event["readPoint"]
    if event.get("bizLocation"):
        places["biz_location"] = event["bizLocation"]
    return places


def _transformation(
    ctx: _Context,
    b: GraphBuilder,
    event: Event,
    key: str,
    time: str,
    lot: str | None,
    lot_props: dict[str, Any],
) -> str:
    step_id = event.get("transformationID") or key
    b.node(
        step_id,
        NodeKind.PROCESS_STEP,
        props={
            "step_code": event.get("bizStep") or "transforming",
            "started_at": time,
            "ended_at": time,
            "transformation_id": event.get("transformationID"),
            "disposition": event.get("disposition"),
            "event_hash": key,
            "event_id": event.get("eventID"),
        },
    )
    for item in _items(
        ctx, b, event.get("inputEPCList"), event.get("inputQuantityList"), lot=None, key=key
    ):
        b.edge(item.node_id, EdgeType.CONSUMED_BY, step_id, qty=item.qty, unit=item.unit, event=key)
    for item in _items(
        ctx,
        b,
        event.get("outputEPCList"),
        event.get("outputQuantityList"),
        lot=lot,
        key=key,
        lot_props=lot_props,
    ):
        target = item.lot_id or item.node_id
        b.edge(
            step_id,
            EdgeType.PRODUCED,
            target,
            qty=item.qty,
            unit=item.unit,
            event=key + item.node_id,
        )
    where = event.get("readPoint") or event.get("bizLocation")
    if where:
        b.edge(step_id, EdgeType.ON, _location(ctx, b, where), props={"from": time, "to": time})
    return step_id


def _aggregation(ctx: _Context, b: GraphBuilder, event: Event, key: str, time: str) -> list[_Item]:
    parent_text = event.get("parentID")
    places = _places(event)
    children = _items(
        ctx, b, event.get("childEPCs"), event.get("childQuantityList"), lot=None, key=key
    )
    if not parent_text:
        return children
    parent = _item(ctx, b, parent_text, key=key)
    if parent is None:
        ref = parse_epc(parent_text)
        parent = _Item(
            b.node(
                ref.node_id, NodeKind.CONTAINER, aliases=ref.aliases, props={"epc": parent_text}
            ),
            1.0,
            "pcs",
        )
    action = event.get("action")
    if action == "DELETE":
        targets = [(c.node_id, c.qty, c.unit) for c in children]
        if not children:
            targets = [
                (s, None, None) for s, _, _ in b.edges_into(parent.node_id, EdgeType.PACKED_IN)
            ]
            targets += [
                (e.source, e.qty, e.unit)
                for e in _stored_edges_into(ctx, parent.node_id, EdgeType.PACKED_IN)
            ]
        for source, qty, unit in targets:
            b.edge(
                source,
                EdgeType.PACKED_IN,
                parent.node_id,
                qty=qty,
                unit=unit,
                props={
                    "removed_at": time,
                    **{f"removed_{name}": where for name, where in places.items()},
                },
                event=key,
            )
        return [parent]
    for child in children:
        b.edge(
            child.node_id,
            EdgeType.PACKED_IN,
            parent.node_id,
            qty=child.qty,
            unit=child.unit,
            props={
                "packed_at": time,
                **{f"packed_{name}": where for name, where in places.items()},
            },
            event=key,
        )
    return [parent]


def _stored_edges_into(ctx: _Context, target: str, type_: EdgeType) -> list[Any]:
    if ctx.store is None:
        return []
    return ctx.store.edges_of([target], side="in", types=frozenset({type_}))


def _association(ctx: _Context, b: GraphBuilder, event: Event, key: str, time: str) -> None:
    parent = event.get("parentID")
    for child in _items(
        ctx, b, event.get("childEPCs"), event.get("childQuantityList"), lot=None, key=key
    ):
        kind = b.nodes[child.node_id].kind
        b.node(
            child.node_id,
            kind,
            props={
                "associated_with": parent,
                "association_action": event.get("action"),
                "associated_at": time,
            },
        )


def _transaction(
    ctx: _Context, b: GraphBuilder, event: Event, key: str, items: list[_Item]
) -> None:
    transactions = event.get("bizTransactionList") or []
    shipments = [value for _, value in transactions if _is_shipment(ctx, b, value)]
    listed = [[t or "", v] for t, v in transactions]
    for shipment in shipments:
        b.node(shipment, NodeKind.SHIPMENT, props={"biz_transactions": listed})
        if event.get("action") != "DELETE":
            for item in items:
                b.edge(
                    item.node_id,
                    EdgeType.SHIPPED_IN,
                    shipment,
                    qty=item.qty,
                    unit=item.unit,
                    event=key,
                )
    if not shipments:
        for item in items:
            b.node(item.node_id, b.nodes[item.node_id].kind, props={"biz_transactions": listed})


def _to_known_customer(ctx: _Context, b: GraphBuilder, event: Event) -> bool:
    """Whether an event's destination party (owning, else possessing) is a customer already
    known (in this document or the store): its receipt is a consignee's, not ours."""
    party = _party_of(event.get("destinationList"))
    if not party:
        return False
    customer_id = f"customer:{party_key(parse_epc(party))}"
    draft = b.nodes.get(customer_id)
    if draft is not None:
        return draft.kind is NodeKind.CUSTOMER
    if ctx.store is None:
        return False
    stored = ctx.store.get_nodes([customer_id]).get(customer_id)
    return stored is not None and stored.kind is NodeKind.CUSTOMER


def _is_shipment(ctx: _Context, b: GraphBuilder, node_id: str) -> bool:
    draft = b.nodes.get(node_id)
    if draft is not None:
        return draft.kind is NodeKind.SHIPMENT
    if ctx.store is None:
        return False
    stored = ctx.store.get_nodes([node_id]).get(node_id)
    return stored is not None and stored.kind is NodeKind.SHIPMENT


def _shipping(
    ctx: _Context,
    b: GraphBuilder,
    event: Event,
    key: str,
    time: str,
    items: list[_Item],
    places: dict[str, str],
) -> str:
    transactions = event.get("bizTransactionList") or []
    despatch = _first(transactions, "desadv")
    shipment_id = despatch or f"shipment:{key}"
    source = _party_of(event.get("sourceList"))
    destination = _party_of(event.get("destinationList"))
    origin = f"customer:{party_key(parse_epc(source))}" if source else None
    b.node(
        shipment_id,
        NodeKind.SHIPMENT,
        props={
            "shipped_at": time,
            "despatch_advice": despatch,
            "origin": origin,
            "origin_party": source,
            "destination": destination,
            "destination_location": _first(event.get("destinationList"), "location"),
            "biz_transactions": [[t or "", v] for t, v in transactions] or None,
            "event_hash": key,
            "event_id": event.get("eventID"),
            **places,
        },
    )
    for item in items:
        b.edge(
            item.node_id,
            EdgeType.SHIPPED_IN,
            shipment_id,
            qty=item.qty,
            unit=item.unit,
            props={"shipped_at": time},
            event=key,
        )
    if destination:
        b.edge(shipment_id, EdgeType.DELIVERED_TO, _party(ctx, b, destination, NodeKind.CUSTOMER))
    else:
        ctx.warnings.append(
            f"shipment {shipment_id!r} has no destination owning_party: it reaches no customer"
        )
    if origin:
        ctx.onward.append((shipment_id, origin))
    return shipment_id


# -- error declarations ----------------------------------------------------------------------


def _declare_error(ctx: _Context, event: Event, key: str, label: str) -> None:
    """Records a declared event without its flow; flags flow edges it left in the store."""
    declaration = event["errorDeclaration"]
    scratch = GraphBuilder(source=ctx.doc.name)
    scratch_ctx = _Context(doc=ctx.doc, builder=scratch, store=None, gtin_names=ctx.gtin_names)
    derived = _map_event(scratch_ctx, scratch, event, key)
    marker = {
        "status": "error_declared",
        "error_reason": declaration.get("reason"),
        "error_declared_at": iso_utc(declaration["declarationTime"]),
        "corrective_event_ids": declaration.get("correctiveEventIDs") or None,
    }
    for node_id in derived:
        draft = scratch.nodes[node_id]
        ctx.builder.node(
            node_id, draft.kind, aliases=draft.aliases, props={**draft.props, **marker}
        )
    flagged = 0
    if ctx.store is not None:
        sources = sorted({s for s, t, _ in scratch.edges if t in FLOW_EDGE_TYPES})
        stored = (
            {e.key: e for e in ctx.store.edges_of(sources, side="out", types=FLOW_EDGE_TYPES)}
            if sources
            else {}
        )
        for source, type_, target in scratch.edges:
            edge = stored.get((source, type_.value, target))
            if edge is None:
                continue
            for node_id in (source, target):
                endpoint = scratch.nodes.get(node_id)
                if endpoint is not None and not ctx.builder.has_node(node_id):
                    ctx.builder.node(node_id, endpoint.kind)
            ctx.builder.edge(
                source,
                type_,
                target,
                qty=edge.qty,
                unit=edge.unit,
                props={
                    **edge.props,
                    "erroneous": True,
                    "error_declared_at": marker["error_declared_at"],
                },
            )
            flagged += 1
    message = f"{label} is declared erroneous ({marker['error_reason'] or 'no reason'}): not mapped"
    if flagged:
        message += (
            f"; {flagged} flow edges it created earlier are now marked erroneous but "
            "stay in the graph (the store cannot remove edges), so traces still walk them"
        )
    ctx.warnings.append(message)


# -- after all events ----------------------------------------------------------------------


def _name_stored_nodes(ctx: _Context) -> int:
    """Master data naming parties, places and products that earlier files created."""
    b = ctx.builder
    wanted: dict[str, tuple[str, dict[str, Any]]] = {}
    for element_id in ctx.doc.master_data:
        try:
            ref = parse_epc(element_id)
        except ValueError:
            continue
        name, extra = _master_name(ctx, ref)
        if ref.gtin and ref.scheme == "gtin" and ctx.gtin_names.get(ref.gtin):
            wanted[f"(01){ref.gtin}"] = (ctx.gtin_names[ref.gtin], {})
        if name and ref.scheme in ("sgln", "pgln"):
            for prefix in ("customer", "supplier"):
                wanted[f"{prefix}:{party_key(ref)}"] = (name, extra)
            wanted[f"location:{ref.node_id}"] = (name, extra)
    wanted = {k: v for k, v in wanted.items() if not b.has_node(k)}
    if not wanted or ctx.store is None:
        return 0
    stored = ctx.store.get_nodes(list(wanted))
    for node_id, node in stored.items():
        name, extra = wanted[node_id]
        props = {"address": extra.get("address")} if node.kind is not NodeKind.MATERIAL else {}
        b.node(node_id, node.kind, name=name, props=props)
    return len(stored)


def _stored_customers(ctx: _Context) -> set[str]:
    """The shipment sources the document does not define but the store holds as customers,
    looked up together (one query per shipment was most of a large document's store time)."""
    nodes = ctx.builder.nodes
    wanted = list(
        dict.fromkeys(
            c for _, c in ctx.onward if c not in nodes or nodes[c].kind is not NodeKind.CUSTOMER
        )
    )
    if not wanted or ctx.store is None:
        return set()
    found: set[str] = set()
    for start in range(0, len(wanted), _LOOKUP_CHUNK):
        stored = ctx.store.get_nodes(wanted[start : start + _LOOKUP_CHUNK])
        found.update(k for k, node in stored.items() if node.kind is NodeKind.CUSTOMER)
    return found


_LOOKUP_CHUNK = 500
"""Ids per store lookup: keeps each query's parameter list small on every backend."""


def _finish(ctx: _Context) -> None:
    b = ctx.builder
    if ctx.doc.master_data:
        named = _name_stored_nodes(ctx)
        if not ctx.doc.events:
            ctx.warnings.append(
                f"master data only: named {named} stored nodes; names of "
                "parties, places and products not stored yet are not kept"
            )
    stored_customers = _stored_customers(ctx)
    for shipment_id, customer_id in ctx.onward:
        known = b.has_node(customer_id) and b.nodes[customer_id].kind is NodeKind.CUSTOMER
        if known or customer_id in stored_customers:
            if not b.has_node(customer_id):
                b.node(customer_id, NodeKind.CUSTOMER)
            b.edge(shipment_id, EdgeType.SHIPPED_FROM, customer_id)
            b.node(shipment_id, NodeKind.SHIPMENT, props={"onward": True})
    for lot_id, made in ctx.commissioned.items():
        if len(made) == 1:
            ((unit, quantity),) = made.items()
            b.node(lot_id, NodeKind.LOT, props={"quantity": quantity, "unit": unit})
        else:
            shown = ", ".join(f"{q:g} {u}" for u, q in sorted(made.items()))
            ctx.warnings.append(
                f"lot {lot_id!r} is commissioned in several units ({shown}): "
                "its quantity is not recorded"
            )
    lotless = sorted(ctx.units_without_lot - ctx.units_with_lot)
    if lotless and ctx.store is not None:
        linked = {
            e.source
            for e in ctx.store.edges_of(lotless, side="out", types=frozenset({EdgeType.OF}))
        }
        lotless = [u for u in lotless if u not in linked]
    if lotless:
        shown = ", ".join(lotless[:3]) + (", ..." if len(lotless) > 3 else "")
        ctx.warnings.append(
            f"{len(lotless)} serialised units have no known lot (no ILMD lotNumber): {shown}"
        )
    if ctx.ignored:
        kinds = ", ".join(f"{k} x{n}" for k, n in sorted(ctx.ignored.items()))
        ctx.warnings.append(f"identifiers that are not traced items were ignored: {kinds}")
