"""GS1 keys are checked at the door: every GTIN, SSCC and GLN an EPCIS document names, in any
field and any form, passes the GS1 code ``traceapi scan`` uses, or the document is rejected
naming file, event and field; and one GLN is one party whatever form it came in.

The bad keys are written by hand: each is a valid key with its last digit changed (the check
digit it should have is in the comment), or a URN whose company prefix and reference make one
digit too many."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from loaders.epcis import parse_epcis_document, parse_epcis_file
from loaders.report import load_files
from traceapi.domain.gs1 import GS1Error, parse_identifier
from traceapi.domain.model import NodeKind
from traceapi.errors import InvalidInput
from traceapi.store.embedded import EmbeddedStore

DATA = Path(__file__).parent / "data"
CONTEXT = ["https://ref.gs1.org/standards/epcis/2.0.0/epcis-context.jsonld"]
GOOD_LOT = "urn:epc:class:lgtin:4012345.012345.L1"  # GTIN 04012345123456

# (field, bad key, phrase of the reason): one per key type and form.
BAD_KEYS = [
    # Digital Link GTIN of a serial: 0401234512345 + check digit 6, written 7
    ("epcList", "https://id.gs1.org/01/04012345123457/21/S1", "check digit '7' (expected 6)"),
    # Digital Link GTIN with lot
    ("quantityList.epcClass", "https://id.gs1.org/01/04012345123457/10/L1", "expected 6"),
    # Digital Link GTIN-13 (zero-suppressed): 401234512345 + 6; not a GTIN-13, so not padded
    ("quantityList.epcClass", "https://id.gs1.org/01/4012345123457", "too short"),
    # Digital Link SSCC: 34012345000000001 + 7, written 8
    ("epcList", "https://id.gs1.org/00/340123450000000018", "check digit '8' (expected 7)"),
    # LGTIN URN: 7-digit prefix + 7-digit reference make a 15-digit GTIN
    ("quantityList.epcClass", "urn:epc:class:lgtin:4012345.0123456.L1", "must total 13 digits"),
    # SGTIN URN, the same
    ("epcList", "urn:epc:id:sgtin:4012345.0123456.S1", "must total 13 digits"),
    # SGTIN pattern (a GTIN class), the same
    ("quantityList.epcClass", "urn:epc:idpat:sgtin:4012345.0123456.*", "must total 13 digits"),
    # SSCC URN: prefix + serial reference must make 17 digits, here 18
    ("epcList", "urn:epc:id:sscc:4012345.00000000011", "must total 17 digits"),
]
PLACE_KEYS = [
    # Digital Link GLN: 401234500001 + 6, written 7
    ("readPoint", "https://id.gs1.org/414/4012345000017", "check digit '7' (expected 6)"),
    ("bizLocation", "https://id.gs1.org/414/4012345000017", "expected 6"),
    # SGLN URN: prefix + location reference must make 12 digits, here 13
    ("readPoint", "urn:epc:id:sgln:4012345.000011.0", "must total 12 digits"),
]
PARTY_KEYS = [
    ("sourceList", "https://id.gs1.org/417/4012345000017", "expected 6"),
    ("destinationList", "https://id.gs1.org/414/4012345000017", "expected 6"),
    ("destinationList", "urn:epc:id:pgln:4012345.000011", "must total 12 digits"),
]


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


def good_event() -> dict[str, Any]:
    return event(eventID="urn:uuid:good", quantityList=[{"epcClass": GOOD_LOT, "quantity": 1}])


def carrying(field: str, key: str) -> dict[str, Any]:
    """An event with ``key`` in ``field`` (the rest valid)."""
    fields: dict[str, Any] = {"eventID": "urn:uuid:bad"}
    if field == "epcList":
        fields["epcList"] = [key]
    elif field == "quantityList.epcClass":
        fields["quantityList"] = [{"epcClass": key, "quantity": 2, "uom": "KGM"}]
    elif field in ("readPoint", "bizLocation"):
        fields["quantityList"] = [{"epcClass": GOOD_LOT, "quantity": 1}]
        fields[field] = {"id": key}
    else:
        member = "source" if field == "sourceList" else "destination"
        fields["quantityList"] = [{"epcClass": GOOD_LOT, "quantity": 1}]
        fields["bizStep"] = "shipping"
        fields[field] = [{"type": "owning_party", member: key}]
    return event(**fields)


@pytest.mark.parametrize(("field", "key", "phrase"), BAD_KEYS + PLACE_KEYS + PARTY_KEYS)
def test_a_bad_key_rejects_the_document_naming_file_event_and_field(
    field: str, key: str, phrase: str
) -> None:
    data = document(good_event(), carrying(field, key))
    with pytest.raises(InvalidInput) as caught:
        parse_epcis_document(data, name="bad-keys.json")
    err = caught.value
    assert err.details == {
        "file": "bad-keys.json",
        "event_index": 1,
        "event_id": "urn:uuid:bad",
        "field": field,
    }
    assert phrase in err.message
    assert key in err.message


@pytest.mark.parametrize(("field", "key", "phrase"), BAD_KEYS + PLACE_KEYS + PARTY_KEYS)
def test_scan_refuses_the_same_keys(field: str, key: str, phrase: str) -> None:
    """The loader's verdict is the one ``traceapi scan`` gives (same code, same reason)."""
    if key.startswith("urn:epc:idpat:"):
        pytest.skip("scan reads no EPC patterns")
    with pytest.raises(GS1Error, match=phrase.replace("(", r"\(").replace(")", r"\)")):
        parse_identifier(key, check_dates=False)


@pytest.mark.parametrize(
    ("kind", "field"),
    [
        ("TransformationEvent", "inputQuantityList"),
        ("TransformationEvent", "outputEPCList"),
        ("AggregationEvent", "parentID"),
        ("AggregationEvent", "childEPCs"),
    ],
)
def test_keys_of_every_event_type_are_checked(kind: str, field: str) -> None:
    bad_gtin = "https://id.gs1.org/01/04012345123457/21/S1"
    bad_sscc = "https://id.gs1.org/00/340123450000000018"
    fields: dict[str, Any] = {}
    if kind == "TransformationEvent":
        fields["inputQuantityList"] = [{"epcClass": GOOD_LOT, "quantity": 1}]
        fields["outputEPCList"] = ["urn:epc:id:sgtin:4012345.012345.S9"]
        if field == "inputQuantityList":
            fields[field] = [{"epcClass": bad_gtin.replace("/21/S1", "/10/L1"), "quantity": 1}]
        else:
            fields[field] = [bad_gtin]
    else:
        fields["action"] = "ADD"
        fields["parentID"] = (
            bad_sscc if field == "parentID" else "urn:epc:id:sscc:4012345.0000000001"
        )
        fields["childEPCs"] = [
            bad_gtin if field == "childEPCs" else "urn:epc:id:sgtin:4012345.012345.S9"
        ]
    with pytest.raises(InvalidInput) as caught:
        parse_epcis_document(document(event(kind, **fields)), name="k.json")
    assert caught.value.details["field"].split(".")[0] == field


def test_valid_keys_in_every_form_load() -> None:
    """The same keys with their right check digits (and a GTIN-13, an SGLN extension 0 written
    as ``/254/0``) pass."""
    data = document(
        event(
            epcList=["https://id.gs1.org/01/04012345123456/21/S1"],
            quantityList=[{"epcClass": "https://id.gs1.org/01/4012345123456", "quantity": 1}],
            readPoint={"id": "https://id.gs1.org/414/4012345000016/254/0"},
            bizLocation={"id": "urn:epc:id:sgln:4012345.00001.0"},
        ),
        event(epcList=["https://id.gs1.org/00/340123450000000017"]),
    )
    batch, _ = parse_epcis_document(data, name="good.json")
    ids = {n.id for n in batch.nodes}
    assert {"(01)04012345123456(21)S1", "(00)340123450000000017"} <= ids


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EmbeddedStore]:
    opened = EmbeddedStore(tmp_path / "store.sqlite")
    try:
        yield opened
    finally:
        opened.close()


def test_one_gln_is_one_party_whatever_its_form(store: EmbeddedStore) -> None:
    """``gln-forms-*.json``: one supplier GLN 4012345000016 as an SGLN URN (extension 0), an
    SGLN with extension 7, a Digital Link ``/414/`` and a PGLN; one customer GLN 0614141000012
    (0614141 00001 + check digit 2) as a Digital Link ``/417/`` and an SGLN URN."""
    paths = sorted(DATA.glob("gln-forms-*.json"))
    assert len(paths) == 2
    report = load_files(store, paths, parse_epcis_file)
    assert [f.status for f in report.files] == ["loaded", "loaded"]
    suppliers = [n.id for n in store.iter_nodes() if n.kind is NodeKind.SUPPLIER]
    customers = [n.id for n in store.iter_nodes() if n.kind is NodeKind.CUSTOMER]
    assert suppliers == ["supplier:(417)4012345000016"]
    assert customers == ["customer:(417)0614141000012"]


def test_sensor_data_at_a_read_point_without_objects_is_accepted() -> None:
    """GS1's JSON Schema lets an ObjectEvent carry a sensorElementList and a readPoint and no
    EPC list (its published SensorDataExample1b does): it loads, maps to nothing, and says so;
    without the read point it is still refused."""
    sensor = {
        "sensorMetadata": {"time": "2024-03-01T09:00:00.000+01:00"},
        "sensorReport": [{"type": "Temperature", "value": 26.0, "uom": "CEL"}],
    }
    data = document(
        event(
            eventID="urn:uuid:sensor",
            readPoint={"id": "urn:epc:id:sgln:4012345.00005.0"},
            sensorElementList=[sensor],
        )
    )
    batch, warnings = parse_epcis_document(data, name="sensor.json")
    assert batch.nodes == [] and batch.edges == []
    assert any("sensor data" in w and "names no object" in w for w in warnings)
    with pytest.raises(InvalidInput, match="epcList or a quantityList") as caught:
        parse_epcis_document(
            document(event(eventID="urn:uuid:sensor", sensorElementList=[sensor])), name="s.json"
        )
    assert caught.value.details["field"] == "epcList"
