"""Cell conversion: numbers with either decimal mark, dates in local patterns, unit spellings."""

from __future__ import annotations

from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from loaders.csv_mapping import ISO, BundleMapping
from loaders.csv_values import datetime_converter, number_converter, scale

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "comma", "expected"),
    [
        ("1234.5", False, 1234.5),
        ("-0.25", False, -0.25),
        ("1e3", False, 1000.0),
        ("1.234,5", True, 1234.5),
        ("1 234,5", True, 1234.5),
        ("0,08", True, 0.08),
        ("500.000", True, 500000.0),
    ],
)
def test_numbers(text: str, comma: bool, expected: float) -> None:
    assert number_converter(decimal_comma=comma)(text) == expected


@pytest.mark.parametrize(
    ("text", "comma"), [("1,5", False), ("abc", True), ("nan", False), ("inf", True), ("", False)]
)
def test_not_numbers(text: str, comma: bool) -> None:
    with pytest.raises(ValueError):
        number_converter(decimal_comma=comma)(text)


def test_local_times_become_utc_across_daylight_saving() -> None:
    convert = datetime_converter(("%d.%m.%Y %H:%M", "%d.%m.%Y"), zone=BERLIN, date_only=False)
    assert convert("02.03.2026 08:00") == "2026-03-02T07:00:00Z"  # CET, +01:00
    assert convert("02.07.2026 08:00") == "2026-07-02T06:00:00Z"  # CEST, +02:00
    assert convert("02.07.2026") == "2026-07-02"  # a date stays a date
    with pytest.raises(ValueError, match="'%d.%m.%Y %H:%M'"):
        convert("2026-07-02")


def test_iso_forms() -> None:
    convert = datetime_converter((ISO,), zone=BERLIN, date_only=False)
    assert convert("2026-03-02T08:00:00+01:00") == "2026-03-02T07:00:00Z"
    assert convert("2026-03-02T07:00:00Z") == "2026-03-02T07:00:00Z"
    assert convert("2026-03-02 08:00") == "2026-03-02T07:00:00Z"  # naive: the mapping's zone
    assert convert("2026-03-02") == "2026-03-02"
    dates = datetime_converter((ISO,), zone=BERLIN, date_only=True)
    assert dates("2026-03-02T23:30:00") == "2026-03-02"
    with pytest.raises(ValueError, match="ISO 8601"):
        convert("02.03.2026")


@given(st.integers(0, 10**9), st.sampled_from(["0.001", "0.000001", "1000", "0.4536"]))
def test_scaling_is_exact_in_decimal(grams: int, factor: str) -> None:
    assert scale(float(grams), Decimal(factor)) == float(Decimal(grams) * Decimal(factor))


def test_units_known_synonyms_and_mapping_rules() -> None:
    mapping = BundleMapping.model_validate(
        {
            "defaults": {
                "units": {"G": {"to": "kg", "factor": "0.001"}, "Stk.": "pcs", "FASS": "drum"}
            },
            "extra_units": ["drum"],
        }
    ).resolve("lots")
    assert mapping.unit_of("KG") == ("kg", Decimal(1))
    assert mapping.unit_of("KGM") == ("kg", Decimal(1))
    assert mapping.unit_of("ea") == ("pcs", Decimal(1))
    assert mapping.unit_of("G") == ("kg", Decimal("0.001"))
    assert mapping.unit_of("g") == ("g", Decimal(1))  # the rule is for "G" only
    assert mapping.unit_of("Stk.") == ("pcs", Decimal(1))
    assert mapping.unit_of("FASS") == ("drum", Decimal(1))
    assert mapping.unit_of("furlong") is None
    plain = BundleMapping().resolve("lots")
    assert plain.unit_of("drum") is None
