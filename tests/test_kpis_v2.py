"""The v2 KPIs (docs/kpis.md, "Version 2") on both paths, against an oracle written here from the contract's
words: plain SQL on the practice file with sqlite3, and the ledger aged charge by charge in Python (the
library ages bucket sums; the oracle walks each charge). The demo practice, and an unseen practice with
three clinics (another seed), by clinic too; the per-provider breakdown likewise.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from test_scorecard import _window_start, oracle

import odnb
from odnb import kpis
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY, DEMO_READONLY_CUSTOMER_KEY

SPAN = (date(2026, 4, 1), date(2026, 9, 30))
FEE = "CAST(ROUND(p.ProcFee * 100) AS INTEGER) * (p.UnitQty + p.BaseUnits)"


def connect(server: Any, key: str) -> odnb.Client:
    return odnb.connect(
        base_url=server.base_url, developer_key=DEMO_DEVELOPER_KEY, customer_key=key, progress=False
    )


def _rows(con: sqlite3.Connection, sql: str, *args: object) -> list[tuple[Any, ...]]:
    return con.execute(sql, args).fetchall()


def _cents(value: Any) -> int:
    return round(float(value or 0) * 100)


def oracle_aging(con: sqlite3.Connection, d: date, clinic: int | None) -> dict[str, int]:
    """Each family's charges oldest first; its credits pay them in that order; what is left is aged."""
    where = "" if clinic is None else f" AND x.ClinicNum = {clinic}"
    guar = dict(_rows(con, "SELECT PatNum, Guarantor FROM patient"))
    ds = d.isoformat()
    charges: dict[int, list[tuple[str, int]]] = defaultdict(list)
    credit: dict[int, int] = defaultdict(int)
    for pat, day, fee in _rows(
        con,
        f"SELECT x.PatNum, x.ProcDate, CAST(ROUND(x.ProcFee * 100) AS INTEGER) * (x.UnitQty + x.BaseUnits) "
        f"FROM procedurelog x WHERE x.ProcStatus = 2 AND x.ProcDate > '1880' AND x.ProcDate <= ?{where}",
        ds,
    ):
        charges[guar[pat]].append((day[:10], fee))
    for pat, day, amt in _rows(
        con,
        f"SELECT x.PatNum, x.AdjDate, x.AdjAmt FROM adjustment x WHERE x.AdjDate > '1880' "
        f"AND x.AdjDate <= ?{where}",
        ds,
    ):
        if amt > 0:
            charges[guar[pat]].append((day[:10], _cents(amt)))
        else:
            credit[guar[pat]] -= _cents(amt)
    for pat, amt in _rows(
        con,
        f"SELECT x.PatNum, x.SplitAmt FROM paysplit x WHERE x.DatePay > '1880' AND x.DatePay <= ?{where}",
        ds,
    ):
        credit[guar[pat]] += _cents(amt)
    for pat, ins, wo in _rows(
        con,
        f"SELECT x.PatNum, x.InsPayAmt, x.WriteOff FROM claimproc x WHERE x.Status IN (1, 4) "
        f"AND x.DateCP > '1880' AND x.DateCP <= ?{where}",
        ds,
    ):
        credit[guar[pat]] += _cents(ins) + _cents(wo)
    out = dict.fromkeys(("ar_0_30", "ar_31_60", "ar_61_90", "ar_over_90"), 0)
    for family in set(charges) | set(credit):
        left = credit[family]
        owed: list[tuple[str, int]] = []
        for day, amount in sorted(charges[family]):
            paid = min(max(left, 0), amount)
            left -= paid
            owed.append((day, amount - paid))
        for day, amount in owed:
            age = (d - date.fromisoformat(day)).days
            key = (
                "ar_0_30"
                if age <= 30
                else "ar_31_60"
                if age <= 60
                else "ar_61_90"
                if age <= 90
                else "ar_over_90"
            )
            out[key] += amount
        out["ar_0_30"] -= left  # credit left over (or a refund beyond the charges) sits in 0-30
    return out


def oracle_v2(db: Path, start: date, end: date, clinic: int | None = None) -> dict[str, Any]:
    """Every v2 KPI of the contract, from the SQLite file (as_of = end)."""
    s, e = start.isoformat(), end.isoformat()
    at = "" if clinic is None else f" AND p.ClinicNum = {clinic}"
    apt_at = "" if clinic is None else f" AND a.ClinicNum = {clinic}"
    with sqlite3.connect(db) as con:
        one = lambda sql, *a: int(_rows(con, sql, *a)[0][0] or 0)  # noqa: E731
        gross = one(
            f"SELECT SUM({FEE}) FROM procedurelog p WHERE ProcStatus = 2 AND ProcDate BETWEEN ? AND ?{at}",
            s,
            e,
        )
        hyg = one(
            f"SELECT SUM({FEE}) FROM procedurelog p WHERE ProcStatus = 2 AND ProcDate BETWEEN ? AND ?{at} "
            "AND ProvNum IN (SELECT ProvNum FROM provider WHERE IsSecondary = 1)",
            s,
            e,
        )
        visits = one(
            "SELECT COUNT(*) FROM appointment a WHERE AptStatus = 2 "
            f"AND date(AptDateTime) BETWEEN ? AND ?{apt_at}",
            s,
            e,
        )
        booked = {r[0] for r in _rows(con, f"SELECT AptNum FROM appointment a WHERE AptStatus = 1{apt_at}")}
        planned = accepted = 0
        for status, apt, fee in _rows(
            con,
            f"SELECT ProcStatus, AptNum, {FEE} FROM procedurelog p WHERE ProcStatus IN (1, 2) "
            f"AND date(DateTP) BETWEEN ? AND ?{at}",
            s,
            e,
        ):
            planned += fee
            accepted += fee if status == 2 or apt in booked else 0
        in_period = {
            r[0]
            for r in _rows(
                con,
                "SELECT AptNum FROM appointment a WHERE AptStatus IN (1, 2) "
                "AND date(AptDateTime) BETWEEN ? AND ?"
                f"{apt_at}",
                s,
                e,
            )
        }
        scheduled = sum(
            fee
            for apt, fee in _rows(
                con, f"SELECT AptNum, {FEE} FROM procedurelog p WHERE ProcStatus IN (1, 2){at}"
            )
            if apt in in_period
        )
        active = {
            r[0]
            for r in _rows(
                con,
                f"SELECT DISTINCT p.PatNum FROM procedurelog p JOIN patient t ON t.PatNum = p.PatNum "
                f"WHERE p.ProcStatus = 2 AND t.PatStatus = 0 AND date(p.ProcDate) BETWEEN ? AND ?{at}",
                _window_start(end, 18).isoformat(),
                e,
            )
        }
        unscheduled = sum(
            fee
            for pat, apt, fee in _rows(
                con, f"SELECT PatNum, AptNum, {FEE} FROM procedurelog p WHERE ProcStatus = 1{at}"
            )
            if pat in active and apt not in booked
        )
        aging = oracle_aging(con, end, clinic)
        cp_at = "" if clinic is None else f" AND ClinicNum = {clinic}"
        estimate = one(
            "SELECT SUM(CAST(ROUND(InsPayEst * 100) AS INTEGER)) FROM claimproc WHERE ProcDate > '1880' "
            f"AND ProcDate <= ? AND (Status = 0 OR (Status = 1 AND DateCP > ?)){cp_at}",
            e,
            e,
        )
        claims = _rows(
            con,
            "SELECT DateSent, ClaimFee FROM claim WHERE DateSent > '1880' AND DateSent <= ? "
            f"AND (ClaimStatus = 'S' OR (ClaimStatus = 'R' AND DateReceived > ?)){cp_at}",
            e,
            e,
        )
    total = sum(aging.values())
    ratio = lambda a, b: a / b if b else None  # noqa: E731
    return {
        "hygiene_production": hyg / 100,
        "hygiene_production_share": ratio(hyg, gross),
        "production_per_visit": round(gross / visits) / 100 if visits else None,
        "treatment_acceptance": ratio(accepted, planned),
        "scheduled_production": scheduled / 100,
        "unscheduled_treatment": unscheduled / 100,
        "accounts_receivable_as_of": total / 100,
        **{k: v / 100 for k, v in aging.items()},
        "ar_over_90_share": ratio(aging["ar_over_90"], total),
        "ar_insurance_estimate": estimate / 100,
        "ar_patient_estimate": (total - estimate) / 100,
        "outstanding_claims": len(claims),
        "outstanding_claims_amount": sum(_cents(fee) for _, fee in claims) / 100,
        "outstanding_claims_over_30": sum(
            1 for sent, _ in claims if (end - date.fromisoformat(sent[:10])).days > 30
        ),
    }


def oracle_clinic_v1(db: Path, start: date, end: date, clinic: int) -> dict[str, Any]:
    """The v1 KPIs of one clinic that do not follow from cutting tables: new patients and today's A/R."""
    s, e = start.isoformat(), end.isoformat()
    with sqlite3.connect(db) as con:
        first: dict[int, str] = {}
        rows = _rows(
            con,
            "SELECT p.PatNum, p.ProcDate, p.ClinicNum FROM procedurelog p "
            "JOIN procedurecode c ON c.CodeNum = p.CodeNum "
            "WHERE p.ProcStatus = 2 AND c.ProcCode NOT IN ('D9986', 'D9987') AND p.ProcDate > '1880'",
        )
        for pat, day, _ in rows:
            first[pat] = min(first.get(pat, day[:10]), day[:10])
        new = {
            pat
            for pat, day, where in rows
            if where == clinic and day[:10] == first[pat] and s <= day[:10] <= e
        }
        ar = int(
            _rows(
                con,
                "SELECT SUM(CAST(ROUND(BalTotal * 100) AS INTEGER)) FROM patient WHERE Guarantor = PatNum "
                "AND ClinicNum = ?",
                clinic,
            )[0][0]
            or 0
        )
    return {"new_patients": len(new), "accounts_receivable": ar / 100}


def assert_close(got: dict[str, Any], want: dict[str, Any]) -> None:
    """Money to the cent, counts exactly, ratios to 1e-12 (the same integers divided)."""
    for key, value in want.items():
        if value is None or got[key] is None:
            assert got[key] == value, key
        else:
            assert got[key] == pytest.approx(value, abs=1e-9), key


@pytest.fixture(scope="module")
def clinics_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An unseen practice: another seed, three clinics."""
    from odnb.demo.practice import PracticeSpec, build_practice

    spec = PracticeSpec(seed=23, patients=120, years=2, clinics=3, today=date(2026, 11, 24))
    return build_practice(tmp_path_factory.mktemp("clinics") / "clinics.sqlite", spec)


def test_the_v2_oracle_sees_something(demo_db: Path) -> None:
    truth = oracle_v2(demo_db, *SPAN)
    for key in (
        "hygiene_production",
        "scheduled_production",
        "unscheduled_treatment",
        "ar_0_30",
        "outstanding_claims",
        "ar_insurance_estimate",
    ):
        assert truth[key], key
    assert 0 < truth["treatment_acceptance"] < 1


def test_v2_on_the_demo_practice_both_paths(simulator: Any, demo_db: Path) -> None:
    truth = {**oracle(demo_db, *SPAN), **oracle_v2(demo_db, *SPAN)}
    card = kpis.scorecard(connect(simulator, DEMO_CUSTOMER_KEY), *SPAN)
    # one ShortQuery page and the request that confirms its end (odnb.api.paging)
    assert card.requests == 2 and card.reasons == {}
    assert set(card.values) == set(kpis.KPI_KEYS)
    assert_close(card.values, truth)
    listed = kpis.scorecard(connect(simulator, DEMO_READONLY_CUSTOMER_KEY), *SPAN, use_queries=False)
    needs_adjustments = {
        "adjustments",
        "net_production",
        "collection_ratio",
        "accounts_receivable_as_of",
        "ar_0_30",
        "ar_31_60",
        "ar_61_90",
        "ar_over_90",
        "ar_over_90_share",
        "ar_patient_estimate",
    }
    assert {k for k, v in listed.values.items() if v is None} == needs_adjustments
    assert_close(
        {k: v for k, v in listed.values.items() if k not in needs_adjustments},
        {k: v for k, v in truth.items() if k not in needs_adjustments},
    )
    out = card.to_dict()
    assert out["as_of"] == SPAN[1].isoformat() and out["clinic"] is None
    assert out["kinds"]["ar_0_30"] == "snapshot" and out["kinds"]["gross_production"] == "period"


@pytest.mark.parametrize("clinic", [None, 1, 3])
def test_v2_on_an_unseen_practice_with_clinics(
    make_simulator: Callable[..., Any], clinics_db: Path, clinic: int | None
) -> None:
    server = make_simulator(db=clinics_db, mode="service")
    truth = {**oracle(clinics_db, *SPAN), **oracle_v2(clinics_db, *SPAN, clinic)}
    if clinic is not None:
        truth = {**oracle_v2(clinics_db, *SPAN, clinic), **oracle_clinic_v1(clinics_db, *SPAN, clinic)}
    by_sql = kpis.scorecard(connect(server, DEMO_CUSTOMER_KEY), *SPAN, clinic=clinic)
    assert_close(by_sql.values, truth)
    listed = kpis.scorecard(
        connect(server, DEMO_READONLY_CUSTOMER_KEY),
        *SPAN,
        clinic=clinic,
        adjustments="per_patient",
        use_queries=False,
    )
    assert listed.reasons == {} or set(listed.reasons) <= {"ar_over_90_share"}
    assert listed.values == by_sql.values  # both paths, to the cent
    if clinic is not None:  # the clinic really cuts: less than the whole practice
        whole = kpis.scorecard(connect(server, DEMO_CUSTOMER_KEY), *SPAN)
        assert 0 < by_sql.values["gross_production"] < whole.values["gross_production"]


def test_aging_as_of_today_is_the_balance_the_office_carries(simulator: Any, demo_db: Path) -> None:
    """The ledger as of the practice's today equals the sum of the guarantors' BalTotal."""
    today = date(2026, 11, 24)
    card = kpis.scorecard(connect(simulator, DEMO_CUSTOMER_KEY), today - timedelta(days=30), today)
    assert card.values["accounts_receivable_as_of"] == card.values["accounts_receivable"]


def oracle_providers(db: Path, start: date, end: date, clinic: int | None) -> dict[int, dict[str, Any]]:
    """By provider, from the contract's words (payment-date write-offs), money in cents."""
    s, e = start.isoformat(), end.isoformat()
    at = "" if clinic is None else f" AND ClinicNum = {clinic}"
    queries = {
        "gross_production": f"SELECT ProvNum, SUM({FEE}) FROM procedurelog p WHERE ProcStatus = 2 "
        f"AND ProcDate BETWEEN ? AND ?{at} GROUP BY ProvNum",
        "adjustments": "SELECT ProvNum, SUM(CAST(ROUND(AdjAmt * 100) AS INTEGER)) FROM adjustment "
        f"WHERE AdjDate BETWEEN ? AND ?{at} GROUP BY ProvNum",
        "writeoffs": "SELECT ProvNum, SUM(CAST(ROUND(WriteOff * 100) AS INTEGER)) FROM claimproc "
        f"WHERE Status IN (1, 4) AND DateCP BETWEEN ? AND ?{at} GROUP BY ProvNum",
        "insurance": "SELECT ProvNum, SUM(CAST(ROUND(InsPayAmt * 100) AS INTEGER)) FROM claimproc "
        f"WHERE Status IN (1, 4) AND DateCP BETWEEN ? AND ?{at} GROUP BY ProvNum",
        "patient": "SELECT ProvNum, SUM(CAST(ROUND(SplitAmt * 100) AS INTEGER)) FROM paysplit "
        f"WHERE DatePay BETWEEN ? AND ?{at} GROUP BY ProvNum",
    }
    out: dict[int, dict[str, Any]] = defaultdict(lambda: defaultdict(int))
    with sqlite3.connect(db) as con:
        for key, sql in queries.items():
            for prov, v in _rows(con, sql, s, e):
                out[prov][key] += v
        for is_hyg, hyg, prov in _rows(
            con,
            f"SELECT IsHygiene, ProvHyg, ProvNum FROM appointment WHERE AptStatus = 2 "
            f"AND date(AptDateTime) BETWEEN ? AND ?{at}",
            s,
            e,
        ):
            out[hyg if is_hyg and hyg else prov]["visits"] += 1
        names = {p: f"{f} {n}" for p, f, n in _rows(con, "SELECT ProvNum, FName, LName FROM provider")}
    for prov, row in out.items():
        row["name"] = names[prov]
    return out


@pytest.mark.parametrize("clinic", [None, 2])
def test_by_provider_both_paths_match_the_oracle(
    make_simulator: Callable[..., Any], clinics_db: Path, clinic: int | None
) -> None:
    from odnb.kpis.breakdowns import provider_kpis

    server = make_simulator(db=clinics_db, mode="service")
    truth = oracle_providers(clinics_db, *SPAN, clinic)
    by_sql = provider_kpis(connect(server, DEMO_CUSTOMER_KEY), *SPAN, clinic=clinic)
    listed = provider_kpis(
        connect(server, DEMO_READONLY_CUSTOMER_KEY),
        *SPAN,
        clinic=clinic,
        adjustments="per_patient",
        use_queries=False,
    )
    pd.testing.assert_frame_equal(by_sql, listed)
    assert set(by_sql["ProvNum"]) == set(truth)
    for row in by_sql.to_dict("records"):
        want = truth[row["ProvNum"]]
        assert row["name"] == want["name"]
        assert row["gross_production"] == want["gross_production"] / 100
        assert (
            row["net_production"]
            == (want["gross_production"] + want["adjustments"] - want["writeoffs"]) / 100
        )
        assert row["collections"] == (want["insurance"] + want["patient"]) / 100
        assert row["visits"] == want["visits"]
        if want["visits"]:
            assert row["production_per_visit"] == round(want["gross_production"] / want["visits"]) / 100
    assert by_sql["visits"].sum() > 0 and by_sql["hygienist"].any()


def test_clinic_table_has_one_row_per_clinic(make_simulator: Callable[..., Any], clinics_db: Path) -> None:
    from odnb.kpis.breakdowns import clinic_table

    server = make_simulator(db=clinics_db, mode="service")
    data = kpis.PracticeData(connect(server, DEMO_CUSTOMER_KEY))
    table = clinic_table(data, *SPAN, ("gross_production", "new_patients"))
    whole = kpis.scorecard(data, *SPAN)
    assert list(table["ClinicNum"]) == [1, 2, 3]
    assert round(table["gross_production"].sum(), 2) == whole.values["gross_production"]
