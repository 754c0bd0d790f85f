"""Cell converters: numbers with either decimal mark, dates in the source's patterns, units.

Each converter takes the stripped cell text and returns our canonical value or raises
``ValueError`` with a message fit for a user (the reader adds file, line and field).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from loaders.csv_mapping import ISO

Converter = Callable[[str], object]
_TIME_DIRECTIVES = ("%H", "%I", "%M", "%S", "%p", "%X", "%c", "%f", "%z", "%T", "%R")
_CACHE_LIMIT = 200_000


def number_converter(*, decimal_comma: bool) -> Callable[[str], float]:
    """``1234.5``; with ``decimal_comma`` also ``1.234,5`` (dots and spaces group thousands)."""

    def convert(text: str) -> float:
        source = text
        if decimal_comma:
            text = text.replace(".", "").replace(" ", "").replace("\u00a0", "").replace(",", ".")
        try:
            value = float(text)
        except ValueError:
            hint = " (decimal comma expected)" if decimal_comma else ""
            raise ValueError(f"not a number: {source!r}{hint}") from None
        if not math.isfinite(value):
            raise ValueError(f"not a finite number: {source!r}")
        return value

    return convert


def scale(value: float, factor: Decimal) -> float:
    """``value * factor`` computed in decimal, so 2500 g * 0.001 is exactly 2.5 kg."""
    if factor == 1:
        return value
    return float(Decimal(repr(value)) * factor)


def _has_time(pattern: str) -> bool:
    return any(directive in pattern for directive in _TIME_DIRECTIVES)


def _utc_text(moment: datetime, zone: ZoneInfo) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def datetime_converter(patterns: tuple[str, ...], *, zone: ZoneInfo, date_only: bool) -> Converter:
    """Parses with the first pattern that fits; times become UTC ``...Z``, dates ``YYYY-MM-DD``.

    A time without an offset is read in ``zone``. With ``date_only`` a time part is dropped.
    """
    cache: dict[str, str] = {}

    def parse(text: str) -> str:
        for pattern in patterns:
            if pattern == ISO:
                try:
                    if len(text) == 10:
                        return date.fromisoformat(text).isoformat()
                    moment = datetime.fromisoformat(text)
                except ValueError:
                    continue
                if date_only:
                    return moment.date().isoformat()
                return _utc_text(moment, zone)
            try:
                moment = datetime.strptime(text, pattern)
            except ValueError:
                continue
            if date_only or not _has_time(pattern):
                return moment.date().isoformat()
            return _utc_text(moment, zone)
        shown = ", ".join("ISO 8601" if p == ISO else repr(p) for p in patterns)
        raise ValueError(f"not a date in the expected format(s) {shown}: {text!r}")

    def convert(text: str) -> str:
        found = cache.get(text)
        if found is None:
            found = parse(text)
            if len(cache) >= _CACHE_LIMIT:
                cache.clear()
            cache[text] = found
        return found

    return convert
