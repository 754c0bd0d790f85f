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


@lru_cache(maxsize=65_536)
def parse_time(text: str, *, require_zone: bool = False) -> datetime:
    """An aware datetime (UTC assumed when the zone is missing and allowed); ValueError if bad."""
    match = _DATETIME.match(text.strip())
    if match is None:
        raise ValueError(f"{text!r} is not an ISO 8601 date-time (YYYY-MM-DDThh:mm:ss[.fff]±hh:mm)")
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    if zone is None and require_zone:
        raise ValueError(f"{text!r} has no time zone")
    tz: timezone = UTC
    if zone and zone != "Z":
        sign = 1 if zone[0] == "+" else -1
        tz = timezone(sign * timedelta(hours=int(zone[1:3]), minutes=int(zone[4:6])))
    micro = Decimal(fraction or "0") * 1_000_000
    try:
        value = datetime(
            int(year), int(month), int(day), int(hour), int(minute), int(second or 0), tzinfo=tz
        )
    except ValueError as err:
        raise ValueError(f"{text!r} is not a valid date-time: {err}") from None
    return value + timedelta(microseconds=int(micro))


@lru_cache(maxsize=65_536)
def canonical_time(text: str) -> str:
    """``2005-04-04T20:33:31.116-06:00`` -> ``2005-04-05T02:33:31.116Z`` (the event-hash form)."""
    match = _DATETIME.match(text.strip())
    if match is None:
        return text.strip()
    value = parse_time(text)
    fraction = Decimal(match.group(7) or "0").quantize(Decimal("0.001"), rounding=ROUND_HALF_UP)
    whole = value.replace(microsecond=0).astimezone(UTC)
    whole += timedelta(milliseconds=int(fraction * 1000))
    return whole.strftime("%Y-%m-%dT%H:%M:%S.") + f"{whole.microsecond // 1000:03d}Z"


def iso_utc(text: str) -> str:
    """The UTC ISO string stored on nodes and edges (``shipped_at``, ``started_at``)."""
    return canonical_time(text)


def check_offset(text: str) -> None:
    """Raises ValueError unless ``text`` is a time-zone offset such as ``+02:00``."""
    if not _OFFSET.match(text.strip()):
        raise ValueError(f"{text!r} is not a time-zone offset (±hh:mm)")
