"""GS1 Digital Link URIs: parsed into element strings, and built from them."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from traceapi.domain.gs1.catalogue import DL_SHORT_NAMES, ai_definition
from traceapi.domain.gs1.checks import verify_check_digit
from traceapi.domain.gs1.element_string import Element, ElementString, elements_from_pairs
from traceapi.domain.gs1.errors import GS1Error

CANONICAL_STEM = "https://id.gs1.org"
_SCHEMES = ("http://", "https://", "HTTP://", "HTTPS://")
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
_URI_CHARS = _UNRESERVED | frozenset(":/?#[]@!$&'()*+,;=%")
_HOST = re.compile(r"^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*)?)(?::\d{1,5})?$")
_HEX = "0123456789abcdefABCDEF"


@dataclass(frozen=True)
class DigitalLink:
    """A parsed Digital Link: where it pointed, its primary key, qualifiers and attributes."""

    uri: str
    stem: str
    message: ElementString
    primary_key: str
    qualifiers: tuple[str, ...]

    def canonical(self) -> str:
        """The same identifiers under ``https://id.gs1.org``, attributes in data order."""
        return build_digital_link(self.message, stem=CANONICAL_STEM, qualifiers=self.qualifiers)


def looks_like_digital_link(text: str) -> bool:
    """Whether ``text`` starts like an http(s) URI (scheme all lower or all upper case)."""
    return text.startswith(_SCHEMES)


def unescape(text: str, *, query: bool = False) -> str:
    """Percent-decoding as GS1 does it: a bad or cut-off escape stays as it is; "+" is a space
    only in the query string."""
    out = []
    index = 0
    while index < len(text):
        char = text[index]
        pair = text[index + 1 : index + 3]
        if char == "%" and len(pair) == 2 and pair[0] in _HEX and pair[1] in _HEX:
            out.append(chr(int(pair, 16)))
            index += 3
            continue
        out.append(" " if query and char == "+" else char)
        index += 1
    return "".join(out)


def escape(text: str, *, query: bool = False) -> str:
    """Percent-encode everything but unreserved characters; a space is "+" in a query."""
    out = []
    for char in text:
        if char in _UNRESERVED:
            out.append(char)
        elif query and char == " ":
            out.append("+")
        else:
            out.append("".join(f"%{byte:02X}" for byte in char.encode("utf-8")))
    return "".join(out)


def parse_digital_link(
    uri: str,
    *,
    permit_zero_suppressed_gtin: bool = True,
    permit_convenience_alphas: bool = True,
    permit_unknown_ais: bool = False,
    unknown_ai_attributes: bool = False,
    check_dates: bool = True,
    today: dt.date | None = None,
) -> DigitalLink:
    """Parse ``https://<any domain>[/stem]/01/<gtin>[/10/<lot>][/21/<serial>][?17=YYMMDD...]``.

    The primary key is the rightmost path AI that is a Digital Link primary key; the pairs after
    it must be its qualifiers in the allowed order; query parameters that are AIs become data
    attributes (other parameters are ignored). ``permit_zero_suppressed_gtin`` accepts GTIN-8,
    -12 and -13 in the ``01`` position and pads them to 14 digits.
    """
    scheme = next((s for s in _SCHEMES if uri.startswith(s)), None)
    if scheme is None:
        raise GS1Error(f"a Digital Link URI must start with http:// or https://: {uri!r}")
    bad = next((c for c in uri if c not in _URI_CHARS), None)
    if bad is not None:
        raise GS1Error(f"character {bad!r} is not allowed in a URI: {uri!r}")
    rest = uri[len(scheme) :].split("#", 1)[0]
    path_and_query = rest.split("?", 1)
    path_part = path_and_query[0]
    query = path_and_query[1] if len(path_and_query) > 1 else ""
    host, slash, path = path_part.partition("/")
    if not host or not _HOST.match(host):
        raise GS1Error(f"no valid domain name in {uri!r}")
    if not slash or not path:
        raise GS1Error(f"no GS1 identifiers in the path of {uri!r}")
    if path.endswith("/"):
        raise GS1Error(f"a Digital Link path must not end with '/': {uri!r}")
    segments = path.split("/")

    pairs, stem_segments = _path_pairs(
        segments, uri, permit_convenience_alphas=permit_convenience_alphas
    )
    primary = pairs[0][0]
    definition = ai_definition(primary)
    assert definition is not None and definition.dl_qualifier_paths is not None
    qualifiers = tuple(ai for ai, _ in pairs[1:])
    _check_qualifiers(primary, qualifiers, definition.dl_qualifier_paths)

    values = []
    for ai, raw in pairs:
        value = unescape(raw)
        if value == "":
            raise GS1Error(f"AI ({ai}) has an empty value in {uri!r}", ai=ai)
        if ai == "01" and permit_zero_suppressed_gtin:
            value = _pad_gtin(value)
        values.append((ai, value))

    used_path = {path_ai for path_ai, _ in values}
    reserved = {
        q
        for path in definition.dl_qualifier_paths
        if all(q in path for q in qualifiers)
        for q in path
    }
    for name, raw in _query_params(query):
        if not (name.isdigit() and name.isascii()):
            continue  # not an AI: other query parameters are allowed and ignored
        known = ai_definition(name)
        if known is None and not permit_unknown_ais:
            raise GS1Error(f"query parameter {name!r} is not a known GS1 AI", ai=name)
        if known is None and not unknown_ai_attributes:
            raise GS1Error(f"unknown AI ({name}) is not allowed as a data attribute", ai=name)
        if name in reserved and name not in used_path:
            raise GS1Error(
                f"AI ({name}) qualifies AI ({primary}): it belongs in the path, not the query",
                ai=name,
            )
        if name in used_path:
            raise GS1Error(f"AI ({name}) appears more than once in {uri!r}", ai=name)
        value = unescape(raw, query=True)
        if value == "":
            raise GS1Error(f"AI ({name}) has an empty value in {uri!r}", ai=name)
        if name == "01" and permit_zero_suppressed_gtin:
            value = _pad_gtin(value)
        used_path.add(name)
        values.append((name, value))

    for ai, value in values:
        if "\x00" in value:
            raise GS1Error(f"AI ({ai}) value contains a NUL character", ai=ai)
    message = elements_from_pairs(
        values, permit_unknown_ais=permit_unknown_ais, check_dates=check_dates, today=today
    )
    stem = scheme + host + "".join("/" + s for s in stem_segments)
    return DigitalLink(uri, stem, message, primary, qualifiers)


def _path_pairs(
    segments: list[str], uri: str, *, permit_convenience_alphas: bool
) -> tuple[list[tuple[str, str]], list[str]]:
    """Walk the path from the right in (AI, value) pairs until a primary key is reached."""
    pairs: list[tuple[str, str]] = []
    index = len(segments) - 2
    while index >= 0:
        name, value = segments[index], segments[index + 1]
        ai = name
        if permit_convenience_alphas and name in DL_SHORT_NAMES:
            ai = DL_SHORT_NAMES[name]
        definition = ai_definition(ai) if ai.isdigit() else None
        if definition is None:
            break
        pairs.insert(0, (ai, value))
        if definition.is_primary_key:
            return pairs, segments[:index]
        index -= 2
    raise GS1Error(f"no GS1 primary key (such as /01/<gtin> or /00/<sscc>) in the path of {uri!r}")


def _check_qualifiers(
    primary: str, qualifiers: tuple[str, ...], paths: tuple[tuple[str, ...], ...]
) -> None:
    if not qualifiers:
        return
    if not any(path for path in paths):
        raise GS1Error(f"AI ({primary}) takes no qualifiers, got ({qualifiers[0]})", ai=primary)
    for path in paths:
        position = 0
        ok = True
        for qualifier in qualifiers:
            try:
                position = path.index(qualifier, position) + 1
            except ValueError:
                ok = False
                break
        if ok:
            return
    allowed = " or ".join("/".join(path) for path in paths if path)
    raise GS1Error(
        f"qualifiers {'/'.join(qualifiers)} are not allowed after AI ({primary}) "
        f"(allowed, in this order: {allowed})",
        ai=primary,
    )


def _query_params(query: str) -> list[tuple[str, str]]:
    params = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, equals, value = piece.partition("=")
        if not equals:
            continue  # a singleton such as "?linkType" carries no AI value
        params.append((name, value))
    return params


def _pad_gtin(value: str) -> str:
    if len(value) in (8, 12, 13) and verify_check_digit(value):
        return value.zfill(14)
    return value


def build_digital_link(
    message: ElementString,
    *,
    stem: str | None = None,
    qualifiers: tuple[str, ...] | None = None,
    unknown_ai_attributes: bool = False,
) -> str:
    """The Digital Link URI for a message: the first primary key with its best qualifier path
    (or the ``qualifiers`` given) in the path, other attributes in the query (fixed-length
    ones first, so that turning it back into a barcode needs fewest separators)."""
    base = (stem or CANONICAL_STEM).rstrip("/")
    elements = _unique(message.elements)
    primary = next((e for e in elements if e.definition.is_primary_key), None)
    if primary is None:
        raise GS1Error("no GS1 primary key to build a Digital Link URI from")
    paths = primary.definition.dl_qualifier_paths or ((),)
    present = {e.ai for e in elements}
    best = (
        qualifiers
        if qualifiers is not None
        else max(paths, key=lambda path: sum(1 for q in path if q in present))
    )
    path_parts = [f"/{primary.ai}/{escape(primary.value)}"]
    used = {primary.ai}
    for qualifier in best:
        element = next((e for e in elements if e.ai == qualifier), None)
        if element is not None:
            path_parts.append(f"/{qualifier}/{escape(element.value)}")
            used.add(qualifier)
    attributes = []
    for element in elements:
        if element.ai in used:
            continue
        if element.definition.known and not element.definition.dl_attribute:
            raise GS1Error(
                f"AI ({element.ai}) cannot be carried in a Digital Link URI", ai=element.ai
            )
        if not element.definition.known and not unknown_ai_attributes:
            raise GS1Error(f"unknown AI ({element.ai}) is not a data attribute", ai=element.ai)
        attributes.append(element)
    attributes.sort(key=lambda e: e.definition.separator)
    query = "&".join(f"{e.ai}={escape(e.value, query=True)}" for e in attributes)
    return base + "".join(path_parts) + (f"?{query}" if query else "")


def _unique(elements: tuple[Element, ...]) -> list[Element]:
    seen: set[tuple[str, str]] = set()
    out = []
    for element in elements:
        key = (element.ai, element.value)
        if key not in seen:
            seen.add(key)
            out.append(element)
    return out
