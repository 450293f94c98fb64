"""The ShortQuery path of :mod:`odnb.kpis`: every KPI as one SQL aggregate, run on the office database.

The SQL is plain enough to be valid MySQL (the office) and SQLite (the demo simulator): Open Dental's
integer enums (:mod:`odnb.api.enums`), date literals ``'yyyy-mm-dd'``, ``BETWEEN``, ``DATE()``, ``SUBSTR()``,
``ROUND()``, ``COALESCE()``, ``EXISTS``, ``UNION ALL``; no MySQL-only function. Money is summed as
``ROUND(x * 100)`` (integer cents, exact in a double) and turned into dollars in Python, exactly as the
list path does. Dates before 1880 (Open Dental's ``0001-01-01``) count as "no date" in both paths.

:func:`scorecard_sql` returns one row per component (``k``, ``v``): 14 v1 rows and 13 v2 rows (the
aging from the family ledger, claims, treatment), so the whole scorecard is a single ShortQuery request.
Clinic filters are ``AND x.ClinicNum = N`` on every table; the aging uses ``CASE``, not GREATEST/LEAST.

Example:
    >>> from datetime import date
    >>> sql = scorecard_sql(date(2026, 1, 1), date(2026, 1, 31))
    >>> sql.count("SELECT '")  # one row per component
    27
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from odnb.api.enums import APT_STATUS, CLAIMPROC_STATUS, PAT_STATUS, PROC_STATUS
from odnb.api.errors import BadResponse
from odnb.kpis import frames
from odnb.kpis.catalog import KPI_KEYS

C = PROC_STATUS["C"]
TP = PROC_STATUS["TP"]
RECEIVED = (CLAIMPROC_STATUS["Received"], CLAIMPROC_STATUS["Supplemental"])
WRITEOFF_STATUSES = {
    "payment_date": RECEIVED,
    "procedure_date": (CLAIMPROC_STATUS["NotReceived"], *RECEIVED),
}
WRITEOFF_DATE = {"payment_date": "DateCP", "procedure_date": "ProcDate"}
VALID = f"'{frames.MIN_VALID_DATE.isoformat()}'"  # dates before this are "no date"
FEE = "ROUND(p.ProcFee * 100) * (p.UnitQty + p.BaseUnits)"


def _in(values: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(int(v)) for v in values) + ")"


def _lit(d: date) -> str:
    """A date literal; ``d`` is a validated ``date``, so nothing can be injected."""
    return f"'{date.fromisoformat(d.isoformat()).isoformat()}'"


def _next_day(d: date) -> str:
    return _lit(d + timedelta(days=1))


def _sum(expr: str) -> str:
    return f"COALESCE(SUM({expr}), 0)"


def _at(alias: str, clinic: int | None) -> str:
    """`` AND x.ClinicNum = N`` for a clinic, else nothing (``clinic`` is a validated int)."""
    return "" if clinic is None else f" AND {alias}.ClinicNum = {int(clinic)}"


def component_sql(
    start: date,
    end: date,
    *,
    writeoff_mode: str = "payment_date",
    active_months: int = 18,
    clinic: int | None = None,
) -> dict[str, str]:
    """Each v1 component as ``SELECT '<key>' AS k, <aggregate> AS v FROM ...`` (money in cents)."""
    s, e = _lit(start), _lit(end)
    after = _next_day(end)  # datetimes: >= start and < the day after end
    window = _lit(frames.active_window_start(end, active_months))
    wo_status, wo_date = _in(WRITEOFF_STATUSES[writeoff_mode]), WRITEOFF_DATE[writeoff_mode]
    excluded = ", ".join(f"'{c}'" for c in frames.NEW_PATIENT_EXCLUDED_CODES)
    a_in_period = f"a.AptDateTime >= {s} AND a.AptDateTime < {after}" + _at("a", clinic)
    p, j, c, y, t = (_at(x, clinic) for x in "pjcyt")
    # New patients by clinic: the first completed procedure ever (any clinic), counted for the clinic
    # when a procedure of that first day was done there.
    first_here = (
        ""
        if clinic is None
        else " AND EXISTS (SELECT 1 FROM procedurelog q LEFT JOIN procedurecode qc ON qc.CodeNum = q.CodeNum "
        f"WHERE q.PatNum = f.PatNum AND q.ProcStatus = {C} AND q.ProcDate = f.FirstDate"
        f" AND (qc.ProcCode IS NULL OR qc.ProcCode NOT IN ({excluded})){_at('q', clinic)})"
    )
    return {
        "gross_production": f"SELECT 'gross_production' AS k, {_sum(FEE)} AS v FROM procedurelog p "
        f"WHERE p.ProcStatus = {C} AND p.ProcDate BETWEEN {s} AND {e}{p}",
        "adjustments": f"SELECT 'adjustments' AS k, {_sum('ROUND(j.AdjAmt * 100)')} AS v FROM adjustment j "
        f"WHERE j.AdjDate BETWEEN {s} AND {e}{j}",
        "writeoffs": f"SELECT 'writeoffs' AS k, {_sum('ROUND(c.WriteOff * 100)')} AS v FROM claimproc c "
        f"WHERE c.Status IN {wo_status} AND c.{wo_date} BETWEEN {s} AND {e}{c}",
        "patient_income": f"SELECT 'patient_income' AS k, {_sum('ROUND(y.SplitAmt * 100)')} AS v "
        f"FROM paysplit y WHERE y.DatePay BETWEEN {s} AND {e}{y}",
        "insurance_income": f"SELECT 'insurance_income' AS k, {_sum('ROUND(c.InsPayAmt * 100)')} AS v "
        f"FROM claimproc c WHERE c.Status IN {_in(RECEIVED)} AND c.DateCP BETWEEN {s} AND {e}{c}",
        "new_patients": "SELECT 'new_patients' AS k, COUNT(*) AS v FROM ("
        "SELECT p.PatNum, MIN(p.ProcDate) AS FirstDate FROM procedurelog p "
        "LEFT JOIN procedurecode pc ON pc.CodeNum = p.CodeNum "
        f"WHERE p.ProcStatus = {C} AND p.ProcDate >= {VALID} "
        f"AND (pc.ProcCode IS NULL OR pc.ProcCode NOT IN ({excluded})) "
        f"GROUP BY p.PatNum) f WHERE f.FirstDate BETWEEN {s} AND {e}{first_here}",
        "active_patients": "SELECT 'active_patients' AS k, COUNT(DISTINCT p.PatNum) AS v "
        "FROM procedurelog p JOIN patient t ON t.PatNum = p.PatNum "
        f"WHERE p.ProcStatus = {C} AND t.PatStatus = {PAT_STATUS['Patient']} "
        f"AND p.ProcDate BETWEEN {window} AND {e}{p}",
        "appointments_completed": "SELECT 'appointments_completed' AS k, COUNT(*) AS v FROM appointment a "
        f"WHERE a.AptStatus = {APT_STATUS['Complete']} AND {a_in_period}",
        "appointments_broken": "SELECT 'appointments_broken' AS k, COUNT(*) AS v FROM appointment a "
        f"WHERE a.AptStatus = {APT_STATUS['Broken']} AND {a_in_period}",
        "hygiene_visits": "SELECT 'hygiene_visits' AS k, COUNT(*) AS v FROM appointment a "
        f"WHERE a.AptStatus = {APT_STATUS['Complete']} AND a.IsHygiene = 1 AND {a_in_period}",
        "hygiene_reappointed": "SELECT 'hygiene_reappointed' AS k, COUNT(*) AS v FROM appointment a "
        f"WHERE a.AptStatus = {APT_STATUS['Complete']} AND a.IsHygiene = 1 AND {a_in_period} "
        "AND EXISTS (SELECT 1 FROM appointment b WHERE b.PatNum = a.PatNum "
        f"AND b.AptStatus IN {_in((APT_STATUS['Scheduled'], APT_STATUS['Complete']))} "
        f"AND b.AptDateTime > a.AptDateTime AND b.SecDateTEntry >= {VALID} "
        f"AND DATE(b.SecDateTEntry) <= DATE(a.AptDateTime){_at('b', clinic)})",
        "case_accepted": f"SELECT 'case_accepted' AS k, {_sum(FEE)} AS v FROM procedurelog p "
        f"WHERE p.ProcStatus = {C} AND p.DateTP BETWEEN {s} AND {e}{p}",
        "case_planned": f"SELECT 'case_planned' AS k, {_sum(FEE)} AS v FROM procedurelog p "
        f"WHERE p.ProcStatus IN {_in((TP, C))} AND p.DateTP BETWEEN {s} AND {e}{p}",
        "accounts_receivable": f"SELECT 'accounts_receivable' AS k, {_sum('ROUND(t.BalTotal * 100)')} AS v "
        f"FROM patient t WHERE t.Guarantor = t.PatNum{t}",
    }


def _clamp(x: str, b: str) -> str:
    """``x`` limited to [0, b] (portable: CASE, not GREATEST/LEAST)."""
    return f"CASE WHEN {x} <= 0 THEN 0 WHEN {x} < {b} THEN {x} ELSE {b} END"


def ledger_sql(as_of: date, clinic: int | None = None) -> str:
    """Families' balances as of ``as_of`` aged oldest-first: one row per guarantor (``g``, ``r0``..``r3``
    in cents) -- charges by age bucket, credits applied from the oldest bucket down."""
    after = _next_day(as_of)
    cut = [_lit(as_of - timedelta(days=n)) for n in (30, 60, 90)]  # first day of 0-30, 31-60, 61-90

    def aged(col: str, amount: str) -> str:
        return (
            f"CASE WHEN {col} >= {cut[0]} THEN {amount} ELSE 0 END AS c0, "
            f"CASE WHEN {col} < {cut[0]} AND {col} >= {cut[1]} THEN {amount} ELSE 0 END AS c1, "
            f"CASE WHEN {col} < {cut[1]} AND {col} >= {cut[2]} THEN {amount} ELSE 0 END AS c2, "
            f"CASE WHEN {col} < {cut[2]} THEN {amount} ELSE 0 END AS c3"
        )

    none = "0 AS c0, 0 AS c1, 0 AS c2, 0 AS c3"
    family = "JOIN patient t ON t.PatNum = {a}.PatNum"
    rows = [
        f"SELECT t.Guarantor AS g, {aged('p.ProcDate', FEE)}, 0 AS cr FROM procedurelog p "
        f"{family.format(a='p')} WHERE p.ProcStatus = {C} AND p.ProcDate >= {VALID} AND p.ProcDate < {after}"
        + _at("p", clinic),
        f"SELECT t.Guarantor AS g, {aged('j.AdjDate', 'ROUND(j.AdjAmt * 100)')}, 0 AS cr FROM adjustment j "
        f"{family.format(a='j')} WHERE j.AdjAmt > 0 AND j.AdjDate >= {VALID} AND j.AdjDate < {after}"
        + _at("j", clinic),
        f"SELECT t.Guarantor AS g, {none}, -ROUND(j.AdjAmt * 100) AS cr FROM adjustment j "
        f"{family.format(a='j')} WHERE j.AdjAmt < 0 AND j.AdjDate >= {VALID} AND j.AdjDate < {after}"
        + _at("j", clinic),
        f"SELECT t.Guarantor AS g, {none}, ROUND(y.SplitAmt * 100) AS cr FROM paysplit y "
        f"{family.format(a='y')} WHERE y.DatePay >= {VALID} AND y.DatePay < {after}" + _at("y", clinic),
        f"SELECT t.Guarantor AS g, {none}, ROUND(c.InsPayAmt * 100) + ROUND(c.WriteOff * 100) AS cr "
        f"FROM claimproc c {family.format(a='c')} WHERE c.Status IN {_in(RECEIVED)} "
        f"AND c.DateCP >= {VALID} AND c.DateCP < {after}" + _at("c", clinic),
    ]
    sums = ("SELECT g, SUM(c0) AS b0, SUM(c1) AS b1, SUM(c2) AS b2, SUM(c3) AS b3, SUM(cr) AS l4 FROM ("
            + " UNION ALL ".join(rows) + ") x GROUP BY g")
    # Credits pay the oldest charges first: bucket 3 takes what it can, then 2, then 1; 0-30 keeps the rest.
    step3 = (f"SELECT g, b0, b1, b2, b3 - {_clamp('l4', 'b3')} AS r3, l4 - {_clamp('l4', 'b3')} AS l3 "
             f"FROM ({sums}) s3")
    step2 = (f"SELECT g, b0, b1, r3, b2 - {_clamp('l3', 'b2')} AS r2, l3 - {_clamp('l3', 'b2')} AS l2 "
             f"FROM ({step3}) s2")
    step1 = (f"SELECT g, b0, r3, r2, b1 - {_clamp('l2', 'b1')} AS r1, l2 - {_clamp('l2', 'b1')} AS l1 "
             f"FROM ({step2}) s1")
    return f"SELECT g, b0 - l1 AS r0, r1, r2, r3 FROM ({step1}) s0"


def v2_component_sql(
    start: date, end: date, as_of: date, *, active_months: int = 18, clinic: int | None = None
) -> dict[str, str]:
    """Each v2 component as ``SELECT '<key>' AS k, <aggregate> AS v`` (money in cents)."""
    s, e, d = _lit(start), _lit(end), _lit(as_of)
    after, d_after = _next_day(end), _next_day(as_of)
    window = _lit(frames.active_window_start(as_of, active_months))
    scheduled, complete = APT_STATUS["Scheduled"], APT_STATUS["Complete"]
    p, c = _at("p", clinic), _at("c", clinic)
    on_books = (
        f"LEFT JOIN appointment a ON a.AptNum = p.AptNum AND a.AptStatus = {scheduled}{_at('a', clinic)}"
    )
    ledger = ledger_sql(as_of, clinic)
    out = {
        "hygiene_production": f"SELECT 'hygiene_production' AS k, {_sum(FEE)} AS v FROM procedurelog p "
        f"JOIN provider v ON v.ProvNum = p.ProvNum WHERE p.ProcStatus = {C} "
        f"AND p.ProcDate BETWEEN {s} AND {e} AND v.IsSecondary = 1{p}",
        "scheduled_production": f"SELECT 'scheduled_production' AS k, {_sum(FEE)} AS v FROM procedurelog p "
        f"JOIN appointment a ON a.AptNum = p.AptNum WHERE p.ProcStatus IN {_in((TP, C))} "
        f"AND a.AptStatus IN {_in((scheduled, complete))} "
        f"AND a.AptDateTime >= {s} AND a.AptDateTime < {after}{p}{_at('a', clinic)}",
        "treatment_accepted": f"SELECT 'treatment_accepted' AS k, {_sum(FEE)} AS v FROM procedurelog p "
        f"{on_books} WHERE p.DateTP BETWEEN {s} AND {e} "
        f"AND (p.ProcStatus = {C} OR (p.ProcStatus = {TP} AND a.AptNum IS NOT NULL)){p}",
        "treatment_planned": f"SELECT 'treatment_planned' AS k, {_sum(FEE)} AS v FROM procedurelog p "
        f"WHERE p.ProcStatus IN {_in((TP, C))} AND p.DateTP BETWEEN {s} AND {e}{p}",
        "unscheduled_treatment": f"SELECT 'unscheduled_treatment' AS k, {_sum(FEE)} AS v FROM procedurelog p "
        f"JOIN patient t ON t.PatNum = p.PatNum {on_books} WHERE p.ProcStatus = {TP} AND a.AptNum IS NULL "
        f"AND t.PatStatus = {PAT_STATUS['Patient']}{p} AND EXISTS (SELECT 1 FROM procedurelog q "
        f"WHERE q.PatNum = p.PatNum AND q.ProcStatus = {C} AND q.ProcDate BETWEEN {window} AND {d}"
        f"{_at('q', clinic)})",
        "ar_insurance_estimate": "SELECT 'ar_insurance_estimate' AS k, "
        f"{_sum('ROUND(c.InsPayEst * 100)')} AS v FROM claimproc c "
        f"WHERE c.ProcDate >= {VALID} AND c.ProcDate < {d_after} "
        f"AND (c.Status = {CLAIMPROC_STATUS['NotReceived']} OR (c.Status = {CLAIMPROC_STATUS['Received']} "
        f"AND c.DateCP >= {d_after})){c}",
    }
    for i, key in enumerate(("ar_0_30", "ar_31_60", "ar_61_90", "ar_over_90")):
        out[key] = f"SELECT '{key}' AS k, {_sum(f'f.r{i}')} AS v FROM ({ledger}) f"
    claims = (
        f"FROM claim c WHERE c.DateSent >= {VALID} AND c.DateSent < {d_after} AND (c.ClaimStatus = 'S' "
        f"OR (c.ClaimStatus = 'R' AND c.DateReceived >= {d_after})){c}"
    )
    out["outstanding_claims"] = f"SELECT 'outstanding_claims' AS k, COUNT(*) AS v {claims}"
    out["outstanding_claims_amount"] = (
        f"SELECT 'outstanding_claims_amount' AS k, {_sum('ROUND(c.ClaimFee * 100)')} AS v {claims}"
    )
    out["outstanding_claims_over_30"] = (
        f"SELECT 'outstanding_claims_over_30' AS k, COUNT(*) AS v {claims} "
        f"AND c.DateSent < {_lit(as_of - timedelta(days=30))}"
    )
    return out


def scorecard_sql(
    start: date,
    end: date,
    *,
    writeoff_mode: str = "payment_date",
    active_months: int = 18,
    clinic: int | None = None,
    as_of: date | None = None,
) -> str:
    """Every scorecard component, v1 and v2, in one statement (``k``, ``v``): one ShortQuery request."""
    parts = component_sql(start, end, writeoff_mode=writeoff_mode, active_months=active_months, clinic=clinic)
    parts.update(v2_component_sql(start, end, as_of or end, active_months=active_months, clinic=clinic))
    return "\nUNION ALL ".join(parts.values())


def _number(value: Any) -> int:
    number = float(pd.to_numeric(value))
    if not np.isfinite(number):
        raise BadResponse(f"ShortQuery answered {value!r} where a number was expected")
    return round(number)


V2_CENTS = (
    "hygiene_production",
    "scheduled_production",
    "unscheduled_treatment",
    "ar_0_30",
    "ar_31_60",
    "ar_61_90",
    "ar_over_90",
    "ar_insurance_estimate",
)


def scorecard_values(
    data: Any,
    start: date,
    end: date,
    *,
    writeoff_mode: str = "payment_date",
    ratio_denominator: str = "net",
    active_months: int = 18,
    clinic: int | None = None,
    as_of: date | None = None,
) -> tuple[dict[str, float | int | None], dict[str, str]]:
    """Run :func:`scorecard_sql` through ``data.query`` and turn the rows into (values, reasons)."""
    from odnb.kpis import frames_v2

    as_of = as_of or end
    sql = scorecard_sql(start, end, writeoff_mode=writeoff_mode, active_months=active_months, clinic=clinic,
                        as_of=as_of)
    frame = data.query(sql)
    if not {"k", "v"} <= set(frame.columns):
        raise BadResponse(f"ShortQuery answered columns {list(frame.columns)}, expected k and v")
    got = {str(k): _number(v) for k, v in zip(frame["k"], frame["v"], strict=True)}
    expected = set(component_sql(start, end)) | set(v2_component_sql(start, end, as_of))
    if set(got) != expected:
        raise BadResponse(f"ShortQuery answered {sorted(got)}, expected {sorted(expected)}")
    values: dict[str, float | int | None] = {}
    reasons: dict[str, str] = {}
    cents: dict[str, int] = {}
    for key in frames.MONEY_KEYS:
        if key in got:
            cents[key] = got[key]
            values[key] = frames._dollars(got[key])
    for key in (
        "new_patients",
        "active_patients",
        "appointments_completed",
        "appointments_broken",
        "hygiene_visits",
    ):
        values[key] = got[key]
    broken, done = got["appointments_broken"], got["appointments_completed"]
    values["broken_rate"] = frames._ratio(broken, broken + done)
    values["hygiene_reappointment_rate"] = frames._ratio(got["hygiene_reappointed"], got["hygiene_visits"])
    values["case_acceptance"] = frames._ratio(got["case_accepted"], got["case_planned"])
    frames.combine(values, reasons, cents, ratio_denominator)

    v2_cents = {k: got[k] for k in V2_CENTS}
    values["treatment_acceptance"] = frames._ratio(got["treatment_accepted"], got["treatment_planned"])
    if got["treatment_planned"] == 0:
        reasons["treatment_acceptance"] = "no procedures treatment-planned in the period (0 / 0)"
    values["outstanding_claims"] = got["outstanding_claims"]
    values["outstanding_claims_amount"] = frames._dollars(got["outstanding_claims_amount"])
    values["outstanding_claims_over_30"] = got["outstanding_claims_over_30"]
    frames_v2.derive_v2(values, reasons, v2_cents, gross_cents=got["gross_production"], visits=done)
    return {k: values.get(k) for k in KPI_KEYS}, {k: reasons[k] for k in KPI_KEYS if k in reasons}


DAY_PARTS = ("gross_production", "adjustments", "writeoffs", "patient_income", "insurance_income")


def day_totals_sql(start: date, end: date, *, writeoff_mode: str = "payment_date") -> str:
    """Production and collections components for [start, end] (``k``, ``v`` in cents): five small sums,
    the cheap ShortQuery behind the huddle's "yesterday" figures."""
    parts = component_sql(start, end, writeoff_mode=writeoff_mode)
    return "\nUNION ALL ".join(parts[k] for k in DAY_PARTS) + "\nORDER BY 1"


def day_totals(data: Any, start: date, end: date, *, writeoff_mode: str = "payment_date") -> dict[str, float]:
    """Gross production, net production and collections for [start, end] from one ShortQuery (dollars).

    >>> day_totals_sql(date(2026, 1, 5), date(2026, 1, 5)).count("UNION ALL")
    4
    """
    frame = data.query(day_totals_sql(start, end, writeoff_mode=writeoff_mode))
    if not {"k", "v"} <= set(frame.columns):
        raise ValueError(f"ShortQuery answered columns {list(frame.columns)}, expected k and v")
    got = {str(k): _number(v) for k, v in zip(frame["k"], frame["v"], strict=True)}
    if set(got) != set(DAY_PARTS):
        raise ValueError(f"ShortQuery answered {sorted(got)}, expected {sorted(DAY_PARTS)}")
    return {
        "gross_production": frames._dollars(got["gross_production"]),
        "net_production": frames._dollars(got["gross_production"] + got["adjustments"] - got["writeoffs"]),
        "collections": frames._dollars(got["patient_income"] + got["insurance_income"]),
    }


# --------------------------------------------------------------------------------------------------------
# Breakdowns
# --------------------------------------------------------------------------------------------------------


def monthly_trend_sql(start: date, end: date, *, writeoff_mode: str = "payment_date") -> str:
    """Per-month components (``k``, ``m`` = 'yyyy-mm', ``v`` in cents), ordered for stable paging."""
    s, e = _lit(start), _lit(end)
    wo_status, wo_date = _in(WRITEOFF_STATUSES[writeoff_mode]), WRITEOFF_DATE[writeoff_mode]
    parts = [
        f"SELECT 'gross_production' AS k, SUBSTR(p.ProcDate, 1, 7) AS m, {_sum(FEE)} AS v "
        f"FROM procedurelog p WHERE p.ProcStatus = {C} AND p.ProcDate BETWEEN {s} AND {e} "
        "GROUP BY SUBSTR(p.ProcDate, 1, 7)",
        f"SELECT 'adjustments' AS k, SUBSTR(j.AdjDate, 1, 7) AS m, {_sum('ROUND(j.AdjAmt * 100)')} AS v "
        f"FROM adjustment j WHERE j.AdjDate BETWEEN {s} AND {e} GROUP BY SUBSTR(j.AdjDate, 1, 7)",
        f"SELECT 'writeoffs' AS k, SUBSTR(c.{wo_date}, 1, 7) AS m, {_sum('ROUND(c.WriteOff * 100)')} AS v "
        f"FROM claimproc c WHERE c.Status IN {wo_status} AND c.{wo_date} BETWEEN {s} AND {e} "
        f"GROUP BY SUBSTR(c.{wo_date}, 1, 7)",
        f"SELECT 'patient_income' AS k, SUBSTR(y.DatePay, 1, 7) AS m, {_sum('ROUND(y.SplitAmt * 100)')} AS v "
        f"FROM paysplit y WHERE y.DatePay BETWEEN {s} AND {e} GROUP BY SUBSTR(y.DatePay, 1, 7)",
        f"SELECT 'insurance_income' AS k, SUBSTR(c.DateCP, 1, 7) AS m, {_sum('ROUND(c.InsPayAmt * 100)')} "
        f"AS v FROM claimproc c WHERE c.Status IN {_in(RECEIVED)} AND c.DateCP BETWEEN {s} AND {e} "
        "GROUP BY SUBSTR(c.DateCP, 1, 7)",
    ]
    return "\nUNION ALL ".join(parts) + "\nORDER BY 1, 2"


def monthly_trend(data: Any, start: date, end: date, *, writeoff_mode: str = "payment_date") -> pd.DataFrame:
    """:func:`odnb.kpis.frames.production_by_month`'s frame, from one (paged) ShortQuery."""
    frame = data.query(monthly_trend_sql(start, end, writeoff_mode=writeoff_mode))
    months = frames._months(start, end)
    index = {str(m): i for i, m in enumerate(months.astype("datetime64[M]").astype(str))}
    cents: dict[str, np.ndarray | None] = {
        k: np.zeros(len(months), dtype=np.int64)
        for k in ("gross_production", "adjustments", "writeoffs", "patient_income", "insurance_income")
    }
    if len(frame):
        for k, m, v in zip(frame["k"], frame["m"], frame["v"], strict=True):
            cents[str(k)][index[str(m)[:7]]] += _number(v)  # type: ignore[index]
    cents["net_production"] = cents["gross_production"] + cents["adjustments"] - cents["writeoffs"]  # type: ignore[operator]
    cents["collections"] = cents["patient_income"] + cents["insurance_income"]  # type: ignore[operator]
    return frames.trend_frame(months, cents)


def provider_production_sql(start: date, end: date) -> str:
    """Gross production in cents by procedurelog.ProvNum (``ProvNum``, ``Abbr``, ``v``)."""
    return (
        f"SELECT p.ProvNum AS ProvNum, v.Abbr AS Abbr, {_sum(FEE)} AS v FROM procedurelog p "
        "LEFT JOIN provider v ON v.ProvNum = p.ProvNum "
        f"WHERE p.ProcStatus = {C} AND p.ProcDate BETWEEN {_lit(start)} AND {_lit(end)} "
        "GROUP BY p.ProvNum, v.Abbr ORDER BY p.ProvNum"
    )


def provider_production(data: Any, start: date, end: date) -> pd.DataFrame:
    """:func:`odnb.kpis.frames.production_by_provider`'s frame, from one ShortQuery."""
    frame = data.query(provider_production_sql(start, end))
    if not len(frame):
        return frames.provider_frame(pd.Series([], dtype=np.int64), None)
    cents = pd.Series([_number(v) for v in frame["v"]], index=[int(p) for p in frame["ProvNum"]])
    providers = pd.DataFrame({"ProvNum": cents.index, "Abbr": list(frame["Abbr"])})
    return frames.provider_frame(cents, providers)


def ar_aging_sql() -> str:
    """The aging buckets summed over guarantors, in cents (one row)."""
    sums = ", ".join(f"{_sum(f'ROUND(t.{b} * 100)')} AS {b}" for b in frames.AGING_BUCKETS)
    return f"SELECT {sums} FROM patient t WHERE t.Guarantor = t.PatNum"


def ar_aging(data: Any) -> pd.DataFrame:
    """:func:`odnb.kpis.frames.ar_aging`'s frame, from one ShortQuery."""
    row = data.query(ar_aging_sql()).iloc[0]
    amounts = [frames._dollars(_number(row[b])) for b in frames.AGING_BUCKETS]
    return pd.DataFrame(
        {
            "bucket": list(frames.AGING_BUCKETS),
            "label": list(frames.AGING_BUCKETS.values()),
            "amount": pd.array(amounts, dtype="Float64"),
        }
    )
