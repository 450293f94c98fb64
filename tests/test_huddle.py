"""The morning huddle against the simulator, checked against SQL on the practice file."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

import odnb
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY
from odnb.kpis.huddle import day_huddle
from odnb.periods import PeriodError


def busiest_day(db: Path) -> str:
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT substr(AptDateTime, 1, 10) d FROM appointment WHERE AptStatus IN (1, 2, 4, 5) "
            "GROUP BY d ORDER BY count(*) DESC, d LIMIT 1").fetchone()[0]


def test_huddle_matches_the_database(simulator, demo_db: Path) -> None:
    day = busiest_day(demo_db)
    od = odnb.connect(base_url=simulator.base_url, developer_key=DEMO_DEVELOPER_KEY,
                      customer_key=DEMO_CUSTOMER_KEY, progress=False)
    huddle = day_huddle(od, day)
    with sqlite3.connect(demo_db) as con:
        apts = con.execute(
            "SELECT a.AptNum, a.PatNum, (SELECT coalesce(sum(ProcFee * (UnitQty + BaseUnits)), 0) "
            "FROM procedurelog p WHERE p.AptNum = a.AptNum) FROM appointment a "
            "WHERE substr(AptDateTime, 1, 10) = ? AND AptStatus IN (1, 2, 4, 5)", (day,)).fetchall()
        unscheduled = dict(con.execute(
            "SELECT PatNum, sum(ProcFee * (UnitQty + BaseUnits)) FROM procedurelog "
            "WHERE ProcStatus = 1 AND AptNum = 0 GROUP BY PatNum").fetchall())
    patients = {pat for _, pat, _ in apts}
    assert len(huddle.schedule) == len(apts) > 5
    assert huddle.scheduled_production == pytest.approx(round(sum(fee for *_, fee in apts), 2))
    expected_unscheduled = sorted(round(unscheduled.get(pat, 0.0), 2) for _, pat, _ in apts)
    assert sorted(huddle.schedule["Unscheduled treatment $"]) == pytest.approx(expected_unscheduled)
    # appointments, operatories, providers, patients/Simple (one page each), then one pull per patient;
    # a non-empty pull costs one more request, the one that confirms the end
    with sqlite3.connect(demo_db) as con:
        with_procs = {r[0] for r in con.execute("SELECT DISTINCT PatNum FROM procedurelog")}
    assert huddle.requests == 2 * 4 + sum(2 if pat in with_procs else 1 for pat in patients)
    assert huddle.by_provider["Appointments"].sum() == len(apts)
    assert set(huddle.by_provider["Kind"]) <= {"Hygiene", "Doctor"}


def test_bad_day_is_refused_before_any_request(simulator) -> None:
    od = odnb.connect(base_url=simulator.base_url, developer_key=DEMO_DEVELOPER_KEY,
                      customer_key=DEMO_CUSTOMER_KEY, progress=False)
    with pytest.raises(PeriodError, match="yyyy-mm-dd"):
        day_huddle(od, "24/11/2026")
    assert simulator.log.count() == 0
