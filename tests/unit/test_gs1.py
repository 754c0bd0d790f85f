"""Our GS1 rules beyond the published vectors: aliases, EPC URNs, dates, and lookup keys."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from traceapi.domain.gs1 import (
    GS1Error,
    full_year,
    gln_aliases,
    gtin_check_digit,
    lgtin_urn,
    lookup_keys,
    lot_aliases,
    parse_digital_link,
    parse_epc_urn,
    parse_identifier,
    sgln_urn,
    sgtin_urn,
    sscc_aliases,
    sscc_urn,
    unit_aliases,
    verify_check_digit,
    with_check_digit,
)
from traceapi.domain.gs1.checks import CSET82
from traceapi.domain.gs1.digital_link import escape, unescape
from traceapi.domain.gs1.element_string import parse_bracketed, parse_unbracketed
from traceapi.errors import InvalidInput

GTIN = "09506000134352"
GS = "\x1d"


# --- check digits ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "key",
    ["09506000134352", "4006381333931", "96385074", "106141412345678908", "0614141123452"],
)
def test_published_keys_have_valid_check_digits(key: str) -> None:
    assert verify_check_digit(key)
    assert gtin_check_digit(key[:-1]) == int(key[-1])


@given(st.text(alphabet="0123456789", min_size=7, max_size=17), st.integers(1, 9))
def test_a_changed_digit_breaks_the_check(payload: str, delta: int) -> None:
    key = with_check_digit(payload)
    assert verify_check_digit(key)
    changed = key[:-1] + str((int(key[-1]) + delta) % 10)
    assert not verify_check_digit(changed)


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yy", "today", "year"),
    [
        (26, dt.date(2026, 6, 1), 2026),
        (76, dt.date(2026, 6, 1), 2076),  # 50 years ahead: still ahead
        (77, dt.date(2026, 6, 1), 1977),  # 51 ahead: the previous century
        (0, dt.date(2049, 1, 1), 2000),  # 49 behind: still behind
        (0, dt.date(2050, 1, 1), 2100),  # 50 behind: the next century
        (99, dt.date(2000, 1, 1), 1999),
    ],
)
def test_century_window(yy: int, today: dt.date, year: int) -> None:
    assert full_year(yy, today=today) == year


def test_day_zero_is_the_end_of_the_month_only_where_allowed() -> None:
    message = parse_bracketed("(01)09506000134352(17)240200(11)240229")
    assert message.expiry == dt.date(2024, 2, 29)
    with pytest.raises(GS1Error, match=r"AI \(7006\)"):
        parse_bracketed("(01)09506000134352(7006)240200")  # yymmdd: no day 00


@pytest.mark.parametrize("text", ["(17)250229", "(17)251301", "(11)250431", "(17)25013"])
def test_impossible_dates_are_rejected_naming_the_ai(text: str) -> None:
    with pytest.raises(GS1Error) as caught:
        parse_bracketed(text)
    assert text[:4] in caught.value.message


def test_gs1_error_is_invalid_input_with_details() -> None:
    with pytest.raises(InvalidInput) as caught:
        parse_bracketed("(01)09506000134353")
    error = caught.value
    assert isinstance(error, GS1Error)
    assert error.code == "INVALID_INPUT" and error.exit_code == 2
    assert error.details == {"ai": "01"}
    assert "check digit" in error.message and "expected 2" in error.message


# --- element strings --------------------------------------------------------------------------


def test_lot_and_serial_limits() -> None:
    assert parse_bracketed("(10)" + "A" * 20).lot == "A" * 20
    with pytest.raises(GS1Error, match="too long"):
        parse_bracketed("(10)" + "A" * 21)
    with pytest.raises(GS1Error, match="not allowed"):
        parse_bracketed("(21)SERIAL#1")  # '#' is outside GS1 set 82


def test_unbracketed_with_gs_and_symbology_identifiers() -> None:
    data = f"01{GTIN}10LOT-1{GS}17281231{GS}21S/1"
    for prefix in ("]d2", "]C1", "]Q3", "]e0", "]J1"):
        parsed = parse_identifier(prefix + data)
        assert (parsed.gtin, parsed.lot, parsed.serial) == (GTIN, "LOT-1", "S/1")
        assert parsed.message is not None and parsed.message.expiry == dt.date(2028, 12, 31)
    assert parse_unbracketed(data).as_bracketed() == f"(01){GTIN}(10)LOT-1(17)281231(21)S/1"


# --- EPC URNs ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("urn", "field", "key"),
    [
        ("urn:epc:id:sgtin:0614141.812345.6789", "gtin", "80614141123458"),
        ("urn:epc:class:lgtin:0614141.812345.998877", "gtin", "80614141123458"),
        ("urn:epc:id:sscc:0614141.1234567890", "sscc", "106141412345678908"),
        ("urn:epc:id:sgln:0614141.12345.400", "gln", "0614141123452"),
        ("urn:epc:id:pgln:0614141.12345", "gln", "0614141123452"),
    ],
)
def test_epc_urns_give_keys_with_check_digits(urn: str, field: str, key: str) -> None:
    parsed = parse_epc_urn(urn)
    assert getattr(parsed, field) == key
    assert parsed.company_prefix_length == 7
    assert parsed.canonical_urn() == urn


@pytest.mark.parametrize(
    "urn",
    [
        "urn:epc:id:sgtin:0614141.81234.6789",  # 12 digits, not 13
        "urn:epc:id:sgtin:0614141.812345",  # no serial
        "urn:epc:id:sgtin:06A4141.812345.1",
        "urn:epc:id:sgtin:0614141.812345." + "X" * 21,
        "urn:epc:id:grai:0614141.12345.1",  # a scheme we do not map to lots
    ],
)
def test_bad_epc_urns_are_rejected(urn: str) -> None:
    with pytest.raises(GS1Error):
        parse_epc_urn(urn)


@given(
    cpl=st.integers(6, 12),
    body=st.text(alphabet="0123456789", min_size=13, max_size=13),
    lot=st.text(alphabet=CSET82, min_size=1, max_size=20),
)
def test_lgtin_and_sgtin_round_trip(cpl: int, body: str, lot: str) -> None:
    gtin = with_check_digit(body)
    lgtin = parse_epc_urn(lgtin_urn(gtin, lot, company_prefix_length=cpl))
    assert (lgtin.gtin, lgtin.lot, lgtin.company_prefix_length) == (gtin, lot, cpl)
    sgtin = parse_epc_urn(sgtin_urn(gtin, lot, company_prefix_length=cpl))
    assert (sgtin.gtin, sgtin.serial) == (gtin, lot)
    assert lookup_keys(lgtin_urn(gtin, lot, company_prefix_length=cpl))[0] == f"(01){gtin}(10){lot}"


def test_sscc_and_sgln_urns() -> None:
    assert sscc_urn("106141412345678908", company_prefix_length=7) == (
        "urn:epc:id:sscc:0614141.1234567890"
    )
    assert sgln_urn("0614141123452", company_prefix_length=7) == "urn:epc:id:sgln:0614141.12345.0"


# --- aliases and lookup keys ------------------------------------------------------------------


def test_alias_builders() -> None:
    assert lot_aliases(GTIN, "A/1") == [f"(01){GTIN}(10)A/1"]
    assert lot_aliases("9506000134352", "A/1", company_prefix_length=7) == [
        f"(01){GTIN}(10)A/1",
        "urn:epc:class:lgtin:9506000.013435.A%2F1",
    ]
    assert unit_aliases(GTIN, "S1", company_prefix_length=7)[1] == (
        "urn:epc:id:sgtin:9506000.013435.S1"
    )
    assert sscc_aliases("106141412345678908") == ["(00)106141412345678908"]
    assert gln_aliases("0614141123452") == ["(414)0614141123452"]
    assert gln_aliases("0614141123452", "400", company_prefix_length=7) == [
        "(414)0614141123452(254)400",
        "urn:epc:id:sgln:0614141.12345.400",
    ]
    with pytest.raises(GS1Error, match="GTIN"):
        lot_aliases("09506000134353", "A")


LOT_KEY = f"(01){GTIN}(10)L/1"


@pytest.mark.parametrize(
    "text",
    [
        LOT_KEY,
        f"  {LOT_KEY}\n",
        f"]d201{GTIN}10L/1{GS}17281231",
        f"]C101{GTIN}17281231" + "10L/1",
        f"01{GTIN}10L/1",
        f"^01{GTIN}10L/1^17281231",
        f"https://example.com/01/{GTIN}/10/L%2F1?17=281231",
        f"HTTPS://example.com/some/stem/01/{GTIN}/10/L%2F1",
        f"https://id.gs1.org/gtin/{GTIN}/lot/L%2F1",
        "https://id.gs1.org/01/9506000134352/10/L%2F1",  # zero-suppressed GTIN-13
        f"]Q1https://example.com/01/{GTIN}/10/L%2F1",
        "urn:epc:class:lgtin:9506000.013435.L%2F1",
    ],
)
def test_every_form_of_a_lot_gives_the_canonical_key(text: str) -> None:
    assert lookup_keys(text)[0] == LOT_KEY


def test_units_come_before_their_lot_and_urns_are_kept() -> None:
    assert lookup_keys(f"(01){GTIN}(10)L1(21)S1") == [
        f"(01){GTIN}(21)S1",
        f"(01){GTIN}(10)L1",
    ]
    urn = "urn:epc:id:sgtin:9506000.013435.S1"
    assert lookup_keys(urn) == [f"(01){GTIN}(21)S1", urn]
    assert lookup_keys("(00)106141412345678908") == ["(00)106141412345678908"]
    assert lookup_keys("https://id.gs1.org/414/0614141123452/254/7") == ["(414)0614141123452(254)7"]


@pytest.mark.parametrize(
    "text",
    ["RM-2291", "F-0812", "lot 17", "", "   ", "(01)09506000134353(10)X", "urn:epc:id:foo:1",
     "https://example.com/products/42", "]XXabc", "(17)251399(10)A"],
)  # fmt: skip
def test_non_gs1_text_gives_no_keys(text: str) -> None:
    assert lookup_keys(text) == []


@given(st.text(max_size=60))
def test_lookup_keys_never_raises(text: str) -> None:
    keys = lookup_keys(text)
    assert isinstance(keys, list) and all(isinstance(k, str) and k for k in keys)


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=40))
def test_percent_encoding_round_trips(text: str) -> None:
    assert unescape(escape(text)) == text
    assert unescape(escape(text, query=True), query=True) == text


def test_digital_link_qualifier_order_is_enforced() -> None:
    with pytest.raises(GS1Error, match="not allowed after AI"):
        parse_digital_link(f"https://id.gs1.org/01/{GTIN}/21/S1/10/L1")
    link = parse_digital_link(f"https://id.gs1.org/01/{GTIN}/10/L1/21/S1?17=281231")
    assert link.qualifiers == ("10", "21")
    assert link.message.expiry == dt.date(2028, 12, 31)
