"""Any accepted GS1 identifier form to the canonical alias strings a node may be stored under.

Loaders store every lot, unit, container and location under these aliases; ``lookup_keys``
gives the strings to try for whatever a person scanned or pasted.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from traceapi.domain.gs1.checks import verify_check_digit, with_check_digit
from traceapi.domain.gs1.digital_link import (
    DigitalLink,
    looks_like_digital_link,
    parse_digital_link,
)
from traceapi.domain.gs1.element_string import (
    GS,
    ElementString,
    parse_bracketed,
    parse_caret,
    parse_unbracketed,
)
from traceapi.domain.gs1.epc import (
    EpcIdentifier,
    is_epc_urn,
    lgtin_urn,
    parse_epc_urn,
    pgln_urn,
    sgln_urn,
    sgtin_urn,
    sscc_urn,
)
from traceapi.domain.gs1.errors import GS1Error
from traceapi.domain.gs1.scan_data import process_scan_data

_EDGE_WHITESPACE = " \t\r\n"


def normalise_gtin(gtin: str) -> str:
    """GTIN-8/12/13/14 to GTIN-14 (zero-padded); GS1Error if it is not one."""
    if len(gtin) not in (8, 12, 13, 14) or not verify_check_digit(gtin):
        raise GS1Error(f"{gtin!r} is not a GTIN (8, 12, 13 or 14 digits with a valid check digit)")
    return gtin.zfill(14)


def gtin_format(gtin: str) -> str:
    """ "GTIN-8", "GTIN-12", "GTIN-13" or "GTIN-14": the shortest form the number fits."""
    padded = normalise_gtin(gtin)
    if padded.startswith("000000"):
        return "GTIN-8"
    if padded.startswith("00"):
        return "GTIN-12"
    if padded.startswith("0"):
        return "GTIN-13"
    return "GTIN-14"


def upc_e_to_upc_a(upc_e: str) -> str:
    """Expand a zero-suppressed UPC-E (6 digits, or 7/8 with number system and check digit)
    to its 12-digit UPC-A."""
    digits = upc_e
    if len(digits) == 6:
        digits = "0" + digits
    body = digits[:7] if len(digits) >= 7 else ""
    if not (body.isdigit() and body.isascii() and body[0] in "01" and len(digits) in (7, 8)):
        raise GS1Error(f"{upc_e!r} is not a UPC-E number (6 digits, number system 0 or 1)")
    system, d = body[0], body[1:]
    last = d[5]
    if last in "012":
        core = d[0:2] + last + "0000" + d[2:5]
    elif last == "3":
        core = d[0:3] + "00000" + d[3:5]
    elif last == "4":
        core = d[0:4] + "00000" + d[4]
    else:
        core = d[0:5] + "0000" + last
    upc_a = with_check_digit(system + core)
    if len(digits) == 8 and digits[7] != upc_a[-1]:
        raise GS1Error(f"UPC-E {upc_e!r} has check digit {digits[7]}, expected {upc_a[-1]}")
    return upc_a


def _checked(key: str, length: int, what: str) -> str:
    if len(key) != length or not verify_check_digit(key):
        raise GS1Error(f"{key!r} is not an {what} ({length} digits with a valid check digit)")
    return key


def lot_aliases(gtin14: str, lot: str, *, company_prefix_length: int | None = None) -> list[str]:
    """``(01)<gtin14>(10)<lot>``, plus the LGTIN URN when the company prefix length is known."""
    gtin = normalise_gtin(gtin14)
    aliases = [f"(01){gtin}(10){lot}"]
    if company_prefix_length is not None:
        aliases.append(lgtin_urn(gtin, lot, company_prefix_length=company_prefix_length))
    return aliases


def unit_aliases(
    gtin14: str, serial: str, *, company_prefix_length: int | None = None
) -> list[str]:
    """``(01)<gtin14>(21)<serial>``, plus the SGTIN URN when the prefix length is known."""
    gtin = normalise_gtin(gtin14)
    aliases = [f"(01){gtin}(21){serial}"]
    if company_prefix_length is not None:
        aliases.append(sgtin_urn(gtin, serial, company_prefix_length=company_prefix_length))
    return aliases


def sscc_aliases(sscc18: str, *, company_prefix_length: int | None = None) -> list[str]:
    """``(00)<sscc18>``, plus the SSCC URN when the prefix length is known."""
    sscc = _checked(sscc18, 18, "SSCC")
    aliases = [f"(00){sscc}"]
    if company_prefix_length is not None:
        aliases.append(sscc_urn(sscc, company_prefix_length=company_prefix_length))
    return aliases


def gln_aliases(
    gln13: str, ext: str | None = None, *, company_prefix_length: int | None = None
) -> list[str]:
    """``(414)<gln13>`` (``(254)<ext>`` appended for a sub-location), plus the SGLN URN."""
    gln = _checked(gln13, 13, "GLN")
    extension = None if ext in (None, "", "0") else ext
    aliases = [f"(414){gln}" + (f"(254){extension}" if extension else "")]
    if company_prefix_length is not None:
        aliases.append(sgln_urn(gln, extension, company_prefix_length=company_prefix_length))
    return aliases


def party_aliases(gln13: str, *, company_prefix_length: int | None = None) -> list[str]:
    """``(417)<gln13>`` for a party (PGLN), plus the PGLN URN when the prefix length is known."""
    gln = _checked(gln13, 13, "GLN")
    aliases = [f"(417){gln}"]
    if company_prefix_length is not None:
        aliases.append(pgln_urn(gln, company_prefix_length=company_prefix_length))
    return aliases


@dataclass(frozen=True)
class ParsedIdentifier:
    """An identifier in any accepted form, decoded: which form, and the GS1 data it holds."""

    text: str
    form: str  # "element string", "scan data", "digital link", "epc urn"
    message: ElementString | None = None
    epc: EpcIdentifier | None = None
    digital_link: DigitalLink | None = None
    symbology: str | None = None
    payload: str | None = None
    """The text a non-GS1 symbology carried (``]Q1RM-2291`` carries ``RM-2291``)."""

    def value(self, ai: str) -> str | None:
        return self.message.get(ai) if self.message is not None else None

    @property
    def gtin(self) -> str | None:
        return self.epc.gtin if self.epc else self.value("01")

    @property
    def lot(self) -> str | None:
        return self.epc.lot if self.epc else self.value("10")

    @property
    def serial(self) -> str | None:
        return self.epc.serial if self.epc else self.value("21")

    @property
    def sscc(self) -> str | None:
        return self.epc.sscc if self.epc else self.value("00")

    @property
    def gln(self) -> str | None:
        """The location GLN (AI 414 or an SGLN); a party's GLN is ``party_gln``."""
        if self.epc:
            return self.epc.gln if self.epc.scheme == "sgln" else None
        return self.value("414")

    @property
    def party_gln(self) -> str | None:
        if self.epc:
            return self.epc.gln if self.epc.scheme == "pgln" else None
        return self.value("417")

    @property
    def gln_extension(self) -> str | None:
        return self.epc.extension if self.epc else self.value("254")

    def keys(self) -> list[str]:
        """Canonical aliases, most specific first (a unit before its lot)."""
        keys: list[str] = []
        if self.payload:
            keys.append(self.payload)
        cpl = self.epc.company_prefix_length if self.epc else None
        gtin = self.gtin
        if gtin is not None:
            if self.serial is not None:
                keys += unit_aliases(gtin, self.serial, company_prefix_length=cpl)
            if self.lot is not None:
                keys += lot_aliases(gtin, self.lot, company_prefix_length=cpl)
            if self.serial is None and self.lot is None:
                keys.append(f"(01){normalise_gtin(gtin)}")
        if self.sscc is not None:
            keys += sscc_aliases(self.sscc, company_prefix_length=cpl)
        if self.gln is not None:
            keys += gln_aliases(self.gln, self.gln_extension, company_prefix_length=cpl)
        if self.party_gln is not None:
            keys += party_aliases(self.party_gln, company_prefix_length=cpl)
        if self.epc is not None:
            keys.append(self.epc.urn)
        return list(dict.fromkeys(keys))


def parse_identifier(
    text: str, *, check_dates: bool = True, today: dt.date | None = None
) -> ParsedIdentifier:
    """Decode an element string (bracketed, "^" or GS-separated, with or without a symbology
    identifier such as ``]d2``), a Digital Link URI, or an EPC URN. GS1Error says what is wrong.
    """
    cleaned = text.strip(_EDGE_WHITESPACE)
    if not cleaned:
        raise GS1Error("empty identifier")
    if is_epc_urn(cleaned):
        return ParsedIdentifier(cleaned, "epc urn", epc=parse_epc_urn(cleaned))
    if cleaned.startswith("]"):
        scan = process_scan_data(cleaned, check_dates=check_dates, today=today)
        payload = None
        if scan.message is None:
            payload = scan.data.replace("\\^", "^").strip(_EDGE_WHITESPACE) or None
        return ParsedIdentifier(
            cleaned, "scan data", message=scan.message, symbology=cleaned[:3], payload=payload
        )
    if looks_like_digital_link(cleaned):
        link = parse_digital_link(cleaned, check_dates=check_dates, today=today)
        return ParsedIdentifier(cleaned, "digital link", message=link.message, digital_link=link)
    if cleaned.startswith("("):
        message = parse_bracketed(cleaned, check_dates=check_dates, today=today)
    elif cleaned.startswith("^"):
        message = parse_caret(cleaned, check_dates=check_dates, today=today)
    else:
        message = parse_unbracketed(cleaned, separators=(GS,), check_dates=check_dates, today=today)
    return ParsedIdentifier(cleaned, "element string", message=message)


def lookup_keys(text: str) -> list[str]:
    """The canonical alias strings to try for ``text``; [] when it is not a GS1 form.

    Never raises: "RM-2291" or a malformed barcode simply give no keys (use
    ``parse_identifier`` to learn what is wrong with a barcode).
    """
    try:
        return parse_identifier(text).keys()
    except GS1Error:
        return []
