"""EPC identifiers (EPC URNs, GS1 Digital Link URIs) to graph node ids and their aliases.

Node ids use the GS1 element string, which both spellings yield without knowing the company
prefix length: a lot is ``(01)<gtin14>(10)<lot>``, a unit ``(01)<gtin14>(21)<serial>``, a pallet
``(00)<sscc18>``. The EPC URN, when the input carries or implies it, becomes an alias.

Every EPC is read once per process (``parse_epc`` is cached: validation reads it, mapping and
hashing read it again) and its node id and aliases are worked out on that first read.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import unquote, urlsplit

from traceapi.domain.gs1 import (
    EpcIdentifier,
    GS1Error,
    ParsedIdentifier,
    parse_epc_urn,
    parse_identifier,
)


class EpcRef(NamedTuple):
    """What one EPC names: its scheme, GS1 keys, and the node id and aliases it maps to.

    A named tuple, not a dataclass: refs are shared through the cache, so they must not change,
    and a frozen dataclass costs three times as much to make."""

    scheme: str
    """sgtin, lgtin, gtin (a class without lot), sscc, sgln, pgln, grai, giai or other."""
    text: str
    node_id: str
    """The graph id: the GS1 element string (same text as ``traceapi.domain.gs1``'s
    ``lot_aliases``/``unit_aliases``/``sscc_aliases``/``gln_aliases`` build)."""
    aliases: tuple[str, ...]
    """The other names a node of this ref answers to: its EPC URN and the text it came as."""
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    key: str | None = None
    """SSCC-18, GLN-13, GRAI or GIAI digits/characters for the non-GTIN schemes."""
    ext: str | None = None
    urn: str | None = None

    @property
    def digital_link(self) -> str:
        """The canonical GS1 Digital Link URI (used by the event hash); the text if none."""
        base = "https://id.gs1.org"
        if self.scheme == "lgtin":
            return f"{base}/01/{self.gtin}/10/{_dl_escape(self.lot or '')}"
        if self.scheme == "sgtin":
            return f"{base}/01/{self.gtin}/21/{_dl_escape(self.serial or '')}"
        if self.scheme == "gtin":
            return f"{base}/01/{self.gtin}"
        if self.scheme == "sscc":
            return f"{base}/00/{self.key}"
        if self.scheme == "sgln":
            return f"{base}/414/{self.key}" + (f"/254/{_dl_escape(self.ext)}" if self.ext else "")
        if self.scheme == "pgln":
            return f"{base}/417/{self.key}"
        if self.scheme == "grai":
            return f"{base}/8003/{_dl_escape(self.key or '')}"
        if self.scheme == "giai":
            return f"{base}/8004/{_dl_escape(self.key or '')}"
        return self.text


def _ref(
    scheme: str,
    text: str,
    *,
    gtin: str | None = None,
    lot: str | None = None,
    serial: str | None = None,
    key: str | None = None,
    ext: str | None = None,
    urn: str | None = None,
) -> EpcRef:
    """An EpcRef with its node id and aliases filled in."""
    if scheme == "lgtin":
        node_id = f"(01){gtin}(10){lot}"
    elif scheme == "sgtin":
        node_id = f"(01){gtin}(21){serial}"
    elif scheme == "gtin":
        node_id = f"(01){gtin}"
    elif scheme == "sscc":
        node_id = f"(00){key}"
    elif scheme == "sgln":
        node_id = f"(414){key}" + (f"(254){ext}" if ext else "")
    elif scheme == "pgln":
        node_id = f"(417){key}"
    elif scheme == "grai":
        node_id = f"(8003){key}"
    elif scheme == "giai":
        node_id = f"(8004){key}"
    else:
        node_id = text
    aliases: list[str] = []
    for candidate in (urn, text):
        if candidate and candidate != node_id and candidate not in aliases:
            aliases.append(candidate)
    return EpcRef(scheme, text, node_id, tuple(aliases), gtin, lot, serial, key, ext, urn)


class EpcKeys:
    """The keys of a decoded EPC URN under the names ``ParsedIdentifier`` gives them."""

    __slots__ = ("gln", "gln_extension", "gtin", "lot", "party_gln", "serial", "sscc")

    def __init__(self, epc: EpcIdentifier) -> None:
        self.gtin, self.lot, self.serial, self.sscc = epc.gtin, epc.lot, epc.serial, epc.sscc
        self.gln = epc.gln if epc.scheme == "sgln" else None
        self.party_gln = epc.gln if epc.scheme == "pgln" else None
        self.gln_extension = epc.extension


_CHECKED_SCHEMES = frozenset({"sgtin", "lgtin", "gtin", "sscc", "sgln", "pgln"})
"""Schemes whose keys ``gs1_key_problem`` checks with the GS1 code of ``traceapi scan``. GRAI
and GIAI (asset keys, never traced material) are read as before: the published openEPCIS
examples carry GRAIs with wrong check digits."""
_SGTIN_PATTERN = "urn:epc:idpat:sgtin:"


@lru_cache(maxsize=131_072)
def gs1_key_problem(text: str) -> str | None:
    """What is wrong with the GTIN, SSCC or GLN that ``text`` (an EPC URN, an SGTIN pattern or a
    Digital Link) names, by the rules ``traceapi scan`` applies (``traceapi.domain.gs1``: key
    lengths, check digits, character sets); None when it is valid or names no such key.

    The key that code decodes must also be the one ``parse_epc`` read (the node id is built from
    that), so a stored node is always found again by scanning its key. ValueError as
    ``parse_epc`` raises it for a malformed URN.
    """
    ref = parse_epc(text)
    if ref.scheme not in _CHECKED_SCHEMES:
        return None
    value = text.strip()
    if value.startswith(_SGTIN_PATTERN):
        # A class of an SGTIN pattern is the GTIN of its first two fields: checked as a serial.
        company, item = value[len(_SGTIN_PATTERN) :].split(".")[:2]
        value = f"urn:epc:id:sgtin:{company}.{item}.0"
    try:
        # What ``scan`` runs on the same text (``parse_identifier`` hands a URN to
        # ``parse_epc_urn``; called directly here, without the wrapper, on the load path).
        parsed: ParsedIdentifier | EpcKeys = (
            EpcKeys(parse_epc_urn(value))
            if value.startswith("urn:epc:")
            else parse_identifier(value, check_dates=False)
        )
    except GS1Error as err:
        return f"{text!r} is not a valid GS1 key: {err}"
    if ref.scheme in ("sgtin", "lgtin", "gtin"):
        decoded: tuple[str | None, ...] = (parsed.gtin,)
        read: tuple[str | None, ...] = (ref.gtin,)
        if ref.scheme == "sgtin":
            decoded, read = (parsed.gtin, parsed.serial), (ref.gtin, ref.serial)
        elif ref.scheme == "lgtin":
            decoded, read = (parsed.gtin, parsed.lot), (ref.gtin, ref.lot)
    elif ref.scheme == "sscc":
        decoded, read = (parsed.sscc,), (ref.key,)
    elif ref.scheme == "sgln":
        ext = parsed.gln_extension
        decoded = (parsed.gln, None if ext in (None, "0") else ext)
        read = (ref.key, ref.ext)
    else:
        decoded, read = (parsed.party_gln,), (ref.key,)
    if decoded != read:
        return f"{text!r} is not a GS1 {ref.scheme.upper()} key as GS1 reads it"
    return None


GLN_SCHEMES = frozenset({"sgln", "pgln"})
"""Schemes whose key is a GLN: a location (SGLN, ``/414/``) or a party (PGLN, ``/417/``)."""


def party_key(ref: EpcRef) -> str:
    """The one id part of a party, whatever form its GLN came in: ``(417)<gln>`` for an SGLN
    URN (any extension), a PGLN URN or a Digital Link ``/414/`` or ``/417/``; other URIs as
    they are. A party is its GLN: the extension of an SGLN names a place, not another party."""
    if ref.scheme in GLN_SCHEMES and ref.key:
        return f"(417){ref.key}"
    return ref.node_id


@lru_cache(maxsize=131_072)
def digital_link_of(text: str) -> str:
    """The canonical Digital Link of an EPC text, or the text when it is not a GS1 key."""
    try:
        return parse_epc(text).digital_link
    except ValueError:
        return text.strip()


_URI_SAFE = re.compile(r"^[A-Za-z0-9._~-]*$")


def _dl_escape(text: str) -> str:
    if _URI_SAFE.match(text):
        return text
    return "".join(c if c.isalnum() or c in "-._~" else f"%{ord(c):02X}" for c in text)


def _unescape(text: str) -> str:
    """URN percent-escapes decoded (most fields have none, so skip the decoder then)."""
    return unquote(text) if "%" in text else text


def _digits(text: str) -> bool:
    """ASCII digits only (``str.isdigit`` alone also admits ``²`` or Arabic-Indic digits,
    which no GS1 key may hold)."""
    return text.isdigit() and text.isascii()


def _check_digit_number(payload: str) -> str:
    """``payload`` followed by its GS1 mod-10 check digit (weights 3,1,3,... from the right);
    ValueError unless ``payload`` is digits. Digit sums come from the bytes (``ord('0')`` is
    48), summed in C."""
    if not _digits(payload):
        raise ValueError(f"{payload!r} is not all digits: no GS1 check digit")
    backwards = payload[::-1].encode("ascii")
    odd, even = backwards[::2], backwards[1::2]
    total = 3 * (sum(odd) - 48 * len(odd)) + sum(even) - 48 * len(even)
    return payload + str((10 - total % 10) % 10)


@lru_cache(maxsize=65_536)
def _gtin_from(company_prefix: str, item_ref: str) -> str:
    """The GTIN-14 of an SGTIN/LGTIN (cached: a document names few products, many times)."""
    return _check_digit_number(item_ref[:1] + company_prefix + item_ref[1:])


@lru_cache(maxsize=131_072)
def parse_epc(text: str) -> EpcRef:
    """Reads an EPC URN, EPC class/pattern URN or Digital Link URI; anything else is ``other``.

    Raises ValueError when an EPC URN of a known scheme is malformed (wrong field count, non-digit
    company prefix)."""
    value = text.strip()
    if value.startswith("urn:epc:"):
        return _parse_urn(value)
    if value.startswith(("http://", "https://")):
        ref = _parse_digital_link(value)
        if ref is not None:
            return ref
    return _ref("other", value)


_GS1_SCHEMES = frozenset({"sgtin", "lgtin", "sscc", "sgln", "pgln", "grai", "giai"})
_TWO_NUMERIC_FIELDS = frozenset({"sgtin", "lgtin", "sgln", "grai"})


def _parse_urn(value: str) -> EpcRef:
    parts = value.split(":", 4)
    if len(parts) != 5:
        return _ref("other", value)
    _, _, category, scheme, body = parts
    if scheme not in _GS1_SCHEMES or category not in ("id", "class", "idpat"):
        return _ref("other", value, urn=value)
    fields = body.split(".")
    count = len(fields)
    if category != "idpat" and not (
        _digits(fields[0])
        and (scheme not in _TWO_NUMERIC_FIELDS or count < 2 or _digits(fields[1]))
    ):
        raise ValueError(f"malformed EPC {value!r}: company prefix and reference must be digits")
    if category == "id":
        if scheme == "sgtin" and count == 3:
            return _ref(
                "sgtin",
                value,
                gtin=_gtin_from(fields[0], fields[1]),
                serial=_unescape(fields[2]),
                urn=value,
            )
        if scheme == "sscc" and count == 2:
            sscc = _check_digit_number(fields[1][:1] + fields[0] + fields[1][1:])
            return _ref("sscc", value, key=sscc, urn=value)
        if scheme == "sgln" and count == 3:
            ext = _unescape(fields[2])
            return _ref(
                "sgln",
                value,
                key=_check_digit_number(fields[0] + fields[1]),
                ext=None if ext == "0" else ext,
                urn=value,
            )
        if scheme == "pgln" and count == 2:
            return _ref("pgln", value, key=_check_digit_number(fields[0] + fields[1]), urn=value)
        if scheme == "grai" and count == 3:
            key = "0" + _check_digit_number(fields[0] + fields[1]) + _unescape(fields[2])
            return _ref("grai", value, key=key, urn=value)
        if scheme == "giai" and count == 2:
            return _ref("giai", value, key=fields[0] + _unescape(fields[1]), urn=value)
    elif category == "class":
        if scheme == "lgtin" and count == 3:
            return _ref(
                "lgtin",
                value,
                gtin=_gtin_from(fields[0], fields[1]),
                lot=_unescape(fields[2]),
                urn=value,
            )
    else:
        if scheme == "sgtin" and count == 3 and fields[2] == "*":
            if not (_digits(fields[0]) and _digits(fields[1])):
                raise ValueError(
                    f"malformed EPC {value!r}: company prefix and reference must be digits"
                )
            return _ref("gtin", value, gtin=_gtin_from(fields[0], fields[1]), urn=value)
        return _ref("other", value, urn=value)
    raise ValueError(f"malformed EPC {value!r}: wrong number of fields for {scheme}")


_DL_KEYS = ("01", "00", "414", "417", "8003", "8004")


def _parse_digital_link(value: str) -> EpcRef | None:
    segments = [unquote(s) for s in urlsplit(value).path.split("/") if s]
    pairs: dict[str, str] = {}
    for i in range(len(segments) - 1):
        if segments[i] in (*_DL_KEYS, "10", "21", "254") and segments[i] not in pairs:
            pairs[segments[i]] = segments[i + 1]
    if "01" in pairs and pairs["01"].isdigit() and len(pairs["01"]) <= 14:
        gtin = pairs["01"].zfill(14)
        if "21" in pairs:
            return _ref("sgtin", value, gtin=gtin, serial=pairs["21"])
        if "10" in pairs:
            return _ref("lgtin", value, gtin=gtin, lot=pairs["10"])
        return _ref("gtin", value, gtin=gtin)
    if "00" in pairs:
        return _ref("sscc", value, key=pairs["00"])
    if "414" in pairs:
        ext = pairs.get("254")
        return _ref("sgln", value, key=pairs["414"], ext=None if ext in (None, "0") else ext)
    if "417" in pairs:
        return _ref("pgln", value, key=pairs["417"])
    if "8003" in pairs:
        return _ref("grai", value, key=pairs["8003"])
    if "8004" in pairs:
        return _ref("giai", value, key=pairs["8004"])
    return None
