"""The morning huddle against the simulator, each figure checked against an oracle written here: plain SQL
on the practice file with sqlite3 (and chair time as sets of minutes, not intervals)."""

from __future__ import annotations

import sqlite3
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
import pytest
from conftest import TEST_TODAY

import odnb
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY, DEMO_READONLY_CUSTOMER_KEY
from odnb.kpis.frames import KPIInputError
from odnb.kpis.huddle import Huddle, chair_time, day_huddle, merge, open_slots, recalls_due
from odnb.periods import PeriodError

GOALS = {"gross_production": 63000.0}
NO_DATE = "0001-01-01"


def busiest_day(db: Path) -> str:
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT substr(AptDateTime, 1, 10) d FROM appointment WHERE AptStatus IN (1, 2, 4, 5) "
            "GROUP BY d ORDER BY count(*) DESC, d LIMIT 1").fetchone()[0]


def connect(server: object, key: str = DEMO_CUSTOMER_KEY) -> odnb.Client:
    return odnb.connect(base_url=server.base_url, developer_key=DEMO_DEVELOPER_KEY,  # type: ignore[attr-defined]
                        customer_key=key, progress=False)


@pytest.fixture(scope="module")
def huddle(demo_db: Path, tmp_path_factory: pytest.TempPathFactory) -> Huddle:
    from conftest import isolate

    from odnb.demo.server import DemoServer, SimulatorConfig

    server = DemoServer(demo_db, SimulatorConfig(mode="service")).start()
    try:
        with pytest.MonkeyPatch.context() as mp:
            isolate(mp, tmp_path_factory.mktemp("huddle"))
            return day_huddle(connect(server), TEST_TODAY, goals=GOALS)
    finally:
        server.stop()


def _minutes(hhmmss: str) -> int:
    h, m, *_ = hhmmss.split(":")
    return int(h) * 60 + int(m)


def oracle_previous_day(con: sqlite3.Connection, day: str) -> str:
    """The last day with a provider schedule within the 14 days before ``day``."""
    start = (date.fromisoformat(day) - timedelta(days=14)).isoformat()
    return con.execute("SELECT max(SchedDate) FROM schedule WHERE SchedType = 1 AND SchedDate >= ? "
                       "AND SchedDate < ?", (start, day)).fetchone()[0]


def test_huddle_matches_the_database(huddle: Huddle, demo_db: Path) -> None:
    day = huddle.day.isoformat()
    with sqlite3.connect(demo_db) as con:
        apts = con.execute(
            "SELECT a.AptNum, a.PatNum, (SELECT coalesce(sum(ProcFee * (UnitQty + BaseUnits)), 0) "
            "FROM procedurelog p WHERE p.AptNum = a.AptNum) FROM appointment a "
            "WHERE substr(AptDateTime, 1, 10) = ? AND AptStatus IN (1, 2, 4, 5)", (day,)).fetchall()
        unscheduled = dict(con.execute(
            "SELECT PatNum, sum(ProcFee * (UnitQty + BaseUnits)) FROM procedurelog "
            "WHERE ProcStatus = 1 AND AptNum = 0 GROUP BY PatNum").fetchall())
        with_procs = {r[0] for r in con.execute("SELECT DISTINCT PatNum FROM procedurelog")}
    patients = {pat for _, pat, _ in apts}
    assert len(huddle.schedule) == len(apts) >= 3
    assert huddle.scheduled_production == pytest.approx(round(sum(fee for *_, fee in apts), 2))
    expected_unscheduled = sorted(round(unscheduled.get(pat, 0.0), 2) for _, pat, _ in apts)
    assert sorted(huddle.schedule["Unscheduled treatment $"]) == pytest.approx(expected_unscheduled)
    # appointments, operatories, providers, definitions, patients/Simple, schedules, recalls (one or more
    # pages each, then the request that confirms the end), one ShortQuery (a page and its confirmation),
    # then one pull per patient (a non-empty pull costs one more request, the one that confirms the end)
    per_patient = sum(2 if pat in with_procs else 1 for pat in patients)
    assert huddle.requests == huddle_pages(huddle, demo_db) + per_patient
    assert huddle.by_provider["Appointments"].sum() == len(apts)
    assert set(huddle.by_provider["Kind"]) <= {"Hygiene", "Doctor"}


def huddle_pages(huddle: Huddle, db: Path) -> int:
    """Requests of the fixed pulls at the simulator's service page size (1000): pages + 1 each (none of
    them is empty)."""
    day = huddle.day
    first = min(day.replace(day=1), day - timedelta(days=14))
    last = (day.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)
    with sqlite3.connect(db) as con:
        counts = [
            1,  # appointments of the day (fewer than a page)
            con.execute("SELECT count(*) FROM operatory").fetchone()[0],
            con.execute("SELECT count(*) FROM provider").fetchone()[0],
            con.execute("SELECT count(*) FROM definition WHERE Category = 2 AND IsHidden = 0").fetchone()[0],
            con.execute("SELECT count(*) FROM patient").fetchone()[0],
            con.execute("SELECT count(*) FROM schedule WHERE SchedDate BETWEEN ? AND ?",
                        (first.isoformat(), last.isoformat())).fetchone()[0],
            con.execute("SELECT count(*) FROM recall").fetchone()[0],
            1,  # the ShortQuery's five rows
        ]
    return sum(n // 1000 + 2 for n in counts)


def test_new_patients_and_confirmation_status(huddle: Huddle, demo_db: Path) -> None:
    with sqlite3.connect(demo_db) as con:
        rows = con.execute(
            "SELECT substr(a.AptDateTime, 12, 5), p.FName || ' ' || p.LName, a.IsNewPatient, d.ItemName "
            "FROM appointment a JOIN patient p ON p.PatNum = a.PatNum "
            "LEFT JOIN definition d ON d.DefNum = a.Confirmed AND d.Category = 2 "
            "WHERE substr(a.AptDateTime, 1, 10) = ? AND a.AptStatus IN (1, 2, 4, 5)",
            (huddle.day.isoformat(),)).fetchall()
    expected = sorted((t, name, bool(new), conf or "") for t, name, new, conf in rows)
    got = sorted(zip(huddle.schedule["Time"], huddle.schedule["Patient"], huddle.schedule["New patient"],
                     huddle.schedule["Confirmation"], strict=True))
    assert got == expected
    assert huddle.new_patients == sum(1 for *_, new, _ in expected if new) > 0
    assert len({c for *_, c in expected}) > 1  # the day has more than one status: the column means something
    assert "" not in {c for *_, c in got}


def test_yesterday_and_the_day_goal(huddle: Huddle, demo_db: Path) -> None:
    day = huddle.day.isoformat()
    with sqlite3.connect(demo_db) as con:
        prev = oracle_previous_day(con, day)
        one = lambda sql: con.execute(sql, (prev,)).fetchone()[0] or 0  # noqa: E731
        gross = one("SELECT sum(round(ProcFee * 100) * (UnitQty + BaseUnits)) FROM procedurelog "
                    "WHERE ProcStatus = 2 AND ProcDate = ?")
        adj = one("SELECT sum(round(AdjAmt * 100)) FROM adjustment WHERE AdjDate = ?")
        wo = one("SELECT sum(round(WriteOff * 100)) FROM claimproc WHERE Status IN (1, 4) AND DateCP = ?")
        pat = one("SELECT sum(round(SplitAmt * 100)) FROM paysplit WHERE DatePay = ?")
        ins = one("SELECT sum(round(InsPayAmt * 100)) FROM claimproc WHERE Status IN (1, 4) AND DateCP = ?")
        month = day[:7]
        working = con.execute("SELECT count(DISTINCT SchedDate) FROM schedule WHERE SchedType = 1 "
                              "AND substr(SchedDate, 1, 7) = ?", (month,)).fetchone()[0]
    assert huddle.previous_day == date.fromisoformat(prev)
    assert huddle.previous == {"gross_production": round(gross / 100, 2),
                               "net_production": round((gross + adj - wo) / 100, 2),
                               "collections": round((pat + ins) / 100, 2)}
    assert gross > 0 and pat + ins > 0
    assert huddle.working_days_in_month == working > 15
    assert huddle.day_goal == pytest.approx(round(GOALS["gross_production"] / working, 2))
    assert huddle.goal_attainment == pytest.approx(huddle.scheduled_production / huddle.day_goal)


def oracle_chair_time(db: Path, day: str) -> dict[str, tuple[set[int], set[int]]]:
    """Operatory name -> (minutes in a provider schedule, minutes booked by a Scheduled, Complete or ASAP
    appointment), each a set of minutes after midnight."""
    scheduled: dict[str, set[int]] = {}
    booked: dict[str, set[int]] = {}
    with sqlite3.connect(db) as con:
        for op, start, stop in con.execute(
                "SELECT o.OpName, s.StartTime, s.StopTime FROM schedule s "
                "JOIN scheduleop so ON so.ScheduleNum = s.ScheduleNum "
                "JOIN operatory o ON o.OperatoryNum = so.OperatoryNum "
                "WHERE s.SchedType = 1 AND s.SchedDate = ?", (day,)):
            scheduled.setdefault(op, set()).update(range(_minutes(start), _minutes(stop)))
        for op, at, pattern in con.execute(
                "SELECT o.OpName, substr(a.AptDateTime, 12, 5), a.Pattern FROM appointment a "
                "JOIN operatory o ON o.OperatoryNum = a.Op "
                "WHERE substr(a.AptDateTime, 1, 10) = ? AND a.AptStatus IN (1, 2, 4)", (day,)):
            begin = _minutes(at)
            booked.setdefault(op, set()).update(range(begin, begin + 5 * len(pattern)))
    return {op: (minutes, booked.get(op, set())) for op, minutes in scheduled.items()}


def check_chair_time(chair: pd.DataFrame, expected: dict[str, tuple[set[int], set[int]]]) -> None:
    chair = chair.set_index("Operatory")
    assert set(chair.index) == set(expected)
    for op, (minutes, booked) in expected.items():
        free = minutes - booked
        assert chair.at[op, "Scheduled minutes"] == len(minutes)
        assert chair.at[op, "Open minutes"] == len(free)
        assert chair.at[op, "Booked minutes"] == len(minutes & booked)
        slot_minutes: set[int] = set()
        for slot in chair.at[op, "Open slots"].split(", "):
            if slot != "none":
                a, b = slot.split("-")
                slot_minutes.update(range(_minutes(a), _minutes(b)))
        assert slot_minutes == free


def test_open_chair_time_by_operatory(huddle: Huddle, demo_db: Path, simulator) -> None:
    expected = oracle_chair_time(demo_db, huddle.day.isoformat())
    check_chair_time(huddle.chair_time, expected)
    assert 0 < huddle.open_minutes < sum(len(m) for m, _ in expected.values())
    # the day before, with a broken appointment (its chair time is open again), by the same function
    day = date(2026, 11, 23)
    with sqlite3.connect(demo_db) as con:
        assert con.execute("SELECT count(*) FROM appointment WHERE AptStatus = 5 "
                           "AND substr(AptDateTime, 1, 10) = ?", (day.isoformat(),)).fetchone()[0] > 0
    od = connect(simulator)
    ops = dict(zip(od.operatories()["OperatoryNum"].astype(int), od.operatories()["OpName"], strict=True))
    chair = chair_time(od.schedules(day, day), od.appointments(day, day), ops, day)
    check_chair_time(chair, oracle_chair_time(demo_db, day.isoformat()))


def oracle_recalls(db: Path, day: date) -> list[tuple[str, str]]:
    monday = day - timedelta(days=day.weekday())
    sunday = monday + timedelta(days=6)
    with sqlite3.connect(db) as con:
        return sorted(con.execute(
            "SELECT r.DateDue, p.FName || ' ' || p.LName FROM recall r JOIN patient p ON p.PatNum = r.PatNum "
            "WHERE r.DateDue BETWEEN ? AND ? AND r.IsDisabled = 0 AND r.DateScheduled = ? "
            "AND p.PatStatus = 0", (monday.isoformat(), sunday.isoformat(), NO_DATE)).fetchall())


def test_recalls_due_this_week_not_scheduled(huddle: Huddle, demo_db: Path, simulator) -> None:
    got = sorted(zip(huddle.recalls["Due"].astype(str), huddle.recalls["Patient"], strict=True))
    assert got == oracle_recalls(demo_db, huddle.day)
    # a week where most recalls due are already scheduled: only the others are listed
    od = connect(simulator)
    recalls, patients = od.recalls(), od.patients()
    week = date(2026, 11, 30)
    with sqlite3.connect(demo_db) as con:
        scheduled = con.execute("SELECT count(*) FROM recall WHERE DateDue BETWEEN ? AND ? "
                                "AND DateScheduled <> ?", ("2026-11-30", "2026-12-06", NO_DATE)).fetchone()[0]
    due = recalls_due(recalls, patients, week)
    expected = oracle_recalls(demo_db, week)
    assert sorted(zip(due["Due"].astype(str), due["Patient"], strict=True)) == expected
    assert len(expected) > 0 and scheduled > len(expected)
    assert set(due.loc[due["Due"] == week, "When"]) <= {"today"}


def test_yesterday_without_queries_says_what_is_missing(simulator, demo_db: Path) -> None:
    h = day_huddle(connect(simulator, DEMO_READONLY_CUSTOMER_KEY), busiest_day(demo_db))
    assert h.previous == dict.fromkeys(("gross_production", "net_production", "collections"))
    assert "Queries permission" in h.previous_reasons["collections"]
    assert h.day_goal is None  # no goals given


def test_interval_helpers() -> None:
    assert merge([(0, 10), (5, 20), (30, 40), (40, 45)]) == [(0, 20), (30, 45)]
    assert open_slots([(480, 720), (780, 1020)], [(470, 500), (600, 630), (700, 800)]) == [
        (500, 600), (630, 700), (800, 1020)]
    assert open_slots([(480, 720)], []) == [(480, 720)]


def test_bad_day_is_refused_before_any_request(simulator) -> None:
    od = connect(simulator)
    with pytest.raises(PeriodError, match="yyyy-mm-dd"):
        day_huddle(od, "24/11/2026")
    with pytest.raises(KPIInputError, match="5, 10 or 15"):
        day_huddle(od, "2026-11-24", minutes_per_char=7)
    assert simulator.log.count() == 0
