"""The shortcuts that make EPCIS loading fast give the answers the plain rules give: the CBV
spelling table, the byte-sum check digit, unvalidated model building, the paused collector."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loaders.epcis import cbv, parse_epcis_document, read_document
from loaders.epcis.graph_builder import GraphBuilder
from loaders.epcis.identifiers import _check_digit_number, parse_epc
from loaders.epcis.synthetic import synthetic_document
from traceapi.domain.gs1 import gtin_check_digit
from traceapi.domain.model import Batch, Edge, EdgeType, Node, NodeKind
from traceapi.errors import InvalidInput
from traceapi.gc_pause import collector_paused

CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
VOCABULARIES = [
    cbv.BIZ_STEP,
    cbv.DISPOSITION,
    cbv.BIZ_TRANSACTION_TYPE,
    cbv.SOURCE_DEST_TYPE,
    cbv.ERROR_REASON,
]


def _document(*events: dict[str, Any]) -> bytes:
    return json.dumps(
        {
            "@context": CONTEXT,
            "type": "EPCISDocument",
            "schemaVersion": "2.0",
            "creationDate": "2024-01-01T00:00:00Z",
            "epcisBody": {"eventList": list(events)},
        }
    ).encode()


def _event(**fields: Any) -> dict[str, Any]:
    return {"eventTime": "2024-01-01T10:00:00Z", "eventTimeZoneOffset": "+00:00", **fields}


@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.urn)
def test_every_tabled_cbv_spelling_reads_as_its_word(vocabulary: cbv.Vocabulary) -> None:
    assert len(vocabulary.spellings) == len(vocabulary.words) * 11
    for spelling, word in vocabulary.spellings.items():
        assert cbv._cbv_word(spelling, vocabulary) == word, spelling
        assert vocabulary.web_uris[word] == f"https://ref.gs1.org/cbv/{vocabulary.web}-{word}"


def test_spellings_outside_the_table_still_take_the_rules() -> None:
    assert cbv.normalise(" shipping ", cbv.BIZ_STEP) == "shipping"
    assert cbv.normalise("https://ref.gs1.org/cbv/bizstep-shipping", cbv.BIZ_STEP) == "shipping"
    assert cbv.normalise("urn:example:step:x", cbv.BIZ_STEP) == "urn:example:step:x"
    with pytest.raises(cbv.VocabularyError, match="not a CBV value"):
        cbv.normalise("urn:epcglobal:cbv:bizstep:shiping", cbv.BIZ_STEP)
    with pytest.raises(cbv.VocabularyError, match="must be a URI"):
        cbv.normalise("Shipping", cbv.BIZ_STEP)


@given(st.text(alphabet="0123456789", min_size=1, max_size=20))
def test_check_digit_agrees_with_the_gs1_module(payload: str) -> None:
    assert _check_digit_number(payload) == payload + str(gtin_check_digit(payload))


@pytest.mark.parametrize("payload", ["12a4", "", "٤٠١", "1²"])
def test_check_digit_refuses_what_is_not_ascii_digits(payload: str) -> None:
    with pytest.raises(ValueError):
        _check_digit_number(payload)


@pytest.mark.parametrize(
    "urn",
    [
        "urn:epc:id:sgtin:٤٠١٢٣٤٥.011111.1",  # Arabic-Indic digits pass str.isdigit
        "urn:epc:id:sscc:4012345.00000x0001",  # the serial reference joins the check digit
        "urn:epc:id:pgln:4012345.0000x",
        "urn:epc:idpat:sgtin:4012345.0111x1.*",
    ],
)
def test_epcs_with_non_digit_keys_are_rejected_naming_the_field(urn: str) -> None:
    data = _document(_event(type="ObjectEvent", action="OBSERVE", epcList=[urn]))
    with pytest.raises(InvalidInput, match="event #0.*field epcList") as err:
        read_document(data, name="d.json")
    assert err.value.details["field"] == "epcList"


def test_a_cached_epc_is_shared_and_cannot_change() -> None:
    first = parse_epc("urn:epc:id:sgtin:4012345.011111.987")
    assert parse_epc("urn:epc:id:sgtin:4012345.011111.987") is first
    assert first.node_id == "(01)04012345111118(21)987"
    assert first.aliases == ("urn:epc:id:sgtin:4012345.011111.987",)
    with pytest.raises(AttributeError):
        first.serial = "other"  # type: ignore[misc]


def test_a_null_epc_list_reads_as_absent_instead_of_crashing() -> None:
    aggregation = _event(
        type="AggregationEvent",
        action="ADD",
        childEPCs=None,
        parentID="urn:epc:id:sscc:4012345.0000000001",
    )
    batch, _ = parse_epcis_document(_document(aggregation), name="d.json")
    assert [n.id for n in batch.nodes] == ["(00)040123450000000016"]


def test_builder_objects_equal_validated_models_and_accept_assignment() -> None:
    b = GraphBuilder(source="s")
    b.node("lot", NodeKind.LOT, aliases=("lot", "urn:a"), props={"gtin": "1", "x": None})
    b.node("lot", NodeKind.LOT, name="Lot", aliases=["urn:b"], props={"lot_number": "7"})
    b.node("step", NodeKind.PROCESS_STEP)
    b.edge("lot", EdgeType.CONSUMED_BY, "step", qty=2.0, unit="KGM", event="e1")
    b.edge("lot", EdgeType.CONSUMED_BY, "step", qty=2.0, unit="KGM", event="e1")  # same event
    b.edge(
        "lot",
        EdgeType.CONSUMED_BY,
        "step",
        qty=3.0,
        unit="KGM",
        event="e2",
        props={"a": 1, "b": None},
    )
    batch = b.to_batch()
    assert batch.nodes == [
        Node(
            id="lot",
            kind=NodeKind.LOT,
            name="Lot",
            aliases=["urn:a", "urn:b"],
            props={"gtin": "1", "lot_number": "7"},
        ),
        Node(id="step", kind=NodeKind.PROCESS_STEP),
    ]
    assert batch.edges == [
        Edge(
            source="lot",
            target="step",
            type=EdgeType.CONSUMED_BY,
            qty=5.0,
            unit="KGM",
            props={"a": 1},
        )
    ]
    node = batch.nodes[0]
    node.name = "Renamed"
    assert node.model_dump()["name"] == "Renamed"
    assert Batch.model_validate(batch.model_dump()) == batch


def test_collector_is_paused_inside_and_restored_after_even_on_error() -> None:
    assert gc.isenabled()
    with pytest.raises(RuntimeError), collector_paused():
        assert not gc.isenabled()
        with collector_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block leaves it to the outer one
        raise RuntimeError
    assert gc.isenabled()
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()  # it was off before: it stays off
    finally:
        gc.enable()


def test_loading_leaves_the_collector_on_after_success_and_after_rejection() -> None:
    parse_epcis_document(synthetic_document(30), name="s.json")
    assert gc.isenabled()
    with pytest.raises(InvalidInput):
        parse_epcis_document(
            _document(
                _event(
                    type="ObjectEvent",
                    action="JUMP",
                    epcList=["urn:epc:id:sscc:4012345.0000000001"],
                )
            ),
            name="bad.json",
        )
    assert gc.isenabled()


def test_synthetic_document_maps_every_event_into_the_expected_graph() -> None:
    batch, warnings = parse_epcis_document(synthetic_document(300), name="s.json")
    kinds: dict[str, int] = {}
    for node in batch.nodes:
        kinds[node.kind] = kinds.get(node.kind, 0) + 1
    # per 3 events: 2 units + their lot, a raw and a finished lot, a step, a shipment;
    # 3 materials, 1 work centre and 50 customers overall
    assert kinds == {
        "Unit": 200,
        "Lot": 300,
        "Material": 3,
        "ProcessStep": 100,
        "Equipment": 1,
        "Shipment": 100,
        "Customer": 50,
    }
    # per 3 events: lot OF material + 2 HAS_UNIT + 2 unit OF; 2 lots OF material, CONSUMED_BY,
    # PRODUCED, ON; SHIPPED_IN, DELIVERED_TO
    assert len(batch.edges) == 100 * (5 + 5 + 2)
    assert warnings == []
