"""Event semantics on small documents written for the case: error declarations, duplicates,
onward shipments, unpacking, transactions, and the CBV spellings."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loaders.epcis import parse_epcis_document, parse_epcis_file, read_document
from loaders.epcis.cbv import BIZ_STEP, DISPOSITION, VocabularyError, normalise
from loaders.epcis.event_hash import event_hash
from loaders.report import load_files
from tests.conftest import GS1_EPCIS
from traceapi.domain.gs1 import gtin_check_digit
from traceapi.domain.model import FLOW_EDGE_TYPES, EdgeType, NodeKind
from traceapi.store.base import Direction
from traceapi.store.embedded import EmbeddedStore

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
LOT_A = "urn:epc:class:lgtin:4012345.012345.LOTA"
LOT_A_ID = "(01)04012345123456(10)LOTA"
MAKER = "urn:epc:id:pgln:4012345.00000"
DISTRIBUTOR = "urn:epc:id:pgln:0614141.00001"
HOSPITAL = "urn:epc:id:pgln:0614142.00002"


def with_check_digit(payload: str) -> str:
    return payload + str(gtin_check_digit(payload))


DISTRIBUTOR_ID = f"customer:(417){with_check_digit('061414100001')}"
HOSPITAL_ID = f"customer:(417){with_check_digit('061414200002')}"
PALLET = "urn:epc:id:sscc:4012345.0000000001"
PALLET_ID = f"(00){with_check_digit('04012345000000001')}"


def document(*events: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-01-01T00:00:00Z",
            "epcisBody": {"eventList": list(events)},
        }
    ).encode()


def event(kind: str = "ObjectEvent", **fields: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": kind,
        "eventTime": "2024-03-01T10:00:00.000+01:00",
        "eventTimeZoneOffset": "+01:00",
    }
    if kind != "TransformationEvent":
        base["action"] = "OBSERVE"
    base.update(fields)
    return base


def shipping(lot: str, source: str, destination: str, desadv: str, time: str) -> dict[str, Any]:
    return event(
        bizStep="shipping",
        eventTime=time,
        quantityList=[{"epcClass": lot, "quantity": 5, "uom": "KGM"}],
        bizTransactionList=[{"type": "desadv", "bizTransaction": desadv}],
        sourceList=[{"type": "owning_party", "source": source}],
        destinationList=[{"type": "owning_party", "destination": destination}],
    )


def transformation(event_id: str | None = None, output_qty: int = 452) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "inputQuantityList": [{"epcClass": LOT_A, "quantity": 500, "uom": "KGM"}],
        "outputQuantityList": [
            {
                "epcClass": "urn:epc:class:lgtin:4012345.044444.OUT1",
                "quantity": output_qty,
                "uom": "KGM",
            }
        ],
        "bizStep": "commissioning",
        "readPoint": {"id": "urn:epc:id:sgln:4012345.00001.7"},
    }
    if event_id:
        fields["eventID"] = event_id
    return event("TransformationEvent", **fields)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "store.sqlite")
    try:
        yield opened
    finally:
        opened.close()


def apply(store: EmbeddedStore, data: bytes, name: str = "doc.json") -> list[str]:
    batch, warnings = parse_epcis_document(data, name=name, store=store)
    store.apply_batch(batch)
    return warnings


# -- error declarations ----------------------------------------------------------------------


@pytest.mark.shared_data
def test_error_declared_in_the_same_document_is_not_mapped(store: EmbeddedStore) -> None:
    load_files(
        store,
        [GS1_EPCIS / "JSON" / "WithErrorDeclaration" / "ErrorDeclarationAndCorrectiveEvent.jsonld"],
        parse_epcis_file,
    )
    steps = {n.props["event_id"]: n for n in store.list_nodes(kind=NodeKind.PROCESS_STEP)}
    declared = steps["urn:uuid:374d95fc-9457-4a51-bd6a-0bba133845a8"]
    corrective = steps["urn:uuid:404d95fc-9457-4a51-bd6a-0bba133845a8"]
    assert declared.props["status"] == "error_declared"
    assert declared.props["corrective_event_ids"] == [corrective.props["event_id"]]
    assert store.edges_of([declared.id], side="both", types=FLOW_EDGE_TYPES) == []
    produced = store.edges_of([corrective.id], types=frozenset({EdgeType.PRODUCED}))
    assert [e.qty for e in produced if e.unit == "kg"] == [500.0]


def test_error_declared_later_marks_the_stored_step_and_its_edges(store: EmbeddedStore) -> None:
    original = transformation("urn:uuid:e1")
    apply(store, document(original), "first.json")
    step_id = store.list_nodes(kind=NodeKind.PROCESS_STEP)[0].id
    assert len(store.edges_of([step_id], side="both", types=FLOW_EDGE_TYPES)) == 2

    declared = copy.deepcopy(original)
    declared["errorDeclaration"] = {
        "declarationTime": "2024-03-02T00:00:00Z",
        "reason": "incorrect_data",
        "correctiveEventIDs": ["urn:uuid:e2"],
    }
    warnings = apply(
        store, document(declared, transformation("urn:uuid:e2", 500)), "declaration.json"
    )

    steps = {n.props["event_id"]: n for n in store.list_nodes(kind=NodeKind.PROCESS_STEP)}
    assert steps["urn:uuid:e1"].id == step_id
    assert steps["urn:uuid:e1"].props["status"] == "error_declared"
    assert "status" not in steps["urn:uuid:e2"].props
    flow = store.edges_of([step_id], side="both", types=FLOW_EDGE_TYPES)
    assert len(flow) == 2 and all(e.props["erroneous"] is True for e in flow)
    assert any("marked erroneous" in w and "traces still walk them" in w for w in warnings)


def test_a_declaration_without_a_stored_original_changes_no_flow(store: EmbeddedStore) -> None:
    declared = transformation("urn:uuid:x1")
    declared["errorDeclaration"] = {"declarationTime": "2024-03-02T00:00:00Z"}
    warnings = apply(store, document(declared))
    step = store.list_nodes(kind=NodeKind.PROCESS_STEP)[0]
    assert step.props["status"] == "error_declared"
    assert store.stats().edge_total == 0
    assert any("declared erroneous" in w for w in warnings)


# -- duplicates and idempotency --------------------------------------------------------------


def test_duplicate_events_in_one_document_are_mapped_once() -> None:
    first = transformation("urn:uuid:a")
    resent = transformation("urn:uuid:b")  # same content, another eventID
    resent["eventTime"] = "2024-03-01T11:00:00.000+02:00"  # same instant, other zone
    resent["eventTimeZoneOffset"] = "+02:00"
    batch, warnings = parse_epcis_document(document(first, resent), name="d.json")
    assert len([n for n in batch.nodes if n.kind is NodeKind.PROCESS_STEP]) == 1
    consumed = [e for e in batch.edges if e.type is EdgeType.CONSUMED_BY]
    assert [e.qty for e in consumed] == [500.0]
    assert any("duplicates event #0" in w for w in warnings)


def test_event_hash_changes_when_a_value_changes() -> None:
    base = read_document(document(transformation()), name="a").events[0]
    changed = read_document(document(transformation(output_qty=453)), name="b").events[0]
    assert event_hash(base) != event_hash(changed)
    assert event_hash(base).startswith("ni:///sha-256;")
    assert event_hash(base).endswith("?ver=CBV2.0")


@pytest.mark.shared_data
def test_seven_published_serialisations_share_one_hash() -> None:
    folder = GS1_EPCIS / "XML" / "WithEventHashID"
    hashes = {
        event_hash(read_document(p.read_bytes(), name=p.name).events[0]) for p in folder.iterdir()
    }
    assert len(hashes) == 1


# -- shipments -------------------------------------------------------------------------------


def test_onward_shipment_by_a_distributor_reaches_its_customer(store: EmbeddedStore) -> None:
    apply(
        store,
        document(
            shipping(LOT_A, MAKER, DISTRIBUTOR, "urn:example:desadv:1", "2024-03-01T10:00:00Z")
        ),
        "ship1.json",
    )
    apply(
        store,
        document(
            shipping(LOT_A, DISTRIBUTOR, HOSPITAL, "urn:example:desadv:2", "2024-03-05T10:00:00Z")
        ),
        "ship2.json",
    )
    distributor = DISTRIBUTOR_ID
    hospital = HOSPITAL_ID
    downstream = set(store.reach([LOT_A_ID], direction=Direction.FORWARD).ids)
    assert {"urn:example:desadv:1", "urn:example:desadv:2", distributor, hospital} <= downstream
    onward = store.edges_of(["urn:example:desadv:2"], types=frozenset({EdgeType.SHIPPED_FROM}))
    assert [e.target for e in onward] == [distributor]
    assert store.edges_of(["urn:example:desadv:1"], types=frozenset({EdgeType.SHIPPED_FROM})) == []
    shipment = store.get_nodes(["urn:example:desadv:1"])["urn:example:desadv:1"]
    assert shipment.kind is NodeKind.SHIPMENT
    assert shipment.props["shipped_at"] == "2024-03-01T10:00:00.000Z"


def test_shipping_a_pallet_ships_its_contents(store: EmbeddedStore) -> None:
    pallet = PALLET
    pack = event(
        "AggregationEvent",
        action="ADD",
        bizStep="packing",
        parentID=pallet,
        childQuantityList=[{"epcClass": LOT_A, "quantity": 5, "uom": "KGM"}],
    )
    ship = event(
        bizStep="departing",
        epcList=[pallet],
        destinationList=[{"type": "possessing_party", "destination": HOSPITAL}],
    )
    apply(store, document(pack, ship))
    downstream = store.reach([LOT_A_ID], direction=Direction.FORWARD)
    kinds = dict(zip(downstream.ids, downstream.kinds, strict=True))
    assert kinds[PALLET_ID] is NodeKind.CONTAINER
    assert NodeKind.SHIPMENT in kinds.values()
    assert kinds[HOSPITAL_ID] is NodeKind.CUSTOMER


def test_unpacking_records_removal_on_the_containment_edge(store: EmbeddedStore) -> None:
    pallet = PALLET
    child = "urn:epc:id:sgtin:4012345.012345.77"
    pack = event("AggregationEvent", action="ADD", parentID=pallet, childEPCs=[child])
    unpack = event(
        "AggregationEvent", action="DELETE", parentID=pallet, eventTime="2024-03-02T10:00:00Z"
    )
    apply(store, document(pack), "pack.json")
    apply(store, document(unpack), "unpack.json")
    edges = store.edges_of([PALLET_ID], side="in", types=frozenset({EdgeType.PACKED_IN}))
    assert len(edges) == 1
    assert edges[0].props["packed_at"] == "2024-03-01T09:00:00.000Z"
    assert edges[0].props["removed_at"] == "2024-03-02T10:00:00.000Z"


def test_transaction_naming_a_known_shipment_adds_its_objects(store: EmbeddedStore) -> None:
    apply(
        store,
        document(
            shipping(LOT_A, MAKER, DISTRIBUTOR, "urn:example:desadv:9", "2024-03-01T10:00:00Z")
        ),
    )
    extra = "urn:epc:class:lgtin:4012345.012345.LOTB"
    transaction = event(
        "TransactionEvent",
        action="ADD",
        bizTransactionList=[{"type": "desadv", "bizTransaction": "urn:example:desadv:9"}],
        quantityList=[{"epcClass": extra, "quantity": 1}],
    )
    apply(store, document(transaction), "transaction.json")
    shipped = {
        e.source
        for e in store.edges_of(
            ["urn:example:desadv:9"], side="in", types=frozenset({EdgeType.SHIPPED_IN})
        )
    }
    assert shipped == {LOT_A_ID, "(01)04012345123456(10)LOTB"}


def test_unit_lot_comes_from_commissioning_ilmd_in_an_earlier_file(store: EmbeddedStore) -> None:
    unit = "urn:epc:id:sgtin:4012345.012345.900"
    commission = event(
        action="ADD", bizStep="commissioning", epcList=[unit], ilmd={"cbvmda:lotNumber": "LOTA"}
    )
    commission["@context"] = [{"cbvmda": "urn:epcglobal:cbv:mda:"}]
    assert apply(store, document(commission), "commission.json") == []
    ship = event(
        bizStep="shipping",
        epcList=[unit],
        destinationList=[{"type": "owning_party", "destination": HOSPITAL}],
    )
    warnings = apply(store, document(ship), "ship.json")
    assert not any("no known lot" in w for w in warnings)
    assert HOSPITAL_ID in store.reach([LOT_A_ID], direction=Direction.FORWARD).ids
    alone = parse_epcis_document(document(ship), name="ship.json")[1]
    assert any("no known lot" in w for w in alone)


def test_association_annotates_and_adds_no_flow() -> None:
    child = "urn:epc:id:sgtin:4012345.012345.901"
    association = event(
        "AssociationEvent",
        action="ADD",
        parentID="urn:epc:id:giai:4000001.111",
        childEPCs=[child],
        bizStep="assembling",
    )
    batch, _ = parse_epcis_document(document(association), name="a.json")
    assert [e for e in batch.edges if e.type in FLOW_EDGE_TYPES] == []
    unit = next(n for n in batch.nodes if n.kind is NodeKind.UNIT)
    assert unit.props["associated_with"] == "urn:epc:id:giai:4000001.111"


# -- CBV spellings ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "shipping",
        "urn:epcglobal:cbv:bizstep:shipping",
        "https://ref.gs1.org/cbv/BizStep-shipping",
        "cbv:BizStep-shipping",
        "https://gs1.org/voc/BizStep-shipping",
        " shipping ",
    ],
)
def test_biz_step_spellings_normalise_to_one_word(spelling: str) -> None:
    assert normalise(spelling, BIZ_STEP) == "shipping"


def test_user_vocabulary_uris_are_kept_and_unknown_cbv_words_refused() -> None:
    assert normalise("https://example.com/steps/sterilising", BIZ_STEP) == (
        "https://example.com/steps/sterilising"
    )
    assert normalise("urn:epcglobal:cbv:disp:in_transit", DISPOSITION) == "in_transit"
    for bad in (
        "sterilising",
        "urn:epcglobal:cbv:bizstep:sterilising",
        "https://ref.gs1.org/cbv/BizStep-sterilising",
    ):
        with pytest.raises(VocabularyError):
            normalise(bad, BIZ_STEP)
