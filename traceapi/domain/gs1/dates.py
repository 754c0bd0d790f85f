"""GS1 dates: the two-digit-year century rule and day 00 meaning the end of the month."""

from __future__ import annotations

import calendar
import datetime as dt

from traceapi.domain.gs1.errors import GS1Error


def full_year(two_digits: int, *, today: dt.date | None = None) -> int:
    """The four-digit year of a YY field: the one within -49..+50 years of this year.

    GS1 General Specifications, "Determination of century in dates": a YY that is 51 or more
    ahead of the current year's YY falls in the previous century, and one 50 or more behind it
    falls in the next century.
    """
    current = (today or dt.date.today()).year
    century, current_yy = divmod(current, 100)
    difference = two_digits - current_yy
    if difference > 50:
        century -= 1
    elif difference < -49:
        century += 1
    return century * 100 + two_digits


def decode_date(text: str, *, ai: str, today: dt.date | None = None) -> dt.date:
    """YYMMDD (or YYYYMMDD) to a date; day 00 is the last day of the month."""
    year = int(text[:4]) if len(text) == 8 else full_year(int(text[:2]), today=today)
    month, day = int(text[-4:-2]), int(text[-2:])
    if not 1 <= month <= 12:
        raise GS1Error(f"AI ({ai}): impossible month in date {text!r}", ai=ai, value=text)
    last = calendar.monthrange(year, month)[1]
    if day == 0:
        day = last
    if not 1 <= day <= last:
        raise GS1Error(
            f"AI ({ai}): impossible date {text!r} ({year}-{month:02d} has {last} days)",
            ai=ai,
            value=text,
        )
    return dt.date(year, month, day)
