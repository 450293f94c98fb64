"""The ShortQuery path of :mod:`odnb.kpis`: every KPI as one SQL aggregate, run on the office database.

The SQL is plain enough to be valid MySQL (the office) and SQLite (the demo simulator): Open Dental's
integer enums (:mod:`odnb.api.enums`), date literals ``'yyyy-mm-dd'``, ``BETWEEN``, ``DATE()``, ``SUBSTR()``,
``ROUND()``, ``COALESCE()``, ``EXISTS``, ``UNION ALL``; no MySQL-only function. Money is summed as
``ROUND(x * 100)`` (integer cents, exact in a double) and turned into dollars in Python, exactly as the
list path does. Dates before 1880 (Open Dental's ``0001-01-01``) count as "no date" in both paths.

:func:`scorecard_sql` returns one row per component (``k``, ``v``): 14 rows, so the whole scorecard
is a single ShortQuery request.

Example:
    >>> from datetime import date
    >>> sql = scorecard_sql(date(2026, 1, 1), date(2026, 1, 31))
    >>> sql.count("UNION ALL")
    13
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from odnb.api.enums import APT_STATUS, CLAIMPROC_STATUS, PAT_STATUS, PROC_STATUS
from odnb.kpis import frames

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


def component_sql(
    start: date, end: date, *, writeoff_mode: str = "payment_date", active_months: int = 18
) -> dict[str, str]:
    """Each component as ``SELECT '<key>' AS k, <aggregate> AS v FROM ...`` (money in cents)."""
    s, e = _lit(start), _lit(end)
    after = _next_day(end)  # datetimes: >= start and < the day after end
    window = _lit(frames.active_window_start(end, active_months))
    wo_status, wo_date = _in(WRITEOFF_STATUSES[writeoff_mode]), WRITEOFF_DATE[writeoff_mode]
    excluded = ", ".join(f"'{c}'" for c in frames.NEW_PATIENT_EXCLUDED_CODES)
    a_in_period = f"a.AptDateTime >= {s} AND a.AptDateTime < {after}"
    return {
        "gross_production": f"SELECT 'gross_production' AS k, {_sum(FEE)} AS v FROM procedurelog p "
        f"WHERE p.ProcStatus = {C} AND p.ProcDate BETWEEN {s} AND {e}",
        "adjustments": f"SELECT 'adjustments' AS k, {_sum('ROUND(j.AdjAmt * 100)')} AS v FROM adjustment j "
        f"WHERE j.AdjDate BETWEEN {s} AND {e}",
        "writeoffs": f"SELECT 'writeoffs' AS k, {_sum('ROUND(c.WriteOff * 100)')} AS v FROM claimproc c "
        f"WHERE c.Status IN {wo_status} AND c.{wo_date} BETWEEN {s} AND {e}",
        "patient_income": f"SELECT 'patient_income' AS k, {_sum('ROUND(y.SplitAmt * 100)')} AS v "
        f"FROM paysplit y WHERE y.DatePay BETWEEN {s} AND {e}",
        "insurance_income": f"SELECT 'insurance_income' AS k, {_sum('ROUND(c.InsPayAmt * 100)')} AS v "
        f"FROM claimproc c WHERE c.Status IN {_in(RECEIVED)} AND c.DateCP BETWEEN {s} AND {e}",
        "new_patients": "SELECT 'new_patients' AS k, COUNT(*) AS v FROM ("
        "SELECT p.PatNum, MIN(p.ProcDate) AS FirstDate FROM procedurelog p "
        "LEFT JOIN procedurecode pc ON pc.CodeNum = p.CodeNum "
        f"WHERE p.ProcStatus = {C} AND p.ProcDate >= {VALID} "
        f"AND (pc.ProcCode IS NULL OR pc.ProcCode NOT IN ({excluded})) "
        f"GROUP BY p.PatNum) f WHERE f.FirstDate BETWEEN {s} AND {e}",
        "active_patients": "SELECT 'active_patients' AS k, COUNT(DISTINCT p.PatNum) AS v "
        "FROM procedurelog p JOIN patient t ON t.PatNum = p.PatNum "
        f"WHERE p.ProcStatus = {C} AND t.PatStatus = {PAT_STATUS['Patient']} "
        f"AND p.ProcDate BETWEEN {window} AND {e}",
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
        "AND DATE(b.SecDateTEntry) <= DATE(a.AptDateTime))",
        "case_accepted": f"SELECT 'case_accepted' AS k, {_sum(FEE)} AS v FROM procedurelog p "
        f"WHERE p.ProcStatus = {C} AND p.DateTP BETWEEN {s} AND {e}",
        "case_planned": f"SELECT 'case_planned' AS k, {_sum(FEE)} AS v FROM procedurelog p "
        f"WHERE p.ProcStatus IN {_in((TP, C))} AND p.DateTP BETWEEN {s} AND {e}",
        "accounts_receivable": f"SELECT 'accounts_receivable' AS k, {_sum('ROUND(t.BalTotal * 100)')} AS v "
        "FROM patient t WHERE t.Guarantor = t.PatNum",
    }


def scorecard_sql(
    start: date, end: date, *, writeoff_mode: str = "payment_date", active_months: int = 18
) -> str:
    """Every scorecard component in one statement (``k``, ``v``): one ShortQuery request."""
    parts = component_sql(start, end, writeoff_mode=writeoff_mode, active_months=active_months)
    return "\nUNION ALL ".join(parts.values())


def _number(value: Any) -> int:
    number = float(pd.to_numeric(value))
    if not np.isfinite(number):
        raise ValueError(f"not a number: {value!r}")
    return round(number)


def scorecard_values(
    data: Any,
    start: date,
    end: date,
    *,
    writeoff_mode: str = "payment_date",
    ratio_denominator: str = "net",
    active_months: int = 18,
) -> tuple[dict[str, float | int | None], dict[str, str]]:
    """Run :func:`scorecard_sql` through ``data.query`` and turn the rows into (values, reasons)."""
    sql = scorecard_sql(start, end, writeoff_mode=writeoff_mode, active_months=active_months)
    frame = data.query(sql)
    if not {"k", "v"} <= set(frame.columns):
        raise ValueError(f"ShortQuery answered columns {list(frame.columns)}, expected k and v")
    got = {str(k): _number(v) for k, v in zip(frame["k"], frame["v"], strict=True)}
    expected = set(component_sql(start, end))
    if set(got) != expected:
        raise ValueError(f"ShortQuery answered {sorted(got)}, expected {sorted(expected)}")
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
    keys = frames.KPI_KEYS
    return {k: values.get(k) for k in keys}, {k: reasons[k] for k in keys if k in reasons}


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
