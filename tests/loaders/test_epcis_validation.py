"""Every published must-reject EPCIS document is rejected for the right reason, naming where."""

from __future__ import annotations

from pathlib import Path

import pytest

from loaders.epcis import parse_epcis_file
from loaders.report import load_files
from tests.conftest import GS1_EPCIS, TEST_DATA
from traceapi.errors import InvalidInput
from traceapi.store.embedded import EmbeddedStore

CAPTURE = TEST_DATA / "openepcis-test-resources" / "2.0" / "EPCIS"
INVALID_DIRS = [CAPTURE / "JSON" / "Capture" / "Invalid", CAPTURE / "XML" / "Capture" / "Invalid"]

# file -> (event index or None for the document, field named, a phrase of the reason).
# Worked out by reading each file: what it gets wrong first.
EXPECTED: dict[str, tuple[int | None, str, str]] = {
    "Combination_of_events_with_missing_mandatory_fields.json": (0, "action", "required"),
    "Combination_of_multiple_invalid_fields.json": (0, "bizStep", "transforming"),
    "Combination_of_non_standard_bizStep_and_disposition.json": (0, "bizStep", "transforming"),
    "EPCISDocument_without_context.json": (None, "@context", "@context is missing"),
    "ObjectEvent_with_ilmd_field_without_namespace.json": (0, "ilmd.materialType", "no namespace"),
    "ObjectEvent_with_invalid_action.json": (0, "action", "'CREATE'"),
    "ObjectEvent_with_invalid_certificationInfo.json": (0, "certificationInfo", "URIs"),
    "ObjectEvent_with_invalid_eventTime_format.json": (0, "eventTime", "22-07-2026"),
    "ObjectEvent_with_non_standard_bizStep.json": (0, "bizStep", "non-standard bizStep"),
    "ObjectEvent_with_non_standard_bizStep_in_second_event.json": (1, "bizStep", "'transforming'"),
    "ObjectEvent_with_non_standard_disposition.json": (0, "disposition", "'in_transport'"),
    "ObjectEvent_with_quantity_as_text.json": (0, "quantityList.quantity", "'twenty'"),
    "ObjectEvent_with_unknown_field_in_quantityList.json": (
        0,
        "quantityList.weight",
        "unknown field 'weight'",
    ),
    "ObjectEvent_without_action_and_eventTime.json": (0, "eventTime", "required"),
    "ObjectEvent_without_identifier_list.json": (0, "epcList", "epcList or a quantityList"),
    "ObjectEvent_bare_event_without_action.xml": (0, "action", "action is required"),
    "ObjectEvent_with_invalid_action.xml": (0, "action", "'CREATE'"),
    "ObjectEvent_with_invalid_eventTime_format.xml": (0, "eventTime", "22-07-2026"),
    "ObjectEvent_with_near_miss_action.xml": (0, "action", "'OBSERV'"),
    "ObjectEvent_with_unknown_element.xml": (0, "madeUpField", "unknown element"),
    "ObjectEvent_with_wrong_element_order.xml": (0, "eventTime", "out of order"),
    "ObjectEvent_without_eventTime.xml": (0, "eventTime", "eventTime is required"),
}


def _invalid_files() -> list[Path]:
    return sorted(p for d in INVALID_DIRS for p in d.iterdir() if p.is_file())


def test_every_invalid_file_has_an_expected_reason() -> None:
    assert {p.name for p in _invalid_files()} == set(EXPECTED)


def _label(path: Path) -> str:
    return f"{path.parent.parent.parent.name}/{path.name}"


@pytest.mark.parametrize("path", _invalid_files(), ids=_label)
def test_invalid_document_is_rejected_naming_event_and_field(path: Path) -> None:
    event_index, field, phrase = EXPECTED[path.name]
    with pytest.raises(InvalidInput) as caught:
        parse_epcis_file(path)
    err = caught.value
    assert err.details["file"] == str(path)
    assert err.details.get("event_index") == event_index
    assert err.details["field"] == field
    assert phrase in err.message
    assert str(path) in err.message
    if event_index is not None:
        assert f"event #{event_index}" in err.message


@pytest.mark.shared_data
def test_rejected_file_stores_nothing_while_good_files_load(tmp_path: Path) -> None:
    good = GS1_EPCIS / "XML" / "Mimasu" / "Example2.xml"
    bad = INVALID_DIRS[1] / "ObjectEvent_with_near_miss_action.xml"
    store = EmbeddedStore(tmp_path / "s.sqlite")
    try:
        only_good = load_files(store, [good], parse_epcis_file)
        before = store.stats()
        report = load_files(store, [bad, good], parse_epcis_file)
        after = store.stats()
    finally:
        store.close()
    assert only_good.rejected == 0
    assert [f.status for f in report.files] == ["rejected", "loaded"]
    assert report.files[0].details["field"] == "action"
    assert (before.nodes, before.edges) == (after.nodes, after.edges)


def test_an_invalid_event_late_in_a_file_rejects_the_whole_file(tmp_path: Path) -> None:
    doc = (
        CAPTURE
        / "JSON"
        / "Capture"
        / "Invalid"
        / "ObjectEvent_with_non_standard_bizStep_in_second_event.json"
    )
    store = EmbeddedStore(tmp_path / "s.sqlite")
    try:
        report = load_files(store, [doc], parse_epcis_file)
        stats = store.stats()
    finally:
        store.close()
    assert report.rejected == 1
    assert stats.node_total == 0 and stats.edge_total == 0


@pytest.mark.parametrize(
    ("text", "field", "phrase"),
    [
        (b"<EPCISDocument><EPCISBody><EventList>", None, "not well-formed XML"),
        (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY e "x">]><d>&e;</d>', None, "unsafe XML"),
        (b"{not json", None, "not valid JSON"),
        (b"hello", None, "neither XML nor JSON"),
    ],
)
def test_malformed_bytes_are_rejected_without_a_crash(
    tmp_path: Path, text: bytes, field: str | None, phrase: str
) -> None:
    path = tmp_path / "doc.bin"
    path.write_bytes(text)
    with pytest.raises(InvalidInput) as caught:
        parse_epcis_file(path)
    assert phrase in caught.value.message
    assert caught.value.details["file"] == str(path)


QUERY_INVALID = {
    "QueryDocument_with_invalid_action.json": ("action", "'INVALIDACTION'"),
    "QueryDocument_with_invalid_eventType.json": ("type", "ObjectEventInvalid"),
    "QueryDocument_with_invalid_action.xml": ("action", "'INVALIDACTION'"),
    "QueryDocument_with_invalid_eventType.xml": ("type", "ObjectEventInvalid"),
    "QueryDocument_with_missing_value.xml": ("EventList", "EventList is missing"),
}


@pytest.mark.parametrize(
    "path",
    sorted(
        p for syntax in ("JSON", "XML") for p in (CAPTURE / syntax / "Query" / "Invalid").iterdir()
    ),
    ids=_label,
)
def test_invalid_query_result_documents_are_rejected(path: Path) -> None:
    field, phrase = QUERY_INVALID[path.name]
    with pytest.raises(InvalidInput) as caught:
        parse_epcis_file(path)
    assert caught.value.details["field"] == field
    assert phrase in caught.value.message


@pytest.mark.parametrize(
    "path",
    sorted(
        p
        for syntax in ("JSON", "XML")
        for p in (CAPTURE / syntax / "Query").iterdir()
        if p.is_file() and p.name != "JumbledFieldsOrder.xml"
    ),
    ids=_label,
)
def test_query_result_documents_load_like_capture_documents(path: Path) -> None:
    batch, _ = parse_epcis_file(path)
    assert batch.source == str(path)
