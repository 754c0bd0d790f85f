"""The AI table turned into definitions we can look up and check values against."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from traceapi.domain.gs1_ai_table import AI_ROWS, AIRow


@dataclass(frozen=True)
class Component:
    """One part of an AI's value: a character set, a length range, and content checks."""

    kind: str  # N, X, Y or Z
    min_length: int
    max_length: int
    optional: bool
    checks: tuple[str, ...]

    @property
    def fixed(self) -> bool:
        return self.min_length == self.max_length


@dataclass(frozen=True)
class AIDefinition:
    """What one application identifier may carry and how it combines with others."""

    ai: str
    title: str
    separator: bool
    """True when the value has variable length, so an FNC1/GS must end it unless last."""
    dl_attribute: bool
    components: tuple[Component, ...]
    requires: tuple[tuple[tuple[str, ...], ...], ...]
    """Groups that must all be met; a group is met by any one of its AI combinations."""
    excludes: tuple[str, ...]
    dl_qualifier_paths: tuple[tuple[str, ...], ...] | None
    """None: not a Digital Link primary key; otherwise the ordered qualifier paths allowed."""
    known: bool = True

    @property
    def min_length(self) -> int:
        return sum(c.min_length for c in self.components if not c.optional)

    @property
    def max_length(self) -> int:
        return sum(c.max_length for c in self.components)

    @property
    def fixed_length(self) -> int | None:
        """The value length when it never varies, else None."""
        if all(c.fixed and not c.optional for c in self.components):
            return self.max_length
        return None

    @property
    def is_primary_key(self) -> bool:
        return self.dl_qualifier_paths is not None

    def has_check(self, name: str) -> bool:
        return any(name in c.checks for c in self.components)


_COMPONENT = re.compile(r"^(\[)?([NXYZ])(\d*)(?:\.\.(\d+))?(\])?((?:,\w+)*)$")


def _components(spec: str) -> tuple[Component, ...]:
    parts = []
    for token in spec.split():
        match = _COMPONENT.match(token)
        if match is None:
            raise ValueError(f"bad component spec {token!r}")
        opening, kind, first, upto, _closing, checks = match.groups()
        if upto is not None:
            low, high = (int(first) if first else 1), int(upto)
        else:
            low = high = int(first)
        names = tuple(name for name in checks.split(",") if name)
        parts.append(Component(kind, low, high, bool(opening), names))
    return tuple(parts)


def _definition(row: AIRow, ai: str) -> AIDefinition:
    requires = tuple(
        tuple(tuple(option.split("+")) for option in group.split(",")) for group in row.requires
    )
    paths: tuple[tuple[str, ...], ...] | None = None
    if row.dl_qualifiers is not None:
        paths = tuple(
            tuple(q for q in alternative.split(",") if q)
            for alternative in row.dl_qualifiers.split("|")
        )
    return AIDefinition(
        ai=ai,
        title=row.title,
        separator=row.separator,
        dl_attribute=row.dl_attribute,
        components=_components(row.spec),
        requires=requires,
        excludes=tuple(x for x in row.excludes.split(",") if x),
        dl_qualifier_paths=paths,
    )


def _expand() -> dict[str, AIDefinition]:
    table: dict[str, AIDefinition] = {}
    for row in AI_ROWS:
        width = len(row.first)
        for number in range(int(row.first), int(row.last) + 1):
            ai = str(number).zfill(width)
            table[ai] = _definition(row, ai)
    return table


AI_DEFINITIONS: dict[str, AIDefinition] = _expand()


def ai_definition(ai: str) -> AIDefinition | None:
    """The definition of ``ai`` (e.g. "01", "3103"), or None when we do not know it."""
    return AI_DEFINITIONS.get(ai)


@cache
def unknown_ai(ai: str) -> AIDefinition:
    """A permissive stand-in for an AI outside the table (only when unknown AIs are allowed)."""
    return AIDefinition(
        ai=ai,
        title="UNKNOWN",
        separator=True,
        dl_attribute=False,
        components=(Component("X", 1, 90, False, ()),),
        requires=(),
        excludes=(),
        dl_qualifier_paths=None,
        known=False,
    )


def ai_at(data: str, start: int = 0) -> AIDefinition | None:
    """The known AI that ``data`` begins with at ``start`` (AIs never prefix one another)."""
    for width in (2, 3, 4):
        candidate = data[start : start + width]
        if len(candidate) == width and candidate in AI_DEFINITIONS:
            return AI_DEFINITIONS[candidate]
    return None


def matches_pattern(ai: str, pattern: str) -> bool:
    """Whether ``ai`` matches a table pattern such as ``310n`` or ``31nn`` (n: any digit)."""
    return len(ai) == len(pattern) and all(p in ("n", a) for a, p in zip(ai, pattern, strict=True))


DL_SHORT_NAMES: dict[str, str] = {
    "gtin": "01",
    "itip": "8006",
    "cpv": "22",
    "lot": "10",
    "ser": "21",
    "sscc": "00",
    "gln": "414",
    "glnx": "254",
    "party": "417",
    "gsrnp": "8017",
    "gsrn": "8018",
    "srin": "8019",
    "gdti": "253",
    "ginc": "401",
    "gsin": "402",
    "grai": "8003",
    "giai": "8004",
    "cpid": "8010",
    "cpsn": "8011",
    "gmn": "8013",
    "gcn": "255",
}
"""The older Digital Link "convenience" names for path segments (GS1 Digital Link 1.1)."""
