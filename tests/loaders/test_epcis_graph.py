"""Golden answers worked out by reading the published documents, checked on a real store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loaders.epcis import parse_epcis_file
from loaders.report import load_files
from tests.conftest import GS1_EPCIS, TEST_DATA
from traceapi.domain.gs1 import gtin_check_digit
from traceapi.domain.model import EdgeType, NodeKind
from traceapi.store.base import Direction
from traceapi.store.embedded import EmbeddedStore

GS1 = GS1_EPCIS  # not shipped: the tests reading it are marked shared_data
PHARMA = (
    TEST_DATA
    / "openepcis-test-resources"
    / "1.2"
    / "EPCIS"
    / "XML"
    / "Capture"
    / "Documents"
    / "GS1_US_Pharma_Example_2_2_1_1.xml"
)


def gtin(company_prefix: str, item_ref: str) -> str:
    """GTIN-14 of an SGTIN/LGTIN: indicator digit, company prefix, item reference, check."""
    payload = item_ref[0] + company_prefix + item_ref[1:]
    return payload + str(gtin_check_digit(payload))


def gln(company_prefix: str, location_ref: str) -> str:
    """GLN-13 of an SGLN/PGLN: company prefix, location reference, check digit."""
    payload = company_prefix + location_ref
    return payload + str(gtin_check_digit(payload))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "store.sqlite")
    try:
        yield opened
    finally:
        opened.close()


def load(store: EmbeddedStore, *paths: Path) -> list[Any]:
    report = load_files(store, list(paths), lambda p: parse_epcis_file(p, store=store))
    assert report.rejected == 0, [f.error for f in report.files]
    return report.files


def reach(store: EmbeddedStore, seed: str, direction: Direction) -> set[str]:
    return set(store.reach([seed], direction=direction).ids)


# -- the published examples --------------------------------------------------------------------


@pytest.mark.shared_data
def test_gs1_classic_identifiers_are_mapped_to_element_strings() -> None:
    batch, _ = parse_epcis_file(GS1 / "JSON" / "Example_9.6.3-AggregationEvent.jsonld")
    ids = {n.id for n in batch.nodes}
    # GS1's long-standing example keys: GTIN 10614141073464, SSCC 106141412345678908.
    assert "(01)10614141073464(21)2017" in ids
    assert "(00)106141412345678908" in ids
    assert gtin("0614141", "107346") == "10614141073464"


@pytest.mark.parametrize(
    "path",
    [
        GS1 / "JSON" / "Example_9.6.4-TransformationEvent.jsonld",
        GS1 / "XML" / "Mimasu" / "Example4.xml",
    ],
    ids=lambda p: p.name,
)
def test_transformation_output_traces_back_to_every_input(store: EmbeddedStore, path: Path) -> None:
    load(store, path)
    output = f"(01){gtin('4012345', '077889')}(21)25"
    upstream = reach(store, output, Direction.BACKWARD)
    inputs = {
        f"(01){gtin('4012345', '011122')}(21)25",
        f"(01){gtin('4000001', '065432')}(21)99886655",
        f"(01){gtin('4012345', '011111')}(10)4444",
        f"(01){gtin('0614141', '077777')}(10)987",
    }
    assert inputs <= upstream
    lot_less = [i for i in upstream if i.startswith(f"(01){gtin('4012345', '066666')}@")]
    assert len(lot_less) == 1
    steps = store.list_nodes(kind=NodeKind.PROCESS_STEP)
    assert len(steps) == 1 and steps[0].id in upstream
    consumed = {
        e.source: (e.qty, e.unit)
        for e in store.edges_of([steps[0].id], side="in", types=frozenset({EdgeType.CONSUMED_BY}))
    }
    assert consumed[f"(01){gtin('4012345', '011111')}(10)4444"] == (10.0, "kg")
    assert consumed[f"(01){gtin('0614141', '077777')}(10)987"] == (30.0, "pcs")
    assert consumed[lot_less[0]] == (220.0, "pcs")
    where = store.edges_of([steps[0].id], types=frozenset({EdgeType.ON}))
    assert [e.target for e in where] == [f"location:(414){gln('4012345', '00001')}"]
    # the outputs are the four SGTINs; nothing downstream of an input but the step's outputs
    downstream = reach(store, f"(01){gtin('4012345', '011111')}(10)4444", Direction.FORWARD)
    assert {f"(01){gtin('4012345', '077889')}(21){s}" for s in (25, 26, 27, 28)} <= downstream


@pytest.mark.shared_data
def test_aggregation_pallet_holds_its_children(store: EmbeddedStore) -> None:
    load(store, GS1 / "XML" / "Mimasu" / "Example3.xml")
    pallet = "(00)106141412345678908"
    packed = {
        e.source: (e.qty, e.unit)
        for e in store.edges_of([pallet], side="in", types=frozenset({EdgeType.PACKED_IN}))
    }
    lot = f"(01){gtin('4012345', '012345')}(10)998877"
    assert packed[lot] == (200.5, "kg")
    assert packed["(01)10614141073464(21)2017"] == (1.0, "pcs")
    assert packed["(01)10614141073464(21)2018"] == (1.0, "pcs")
    lot_less = [s for s in packed if s.startswith(f"(01){gtin('4012345', '098765')}@")]
    assert len(lot_less) == 1 and packed[lot_less[0]] == (10.0, "pcs")
    assert len(packed) == 4
    assert store.resolve("urn:epc:id:sscc:0614141.1234567890") == pallet


@pytest.mark.shared_data
def test_receiving_makes_a_supplier_lot(store: EmbeddedStore) -> None:
    load(store, GS1 / "JSON" / "Example_9.6.2-ObjectEvent.jsonld")
    lot = store.resolve("urn:epc:class:lgtin:4012345.012345.998877")
    assert lot == f"(01){gtin('4012345', '012345')}(10)998877"
    supplied = store.edges_of([lot], side="in", types=frozenset({EdgeType.SUPPLIED}))
    assert len(supplied) == 1
    assert (supplied[0].qty, supplied[0].unit) == (200.0, "kg")
    supplier = store.get_nodes([supplied[0].source])[supplied[0].source]
    assert supplier.kind is NodeKind.SUPPLIER
    assert supplier.id == f"supplier:(417){gln('4012345', '00001')}"
    assert supplier.id in reach(store, lot, Direction.BACKWARD)


def test_pharma_chain_reaches_the_wholesaler_and_reloads_unchanged(store: EmbeddedStore) -> None:
    first = load(store, PHARMA)[0]
    lot = store.resolve("urn:epc:class:lgtin:030001.0012345.A123")
    assert lot == f"(01){gtin('030001', '0012345')}(10)A123"
    assert store.resolve(f"(01){gtin('030001', '0012345')}(21)11") is not None
    downstream = reach(store, lot, Direction.FORWARD)
    case_110 = f"(01){gtin('030001', '1012345')}(21)110"
    pallet = store.resolve("urn:epc:id:sscc:030001.41234567890")
    shipment = "urn:epcglobal:cbv:bt:0300011111215:DEL100"
    customer = "customer:(417)0399999999991"
    assert {case_110, pallet, shipment, customer} <= downstream
    nodes = store.get_nodes([customer, lot])
    assert nodes[customer].name == "GS1 Drug Distributor"
    assert nodes[customer].props["region"] == "US"
    assert nodes[lot].name == "Epcistra lot A123"
    assert nodes[lot].props["expires_at"] == "2025-03-27"
    upstream = reach(store, customer, Direction.BACKWARD)
    units = {f"(01){gtin('030001', '0012345')}(21){serial}" for serial in range(11, 23)}
    assert units <= upstream
    assert first.warnings == []
    second = load(store, PHARMA)[0].result
    assert second.nodes_added == second.edges_added == second.aliases_added == 0
    assert second.nodes_updated == second.edges_updated == 0
    assert second.nodes_unchanged == first.result.nodes_added


@pytest.mark.shared_data
def test_the_seven_serialisations_of_one_event_store_one(store: EmbeddedStore) -> None:
    folder = GS1 / "XML" / "WithEventHashID"
    paths = sorted(folder.iterdir())
    assert len(paths) == 7
    outcomes = load(store, *paths)
    stats_after_all = store.stats()
    assert outcomes[0].result.nodes_added > 0
    for outcome in outcomes[1:]:
        assert outcome.result.nodes_added == outcome.result.edges_added == 0
        assert outcome.result.nodes_updated == outcome.result.edges_updated == 0
    assert stats_after_all.node_total == outcomes[0].result.nodes_added
    assert stats_after_all.edge_total == outcomes[0].result.edges_added


def test_master_data_document_names_parties_stored_earlier(
    store: EmbeddedStore, tmp_path: Path
) -> None:
    party = "urn:epc:id:sgln:0614141.00777.0"
    shipping = {
        "type": "ObjectEvent",
        "action": "OBSERVE",
        "bizStep": "shipping",
        "eventTime": "2024-01-01T00:00:00Z",
        "eventTimeZoneOffset": "+00:00",
        "epcList": ["urn:epc:id:sscc:0614141.1234567890"],
        "destinationList": [{"type": "owning_party", "destination": party}],
    }
    events = tmp_path / "events.json"
    events.write_text(
        json.dumps(
            {
                "@context": ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"],
                "type": "EPCISDocument",
                "schemaVersion": "2.0",
                "creationDate": "2024-01-01T00:00:00Z",
                "epcisBody": {"eventList": [shipping]},
            }
        )
    )
    master = tmp_path / "master.xml"
    master.write_text(
        '<epcismd:EPCISMasterDataDocument xmlns:epcismd="urn:epcglobal:epcis-masterdata:xsd:2"'
        ' schemaVersion="2.0" creationDate="2024-01-01T00:00:00Z"><EPCISBody><VocabularyList>'
        '<Vocabulary type="urn:epcglobal:epcis:vtype:Location"><VocabularyElementList>'
        f'<VocabularyElement id="{party}">'
        '<attribute id="urn:epcglobal:cbv:mda#name">Clinic North</attribute>'
        '<attribute id="urn:epcglobal:cbv:mda#city">Lyon</attribute>'
        "</VocabularyElement></VocabularyElementList></Vocabulary></VocabularyList>"
        "</EPCISBody></epcismd:EPCISMasterDataDocument>"
    )
    load(store, events)
    outcome = load(store, master)[0]
    customer = f"customer:(417){gln('0614141', '00777')}"
    node = store.get_nodes([customer])[customer]
    assert node.name == "Clinic North"
    assert node.props["address"] == "Lyon"
    assert "named 1 stored nodes" in outcome.warnings[0]
