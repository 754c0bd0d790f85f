"""The one clock every write reads: server UTC time, to the microsecond."""

from __future__ import annotations

from datetime import UTC, datetime


def utc_now() -> datetime:
    """Now, in UTC (timezone-aware). Clients never supply times that are stored."""
    return datetime.now(UTC)
