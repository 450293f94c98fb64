"""Report periods: parsing, validation and the usual relative periods, all inclusive of both dates.

Example:
    >>> from datetime import date
    >>> last_full_month(date(2026, 3, 15))
    (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    >>> previous_period(date(2026, 2, 1), date(2026, 2, 28))
    (datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    >>> resolve_period("", "", today=date(2026, 3, 15))
    (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
"""

from __future__ import annotations

import calendar
from datetime import date, datetime, timedelta


class PeriodError(ValueError):
    """A period that cannot be used: unparseable date, or start after end."""


def parse_date(value: str | date | datetime, name: str = "date") -> date:
    """A ``date`` from ``yyyy-mm-dd`` text, a date or a datetime; a clear error otherwise."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise PeriodError(f"{name} {value!r} is not a date: write it as yyyy-mm-dd, e.g. 2026-01-31") \
            from None


def month_bounds(day: date) -> tuple[date, date]:
    """First and last day of the month holding ``day``."""
    return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])


def last_full_month(today: date | None = None) -> tuple[date, date]:
    """The calendar month before the one holding ``today``."""
    today = today or date.today()
    return month_bounds(today.replace(day=1) - timedelta(days=1))


def _is_whole_months(start: date, end: date) -> bool:
    return start.day == 1 and end == month_bounds(end)[1]


def previous_period(start: date, end: date) -> tuple[date, date]:
    """The period of the same length just before ``start`` (whole months map to whole months)."""
    if _is_whole_months(start, end):
        months = (end.year - start.year) * 12 + end.month - start.month + 1
        prev_end = start - timedelta(days=1)
        first = prev_end.replace(day=1)
        for _ in range(months - 1):
            first = (first - timedelta(days=1)).replace(day=1)
        return first, prev_end
    length = end - start
    prev_end = start - timedelta(days=1)
    return prev_end - length, prev_end


def resolve_period(
    start: str | date | None, end: str | date | None, *, today: date | None = None
) -> tuple[date, date]:
    """Parse a period; empty start and end mean the last full month. Refuses start after end."""
    if not start and not end:
        return last_full_month(today)
    if not start or not end:
        raise PeriodError("give both start and end (yyyy-mm-dd), or neither for the last full month")
    first, last = parse_date(start, "start"), parse_date(end, "end")
    if first > last:
        raise PeriodError(f"start {first} is after end {last}: swap them")
    return first, last
