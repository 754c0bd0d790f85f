"""EPC URNs (SGTIN, LGTIN, SSCC, SGLN, PGLN) to GS1 keys and back.

The URN splits the GS1 company prefix from the rest with a dot, which is the only place we learn
the prefix length; element strings and Digital Link URIs do not carry it.
"""

from __future__ import annotations

from dataclasses import dataclass

from traceapi.domain.gs1.checks import CSET82, bad_char, verify_check_digit, with_check_digit
from traceapi.domain.gs1.errors import GS1Error

# CSET 82 characters that the EPC Tag Data Standard writes percent-encoded inside a URN.
_URN_ESCAPED = {'"': "%22", "%": "%25", "&": "%26", "/": "%2F", "<": "%3C", ">": "%3E", "?": "%3F"}
_SCHEMES = {
    "urn:epc:id:sgtin:": "sgtin",
    "urn:epc:class:lgtin:": "lgtin",
    "urn:epc:id:sscc:": "sscc",
    "urn:epc:id:sgln:": "sgln",
    "urn:epc:id:pgln:": "pgln",
}


@dataclass(frozen=True)
class EpcIdentifier:
    """A decoded EPC URN: the scheme, the GS1 key it stands for, and the prefix length."""

    urn: str
    scheme: str  # sgtin, lgtin, sscc, sgln, pgln
    company_prefix_length: int
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    sscc: str | None = None
    gln: str | None = None
    extension: str | None = None

    def canonical_urn(self) -> str:
        """The URN rebuilt from the key (canonical escaping)."""
        cpl = self.company_prefix_length
        if self.scheme == "sgtin":
            return sgtin_urn(self.gtin or "", self.serial or "", company_prefix_length=cpl)
        if self.scheme == "lgtin":
            return lgtin_urn(self.gtin or "", self.lot or "", company_prefix_length=cpl)
        if self.scheme == "sscc":
            return sscc_urn(self.sscc or "", company_prefix_length=cpl)
        if self.scheme == "sgln":
            return sgln_urn(self.gln or "", self.extension, company_prefix_length=cpl)
        return pgln_urn(self.gln or "", company_prefix_length=cpl)


def is_epc_urn(text: str) -> bool:
    return text.startswith("urn:epc:")


def escape_urn_part(text: str) -> str:
    """Percent-encode the characters the Tag Data Standard reserves inside URN parts."""
    return "".join(_URN_ESCAPED.get(char, char) for char in text)


_CSET82_CHARS = frozenset(CSET82)


def unescape_urn_part(text: str, *, what: str, urn: str) -> str:
    """Decode %XX escapes of a URN part; the result must be GS1 character set 82."""
    if "%" not in text:  # the common case: nothing to decode, one set test in C
        if not text or len(text) > 20 or not _CSET82_CHARS.issuperset(text):
            raise GS1Error(f"{what} in {urn!r} must be 1 to 20 GS1 characters (set 82)")
        return text
    out = []
    index = 0
    while index < len(text):
        if text[index] == "%":
            pair = text[index + 1 : index + 3]
            try:
                out.append(chr(int(pair, 16)) if len(pair) == 2 else "\x00")
            except ValueError:
                out.append("\x00")
            index += 3
            continue
        out.append(text[index])
        index += 1
    value = "".join(out)
    bad = bad_char(value, CSET82)
    if not value or bad is not None or len(value) > 20:
        raise GS1Error(f"{what} in {urn!r} must be 1 to 20 GS1 characters (set 82)")
    return value


def parse_epc_urn(urn: str) -> EpcIdentifier:
    """Decode an EPC pure-identity or class URN into GTIN-14/SSCC-18/GLN-13 with check digits."""
    scheme = next((name for prefix, name in _SCHEMES.items() if urn.startswith(prefix)), None)
    if scheme is None:
        raise GS1Error(f"unsupported EPC URN {urn!r} (expected sgtin, lgtin, sscc, sgln or pgln)")
    body = urn.split(":", 4)[4]
    expected = {"sgtin": 3, "lgtin": 3, "sscc": 2, "sgln": 3, "pgln": 2}[scheme]
    fields = body.split(".", expected - 1)  # a serial, lot or extension may itself hold dots
    if len(fields) != expected:
        raise GS1Error(f"{urn!r} must have {expected} dot-separated fields")
    prefix = fields[0]
    if not (prefix.isdigit() and prefix.isascii() and 6 <= len(prefix) <= 12):
        raise GS1Error(f"GS1 company prefix {prefix!r} in {urn!r} must be 6 to 12 digits")
    reference = fields[1]
    if not (reference.isdigit() or reference == "") or not reference.isascii():
        raise GS1Error(f"reference {reference!r} in {urn!r} must be digits")
    digits = len(prefix) + len(reference)
    cpl = len(prefix)
    if scheme in ("sgtin", "lgtin"):
        if digits != 13:
            raise GS1Error(f"company prefix and item reference in {urn!r} must total 13 digits")
        gtin = with_check_digit(reference[:1] + prefix + reference[1:])
        extra = unescape_urn_part(fields[2], what="serial" if scheme == "sgtin" else "lot", urn=urn)
        if scheme == "sgtin":
            return EpcIdentifier(urn, scheme, cpl, gtin=gtin, serial=extra)
        return EpcIdentifier(urn, scheme, cpl, gtin=gtin, lot=extra)
    if scheme == "sscc":
        if digits != 17:
            raise GS1Error(f"company prefix and serial reference in {urn!r} must total 17 digits")
        sscc = with_check_digit(reference[:1] + prefix + reference[1:])
        return EpcIdentifier(urn, scheme, cpl, sscc=sscc)
    if digits != 12:
        raise GS1Error(f"company prefix and location reference in {urn!r} must total 12 digits")
    gln = with_check_digit(prefix + reference)
    if scheme == "pgln":
        return EpcIdentifier(urn, scheme, cpl, gln=gln)
    extension = unescape_urn_part(fields[2], what="extension", urn=urn)
    return EpcIdentifier(
        urn, scheme, cpl, gln=gln, extension=None if extension == "0" else extension
    )


def _split_key(key: str, *, length: int, what: str, company_prefix_length: int) -> None:
    if len(key) != length or not verify_check_digit(key):
        raise GS1Error(f"{what} {key!r} must be {length} digits with a valid check digit")
    if not 6 <= company_prefix_length <= 12:
        raise GS1Error(f"GS1 company prefix length {company_prefix_length} must be 6 to 12")


def sgtin_urn(gtin14: str, serial: str, *, company_prefix_length: int) -> str:
    """``urn:epc:id:sgtin:<prefix>.<indicator+item ref>.<serial>``."""
    _split_key(gtin14, length=14, what="GTIN", company_prefix_length=company_prefix_length)
    prefix = gtin14[1 : 1 + company_prefix_length]
    reference = gtin14[0] + gtin14[1 + company_prefix_length : 13]
    return f"urn:epc:id:sgtin:{prefix}.{reference}.{escape_urn_part(serial)}"


def lgtin_urn(gtin14: str, lot: str, *, company_prefix_length: int) -> str:
    """``urn:epc:class:lgtin:<prefix>.<indicator+item ref>.<lot>``."""
    _split_key(gtin14, length=14, what="GTIN", company_prefix_length=company_prefix_length)
    prefix = gtin14[1 : 1 + company_prefix_length]
    reference = gtin14[0] + gtin14[1 + company_prefix_length : 13]
    return f"urn:epc:class:lgtin:{prefix}.{reference}.{escape_urn_part(lot)}"


def sscc_urn(sscc18: str, *, company_prefix_length: int) -> str:
    """``urn:epc:id:sscc:<prefix>.<extension digit+serial ref>``."""
    _split_key(sscc18, length=18, what="SSCC", company_prefix_length=company_prefix_length)
    prefix = sscc18[1 : 1 + company_prefix_length]
    reference = sscc18[0] + sscc18[1 + company_prefix_length : 17]
    return f"urn:epc:id:sscc:{prefix}.{reference}"


def sgln_urn(gln13: str, extension: str | None = None, *, company_prefix_length: int) -> str:
    """``urn:epc:id:sgln:<prefix>.<location ref>.<extension or 0>``."""
    _split_key(gln13, length=13, what="GLN", company_prefix_length=company_prefix_length)
    prefix, reference = gln13[:company_prefix_length], gln13[company_prefix_length:12]
    return f"urn:epc:id:sgln:{prefix}.{reference}.{escape_urn_part(extension or '0')}"


def pgln_urn(gln13: str, *, company_prefix_length: int) -> str:
    """``urn:epc:id:pgln:<prefix>.<party ref>``."""
    _split_key(gln13, length=13, what="GLN", company_prefix_length=company_prefix_length)
    return f"urn:epc:id:pgln:{gln13[:company_prefix_length]}.{gln13[company_prefix_length:12]}"
