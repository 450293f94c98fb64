"""Goals: monthly targets per KPI (``[profiles.NAME.goals]`` in the config), their attainment and the pace
of a period still running (``docs/kpis.md``, "Goals").

A goal is pro-rated by days for a period that is not whole months: each month of the period contributes its
goal x (days of it in the period / days in the month). Attainment = value / goal. For a running period
(``today`` inside it), pace = value / working days elapsed (start to ``today``, inclusive) x working days in
the period; working days are the days with any provider schedule, Monday to Friday where there are none.

Example:
    >>> from datetime import date
    >>> period_goal(100.0, date(2026, 1, 1), date(2026, 1, 31))
    100.0
    >>> period_goal(100.0, date(2026, 2, 1), date(2026, 2, 14))
    50.0
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

import pandas as pd

from odnb.kpis.catalog import KINDS, LABELS
from odnb.kpis.frames import KPIInputError, period


def period_goal(monthly: float, start: date, end: date) -> float:
    """The goal for [start, end] from a monthly goal, pro-rated by days within each month."""
    total, day = 0.0, start
    while day <= end:
        days_in_month = calendar.monthrange(day.year, day.month)[1]
        month_end = date(day.year, day.month, days_in_month)
        last = min(month_end, end)
        total += monthly * ((last - day).days + 1) / days_in_month
        day = last + timedelta(days=1)
    return round(total, 2)


def working_days(start: date, end: date, scheduled_days: Iterable[date] | None = None) -> list[date]:
    """The working days of [start, end]: days with a provider schedule, or Monday-Friday if there are none."""
    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    booked = {d for d in (scheduled_days or ()) if start <= d <= end}
    return sorted(booked) if booked else [d for d in days if d.weekday() < 5]


def schedule_days(schedules: pd.DataFrame) -> list[date]:
    """Dates with any provider schedule (SchedType Provider) in a schedules frame."""
    if not len(schedules) or "SchedDate" not in schedules.columns:
        return []
    rows = schedules
    if "SchedType" in rows.columns:
        rows = rows[
            rows["SchedType"].astype("string").isin(["Provider", "1"]).to_numpy(dtype=bool, na_value=False)
        ]
    days = pd.to_datetime(rows["SchedDate"], errors="coerce").dropna().dt.date
    return sorted(set(days))


def goal_table(
    values: Mapping[str, Any],
    goals: Mapping[str, float],
    start: object,
    end: object = None,
    *,
    today: object | None = None,
    scheduled_days: Iterable[date] | None = None,
) -> pd.DataFrame:
    """One row per goal: kpi, label, value, goal (for the period), attainment, pace, pace_attainment, met.

    ``pace`` is set only while the period runs (``today`` in [start, end]); ``met`` compares the pace
    when there is one, else the value. Goals for keys the catalogue does not know raise KPIInputError.
    """
    s, e = period(start, end)
    unknown = [k for k in goals if k not in LABELS]
    if unknown:
        raise KPIInputError(f"goals for unknown KPI(s) {', '.join(unknown)}: use keys of docs/kpis.md")
    t = period(today, today)[0] if today is not None else None
    running = t is not None and s <= t < e
    work = working_days(s, e, scheduled_days)
    elapsed = [d for d in work if t is not None and d <= t]
    rows = []
    for key, monthly in goals.items():
        goal = period_goal(float(monthly), s, e)
        value = values.get(key)
        attainment = None if value is None or not goal else value / goal
        pace = None
        if running and value is not None and elapsed and KINDS.get(key) != "ratio":
            pace = value / len(elapsed) * len(work)
        target = float(monthly) if KINDS.get(key) == "ratio" else goal
        judged = pace if pace is not None else value
        rows.append(
            {
                "kpi": key,
                "label": LABELS[key],
                "value": value,
                "goal": target,
                "attainment": attainment if KINDS.get(key) != "ratio" else None,
                "pace": pace,
                "pace_attainment": None if pace is None or not goal else pace / goal,
                "met": None if judged is None else judged >= target,
            }
        )
    return pd.DataFrame(
        rows, columns=["kpi", "label", "value", "goal", "attainment", "pace", "pace_attainment", "met"]
    )
