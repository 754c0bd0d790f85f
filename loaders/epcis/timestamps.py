"""EPCIS timestamps (xsd:dateTime) checked and put in one form: UTC, millisecond precision."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

_DATETIME = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:\d{2})?$"
)
_OFFSET = re.compile(r"^[+-]((0\d|1[0-3]):[0-5]\d|14:00)$")
_CANONICAL = re.compile(r"[1-9]\d{3}-\d\d-\d\dT[01]\d:\d\d:\d\d\.\d{3}Z")
"""The form ``canonical_time`` gives, hours 00-19 (so ``fromisoformat`` reads it as we do)."""


@lru_cache(maxsize=65_536)
def parse_time(text: str, *, require_zone: bool = False) -> datetime:
    """An aware datetime (UTC assumed when the zone is missing and allowed); ValueError if bad."""
    moment = _utc_millis(text)
    if moment is not None:
        return moment
    match = _DATETIME.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ss[.fff]±hh:mm)")
    if match.group(8) is None and require_zone:
        raise ValueError(f"{text!r} has no time zone")
    return _moment(match, text)


def _utc_millis(text: str) -> datetime | None:
    """The datetime of a text already in the canonical form (UTC, milliseconds), as most
    event times are, read in C; None for any other text and for impossible dates, which the
    full parse then names."""
    if len(text) != 24 or not _CANONICAL.match(text):
        return None
    try:
        return datetime.fromisoformat(text[:23]).replace(tzinfo=UTC)
    except ValueError:
        return None


def _moment(match: re.Match[str], text: str) -> datetime:
    """The datetime a ``_DATETIME`` match spells; fractions beyond microseconds are cut off."""
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    micro = int(fraction[1:7].ljust(6, "0")) if fraction else 0
    tz = _zone(zone) if zone and zone != "Z" else UTC
    try:
        return datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            int(second or 0),
            micro,
            tzinfo=tz,
        )
    except ValueError as err:
        raise ValueError(f"{text!r} is not a valid date-time: {err}") from None


@lru_cache(maxsize=256)
def _zone(offset: str) -> timezone:
    sign = 1 if offset[0] == "+" else -1
    return timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6])))


@lru_cache(maxsize=65_536)
def canonical_time(text: str) -> str:
    """``2005-04-04T20:33:31.116-06:00`` -> ``2005-04-05T02:33:31.116Z`` (the event-hash form)."""
    if _utc_millis(text) is not None:
        return text
    stripped = text.strip()
    match = _DATETIME.match(stripped)
    if match is None:
        return stripped
    value = _moment(match, text)
    fraction = match.group(7)
    rounded = Decimal(fraction or "0").quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    whole = value.replace(microsecond=0).astimezone(UTC)
    whole += timedelta(milliseconds=int(rounded * 1000))
    return whole.strftime("%Y-%m-%dT%H:%M:%S.") + f"{whole.microsecond // 1000:03d}Z"


def iso_utc(text: str) -> str:
    """The UTC ISO string stored on nodes and edges (``shipped_at``, ``started_at``)."""
    return canonical_time(text)


@lru_cache(maxsize=256)
def check_offset(text: str) -> None:
    """Raises ValueError unless ``text`` is a time-zone offset such as ``+02:00`` (cached: a
    document uses a few offsets; errors are not cached)."""
    if not _OFFSET.match(text.strip()):
        raise ValueError(f"{text!r} is not a time-zone offset (±hh:mm)")
