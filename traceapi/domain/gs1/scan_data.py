"""What a barcode scanner sends: a symbology identifier (``]d2``, ``]C1``...) then the data."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from traceapi.domain.gs1.checks import verify_check_digit, with_check_digit
from traceapi.domain.gs1.digital_link import looks_like_digital_link, parse_digital_link
from traceapi.domain.gs1.element_string import (
    GS,
    ElementString,
    parse_caret,
    parse_unbracketed,
)
from traceapi.domain.gs1.errors import GS1Error


@dataclass(frozen=True)
class Symbology:
    """One symbology identifier and what it says about the data after it."""

    identifier: str
    name: str
    gs1: bool  # True: the data is GS1 AI data (FNC1 in first position)


SYMBOLOGIES: dict[str, Symbology] = {
    s.identifier: s
    for s in (
        Symbology("]C0", "Code 128", False),
        Symbology("]C1", "GS1-128", True),
        Symbology("]e0", "GS1 DataBar / composite", True),
        Symbology("]d1", "Data Matrix", False),
        Symbology("]d2", "GS1 DataMatrix", True),
        Symbology("]Q1", "QR Code", False),
        Symbology("]Q3", "GS1 QR Code", True),
        Symbology("]J0", "DotCode", False),
        Symbology("]J1", "GS1 DotCode", True),
        Symbology("]E0", "EAN-13", False),
        Symbology("]E4", "EAN-8", False),
        Symbology("]I1", "ITF-14", False),
    )
}


def split_symbology_identifier(text: str) -> tuple[str, str]:
    """``("]d2", rest)``; ``]Yn`` (system expansion) takes n more characters. Raises if absent."""
    if len(text) < 3 or text[0] != "]":
        raise GS1Error(f"no symbology identifier at the start of {text[:12]!r}")
    if text[1] == "Y" and text[2].isdigit():
        end = 3 + int(text[2])
        return text[:end], text[end:]
    return text[:3], text[3:]


@dataclass(frozen=True)
class ScanResult:
    """Scan data decoded: the symbology, the data in "^" notation, and its meaning."""

    symbology: str
    data: str
    message: ElementString | None


def process_scan_data(
    scan: str, *, check_dates: bool = True, today: dt.date | None = None
) -> ScanResult:
    """Decode scanner output. GS1 symbologies give "^"-notation AI data (GS becomes "^");
    plain ones give the text with "^" escaped as ``\\^`` (a Digital Link URI is checked);
    EAN/UPC give the digits, then ``|`` and any composite component."""
    identifier, data = split_symbology_identifier(scan)
    symbology = SYMBOLOGIES.get(identifier)
    if symbology is None:
        raise GS1Error(f"unknown symbology identifier {identifier!r}")
    if symbology.gs1:
        if not data:
            raise GS1Error(f"{identifier}: no GS1 data after the symbology identifier")
        if looks_like_digital_link(data):
            link = parse_digital_link(data, check_dates=check_dates, today=today)
            return ScanResult(symbology.name, data, link.message)
        caret = "^" + data.replace(GS, "^")
        message = parse_unbracketed(data, check_dates=check_dates, today=today)
        return ScanResult(symbology.name, caret, ElementString(message.elements, identifier))
    if identifier in ("]E0", "]E4"):
        return _ean(symbology, data, check_dates=check_dates, today=today)
    if looks_like_digital_link(data):
        link = parse_digital_link(data, check_dates=check_dates, today=today)
        return ScanResult(symbology.name, data, link.message)
    return ScanResult(symbology.name, data.replace("^", "\\^"), None)


def _ean(
    symbology: Symbology, data: str, *, check_dates: bool, today: dt.date | None
) -> ScanResult:
    digits, bar, composite = data.partition("|")
    width = 13 if symbology.identifier == "]E0" else 8
    if len(digits) != width or not digits.isdigit() or not verify_check_digit(digits):
        raise GS1Error(f"{symbology.identifier}: {digits!r} is not a {width}-digit EAN")
    text = digits
    elements = parse_unbracketed("01" + digits.zfill(14)).elements
    if bar:
        if not composite.startswith("]e0") or len(composite) == 3:
            raise GS1Error("the composite component must start with ]e0 and hold GS1 data")
        extra = parse_unbracketed(composite[3:], check_dates=check_dates, today=today)
        elements += extra.elements
        text += "|^" + composite[3:].replace(GS, "^")
    return ScanResult(symbology.name, text, ElementString(elements, symbology.identifier))


_GS1_PREFIX = {"QR": "]Q3", "DM": "]d2", "DotCode": "]J1"}
_PLAIN_PREFIX = {"QR": "]Q1", "DM": "]d1", "DotCode": "]J0"}


def generate_scan_data(symbology: str, data: str, *, add_check_digit: bool = False) -> str | None:
    """What a scanner would send for ``data`` (in "^" notation) encoded in ``symbology``;
    None when that symbology cannot carry it."""
    try:
        return _generate(symbology, data, add_check_digit=add_check_digit)
    except GS1Error:
        return None


def _gs1_body(caret_data: str) -> tuple[str, ElementString]:
    message = parse_caret(caret_data)
    return caret_data[1:].replace("^", GS), message


def _join_composite(primary: str, primary_message: ElementString, composite: str) -> str:
    body, _ = _gs1_body(composite)
    last = primary_message.elements[-1]
    separator = GS if last.definition.separator and not primary.endswith(GS) else ""
    return primary + separator + body


def _generate(symbology: str, data: str, *, add_check_digit: bool) -> str | None:
    if symbology in _GS1_PREFIX:
        if data.startswith("^"):
            return _GS1_PREFIX[symbology] + _gs1_body(data)[0]
        return _PLAIN_PREFIX[symbology] + data.replace("\\^", "^")
    primary, bar, composite = data.partition("|")
    if symbology in ("DataBarExpanded", "GS1_128_CCA", "GS1_128_CCC"):
        if not primary.startswith("^"):
            return None
        body, message = _gs1_body(primary)
        if not bar:
            return ("]C1" if symbology.startswith("GS1_128") else "]e0") + body
        return "]e0" + _join_composite(body, message, composite)
    if symbology in ("DataBarOmni", "DataBarLimited"):
        gtin = _gtin_of(primary, 14, add_check_digit=add_check_digit)
        if symbology == "DataBarLimited" and gtin[0] not in "01":
            return None
        body, message = _gs1_body("^01" + gtin)
        return "]e0" + (_join_composite(body, message, composite) if bar else body)
    widths = {"EAN13": 13, "UPCA": 12, "UPCE": 12, "EAN8": 8}
    if symbology in widths:
        digits = _gtin_of(primary, widths[symbology], add_check_digit=add_check_digit)
        text = ("]E4" + digits) if symbology == "EAN8" else ("]E0" + digits.zfill(13))
        if bar:
            text += "|]e0" + _gs1_body(composite)[0]
        return text
    return None


def _gtin_of(primary: str, width: int, *, add_check_digit: bool) -> str:
    """The ``width``-digit key from ``^01<gtin14>`` or bare digits, with a valid check digit."""
    if primary.startswith("^01"):
        gtin14 = primary[3:]
        if len(gtin14) != 14 or not verify_check_digit(gtin14):
            raise GS1Error(f"{gtin14!r} is not a GTIN-14")
        if gtin14[: 14 - width].strip("0"):
            raise GS1Error(f"GTIN {gtin14} does not fit in {width} digits")
        return gtin14[14 - width :]
    if add_check_digit:
        if len(primary) != width - 1 or not primary.isdigit():
            raise GS1Error(f"need {width - 1} digits to add a check digit")
        return with_check_digit(primary)
    if len(primary) != width or not verify_check_digit(primary):
        raise GS1Error(f"{primary!r} is not {width} digits with a valid check digit")
    return primary
