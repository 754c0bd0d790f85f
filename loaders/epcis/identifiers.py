"""EPC identifiers (EPC URNs, GS1 Digital Link URIs) to graph node ids and their aliases.

Node ids use the GS1 element string, which both spellings yield without knowing the company
prefix length: a lot is ``(01)<gtin14>(10)<lot>``, a unit ``(01)<gtin14>(21)<serial>``, a pallet
``(00)<sscc18>``. The EPC URN, when the input carries or implies it, becomes an alias.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from urllib.parse import unquote, urlsplit


@dataclass(frozen=True, slots=True)
class EpcRef:
    """What one EPC names: its scheme, GS1 keys, and the node id and aliases it maps to."""

    scheme: str
    """sgtin, lgtin, gtin (a class without lot), sscc, sgln, pgln, grai, giai or other."""
    text: str
    gtin: str | None = None
    lot: str | None = None
    serial: str | None = None
    key: str | None = None
    """SSCC-18, GLN-13, GRAI or GIAI digits/characters for the non-GTIN schemes."""
    ext: str | None = None
    urn: str | None = None
    aliases: list[str] = field(default_factory=list)

    @property
    def node_id(self) -> str:
        """The graph id: the GS1 element string (same text as ``traceapi.domain.gs1``'s
        ``lot_aliases``/``unit_aliases``/``sscc_aliases``/``gln_aliases`` build)."""
        scheme = self.scheme
        if scheme == "lgtin":
            return f"(01){self.gtin}(10){self.lot}"
        if scheme == "sgtin":
            return f"(01){self.gtin}(21){self.serial}"
        if scheme == "gtin":
            return f"(01){self.gtin}"
        if scheme == "sscc":
            return f"(00){self.key}"
        if scheme == "sgln":
            return f"(414){self.key}" + (f"(254){self.ext}" if self.ext else "")
        if scheme == "pgln":
            return f"(417){self.key}"
        if scheme == "grai":
            return f"(8003){self.key}"
        if scheme == "giai":
            return f"(8004){self.key}"
        return self.text

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


def _check_digit_number(payload: str) -> str:
    """``payload`` followed by its GS1 mod-10 check digit (weights 3,1,3,... from the right)."""
    backwards = payload[::-1]
    total = 3 * sum(map(int, backwards[::2])) + sum(map(int, backwards[1::2]))
    return payload + str((10 - total % 10) % 10)


def _gtin_from(company_prefix: str, item_ref: str) -> str:
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
    return EpcRef(scheme="other", text=value)


def _parse_urn(value: str) -> EpcRef:
    parts = value.split(":", 4)
    if len(parts) != 5:
        return EpcRef(scheme="other", text=value)
    _, _, category, scheme, body = parts
    fields = body.split(".")
    numeric = fields[:2] if scheme in ("sgtin", "lgtin", "sgln", "grai") else fields[:1]
    if category in ("id", "class") and scheme in (
        "sgtin", "lgtin", "sscc", "sgln", "pgln", "grai", "giai"
    ) and not all(f.isdigit() for f in numeric):
        raise ValueError(f"malformed EPC {value!r}: company prefix and reference must be digits")
    if category == "id" and scheme == "sgtin" and len(fields) == 3:
        gtin = _gtin_from(fields[0], fields[1])
        return EpcRef("sgtin", value, gtin=gtin, serial=unquote(fields[2]), urn=value)
    if category == "class" and scheme == "lgtin" and len(fields) == 3:
        gtin = _gtin_from(fields[0], fields[1])
        return EpcRef("lgtin", value, gtin=gtin, lot=unquote(fields[2]), urn=value)
    if category == "idpat" and scheme == "sgtin" and len(fields) == 3 and fields[2] == "*":
        return EpcRef("gtin", value, gtin=_gtin_from(fields[0], fields[1]), urn=value)
    if category == "id" and scheme == "sscc" and len(fields) == 2:
        sscc = _check_digit_number(fields[1][:1] + fields[0] + fields[1][1:])
        return EpcRef("sscc", value, key=sscc, urn=value)
    if category == "id" and scheme == "sgln" and len(fields) == 3:
        ext = unquote(fields[2])
        return EpcRef("sgln", value, key=_check_digit_number(fields[0] + fields[1]),
                      ext=None if ext == "0" else ext, urn=value)
    if category == "id" and scheme == "pgln" and len(fields) == 2:
        return EpcRef("pgln", value, key=_check_digit_number(fields[0] + fields[1]), urn=value)
    if category == "id" and scheme == "grai" and len(fields) == 3:
        key = "0" + _check_digit_number(fields[0] + fields[1]) + unquote(fields[2])
        return EpcRef("grai", value, key=key, urn=value)
    if category == "id" and scheme == "giai" and len(fields) == 2:
        return EpcRef("giai", value, key=fields[0] + unquote(fields[1]), urn=value)
    if category in ("id", "class") and scheme in ("sgtin", "lgtin", "sscc", "sgln", "pgln",
                                                  "grai", "giai"):
        raise ValueError(f"malformed EPC {value!r}: wrong number of fields for {scheme}")
    return EpcRef(scheme="other", text=value, urn=value)


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
            return EpcRef("sgtin", value, gtin=gtin, serial=pairs["21"])
        if "10" in pairs:
            return EpcRef("lgtin", value, gtin=gtin, lot=pairs["10"])
        return EpcRef("gtin", value, gtin=gtin)
    if "00" in pairs:
        return EpcRef("sscc", value, key=pairs["00"])
    if "414" in pairs:
        return EpcRef("sgln", value, key=pairs["414"], ext=pairs.get("254"))
    if "417" in pairs:
        return EpcRef("pgln", value, key=pairs["417"])
    if "8003" in pairs:
        return EpcRef("grai", value, key=pairs["8003"])
    if "8004" in pairs:
        return EpcRef("giai", value, key=pairs["8004"])
    return None


def aliases_of(ref: EpcRef) -> list[str]:
    """The other names a node of ``ref`` answers to: its EPC URN and the text it came as."""
    node_id = ref.node_id
    out: list[str] = []
    for candidate in (ref.urn, ref.text):
        if candidate and candidate != node_id and candidate not in out:
            out.append(candidate)
    return out
