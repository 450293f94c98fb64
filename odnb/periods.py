"""Report periods: parsing, validation and the usual relative periods, all inclusive of both dates.

Example:
    >>> from datetime import date
    >>> last_full_month(date(2026, 3, 15))
    (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    >>> previous_period(date(2026, 2, 1), date(2026, 2, 28))
    (datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    >>> resolve_period("", "", today=date(2026, 3, 15))
    (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    >>> relative_period("last week", date(2026, 11, 25))
    (datetime.date(2026, 11, 16), datetime.date(2026, 11, 22))
    >>> expand_parameters({"period": "last month", "months": 3}, today=date(2026, 11, 24))
    {'months': 3, 'start': '2026-10-01', 'end': '2026-10-31'}
"""

from __future__ import annotations

import calendar
import contextlib
import re
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from odnb.failures import ODError


class PeriodError(ODError, ValueError):
    """A period that cannot be used: unparseable date, or start after end."""

    title = "Bad period"


PERIOD_EXAMPLES = "'last month', 'month to date', 'last quarter', 'last 30 days', 'year to date'"


def parse_date(value: object, name: str = "date", today: date | None = None) -> date:
    """A ``date`` from a date, a datetime or Timestamp (its day), a numpy datetime64, ``yyyy-mm-dd`` text
    (a time after it is ignored) or a relative day (:func:`relative_day`: "yesterday", "last month end");
    a :class:`PeriodError` saying how to write it otherwise."""
    if str(value) == "NaT":  # pandas.NaT or numpy.datetime64("NaT")
        raise PeriodError(f"{name} is NaT (no date): give a date such as 2026-01-31")
    if isinstance(value, datetime):  # pandas.Timestamp included
        return value.date()
    if isinstance(value, date):
        return value
    if not isinstance(value, str):
        import numpy as np  # here, not at the top: `import odnb.periods` (so the CLI) stays free of numpy

        if isinstance(value, np.datetime64):
            return date.fromisoformat(str(value.astype("datetime64[D]")))
        raise PeriodError(f"{name} must be a date, datetime or 'yyyy-mm-dd' string, not "
                          f"{type(value).__name__} ({value!r})")
    match = re.fullmatch(r"(\d{4}-\d{2}-\d{2})(?:[ T][0-9:.]*)?", value.strip())
    if match:
        try:
            return date.fromisoformat(match.group(1))
        except ValueError:
            pass
    day = relative_day(value, name, today)
    if day is not None:
        return day
    raise PeriodError(f"{name} {value!r} is not a date: write it as yyyy-mm-dd, e.g. 2026-01-31, or as a "
                      f"relative day such as 'yesterday', '7 days ago' or 'last month start'")


def relative_day(text: str, name: str = "date", today: date | None = None) -> date | None:
    """One day from a relative phrase: a one-day period ("yesterday", "3 days ago"), a period with
    "start" or "end" ("last month end"), or any period when ``name`` is ``start`` / ``end`` (its first /
    last day); None when ``text`` is none of these.

    >>> relative_day("last month end", today=date(2026, 3, 15))
    datetime.date(2026, 2, 28)
    >>> relative_day("last month", "start", today=date(2026, 3, 15))
    datetime.date(2026, 2, 1)
    """
    today = today or date.today()
    phrase, side = " ".join(text.lower().split()), None
    if m := re.fullmatch(r"(.+?) (start|end)", phrase):
        phrase, side = m.group(1), m.group(2)
    span = relative_period(phrase, today)
    if span is None:
        return None
    side = side or (name if name in ("start", "end") else None)
    if side is None and span[0] != span[1]:
        return None
    return span[1] if side == "end" else span[0]


def check_period(start: object, end: object = None, *, today: date | None = None) -> tuple[date, date]:
    """``(first, last)`` of a period, both days included, from two dates (``yyyy-mm-dd``, ``date``,
    ``datetime``) or a relative period ("last month", "month to date", "last 30 days"; see
    :func:`relative_period`) given alone or on either side; refuses ``start`` after ``end``.

    >>> check_period("last month", today=date(2026, 3, 15))
    (datetime.date(2026, 2, 1), datetime.date(2026, 2, 28))
    >>> check_period("2026-01-01", "last month", today=date(2026, 3, 15))
    (datetime.date(2026, 1, 1), datetime.date(2026, 2, 28))
    """
    today = today or date.today()
    if end is None:
        span = relative_period(start, today) if isinstance(start, str) else None
        if span is not None:
            return span
        raise PeriodError(f"start {start!r} without an end is not a period: give both dates (yyyy-mm-dd) "
                          f"or a relative period alone, e.g. {PERIOD_EXAMPLES}")
    first, last = parse_date(start, "start", today), parse_date(end, "end", today)
    if first > last:
        raise PeriodError(f"start {first} is after end {last}: the period is [start, end], swap the dates")
    return first, last


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


def same_period_last_year(start: date, end: date) -> tuple[date, date]:
    """The same dates one year earlier (29 February becomes the 28th).

    >>> same_period_last_year(date(2026, 10, 1), date(2026, 10, 31))
    (datetime.date(2025, 10, 1), datetime.date(2025, 10, 31))
    """

    def back(d: date) -> date:
        return d.replace(year=d.year - 1, day=min(d.day, 28 if d.month == 2 else d.day))

    return back(start), back(end)


def resolve_period(
    start: str | date | None, end: str | date | None, *, today: date | None = None
) -> tuple[date, date]:
    """Parse a period; empty start and end mean the last full month. Refuses start after end."""
    if not start and not end:
        return last_full_month(today)
    if not start or not end:
        raise PeriodError("give both start and end (yyyy-mm-dd), or neither for the last full month")
    return check_period(start, end)


def relative_period(text: str, today: date) -> tuple[date, date] | None:
    """``(first, last)`` for a phrase such as "last month", "yesterday", "7 days ago", "last 30 days",
    "last week", "this week"/"week to date", "this month"/"month to date"/"this month to date", "last
    quarter", "this quarter"/"quarter to date", "last 12 months" (whole months before this one), "last
    year", "this year"/"year to date" (a single day gives first == last); None when it is not one.

    >>> relative_period("last quarter", date(2026, 11, 24))
    (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30))
    >>> relative_period("last 12 months", date(2026, 11, 24))
    (datetime.date(2025, 11, 1), datetime.date(2026, 10, 31))
    """
    t = " ".join(text.lower().split())
    if t == "today":
        return today, today
    if t == "yesterday":
        return today - timedelta(days=1), today - timedelta(days=1)
    if m := re.fullmatch(r"(\d{1,4}) days? ago", t):
        day = today - timedelta(days=int(m.group(1)))
        return day, day
    if m := re.fullmatch(r"last (\d{1,4}) days", t):
        return today - timedelta(days=int(m.group(1))), today - timedelta(days=1)
    monday = today - timedelta(days=today.weekday())
    if t == "last week":
        return monday - timedelta(days=7), monday - timedelta(days=1)
    if t in ("this week", "week to date"):
        return monday, today
    if t == "last month":
        return last_full_month(today)
    if t in ("this month", "month to date", "this month to date"):
        return today.replace(day=1), today
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if t == "last quarter":
        last = quarter - timedelta(days=1)
        return date(last.year, 3 * ((last.month - 1) // 3) + 1, 1), last
    if t in ("this quarter", "quarter to date"):
        return quarter, today
    if m := re.fullmatch(r"last (\d{1,2}) months", t):
        first = today.replace(day=1)
        back = first.year * 12 + first.month - 1 - int(m.group(1))
        return date(back // 12, back % 12 + 1, 1), first - timedelta(days=1)
    if t == "last year":
        return date(today.year - 1, 1, 1), date(today.year - 1, 12, 31)
    if t in ("this year", "year to date"):
        return date(today.year, 1, 1), today
    return None


# Relative dates in notebook parameters


def _is_date_name(name: str) -> bool:
    return name in ("start", "end", "date", "period") or name.endswith(("_start", "_end", "_date"))


def _resolve_value(name: str, value: str, today: date) -> str:
    text = value.strip()
    with contextlib.suppress(ValueError):
        return date.fromisoformat(text).isoformat()
    end_word = None
    if m := re.fullmatch(r"(.+?)\s+(start|end)", text, re.I):
        text, end_word = m.group(1), m.group(2).lower()
    span = relative_period(text, today)
    if span is None:
        if end_word is None and not _is_date_name(name):
            return value  # ordinary text parameter
        raise PeriodError(f"Parameter {name} = {value!r} is neither a date (yyyy-mm-dd) nor a relative "
                            "date. "
                            "Use e.g. 'yesterday', '7 days ago', 'last month', 'last month start', "
                            "'month to date', 'last 30 days'.")
    if end_word is None:
        if span[0] == span[1] or name == "start" or name.endswith("_start"):
            end_word = "start"
        elif name == "end" or name.endswith("_end"):
            end_word = "end"
        else:
            raise PeriodError(f"Parameter {name} = {value!r} is a period: say which day, e.g. "
                                f"'{text} start' or '{text} end' (or name the parameter period).")
    return (span[0] if end_word == "start" else span[1]).isoformat()


def expand_parameters(params: Mapping[str, Any], today: date | None = None) -> dict[str, Any]:
    """Resolve relative dates in notebook parameters (``period`` becomes ``start`` and ``end``)."""
    today = today or date.today()
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name == "period" and isinstance(value, str):
            span = relative_period(value, today)
            if span is None:
                raise PeriodError(f"period = {value!r} is not a known period. Use one of: last week, "
                                    "this week, last month, this month to date, last quarter, "
                                    "year to date, last 12 months, last year, last N days, today, "
                                    "yesterday.")
            out["start"], out["end"] = span[0].isoformat(), span[1].isoformat()
        elif isinstance(value, str):
            out[name] = _resolve_value(name, value, today)
        else:
            out[name] = value
    if "start" in out and "end" in out and str(out["start"]) > str(out["end"]):
        raise PeriodError(f"start {out['start']} is after end {out['end']}.")
    return {k: out[k] for k in [k for k in out if k not in ("start", "end")] + ["start", "end"] if k in out}
