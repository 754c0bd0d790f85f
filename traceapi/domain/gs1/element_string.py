"""GS1 element strings (bracketed, FNC1/GS-separated, "^" notation) parsed and validated."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from traceapi.domain.gs1.catalogue import (
    AIDefinition,
    ai_at,
    ai_definition,
    matches_pattern,
    unknown_ai,
)
from traceapi.domain.gs1.checks import (
    CONTENT_CHECKS,
    ISO4217_ALPHA,
    CheckFailure,
    bad_char,
    charset_of,
)
from traceapi.domain.gs1.dates import decode_date
from traceapi.domain.gs1.errors import GS1Error

GS = "\x1d"
_DATE_CHECKS = frozenset({"yymmdd", "yymmd0", "yyyymmdd"})
_KIND_NAMES = {"N": "digits", "X": "GS1 set 82", "Y": "GS1 set 39", "Z": "base64url"}
_NO_TIME_AIS = frozenset({"4324", "4325"})  # time 9999 means "no time given"


@dataclass(frozen=True)
class Element:
    """One AI and its value, with what the value means when it is a date or an amount."""

    ai: str
    value: str
    definition: AIDefinition = field(repr=False, compare=False)
    date: dt.date | None = None
    datetime: dt.datetime | None = None
    decimal: Decimal | None = None
    currency: str | None = None

    @property
    def title(self) -> str:
        return self.definition.title

    def as_bracketed(self) -> str:
        """``(AI)value`` with a literal "(" in the value escaped as ``\\(``."""
        return f"({self.ai}){self.value.replace('(', chr(92) + '(')}"


@dataclass(frozen=True)
class ElementString:
    """A parsed GS1 message: its elements in order, and the symbology it came in (if said)."""

    elements: tuple[Element, ...]
    symbology: str | None = None

    def get(self, ai: str) -> str | None:
        """The value of the first element whose AI starts with ``ai``, or None."""
        found = self.find(ai)
        return found[0].value if found else None

    def find(self, ai: str) -> list[Element]:
        """The elements whose AI starts with ``ai`` ("723" finds 7230..7239)."""
        return [element for element in self.elements if element.ai.startswith(ai)]

    def find_by_title(self, words: str) -> list[Element]:
        """The elements whose title contains ``words`` ("LOT" finds BATCH/LOT)."""
        return [element for element in self.elements if words in element.title]

    def as_bracketed(self) -> str:
        return "".join(element.as_bracketed() for element in self.elements)

    def as_unbracketed(self, *, separator: str = "^", leading: str = "^") -> str:
        """The barcode form: FNC1 first, then values, a separator after variable-length ones."""
        parts = [leading]
        for index, element in enumerate(self.elements):
            parts.append(element.ai + element.value)
            if element.definition.separator and index < len(self.elements) - 1:
                parts.append(separator)
        return "".join(parts)

    @property
    def gtin(self) -> str | None:
        return self.get("01")

    @property
    def lot(self) -> str | None:
        return self.get("10")

    @property
    def serial(self) -> str | None:
        return self.get("21")

    @property
    def sscc(self) -> str | None:
        return self.get("00")

    @property
    def gln(self) -> str | None:
        return self.get("414")

    @property
    def expiry(self) -> dt.date | None:
        found = self.find("17")
        return found[0].date if found else None


def check_value(definition: AIDefinition, value: str, *, check_dates: bool = True) -> None:
    """Raise GS1Error unless ``value`` fits the AI's components, character sets and checks."""
    ai = definition.ai
    if value == "":
        raise GS1Error(f"AI ({ai}) has an empty value", ai=ai, value=value, position=0)
    position = 0
    for component in definition.components:
        if position >= len(value):
            if component.optional:
                break
            raise GS1Error(
                f"AI ({ai}) value {value!r} is too short "
                f"(at least {definition.min_length} characters)",
                ai=ai,
                value=value,
                position=len(value),
                length=0,
            )
        remaining = len(value) - position
        if component.fixed and remaining < component.min_length:
            raise GS1Error(
                f"AI ({ai}) value {value!r} is too short",
                ai=ai,
                value=value,
                position=position,
                length=remaining,
            )
        part = value[position : position + component.max_length]
        bad = bad_char(part, charset_of(component.kind))
        if bad is not None:
            raise GS1Error(
                f"AI ({ai}): character {part[bad]!r} at position {position + bad + 1} is not "
                f"allowed ({_KIND_NAMES[component.kind]})",
                ai=ai,
                value=value,
                position=position + bad,
                length=1,
                component_end=position + len(part),
            )
        for name in component.checks:
            if name in _DATE_CHECKS and not check_dates:
                continue
            if name == "hhmi" and ai in _NO_TIME_AIS and part == "9999":
                continue
            try:
                CONTENT_CHECKS[name](part)
            except CheckFailure as failure:
                raise GS1Error(
                    f"AI ({ai}) value {value!r}: {failure.reason}",
                    ai=ai,
                    value=value,
                    position=position + failure.position,
                    length=failure.length if failure.length is not None else len(part),
                    component_end=position + len(part),
                ) from None
        position += len(part)
    if position < len(value):
        raise GS1Error(
            f"AI ({ai}) value {value!r} is too long (at most {definition.max_length} characters)",
            ai=ai,
            value=value,
            position=position,
            length=len(value) - position,
        )


def make_element(
    definition: AIDefinition,
    value: str,
    *,
    check_dates: bool = True,
    today: dt.date | None = None,
) -> Element:
    """Check ``value`` for the AI and decode its date, time or amount."""
    check_value(definition, value, check_dates=check_dates)
    ai = definition.ai
    date = None
    moment = None
    decimal = None
    currency = None
    first = definition.components[0].checks if definition.components else ()
    if _DATE_CHECKS.intersection(first):
        width = 8 if "yyyymmdd" in first else 6
        try:
            date = decode_date(value[:width], ai=ai, today=today)
        except GS1Error:
            if check_dates:
                raise
        if date is not None:
            moment = _time_of(date, value[width:], ai)
    elif ai[:3] in ("391", "393"):
        currency = value[:3]
        decimal = _scaled(value[3:], int(ai[3]))
    elif ai[:2] in ("31", "32", "33", "34", "35", "36") or ai[:3] in ("390", "392", "394", "395"):
        decimal = _scaled(value, int(ai[3]))
    return Element(ai, value, definition, date, moment, decimal, currency)


def _time_of(date: dt.date, rest: str, ai: str) -> dt.datetime | None:
    if ai == "7007" or not rest or (ai in _NO_TIME_AIS and rest == "9999"):
        return None
    hour = int(rest[0:2])
    minute = int(rest[2:4]) if len(rest) >= 4 else 0
    second = int(rest[4:6]) if len(rest) >= 6 else 0
    return dt.datetime(date.year, date.month, date.day, hour, minute, second)


def _scaled(digits: str, places: int) -> Decimal:
    return Decimal(digits).scaleb(-places) if places else Decimal(digits)


def currency_code(element: Element) -> str | None:
    """The alphabetic ISO 4217 code of an amount's currency, when we know it."""
    return ISO4217_ALPHA.get(element.currency or "")


def _definition_for(ai: str, *, permit_unknown_ais: bool) -> AIDefinition:
    definition = ai_definition(ai)
    if definition is not None:
        return definition
    if permit_unknown_ais:
        return unknown_ai(ai)
    raise GS1Error(f"unknown GS1 application identifier ({ai})", ai=ai)


def parse_bracketed(
    text: str,
    *,
    permit_unknown_ais: bool = False,
    check_dates: bool = True,
    today: dt.date | None = None,
) -> ElementString:
    """Parse the human-readable form ``(01)09506000134352(10)ABC``; ``\\(`` is a literal "("."""
    if not text.startswith("("):
        raise GS1Error(f"a bracketed element string must start with '(': {text!r}")
    elements = []
    position = 0
    while position < len(text):
        close = text.find(")", position)
        if close == -1:
            raise GS1Error(f"unterminated AI at position {position + 1} in {text!r}")
        ai = text[position + 1 : close]
        if not (ai.isdigit() and ai.isascii() and 2 <= len(ai) <= 4):
            raise GS1Error(f"({ai}) is not an application identifier (2 to 4 digits)", ai=ai)
        value_chars = []
        position = close + 1
        while position < len(text):
            char = text[position]
            if char == "\\" and text[position + 1 : position + 2] == "(":
                value_chars.append("(")
                position += 2
                continue
            if char == "(":
                break
            value_chars.append(char)
            position += 1
        value = "".join(value_chars)
        if "^" in value:
            raise GS1Error(f"AI ({ai}): '^' is not allowed in a value", ai=ai, value=value)
        definition = _definition_for(ai, permit_unknown_ais=permit_unknown_ais)
        elements.append(make_element(definition, value, check_dates=check_dates, today=today))
    return ElementString(tuple(elements))


def parse_unbracketed(
    data: str,
    *,
    separators: Iterable[str] = (GS,),
    check_dates: bool = True,
    today: dt.date | None = None,
) -> ElementString:
    """Parse concatenated AI data (no FNC1 in front); a variable-length value ends at a separator.

    Fixed-length AIs such as (01) need no separator; superfluous separators are tolerated.
    """
    seps = frozenset(separators)
    if not data or all(char in seps for char in data):
        raise GS1Error("no GS1 AI data")
    elements = []
    position = 0
    while position < len(data):
        if data[position] in seps:
            position += 1
            continue
        definition = ai_at(data, position)
        if definition is None:
            raise GS1Error(f"no known GS1 application identifier at {data[position:]!r}")
        start = position + len(definition.ai)
        end = _next_separator(data, start, seps)
        fixed = definition.fixed_length
        if fixed is not None and not definition.separator:
            end = min(end, start + fixed)
        elements.append(
            make_element(definition, data[start:end], check_dates=check_dates, today=today)
        )
        position = end
    return ElementString(tuple(elements))


def _next_separator(data: str, start: int, seps: frozenset[str]) -> int:
    for index in range(start, len(data)):
        if data[index] in seps:
            return index
    return len(data)


def parse_caret(
    text: str, *, check_dates: bool = True, today: dt.date | None = None
) -> ElementString:
    """Parse the "^" notation: "^" first is FNC1 (GS1 data), every later "^" a separator."""
    if not text.startswith("^"):
        raise GS1Error(f"GS1 AI data in '^' notation must start with '^': {text!r}")
    return parse_unbracketed(text[1:], separators=("^",), check_dates=check_dates, today=today)


# --- rules between AIs -------------------------------------------------------------------------


def check_repeats(message: ElementString) -> None:
    """An AI may repeat only with the same value."""
    seen: dict[str, str] = {}
    for element in message.elements:
        earlier = seen.setdefault(element.ai, element.value)
        if earlier != element.value:
            raise GS1Error(
                f"AI ({element.ai}) appears twice with different values "
                f"({earlier!r} and {element.value!r})",
                ai=element.ai,
            )


def check_exclusions(message: ElementString) -> None:
    """No element may sit with an AI its definition excludes."""
    present = [element.ai for element in message.elements]
    for element in message.elements:
        for pattern in element.definition.excludes:
            for other in present:
                if other != element.ai and matches_pattern(other, pattern):
                    raise GS1Error(
                        f"AI ({element.ai}) must not appear together with AI ({other})",
                        ai=element.ai,
                    )


def check_requisites(message: ElementString) -> None:
    """Every element's required companion AIs are present (e.g. (10) needs a GTIN)."""
    present = [element.ai for element in message.elements]

    def has(pattern: str) -> bool:
        return any(matches_pattern(ai, pattern) for ai in present)

    for element in message.elements:
        for group in element.definition.requires:
            if not any(all(has(pattern) for pattern in option) for option in group):
                wanted = " or ".join("+".join(f"({p})" for p in option) for option in group)
                raise GS1Error(f"AI ({element.ai}) requires {wanted}", ai=element.ai)


def check_signature_key(message: ElementString) -> None:
    """A digital signature (8030) needs its key to be serialised (GDTI, GCN, GRAI with serial)."""
    if not message.find("8030"):
        return
    minimum = {"253": 14, "255": 14, "8003": 15}
    for element in message.elements:
        need = minimum.get(element.ai)
        if need is not None and len(element.value) < need:
            raise GS1Error(
                f"AI (8030) needs a serialised key, but AI ({element.ai}) has no serial part",
                ai=element.ai,
            )


def check_combination(message: ElementString) -> None:
    """All rules between AIs: repeats, exclusions, requisites, signature keys."""
    check_repeats(message)
    check_exclusions(message)
    check_requisites(message)
    check_signature_key(message)


def error_markup(text: str, error: GS1Error) -> str:
    """``(AI)`` + the value up to the end of the bad component, the bad part between bars."""
    if error.ai is None or error.value is None or error.position is None:
        return text
    value = error.value
    start = error.position
    stop = start + (error.length or 0)
    end = error.component_end if error.component_end is not None else len(value)
    return f"({error.ai}){value[:start]}|{value[start:stop]}|{value[stop:end]}"


def elements_from_pairs(
    pairs: Sequence[tuple[str, str]],
    *,
    permit_unknown_ais: bool = False,
    check_dates: bool = True,
    today: dt.date | None = None,
) -> ElementString:
    """Build and check elements from (AI, value) pairs, e.g. those of a Digital Link URI."""
    elements = []
    for ai, value in pairs:
        definition = _definition_for(ai, permit_unknown_ais=permit_unknown_ais)
        elements.append(make_element(definition, value, check_dates=check_dates, today=today))
    return ElementString(tuple(elements))
