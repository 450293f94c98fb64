"""The morning huddle: one day's schedule with what each visit is worth, who is new, who has confirmed,
the chair time still open, the recalls due, and yesterday's production and collections.

This is the one part of odnb that lists patients (by name) — it exists for the team's own huddle, not for
reports that leave the office.

Requests: appointments for the day, operatories, providers, definitions (ApptConfirmed), patients/Simple
(paged), schedules (the day's month and the two weeks before it: working days for the day goal, the
previous working day, the day's provider blocks), recalls (paged: the API has no due-date filter), one
small ShortQuery for the previous working day's production and collections (with the Queries permission;
else the local store if there is one), and one procedurelogs request per patient on the schedule (the
API has no date filter for procedures). In service mode that takes seconds; on the free remote tier
(1 request / 5 s) a 25-patient day costs about 5 minutes.

Example:
    >>> h = day_huddle(odnb.connect("demo"), "2026-11-24")   # doctest: +SKIP
    >>> h.schedule.columns[:4].tolist()                       # doctest: +SKIP
    ['Time', 'Operatory', 'Provider', 'Patient']
    >>> open_slots([(480, 720)], [(480, 540), (600, 630)])
    [(540, 600), (630, 720)]
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pandas as pd

from odnb.periods import parse_date

# Appointments that hold a chair on the day (others are notes, plans or lists).
ON_SCHEDULE = ("Scheduled", "Complete", "ASAP", "Broken")
# Appointments that take chair time: a broken appointment leaves its chair open.
BOOKED = ("Scheduled", "Complete", "ASAP")
# Open Dental's appointment Pattern has one character per time increment: 5 minutes unless the office's
# AppointmentTimeIncrement preference says 10 or 15.
MINUTES_PER_CHAR = 5
# The monthly goal the day's scheduled production is compared with (``[profiles.NAME.goals]``).
DAY_GOAL_KEY = "gross_production"
YESTERDAY_KEYS = ("gross_production", "net_production", "collections")

Interval = tuple[int, int]  # minutes after midnight, [start, stop)


@dataclass
class Huddle:
    """The day's schedule (one row per appointment) and the figures the huddle talks about.

    ``chair_time``: one row per operatory (scheduled, booked and open minutes, the open slots).
    ``recalls``: recalls due this week (Monday to Sunday) and not scheduled, soonest first.
    ``previous_day`` and ``previous``: the last working day before ``day`` and its gross production, net
    production and collections (None with the reason in ``previous_reasons`` when not computable: they
    need the Queries permission or a local store).
    ``day_goal``: the monthly gross production goal divided by the month's working days (None without one).
    """

    day: date
    schedule: pd.DataFrame
    by_provider: pd.DataFrame
    requests: int
    chair_time: pd.DataFrame = field(default_factory=pd.DataFrame)
    recalls: pd.DataFrame = field(default_factory=pd.DataFrame)
    previous_day: date | None = None
    previous: dict[str, float | None] = field(default_factory=dict)
    previous_reasons: dict[str, str] = field(default_factory=dict)
    day_goal: float | None = None
    working_days_in_month: int = 0

    @property
    def scheduled_production(self) -> float:
        return round(float(self.schedule["Scheduled $"].sum()), 2)

    @property
    def new_patients(self) -> int:
        return int(self.schedule["New patient"].sum())

    @property
    def open_minutes(self) -> int:
        return int(self.chair_time["Open minutes"].sum()) if len(self.chair_time) else 0

    @property
    def goal_attainment(self) -> float | None:
        """Scheduled production / day goal (None without a goal)."""
        return self.scheduled_production / self.day_goal if self.day_goal else None


def _fee(procs: pd.DataFrame) -> pd.Series:
    units = procs["UnitQty"].fillna(0) + procs["BaseUnits"].fillna(0)
    return (procs["ProcFee"].fillna(0) * units).astype("Float64")


def _names(frame: pd.DataFrame, key: str, label: str) -> dict[int, str]:
    if frame.empty:
        return {}
    return dict(zip(frame[key].astype(int), frame[label].astype(str), strict=False))


# ---------------------------------------------------------------------------------------------------------
# Chair time


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Overlapping or touching intervals joined: ``merge([(0, 10), (5, 20), (30, 40)])`` is
    ``[(0, 20), (30, 40)]``."""
    out: list[list[int]] = []
    for a, b in sorted(i for i in intervals if i[1] > i[0]):
        if out and a <= out[-1][1]:
            out[-1][1] = max(out[-1][1], b)
        else:
            out.append([a, b])
    return [(a, b) for a, b in out]


def open_slots(scheduled: Iterable[Interval], booked: Iterable[Interval]) -> list[Interval]:
    """The parts of ``scheduled`` that no ``booked`` interval covers."""
    cuts = merge(booked)
    out: list[Interval] = []
    for a, b in merge(scheduled):
        start = a
        for c, d in cuts:
            if d <= start or c >= b:
                continue
            if c > start:
                out.append((start, c))
            start = max(start, d)
        if start < b:
            out.append((start, b))
    return out


def _minutes(intervals: Iterable[Interval]) -> int:
    return sum(b - a for a, b in intervals)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def appointment_minutes(pattern: object, minutes_per_char: int = MINUTES_PER_CHAR) -> int:
    """Length of an appointment from its Pattern (``"/XX/"`` is 20 minutes at 5 minutes a character)."""
    return len(pattern) * minutes_per_char if isinstance(pattern, str) else 0


def _op_numbers(text: object) -> list[int]:
    return [int(p) for p in str(text or "").replace(" ", "").split(",") if p.isdigit()]


def chair_time(
    schedules: pd.DataFrame,
    appointments: pd.DataFrame,
    operatories: Mapping[int, str],
    day: date,
    *,
    minutes_per_char: int = MINUTES_PER_CHAR,
) -> pd.DataFrame:
    """Open chair time by operatory: provider schedule blocks of ``day`` (their ``operatories``) minus the
    time booked by appointments that take the chair (Scheduled, Complete, ASAP; a broken one leaves it open).
    Blockouts are not subtracted (they are often time kept for a kind of visit, still open to book).

    Columns: Operatory, Scheduled minutes, Booked minutes (inside the schedule), Open minutes, Open slots.
    """
    blocks: dict[int, list[Interval]] = {}
    rows = schedules
    if len(rows):
        kind = rows["SchedType"].astype("string")
        days = pd.to_datetime(rows["SchedDate"], errors="coerce").dt.date
        rows = rows[(kind == "Provider").to_numpy(dtype=bool, na_value=False) & (days == day).to_numpy()]
    for row in rows.itertuples(index=False):
        if pd.isna(row.StartTime) or pd.isna(row.StopTime):
            continue
        span = (int(row.StartTime.total_seconds() // 60), int(row.StopTime.total_seconds() // 60))
        for op in _op_numbers(row.operatories):
            blocks.setdefault(op, []).append(span)
    booked: dict[int, list[Interval]] = {}
    apts = appointments
    if len(apts):
        apts = apts[apts["AptStatus"].astype(str).isin(BOOKED)]
    for apt in apts.itertuples(index=False):
        if pd.isna(apt.Op) or pd.isna(apt.AptDateTime) or apt.AptDateTime.date() != day:
            continue
        start = apt.AptDateTime.hour * 60 + apt.AptDateTime.minute
        booked.setdefault(int(apt.Op), []).append((start, start + appointment_minutes(apt.Pattern,
                                                                                      minutes_per_char)))
    records = []
    for op in sorted(blocks):
        scheduled = merge(blocks[op])
        free = open_slots(scheduled, booked.get(op, []))
        total, left = _minutes(scheduled), _minutes(free)
        records.append({
            "Operatory": operatories.get(op, f"Op {op}"),
            "Scheduled minutes": total,
            "Booked minutes": total - left,
            "Open minutes": left,
            "Open slots": ", ".join(f"{_clock(a)}-{_clock(b)}" for a, b in free) or "none",
        })
    return pd.DataFrame(records, columns=["Operatory", "Scheduled minutes", "Booked minutes", "Open minutes",
                                          "Open slots"])


# ---------------------------------------------------------------------------------------------------------
# Recalls, goals, the previous working day


def week_of(day: date) -> tuple[date, date]:
    """Monday and Sunday of ``day``'s week."""
    monday = day - timedelta(days=day.weekday())
    return monday, monday + timedelta(days=6)


def recalls_due(recalls: pd.DataFrame, patients: pd.DataFrame, day: date) -> pd.DataFrame:
    """Recalls due in ``day``'s week (Monday to Sunday) that are not scheduled: not disabled (nor disabled
    until after ``day``), no DateScheduled, for a patient whose status is Patient. Soonest first.

    Columns: Due, When ("today" or the weekday), Patient, Recall interval, Reminder (the recall status).
    """
    columns = ["Due", "When", "Patient", "Recall interval", "Reminder"]
    if recalls.empty:
        return pd.DataFrame(columns=columns)
    first, last = week_of(day)
    due = pd.to_datetime(recalls["DateDue"], errors="coerce").dt.normalize()
    until = pd.to_datetime(recalls["DisableUntilDate"], errors="coerce")
    keep = (
        due.between(pd.Timestamp(first), pd.Timestamp(last)).to_numpy(dtype=bool)
        & ~recalls["IsDisabled"].fillna(False).to_numpy(dtype=bool)
        & recalls["DateScheduled"].isna().to_numpy()
        & ~(until > pd.Timestamp(day)).to_numpy(dtype=bool)
    )
    rows = recalls[keep].assign(_due=due[keep].dt.date)
    people = patients.set_index("PatNum") if len(patients) else pd.DataFrame()
    active = set(people.index[people["PatStatus"].astype(str) == "Patient"]) if len(people) else set()
    rows = rows[rows["PatNum"].isin(active)]

    def name(pat: int) -> str:
        return f"{people.at[pat, 'FName']} {people.at[pat, 'LName']}".strip() or f"#{pat}"

    out = pd.DataFrame({
        "Due": rows["_due"],
        "When": ["today" if d == day else f"{d:%A}" for d in rows["_due"]],
        "Patient": [name(int(p)) for p in rows["PatNum"]],
        "Recall interval": rows["RecallInterval"].astype(str),
        "Reminder": rows["recallStatus"].astype("string").fillna("").astype(str)
        if "recallStatus" in rows.columns else "",
    }, columns=columns)
    return out.sort_values(["Due", "Patient"]).reset_index(drop=True)


def month_working_days(day: date, scheduled_days: Iterable[date]) -> list[date]:
    """The working days of ``day``'s month (days with a provider schedule; Monday-Friday if none)."""
    from odnb.kpis.goals import working_days

    first = day.replace(day=1)
    last = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    return working_days(first, last, scheduled_days)


def day_goal(monthly: float | None, day: date, scheduled_days: Iterable[date]) -> float | None:
    """A monthly goal spread over the month's working days: the goal for one working day.

    >>> day_goal(42000, date(2026, 12, 2), [date(2026, 12, d) for d in range(1, 22)])
    2000.0
    """
    if not monthly:
        return None
    days = month_working_days(day, scheduled_days)
    return round(float(monthly) / len(days), 2) if days else None


def previous_working_day(day: date, scheduled_days: Iterable[date]) -> date:
    """The last working day before ``day`` (a day with a provider schedule within the two weeks before it;
    Monday-Friday when the schedules hold none)."""
    from odnb.kpis.goals import working_days

    days = working_days(day - timedelta(days=14), day - timedelta(days=1), scheduled_days)
    return days[-1] if days else day - timedelta(days=1)


# ---------------------------------------------------------------------------------------------------------
# The huddle


def previous_day_totals(client: Any, day: date) -> tuple[dict[str, float | None], dict[str, str]]:
    """Gross production, net production and collections of ``day``: one small ShortQuery (the Queries
    permission), else from the practice's local store when there is one; otherwise None with the reason
    (the list endpoints would pull every procedure ever done: minutes on the free tier, for one figure)."""
    from odnb.kpis import sql
    from odnb.kpis.scorecard import _one_line

    try:
        return sql.day_totals(client, day, day), {}
    except Exception as exc:  # no Queries permission, or a server that cannot run it
        why = _one_line(exc)
    try:
        from odnb.kpis.scorecard import scorecard

        card = scorecard(client, day, day, source="store", adjustments="per_patient")
        values = {k: card.values.get(k) for k in YESTERDAY_KEYS}
        return values, {k: card.reasons[k] for k in YESTERDAY_KEYS if values[k] is None and k in card.reasons}
    except Exception:
        reason = (f"needs the Queries permission for this key, or a local store (run `odnb sync`); "
                  f"ShortQuery said: {why}")
        return dict.fromkeys(YESTERDAY_KEYS), dict.fromkeys(YESTERDAY_KEYS, reason)


def _confirmations(client: Any) -> dict[int, str]:
    """ApptConfirmed definitions: DefNum -> name ("Not Called", "Texted", ...)."""
    defs = client.definitions("ApptConfirmed")
    return _names(defs, "DefNum", "ItemName")


def day_huddle(
    client: Any,
    day: str | date,
    *,
    goals: Mapping[str, float] | None = None,
    minutes_per_char: int = MINUTES_PER_CHAR,
) -> Huddle:
    """Build the huddle for ``day`` (yyyy-mm-dd) from the API, with the fewest requests it allows.

    ``goals``: the profile's monthly goals (``odnb.api.profiles.profile_goals(name)``); the day goal is
    the ``gross_production`` goal over the month's working days. ``minutes_per_char``: the office's
    appointment time increment (Open Dental's AppointmentTimeIncrement; 5 by default).
    """
    from odnb.kpis.goals import schedule_days

    day = parse_date(day, "day")
    if minutes_per_char not in (5, 10, 15):
        from odnb.kpis.frames import KPIInputError

        raise KPIInputError(f"minutes_per_char={minutes_per_char!r}: Open Dental's appointment time "
                            "increment is 5, 10 or 15 minutes (Setup, Appointments, Time Increments)")
    before = client.request_count
    all_apts = client.appointments(day, day)
    apts = all_apts[all_apts["AptStatus"].astype(str).isin(ON_SCHEDULE)].sort_values(["AptDateTime", "Op"])
    ops = _names(client.operatories(), "OperatoryNum", "OpName")
    providers = client.providers()
    prov = _names(providers, "ProvNum", "Abbr")
    confirmations = _confirmations(client)
    patients = client.patients()
    people = patients.set_index("PatNum")
    month_end = day.replace(day=calendar.monthrange(day.year, day.month)[1])
    schedules = client.schedules(min(day.replace(day=1), day - timedelta(days=14)), month_end)
    sched_days = schedule_days(schedules)
    recalls = recalls_due(client.recalls(), patients, day)

    previous = previous_working_day(day, sched_days)
    yesterday, reasons = previous_day_totals(client, previous)

    rows = []
    for pat_num in apts["PatNum"].dropna().astype(int).unique():
        procs = client.procedures(PatNum=int(pat_num))
        if procs.empty:
            continue
        procs = procs.assign(fee=_fee(procs))
        unscheduled = procs[(procs["ProcStatus"].astype(str) == "TP") & (procs["AptNum"].fillna(0) == 0)]
        rows.append({"PatNum": pat_num, "unscheduled": float(unscheduled["fee"].sum()),
                     "by_apt": procs.groupby("AptNum")["fee"].sum().to_dict()})
    per_patient = {r["PatNum"]: r for r in rows}

    def patient_field(pat: int, column: str, default: Any) -> Any:
        return people.at[pat, column] if pat in people.index and column in people.columns else default

    def confirmation(apt: Any) -> str:
        num = apt.Confirmed
        if pd.notna(num) and int(num) in confirmations:
            return confirmations[int(num)]
        twin = getattr(apt, "confirmed", None)  # the API's display string, when the definition is hidden
        return str(twin) if isinstance(twin, str) and twin else ""

    records = []
    for apt in apts.itertuples(index=False):
        pat = int(apt.PatNum)
        info = per_patient.get(pat, {"unscheduled": 0.0, "by_apt": {}})
        name = f"{patient_field(pat, 'FName', '')} {patient_field(pat, 'LName', '')}".strip() or f"#{pat}"
        hygiene = bool(apt.IsHygiene) if pd.notna(apt.IsHygiene) else False
        provider = apt.ProvHyg if hygiene and pd.notna(apt.ProvHyg) and apt.ProvHyg else apt.ProvNum
        balance = patient_field(pat, "EstBalance", 0.0)
        records.append({
            "Time": apt.AptDateTime.strftime("%H:%M") if pd.notna(apt.AptDateTime) else "",
            "Operatory": ops.get(int(apt.Op), f"Op {apt.Op}") if pd.notna(apt.Op) else "",
            "Provider": prov.get(int(provider), f"#{provider}") if pd.notna(provider) else "",
            "Patient": name,
            "Status": str(apt.AptStatus),
            "Confirmation": confirmation(apt),
            "Kind": "Hygiene" if hygiene else "Doctor",
            "Minutes": appointment_minutes(apt.Pattern, minutes_per_char),
            "Procedures": apt.ProcDescript or "",
            "Scheduled $": round(float(info["by_apt"].get(apt.AptNum, 0.0)), 2),
            "New patient": bool(apt.IsNewPatient) if pd.notna(apt.IsNewPatient) else False,
            "Unscheduled treatment $": round(info["unscheduled"], 2),
            "Balance $": round(float(balance), 2) if pd.notna(balance) else 0.0,
        })
    schedule = pd.DataFrame(records, columns=[
        "Time", "Operatory", "Provider", "Patient", "Status", "Confirmation", "Kind", "Minutes", "Procedures",
        "Scheduled $", "New patient", "Unscheduled treatment $", "Balance $"])
    by_provider = (
        schedule.groupby(["Provider", "Kind"], as_index=False)
        .agg(**{"Appointments": ("Patient", "size"), "Minutes": ("Minutes", "sum"),
                "Scheduled $": ("Scheduled $", "sum")})
        .sort_values(["Kind", "Provider"])
        .reset_index(drop=True)
    )
    monthly = (goals or {}).get(DAY_GOAL_KEY)
    return Huddle(
        day=day, schedule=schedule.reset_index(drop=True), by_provider=by_provider,
        requests=client.request_count - before,
        chair_time=chair_time(schedules, all_apts, ops, day, minutes_per_char=minutes_per_char),
        recalls=recalls, previous_day=previous, previous=yesterday, previous_reasons=reasons,
        day_goal=day_goal(monthly, day, sched_days),
        working_days_in_month=len(month_working_days(day, sched_days)),
    )
