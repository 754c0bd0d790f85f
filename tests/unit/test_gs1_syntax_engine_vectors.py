"""Every literal test vector of GS1's own syntax engine (gs1encoders) against our GS1 parsers.

Vectors: tests.conftest.TEST_DATA / gs1-syntax-engine / gs1-syntax-engine-unit-test-vectors.json
(extracted from the C library's unit tests; each keeps its source file and line). Encoder settings
recorded for a vector become the matching keyword arguments of our functions.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import TEST_DATA
from traceapi.domain.gs1 import GS1Error
from traceapi.domain.gs1.digital_link import (
    build_digital_link,
    escape,
    parse_digital_link,
    unescape,
)
from traceapi.domain.gs1.element_string import (
    check_exclusions,
    check_repeats,
    check_requisites,
    check_signature_key,
    error_markup,
    parse_bracketed,
    parse_caret,
)
from traceapi.domain.gs1.scan_data import generate_scan_data, process_scan_data

VECTOR_FILE = TEST_DATA / "gs1-syntax-engine" / "gs1-syntax-engine-unit-test-vectors.json"
VECTORS: list[dict[str, Any]] = json.loads(VECTOR_FILE.read_text(encoding="utf-8"))["vectors"]

# The C library names symbologies by its own enum; ours are display names.
SYMBOLOGY_NAMES = {
    "QR": {"QR Code", "GS1 QR Code"},
    "DM": {"Data Matrix", "GS1 DataMatrix"},
    "DotCode": {"DotCode", "GS1 DotCode"},
    "DataBarExpanded": {"GS1 DataBar / composite"},
    "GS1_128_CCA": {"GS1-128"},
    "EAN13": {"EAN-13"},
    "EAN8": {"EAN-8"},
}
# dl.c sets ctx->permitConvenienceAlphas directly (no API call, so not recorded) for these lines.
CONVENIENCE_ALPHA_LINES = range(1437, 1440)


def _of(macro: str) -> list[Any]:
    chosen = [v for v in VECTORS if v["macro"] == macro]
    return [pytest.param(v, id=f"{v['source'].rsplit('/', 1)[-1]}:{v['line']}") for v in chosen]


def _settings(vector: dict[str, Any]) -> dict[str, str]:
    return vector.get("encoder_settings_changed_earlier_in_test_function", {})


def _flag(vector: dict[str, Any], name: str) -> bool:
    return _settings(vector).get(name, "false").strip() == "true"


def _unknown_ai_attributes(vector: dict[str, Any]) -> bool:
    """The "unknown AI is not a DL attribute" validation is on unless the vector turned it off."""
    setting = _settings(vector).get("setValidationEnabled", "")
    return "UNKNOWN_AI_NOT_DL_ATTR" in setting and setting.strip().endswith("false")


def test_every_vector_kind_is_covered() -> None:
    covered = {
        "test_parseAIdata",
        "test_processAIdata",
        "test_validateAIs",
        "test_errMarkup",
        "test_testGenerateScanData",
        "test_testProcessScanData",
        "test_parseDLuri",
        "test_testGenerateDLuri",
        "test_URIunescape",
        "test_URIescape",
    }
    assert {v["macro"] for v in VECTORS} == covered
    assert len(VECTORS) == 455


@pytest.mark.parametrize("vector", _of("test_parseAIdata"))
def test_parse_bracketed(vector: dict[str, Any]) -> None:
    if vector["should_succeed"]:
        message = parse_bracketed(vector["bracketed_input"])
        assert message.as_unbracketed() == vector["expected_unbracketed"]
    else:
        with pytest.raises(GS1Error) as caught:
            parse_bracketed(vector["bracketed_input"])
        assert caught.value.message


@pytest.mark.parametrize("vector", _of("test_processAIdata"))
def test_process_ai_data(vector: dict[str, Any]) -> None:
    data = vector["input_unbracketed"]
    if vector["should_succeed"]:
        message = parse_caret(data)
        # every character but the separators lands in an AI or a value, in order
        assert "".join(e.ai + e.value for e in message.elements) == data.replace("^", "")
        assert parse_caret(message.as_unbracketed()) == message
    else:
        with pytest.raises(GS1Error) as caught:
            parse_caret(data)
        assert caught.value.message


VALIDATORS = {
    "validateAIrepeats": check_repeats,
    "validateAImutex": check_exclusions,
    "validateAIrequisites": check_requisites,
    "validateDigSigRequiresSerialisedKey": check_signature_key,
}


@pytest.mark.parametrize("vector", _of("test_validateAIs"))
def test_validate_ai_combinations(vector: dict[str, Any]) -> None:
    message = parse_bracketed(
        vector["ai_data_bracketed"], permit_unknown_ais=_flag(vector, "setPermitUnknownAIs")
    )
    validate = VALIDATORS[vector["validation_function"]]
    if vector["should_succeed"]:
        validate(message)
    else:
        with pytest.raises(GS1Error) as caught:
            validate(message)
        assert "AI (" in caught.value.message


@pytest.mark.parametrize("vector", _of("test_errMarkup"))
def test_error_markup(vector: dict[str, Any]) -> None:
    text = vector["ai_data_bracketed"]
    with pytest.raises(GS1Error) as caught:
        parse_bracketed(text)
    assert error_markup(text, caught.value) == vector["expected_markup"]


@pytest.mark.parametrize("vector", _of("test_testGenerateScanData"))
def test_generate_scan_data(vector: dict[str, Any]) -> None:
    produced = generate_scan_data(
        vector["symbology"],
        vector["input_data"],
        add_check_digit=_flag(vector, "setAddCheckDigit"),
    )
    assert produced == vector["expected_scan_data"]


@pytest.mark.parametrize("vector", _of("test_testProcessScanData"))
def test_process_scan_data(vector: dict[str, Any]) -> None:
    if vector["should_succeed"]:
        result = process_scan_data(vector["scan_data"])
        assert result.symbology in SYMBOLOGY_NAMES[vector["expected_symbology"]]
        assert result.data == vector["expected_data"]
    else:
        with pytest.raises(GS1Error) as caught:
            process_scan_data(vector["scan_data"])
        assert caught.value.message


@pytest.mark.parametrize("vector", _of("test_parseDLuri"))
def test_parse_digital_link(vector: dict[str, Any]) -> None:
    options = {
        "permit_zero_suppressed_gtin": _flag(vector, "setPermitZeroSuppressedGTINinDLuris"),
        "permit_convenience_alphas": vector["line"] in CONVENIENCE_ALPHA_LINES,
        "permit_unknown_ais": _flag(vector, "setPermitUnknownAIs"),
        "unknown_ai_attributes": _unknown_ai_attributes(vector),
    }
    if vector["should_succeed"]:
        link = parse_digital_link(vector["dl_uri"], **options)
        assert link.message.as_unbracketed() == vector["expected_unbracketed"]
    else:
        with pytest.raises(GS1Error) as caught:
            parse_digital_link(vector["dl_uri"], **options)
        assert caught.value.message


@pytest.mark.parametrize("vector", _of("test_testGenerateDLuri"))
def test_build_digital_link(vector: dict[str, Any]) -> None:
    permit_unknown = _flag(vector, "setPermitUnknownAIs")

    def build() -> str:
        message = parse_bracketed(vector["bracketed_ai_data"], permit_unknown_ais=permit_unknown)
        return build_digital_link(
            message,
            stem=vector["stem"],
            unknown_ai_attributes=_unknown_ai_attributes(vector),
        )

    if vector["should_succeed"]:
        assert build() == vector["expected_dl_uri"]
    else:
        with pytest.raises(GS1Error):
            build()


@pytest.mark.parametrize("vector", _of("test_URIunescape"))
def test_uri_unescape(vector: dict[str, Any]) -> None:
    assert unescape(vector["input"]) == vector["expected_path_unescape"]
    assert unescape(vector["input"], query=True) == vector["expected_query_unescape"]


@pytest.mark.parametrize("vector", _of("test_URIescape"))
def test_uri_escape(vector: dict[str, Any]) -> None:
    assert escape(vector["input"]) == vector["expected_path_escape"]
    assert escape(vector["input"], query=True) == vector["expected_query_escape"]
