"""Two loader rules of the EPCIS mapping, on small hand-written EPCIS 2.0 documents loaded into
a real store on every backend: a lot commissioned by a bare ObjectEvent with a quantity holds
that quantity, and a customer's receipt loaded before our shipping document marks the
shipment received when it arrives.

Lot Q (GTIN 04012345333336) is commissioned twice, 500 EA and 100 H87: 600 pcs. We ship 200
to distributor D (Q-D1), then 50 (Q-D2). D's receipt of Q-D2 is loaded *before* the document
shipping it; D is a known customer by then (Q-D1). So Q-D2 is received at the receipt's time,
nothing was supplied to anyone, and we hold 600 - 200 - 50 = 350 pcs.
"""

from __future__ import annotations

import json
from typing import Any

from loaders.epcis import parse_epcis_document
from traceapi.domain.model import EdgeType, NodeKind
from traceapi.services.impact import recall_impact
from traceapi.store.base import GraphStore

Q = "(01)04012345333336(10)Q"
Q_CLASS = "urn:epc:class:lgtin:4012345.033333.Q"
US = "urn:epc:id:sgln:4012345.00000.0"
AT_D = "urn:epc:id:sgln:0614142.00001.0"
QD1, QD2 = "urn:example:desadv:Q-D1", "urn:example:desadv:Q-D2"


def _document(*events: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-10-10T00:00:00Z",
            "epcisBody": {"eventList": list(events)},
        }
    ).encode()


def _event(time: str, biz_step: str, quantity: float, uom: str, **more: Any) -> dict[str, Any]:
    return {
        "type": "ObjectEvent",
        "eventTime": time,
        "eventTimeZoneOffset": "+00:00",
        "action": "ADD" if biz_step == "commissioning" else "OBSERVE",
        "bizStep": biz_step,
        "quantityList": [{"epcClass": Q_CLASS, "quantity": quantity, "uom": uom}],
        **more,
    }


def _despatch(name: str) -> dict[str, Any]:
    return {"bizTransactionList": [{"type": "desadv", "bizTransaction": name}]}


def _parties(source: str, destination: str) -> dict[str, Any]:
    return {
        "sourceList": [{"type": "owning_party", "source": source}],
        "destinationList": [{"type": "owning_party", "destination": destination}],
    }


def _load(store: GraphStore, name: str, document: bytes) -> list[str]:
    batch, warnings = parse_epcis_document(document, name=name, store=store)
    store.apply_batch(batch)
    return warnings


COMMISSIONING = _document(
    _event("2024-10-01T08:00:00Z", "commissioning", 500, "EA", readPoint={"id": US}),
    _event("2024-10-01T09:00:00Z", "commissioning", 100, "H87", readPoint={"id": US}),
    _event("2024-10-02T08:00:00Z", "shipping", 200, "EA", **_despatch(QD1), **_parties(US, AT_D)),
)
RECEIPT_FIRST = _document(
    _event(
        "2024-10-04T08:00:00Z",
        "receiving",
        50,
        "EA",
        readPoint={"id": AT_D},
        **_despatch(QD2),
        **_parties(US, AT_D),
    )
)
SHIPPING_LATER = _document(
    _event("2024-10-03T08:00:00Z", "shipping", 50, "EA", **_despatch(QD2), **_parties(US, AT_D))
)


def test_a_commissioned_quantity_is_the_lot_s_quantity(store: GraphStore) -> None:
    _load(store, "c.json", COMMISSIONING)
    lot = store.get_nodes([Q])[Q]
    assert (lot.props["quantity"], lot.props["unit"]) == (600.0, "pcs")
    _load(store, "c.json", COMMISSIONING)  # the same document again changes nothing
    assert store.get_nodes([Q])[Q].props["quantity"] == 600.0


def test_a_receipt_loaded_before_its_shipment_marks_it_received(store: GraphStore) -> None:
    _load(store, "c.json", COMMISSIONING)
    warnings = _load(store, "r.json", RECEIPT_FIRST)
    assert any(QD2 in w and "no loaded shipment" in w for w in warnings)
    _load(store, "s.json", SHIPPING_LATER)
    shipment = store.get_nodes([QD2])[QD2]
    assert shipment.kind is NodeKind.SHIPMENT
    assert shipment.props["shipped_at"] == "2024-10-03T08:00:00.000Z"
    assert shipment.props["received_at"] == "2024-10-04T08:00:00.000Z"
    assert shipment.props["received_read_point"] == AT_D
    assert [e for e in store.edges_of([Q], side="in") if e.type is EdgeType.SUPPLIED] == []
    assert not [n for n in store.iter_nodes() if n.kind is NodeKind.SUPPLIER]
    impact = recall_impact(store, lot_ids=[Q])
    transit = {v.id: v.model_dump()["in_transit"] for v in impact.shipments}
    assert transit == {QD1: True, QD2: False}
    assert [(v.id, v.model_dump()["on_hand"]) for v in impact.stock_on_hand] == [(Q, 350.0)]


def test_a_receipt_by_a_party_not_known_as_a_customer_is_ours(store: GraphStore) -> None:
    """Without Q-D1, D is known to no one: the same receipt is taken as our receipt of Q from
    the source party, as before (the rule cannot tell it from a supplier's delivery)."""
    _load(store, "r.json", RECEIPT_FIRST)
    supplied = [e for e in store.edges_of([Q], side="in") if e.type is EdgeType.SUPPLIED]
    assert [(e.source, e.qty) for e in supplied] == [("supplier:(417)4012345000009", 50.0)]
    assert QD2 not in store.get_nodes([QD2])
