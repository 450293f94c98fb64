"""scorecard() and the client-level breakdowns against the simulator over loopback, every KPI
cross-checked against SQL run here, directly with sqlite3, on the demo practice file.

The SQL in this file is written independently of odnb.kpis.sql (SQLite's own date(), joins instead of
EXISTS, new patients worked out in Python ...), straight from the contract's wording.
"""

from __future__ import annotations

import calendar
import json
import sqlite3
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import odnb
from odnb import kpis
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY, DEMO_READONLY_CUSTOMER_KEY

HALF_YEAR = (date(2026, 1, 1), date(2026, 6, 30))
ONE_MONTH = (date(2025, 3, 1), date(2025, 3, 31))
PAGE = 1000  # service-mode page size


def connect(server: Any, key: str = DEMO_CUSTOMER_KEY) -> odnb.Client:
    return odnb.connect(
        base_url=server.base_url, developer_key=DEMO_DEVELOPER_KEY, customer_key=key, progress=False
    )


# ---------------------------------------------------------------------------------------------- the oracle


def _one(con: sqlite3.Connection, sql: str, *args: object) -> int:
    value = con.execute(sql, args).fetchone()[0]
    return int(value or 0)


def _window_start(end: date, months: int) -> date:
    """First day of the ``months`` months ending at ``end``: same day ``months`` earlier, plus one day."""
    y, m = divmod(end.year * 12 + end.month - 1 - months, 12)
    back = date(y, m + 1, min(end.day, calendar.monthrange(y, m + 1)[1]))
    return back + timedelta(days=1)


def oracle(
    db: Path,
    start: date,
    end: date,
    *,
    writeoff_mode: str = "payment_date",
    ratio_denominator: str = "net",
    active_months: int = 18,
) -> dict[str, float | int | None]:
    """Every KPI of the contract, from the SQLite file (ints: ProcStatus C=2 TP=1; claimproc
    NotReceived=0 Received=1 Supplemental=4; AptStatus Scheduled=1 Complete=2 Broken=5; PatStatus 0)."""
    s, e = start.isoformat(), end.isoformat()
    with sqlite3.connect(db) as con:
        fee = "CAST(ROUND(ProcFee * 100) AS INTEGER) * (UnitQty + BaseUnits)"
        gross = _one(
            con,
            f"SELECT SUM({fee}) FROM procedurelog WHERE ProcStatus = 2 AND date(ProcDate) BETWEEN ? AND ?",
            s,
            e,
        )
        adj = _one(
            con,
            "SELECT SUM(CAST(ROUND(AdjAmt * 100) AS INTEGER)) FROM adjustment "
            "WHERE date(AdjDate) BETWEEN ? AND ?",
            s,
            e,
        )
        if writeoff_mode == "payment_date":
            wo_where = "Status IN (1, 4) AND date(DateCP) BETWEEN ? AND ?"
        else:
            wo_where = "Status IN (0, 1, 4) AND date(ProcDate) BETWEEN ? AND ?"
        wo = _one(
            con, f"SELECT SUM(CAST(ROUND(WriteOff * 100) AS INTEGER)) FROM claimproc WHERE {wo_where}", s, e
        )
        pat_in = _one(
            con,
            "SELECT SUM(CAST(ROUND(SplitAmt * 100) AS INTEGER)) FROM paysplit "
            "WHERE date(DatePay) BETWEEN ? AND ?",
            s,
            e,
        )
        ins_in = _one(
            con,
            "SELECT SUM(CAST(ROUND(InsPayAmt * 100) AS INTEGER)) FROM claimproc "
            "WHERE Status IN (1, 4) AND date(DateCP) BETWEEN ? AND ?",
            s,
            e,
        )
        # New patients, in Python: each patient's first completed procedure (no D9986/D9987, dated).
        first: dict[int, str] = {}
        for pat, day in con.execute(
            "SELECT p.PatNum, p.ProcDate FROM procedurelog p JOIN procedurecode c ON c.CodeNum = p.CodeNum "
            "WHERE p.ProcStatus = 2 AND c.ProcCode NOT IN ('D9986', 'D9987') AND p.ProcDate > '1000'"
        ):
            first[pat] = min(first.get(pat, day), day)
        new = sum(1 for day in first.values() if s <= day[:10] <= e)
        active = _one(
            con,
            "SELECT COUNT(*) FROM patient WHERE PatStatus = 0 AND PatNum IN (SELECT PatNum FROM procedurelog "
            "WHERE ProcStatus = 2 AND date(ProcDate) BETWEEN ? AND ?)",
            _window_start(end, active_months).isoformat(),
            e,
        )
        done = _one(
            con,
            "SELECT COUNT(*) FROM appointment WHERE AptStatus = 2 AND date(AptDateTime) BETWEEN ? AND ?",
            s,
            e,
        )
        broken = _one(
            con,
            "SELECT COUNT(*) FROM appointment WHERE AptStatus = 5 AND date(AptDateTime) BETWEEN ? AND ?",
            s,
            e,
        )
        hyg = _one(
            con,
            "SELECT COUNT(*) FROM appointment WHERE AptStatus = 2 AND IsHygiene = 1 "
            "AND date(AptDateTime) BETWEEN ? AND ?",
            s,
            e,
        )
        reappointed = _one(
            con,
            "SELECT COUNT(DISTINCT a.AptNum) FROM appointment a JOIN appointment b ON b.PatNum = a.PatNum "
            "AND b.AptStatus IN (1, 2) AND b.AptDateTime > a.AptDateTime AND b.SecDateTEntry > '1000' "
            "AND date(b.SecDateTEntry) <= date(a.AptDateTime) "
            "WHERE a.AptStatus = 2 AND a.IsHygiene = 1 AND date(a.AptDateTime) BETWEEN ? AND ?",
            s,
            e,
        )
        accepted = _one(
            con,
            f"SELECT SUM({fee}) FROM procedurelog WHERE ProcStatus = 2 AND date(DateTP) BETWEEN ? AND ?",
            s,
            e,
        )
        planned = _one(
            con,
            f"SELECT SUM({fee}) FROM procedurelog WHERE ProcStatus IN (1, 2) "
            "AND date(DateTP) BETWEEN ? AND ?",
            s,
            e,
        )
        ar = _one(
            con, "SELECT SUM(CAST(ROUND(BalTotal * 100) AS INTEGER)) FROM patient WHERE Guarantor = PatNum"
        )
    net = gross + adj - wo
    money_in = pat_in + ins_in
    den = net if ratio_denominator == "net" else gross

    def ratio(a: int, b: int) -> float | None:
        return a / b if b else None

    return {
        "gross_production": round(gross / 100, 2),
        "adjustments": round(adj / 100, 2),
        "writeoffs": round(wo / 100, 2),
        "net_production": round(net / 100, 2),
        "patient_income": round(pat_in / 100, 2),
        "insurance_income": round(ins_in / 100, 2),
        "collections": round(money_in / 100, 2),
        "collection_ratio": ratio(money_in, den),
        "new_patients": new,
        "active_patients": active,
        "appointments_completed": done,
        "appointments_broken": broken,
        "broken_rate": ratio(broken, broken + done),
        "hygiene_visits": hyg,
        "hygiene_reappointment_rate": ratio(reappointed, hyg),
        "case_acceptance": ratio(accepted, planned),
        "accounts_receivable": round(ar / 100, 2),
    }


def v1(values: dict[str, Any]) -> dict[str, Any]:
    """The v1 keys of a scorecard (the v2 keys are checked in test_kpis_v2.py)."""
    return {k: values[k] for k in kpis.V1_KEYS}


# KPIs built on the ledger: without adjustments (list path, adjustments="auto") they are null too.
LEDGER_KEYS = {"accounts_receivable_as_of", "ar_0_30", "ar_31_60", "ar_61_90", "ar_over_90"}
LEDGER_KEYS |= {"ar_over_90_share", "ar_patient_estimate"}


def count(db: Path, sql: str, *args: object) -> int:
    with sqlite3.connect(db) as con:
        return _one(con, sql, *args)


def pages(rows: int) -> int:
    """Requests a full pull of ``rows`` rows takes: every page (a full last page is followed by an empty
    one), plus the request one row back that confirms the end; an empty result is one request."""
    return rows // PAGE + 2 if rows else 1


def test_the_oracle_sees_a_busy_practice(demo_db: Path) -> None:
    """Guard against a vacuous cross-check: every component is non-zero in the periods under test."""
    for start, end in (HALF_YEAR, ONE_MONTH):
        truth = oracle(demo_db, start, end)
        assert all(v for v in truth.values()), truth
    assert count(demo_db, "SELECT COUNT(*) FROM claimproc WHERE Status = 4 AND InsPayAmt <> 0") > 0


# ---------------------------------------------------------------------------------------- ShortQuery path

OPTION_SETS = [
    (HALF_YEAR, {}),
    (ONE_MONTH, {"writeoff_mode": "procedure_date", "ratio_denominator": "gross", "active_months": 12}),
]


@pytest.mark.parametrize(("span", "options"), OPTION_SETS)
def test_shortquery_path_matches_sqlite_in_one_request(
    simulator: Any, demo_db: Path, span: tuple[date, date], options: dict[str, Any]
) -> None:
    card = kpis.scorecard(connect(simulator), *span, **options)
    assert v1(card.values) == oracle(demo_db, *span, **options)
    assert set(card.reasons) <= {"ar_over_90_share"}
    assert set(card.sources.values()) == {"ShortQuery"}
    # The whole scorecard is one ShortQuery (14 rows: one page, plus the request that confirms the end).
    assert card.requests == 2
    assert (
        len(simulator.log) == 2 and simulator.log.count("queries/ShortQuery", method="PUT", status=200) == 2
    )


def test_scorecard_output_shapes(simulator: Any) -> None:
    card = kpis.scorecard(connect(simulator), *HALF_YEAR)
    frame = card.to_frame()
    assert list(frame["kpi"]) == list(kpis.KPI_KEYS)
    assert list(frame.columns) == ["kpi", "label", "value", "display", "reason", "source"]
    assert frame.loc[0, "display"].startswith("$")
    out = card.to_dict()
    assert out["period"] == {"start": "2026-01-01", "end": "2026-06-30"}
    assert list(out["values"]) == list(kpis.KPI_KEYS)
    json.dumps(out)  # JSON-ready


# ---------------------------------------------------------------------------------------------- list path


def test_list_path_matches_sqlite_and_explains_adjustments(simulator: Any, demo_db: Path) -> None:
    start, end = HALF_YEAR
    card = kpis.scorecard(connect(simulator, DEMO_READONLY_CUSTOMER_KEY), start, end)
    truth = oracle(demo_db, start, end)
    no_adjustments = {"adjustments", "net_production", "collection_ratio"}
    for key in kpis.V1_KEYS:
        if key in no_adjustments:
            assert card.values[key] is None, key
        else:
            assert card.values[key] == truth[key], key
    patients = count(demo_db, "SELECT COUNT(*) FROM patient")
    why = card.reasons["adjustments"]
    assert f"one request per patient: {patients:,} patients ≈ {patients:,} requests" in why
    assert "Queries permission computes it in one" in why
    assert "needs adjustments" in card.reasons["net_production"]
    assert card.reasons["collection_ratio"] == card.reasons["net_production"]
    assert set(card.reasons) == no_adjustments | LEDGER_KEYS
    assert any("ShortQuery not used" in note for note in card.notes)
    assert any("procedurelogs has no date filter" in note for note in card.notes)

    # Exactly the pulls needed, each a full paged pull with its filter: nothing fetched twice.
    log = simulator.log
    assert log.count("queries/ShortQuery", status=401) == 1  # the Queries probe (the scorecard query)
    c_rows = count(demo_db, "SELECT COUNT(*) FROM procedurelog WHERE ProcStatus = 2")
    tp_rows = count(demo_db, "SELECT COUNT(*) FROM procedurelog WHERE ProcStatus = 1")
    assert log.count("procedurelogs") == pages(c_rows) + pages(tp_rows)
    received = count(demo_db, "SELECT COUNT(*) FROM claimproc WHERE Status = 1")
    supplemental = count(demo_db, "SELECT COUNT(*) FROM claimproc WHERE Status = 4")
    waiting = count(demo_db, "SELECT COUNT(*) FROM claimproc WHERE Status = 0")
    assert log.count("claimprocs") == pages(received) + pages(supplemental) + pages(waiting)
    assert log.count("claims") == pages(count(demo_db, "SELECT COUNT(*) FROM claim"))
    assert log.count("providers") == pages(count(demo_db, "SELECT COUNT(*) FROM provider"))
    assert log.count("paysplits") == pages(count(demo_db, "SELECT COUNT(*) FROM paysplit"))
    later = count(demo_db, "SELECT COUNT(*) FROM appointment WHERE date(AptDateTime) >= ?", start.isoformat())
    booked = count(demo_db, "SELECT COUNT(*) FROM appointment WHERE AptStatus = 1")
    assert log.count("appointments") == pages(later) + pages(booked)
    assert log.count("patients/Simple") == pages(patients)
    assert log.count("procedurecodes") == 0  # procedurelogs carry procCode
    assert log.count("adjustments") == 0
    assert card.requests == len(log)
    assert {e.query.get("ProcStatus") for e in log if e.path.endswith("procedurelogs")} == {"C", "TP"}
    apt_queries = {
        (e.query.get("dateStart"), e.query.get("AptStatus")) for e in log if e.path.endswith("appointments")
    }
    assert apt_queries == {("2026-01-01", None), (None, "Scheduled")}


def test_list_path_without_the_probe_and_by_procedure_date(simulator: Any, demo_db: Path) -> None:
    options = {"writeoff_mode": "procedure_date", "ratio_denominator": "gross", "active_months": 12}
    card = kpis.scorecard(
        connect(simulator, DEMO_READONLY_CUSTOMER_KEY), *ONE_MONTH, use_queries=False, **options
    )
    truth = oracle(demo_db, *ONE_MONTH, **options)
    # With the gross denominator the collection ratio does not need adjustments.
    assert {k for k, v in card.values.items() if v is None} == {"adjustments", "net_production"} | LEDGER_KEYS
    assert {k: v for k, v in v1(card.values).items() if v is not None} == {
        k: truth[k] for k, v in v1(card.values).items() if v is not None
    }
    assert simulator.log.count("queries/ShortQuery") == 0
    statuses = {e.query.get("Status") for e in simulator.log if e.path.endswith("claimprocs")}
    assert statuses == {"Received", "Supplemental", "NotReceived"}


@pytest.fixture(scope="module")
def small_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 40-patient practice, so the one-request-per-patient adjustments pull stays quick."""
    from odnb.demo.practice import PracticeSpec, build_practice

    spec = PracticeSpec(seed=11, patients=40, years=1, today=date(2026, 11, 24))
    return build_practice(tmp_path_factory.mktemp("small") / "small.sqlite", spec)


def test_per_patient_adjustments_complete_the_list_path(
    make_simulator: Callable[..., Any], small_db: Path
) -> None:
    server = make_simulator(db=small_db, mode="service")
    start, end = date(2026, 1, 1), date(2026, 10, 31)
    listed = kpis.scorecard(
        connect(server, DEMO_READONLY_CUSTOMER_KEY), start, end, adjustments="per_patient", use_queries=False
    )
    truth = oracle(small_db, start, end)
    assert truth["adjustments"] != 0
    assert v1(listed.values) == truth
    assert set(listed.reasons) <= {"ar_over_90_share"}
    patients = count(small_db, "SELECT COUNT(*) FROM patient")
    with_adjustments = count(small_db, "SELECT COUNT(DISTINCT PatNum) FROM adjustment")
    assert server.log.count("adjustments") == patients + with_adjustments  # non-empty: one confirmation
    assert listed.sources["adjustments"] == "API list + per-patient adjustments"
    # ... and the ShortQuery path agrees, value for value.
    assert kpis.scorecard(connect(server), start, end).values == listed.values


def test_adjustment_cost_is_stated_for_the_remote_tier(simulator: Any) -> None:
    od = odnb.connect(
        base_url=simulator.base_url,
        developer_key=DEMO_DEVELOPER_KEY,
        customer_key=DEMO_READONLY_CUSTOMER_KEY,
        progress=False,
        mode="remote",
        tier="read_all",
    )
    why = kpis.adjustments_cost(od, 1500)
    assert "1,500 patients ≈ 1,500 requests, ≈ 125 minutes at this key's tier (5 s per request)" in why
    assert len(simulator.log) == 0


# ---------------------------------------------------------------------------------------------- failures


def test_a_failing_endpoint_gives_null_and_reason_not_a_wrong_number(simulator: Any, demo_db: Path) -> None:
    c_rows = count(demo_db, "SELECT COUNT(*) FROM procedurelog WHERE ProcStatus = 2")
    assert c_rows > PAGE  # so the failure below hits the middle of a multi-page pull
    # Request 1 = procedurelogs?ProcStatus=C page 1 (fine), request 2 = its page 2 -> 400.
    simulator.faults.script = [None, 400]
    card = kpis.scorecard(
        connect(simulator, DEMO_READONLY_CUSTOMER_KEY), *HALF_YEAR, use_queries=False, adjustments="skip"
    )
    truth = oracle(demo_db, *HALF_YEAR)
    lost = {"gross_production", "new_patients", "active_patients", "case_acceptance"}
    for key in lost:
        assert card.values[key] is None, key
        assert card.reasons[key].startswith("procedurelogs?ProcStatus=C could not be fetched: "), (
            card.reasons[key]
        )
        assert "\n" not in card.reasons[key]
    assert card.reasons["adjustments"] == "skipped (adjustments='skip')"
    nulls = lost | {"adjustments", "net_production", "collection_ratio"}
    assert {k for k, v in v1(card.values).items() if v is None} == nulls
    assert all(card.values[k] == truth[k] for k in kpis.V1_KEYS if k not in nulls)


def test_shortquery_failure_falls_back_or_reports(simulator: Any, demo_db: Path) -> None:
    simulator.faults.script = [400]
    strict = kpis.scorecard(connect(simulator), *HALF_YEAR, use_queries=True)
    assert all(v is None for v in strict.values.values())
    assert all(r.startswith("ShortQuery failed: ") for r in strict.reasons.values())
    assert set(strict.reasons) == set(kpis.KPI_KEYS)

    simulator.faults.script = [400]
    fallback = kpis.scorecard(connect(simulator), *HALF_YEAR)
    assert any(note.startswith("ShortQuery not used") for note in fallback.notes)
    truth = oracle(demo_db, *HALF_YEAR)
    assert fallback.values["gross_production"] == truth["gross_production"]
    assert fallback.values["adjustments"] is None  # list path, adjustments="auto"


def test_bad_options_are_refused_before_any_request(simulator: Any) -> None:
    od = connect(simulator)
    with pytest.raises(kpis.KPIInputError, match="after end"):
        kpis.scorecard(od, "2026-02-01", "2026-01-01")
    with pytest.raises(kpis.KPIInputError, match="writeoff_mode"):
        kpis.scorecard(od, *HALF_YEAR, writeoff_mode="claim")  # type: ignore[arg-type]
    with pytest.raises(kpis.KPIInputError, match="adjustments"):
        kpis.scorecard(od, *HALF_YEAR, adjustments="all")  # type: ignore[arg-type]
    with pytest.raises(kpis.KPIInputError, match="use_queries"):
        kpis.scorecard(od, *HALF_YEAR, use_queries="yes")  # type: ignore[arg-type]
    assert len(simulator.log) == 0


# ---------------------------------------------------------------------------------------------- breakdowns


def oracle_months(db: Path, start: date, end: date) -> pd.DataFrame:
    """Gross production, write-offs (payment date), patient and insurance income by month, in cents."""
    s, e = start.isoformat(), end.isoformat()
    queries = {
        "gross_production": "SELECT strftime('%Y-%m', ProcDate), SUM(CAST(ROUND(ProcFee * 100) AS INTEGER) * "
        "(UnitQty + BaseUnits)) FROM procedurelog WHERE ProcStatus = 2 AND ProcDate BETWEEN ? AND ? "
        "GROUP BY 1",
        "writeoffs": "SELECT strftime('%Y-%m', DateCP), SUM(CAST(ROUND(WriteOff * 100) AS INTEGER)) "
        "FROM claimproc WHERE Status IN (1, 4) AND DateCP BETWEEN ? AND ? GROUP BY 1",
        "patient_income": "SELECT strftime('%Y-%m', DatePay), SUM(CAST(ROUND(SplitAmt * 100) AS INTEGER)) "
        "FROM paysplit WHERE DatePay BETWEEN ? AND ? GROUP BY 1",
        "adjustments": "SELECT strftime('%Y-%m', AdjDate), SUM(CAST(ROUND(AdjAmt * 100) AS INTEGER)) "
        "FROM adjustment WHERE AdjDate BETWEEN ? AND ? GROUP BY 1",
    }
    with sqlite3.connect(db) as con:
        data = {k: dict(con.execute(q, (s, e)).fetchall()) for k, q in queries.items()}
    months = sorted(set().union(*data.values()))
    return pd.DataFrame(
        {k: [round(v.get(m, 0) / 100, 2) for m in months] for k, v in data.items()}, index=months
    )


def test_breakdowns_share_fetches_and_agree_across_paths(simulator: Any, demo_db: Path) -> None:
    start, end = HALF_YEAR
    truth = oracle_months(demo_db, start, end)

    # ShortQuery path: one request each.
    data = kpis.PracticeData(connect(simulator))
    kpis.scorecard(data, start, end)
    sql_trend = kpis.monthly_trend(data, start, end)
    sql_prov = kpis.provider_production(data, start, end)
    sql_aging = kpis.aging(data)
    assert sum(e.query.get("Offset") == "0" for e in simulator.log) == 4  # four ShortQueries
    assert len(simulator.log) <= 8  # each confirmed by at most one more request
    assert list(sql_trend["month"].dt.strftime("%Y-%m")) == list(truth.index)
    for col in truth.columns:
        assert list(sql_trend[col]) == list(truth[col]), col

    # List path: the trend and A/R aging reuse the scorecard's pulls; by provider adds only providers.
    simulator.log.clear()
    data = kpis.PracticeData(connect(simulator, DEMO_READONLY_CUSTOMER_KEY))
    card = kpis.scorecard(data, start, end)
    after_card = len(simulator.log)
    list_trend = kpis.monthly_trend(data, start, end)
    list_prov = kpis.provider_production(data, start, end)
    list_aging = kpis.aging(data)
    # (the scorecard already fetched providers: it finds the hygienists; 2 = the page and its confirmation)
    assert len(simulator.log) == after_card and simulator.log.count("providers") == 2

    assert list_trend["adjustments"].isna().all() and list_trend["net_production"].isna().all()
    same = ["month", "gross_production", "writeoffs", "patient_income", "insurance_income", "collections"]
    pd.testing.assert_frame_equal(list_trend[same], sql_trend[same])
    assert round(float(list_trend["gross_production"].sum()), 2) == card.values["gross_production"]
    pd.testing.assert_frame_equal(list_prov, sql_prov)
    # patients/Simple carries BalTotal but no aging buckets: <NA> with the reason, not a wrong number.
    assert list(list_aging["bucket"]) == list(sql_aging["bucket"]) and list_aging["amount"].isna().all()
    assert "Queries permission" in list_aging.attrs["reason"]

    with sqlite3.connect(demo_db) as con:
        by_prov = dict(
            con.execute(
                "SELECT ProvNum, SUM(CAST(ROUND(ProcFee * 100) AS INTEGER) * (UnitQty + BaseUnits)) "
                "FROM procedurelog WHERE ProcStatus = 2 AND ProcDate BETWEEN ? AND ? GROUP BY ProvNum",
                (start.isoformat(), end.isoformat()),
            ).fetchall()
        )
        over90 = (
            con.execute(
                "SELECT SUM(CAST(ROUND(BalOver90 * 100) AS INTEGER)) FROM patient WHERE Guarantor = PatNum"
            ).fetchone()[0]
            or 0
        )
    assert dict(zip(list_prov["ProvNum"], list_prov["gross_production"], strict=True)) == {
        p: round(c / 100, 2) for p, c in by_prov.items()
    }
    assert list(list_prov["gross_production"]) == sorted(list_prov["gross_production"], reverse=True)
    assert list_prov["Abbr"].notna().all()
    assert sql_aging.set_index("bucket").loc["BalOver90", "amount"] == round(over90 / 100, 2)
