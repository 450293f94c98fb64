"""Practice KPIs over typed frames, exactly as ``docs/kpis.md`` (v1) defines them.

Pure, vectorised functions over the client's typed frames: one per KPI, plus breakdowns by month, by
provider and A/R aging. They take the columns as the API names them (``ProcStatus``, ``ProcDate``,
``ProcFee`` ...), accept enums as text (``"C"``) or as Open Dental's integers (``2``), dates as datetime64
(NaT = none) or ``yyyy-MM-dd`` strings (``0001-01-01`` = none). Fetching is :mod:`odnb.kpis.scorecard`'s.

Conventions (the same in every function):

* a period is ``[start, end]``, both dates inclusive; datetimes are compared by their date; ``start`` and
  ``end`` are ``date``/``datetime``/``Timestamp`` or ``"yyyy-mm-dd"``; a bad or reversed period raises
  :class:`KPIInputError` before any work;
* money is converted to integer cents (``round(x * 100)``) before summing, so sums are exact; functions
  return **float dollars rounded to cents** (``cents / 100``); a missing amount counts as 0;
* ``fee(p) = ProcFee x (UnitQty + BaseUnits)``, computed as ``cents(ProcFee) x units`` (a missing UnitQty
  counts as 1, Open Dental's default; a missing BaseUnits as 0);
* a ratio whose denominator is 0 is ``None`` (the contract's "null");
* counts are ``int``.

Example:
    >>> import pandas as pd
    >>> procs = pd.DataFrame({"ProcStatus": ["C", "C", "TP"], "ProcDate": ["2026-01-05", "2026-02-01",
    ...     "2026-01-06"], "ProcFee": [100.10, 50.0, 80.0], "UnitQty": [1, 2, 1], "BaseUnits": [0, 0, 0]})
    >>> gross_production(procs, "2026-01-01", "2026-02-01")
    200.1
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

import numpy as np
import pandas as pd

from odnb import periods
from odnb.api.enums import APT_STATUS, CLAIMPROC_STATUS, PAT_STATUS, PROC_STATUS
from odnb.failures import ODError
from odnb.kpis.catalog import KINDS, LABELS, V1_KEYS

# --------------------------------------------------------------------------------------------------------
# The catalogue: keys in contract order, labels and kinds (from odnb.kpis.catalog, which the report runner
# reads without pandas), benchmarks.
# --------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Benchmark:
    """A commonly quoted target range for a ratio KPI (``low``/``high`` inclusive; None = open)."""

    low: float | None
    high: float | None
    text: str

    def met(self, value: float | None) -> bool | None:
        """True/False whether ``value`` lies in the range; None when there is no value."""
        if value is None:
            return None
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)


BENCHMARKS: dict[str, Benchmark] = {
    "collection_ratio": Benchmark(0.98, None, "98% or more of net production collected"),
    "broken_rate": Benchmark(None, 0.10, "10% or fewer of appointments broken"),
    "hygiene_reappointment_rate": Benchmark(
        0.85, None, "85% or more of hygiene visits reappointed (85-90% is typical)"
    ),
}

WriteoffMode = Literal["payment_date", "procedure_date"]
Denominator = Literal["net", "gross"]
NEW_PATIENT_EXCLUDED_CODES: tuple[str, ...] = ("D9986", "D9987")  # missed / cancelled appointment codes

# Dates before this are "no date" (Open Dental writes 0001-01-01); the same cut is used in the SQL path.
MIN_VALID_DATE = date(1880, 1, 1)
_MIN_VALID = np.datetime64(MIN_VALID_DATE.isoformat(), "D")


class KPIInputError(ODError, ValueError):
    """Bad input to a KPI function (period, missing column, unknown option): says what and how to fix."""


# --------------------------------------------------------------------------------------------------------
# Input helpers
# --------------------------------------------------------------------------------------------------------


def as_date(value: object, name: str = "date") -> date:
    """``value`` as a ``date`` (see :func:`odnb.periods.parse_date`); KPIInputError otherwise.

    >>> as_date("2026-03-31")
    datetime.date(2026, 3, 31)
    """
    try:
        return periods.parse_date(value, name)
    except periods.PeriodError as exc:
        raise KPIInputError(str(exc)) from None


def period(start: object, end: object = None) -> tuple[date, date]:
    """Validate a period: two dates with ``start <= end``, or a relative period ("last month") alone or on
    either side (:func:`odnb.periods.check_period`).

    >>> period("2026-01-01", "2026-01-31")
    (datetime.date(2026, 1, 1), datetime.date(2026, 1, 31))
    """
    try:
        return periods.check_period(start, end)
    except periods.PeriodError as exc:
        raise KPIInputError(str(exc)) from None


def _require(frame: pd.DataFrame, columns: Iterable[str], what: str, table: str) -> pd.DataFrame:
    """``frame`` if it has ``columns``; an empty frame gets them added (an empty table sums to 0)."""
    if not isinstance(frame, pd.DataFrame):
        raise KPIInputError(
            f"{what} needs the {table} table as a pandas DataFrame, not {type(frame).__name__}"
        )
    missing = [c for c in columns if c not in frame.columns]
    if missing and len(frame) == 0:
        return frame.assign(**{c: pd.Series([], dtype="object") for c in missing})
    if missing:
        have = ", ".join(map(str, frame.columns[:20])) or "no columns"
        raise KPIInputError(
            f"{what} needs column(s) {', '.join(missing)} in {table} (as the API names them); got: {have}"
        )
    return frame


def _cents(series: pd.Series) -> np.ndarray:
    """Money column -> int64 cents (missing = 0)."""
    values = pd.to_numeric(series, errors="coerce")
    arr = values.to_numpy(dtype="float64", na_value=0.0)
    return np.rint(arr * 100.0).astype(np.int64)


def _ints(series: pd.Series, missing: int) -> np.ndarray:
    values = pd.to_numeric(series, errors="coerce")
    return values.to_numpy(dtype="float64", na_value=float(missing)).astype(np.int64)


def _day_array(series: pd.Series) -> np.ndarray:
    """Date/datetime column -> numpy datetime64 array (NaT for none, 0001-01-01, unparseable)."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_localize(None)
    if pd.api.types.is_datetime64_any_dtype(series.dtype):
        arr = series.to_numpy()
    else:
        text = series.astype("string").str.slice(0, 19)
        arr = pd.to_datetime(text, errors="coerce", format="mixed").to_numpy()
    # Open Dental's "no date" (0001-01-01) and anything before 1880 count as no date.
    arr = arr.copy()
    arr[arr < _MIN_VALID] = np.datetime64("NaT")
    return arr


def _in_period(series: pd.Series, start: date, end: date) -> np.ndarray:
    """Boolean mask: the value's date lies in [start, end] (NaT never does)."""
    arr = _day_array(series)
    lo = np.datetime64(start.isoformat(), "D")
    hi = np.datetime64((end + timedelta(days=1)).isoformat(), "D")
    return (arr >= lo) & (arr < hi)


def _status_is(series: pd.Series, mapping: dict[str, int], names: Iterable[str]) -> np.ndarray:
    """Boolean mask: the enum value is one of ``names`` (text such as "C", or Open Dental's integer)."""
    names = list(names)
    if pd.api.types.is_numeric_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        result = series.isin([mapping[n] for n in names])
    else:
        result = series.isin(names)
    return result.to_numpy(dtype=bool, na_value=False)


def _truthy(series: pd.Series) -> np.ndarray:
    """Boolean mask from a boolean column (True/False, 1/0, "true"/"false"; missing = False)."""
    if pd.api.types.is_bool_dtype(series.dtype):
        return series.to_numpy(dtype=bool, na_value=False)
    if pd.api.types.is_numeric_dtype(series.dtype):
        return series.to_numpy(dtype="float64", na_value=0.0) != 0
    text = series.astype("string").str.strip().str.lower()
    return text.isin(["true", "1", "yes"]).to_numpy(dtype=bool, na_value=False)


def _dollars(cents: int) -> float:
    return round(int(cents) / 100.0, 2)


def _ratio(numerator: float, denominator: float) -> float | None:
    return None if denominator == 0 else float(numerator) / float(denominator)


def _fee_cents(procedures: pd.DataFrame) -> np.ndarray:
    units = _ints(procedures["UnitQty"], 1)
    if "BaseUnits" in procedures.columns:
        units = units + _ints(procedures["BaseUnits"], 0)
    return _cents(procedures["ProcFee"]) * units


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise KPIInputError(f"{name}={value!r} is not one of {', '.join(map(repr, choices))}")


# --------------------------------------------------------------------------------------------------------
# Production and income (money; cents internally)
# --------------------------------------------------------------------------------------------------------

_PROC_COLS = ("ProcStatus", "ProcDate", "ProcFee", "UnitQty")


def _gross_cents(procedures: pd.DataFrame, start: date, end: date) -> int:
    procedures = _require(procedures, _PROC_COLS, "gross_production", "procedures (procedurelogs)")
    mask = _status_is(procedures["ProcStatus"], PROC_STATUS, ["C"]) & _in_period(
        procedures["ProcDate"], start, end
    )
    return int(_fee_cents(procedures)[mask].sum())


def gross_production(procedures: pd.DataFrame, start: object, end: object = None) -> float:
    """Sum of fee(p) over procedures with ProcStatus "C" and ProcDate in [start, end].

    fee(p) = ProcFee x (UnitQty + BaseUnits). Columns: ProcStatus, ProcDate, ProcFee, UnitQty, BaseUnits.
    """
    s, e = period(start, end)
    return _dollars(_gross_cents(procedures, s, e))


def _adjustments_cents(adjustments: pd.DataFrame, start: date, end: date) -> int:
    adjustments = _require(adjustments, ("AdjAmt", "AdjDate"), "adjustments", "adjustments")
    mask = _in_period(adjustments["AdjDate"], start, end)
    return int(_cents(adjustments["AdjAmt"])[mask].sum())


def adjustments_total(adjustments: pd.DataFrame, start: object, end: object = None) -> float:
    """Sum of AdjAmt over adjustments with AdjDate in [start, end] (negative = discounts)."""
    s, e = period(start, end)
    return _dollars(_adjustments_cents(adjustments, s, e))


_WRITEOFF_RULES: dict[str, tuple[tuple[str, ...], str]] = {
    # mode -> (claimproc statuses, date column)
    "payment_date": (("Received", "Supplemental"), "DateCP"),
    "procedure_date": (("NotReceived", "Received", "Supplemental"), "ProcDate"),
}


def _writeoff_cents(claimprocs: pd.DataFrame, start: date, end: date, mode: str) -> int:
    _check_choice("mode", mode, tuple(_WRITEOFF_RULES))
    statuses, date_col = _WRITEOFF_RULES[mode]
    claimprocs = _require(
        claimprocs, ("Status", "WriteOff", date_col), f"writeoffs (mode={mode!r})", "claimprocs"
    )
    mask = _status_is(claimprocs["Status"], CLAIMPROC_STATUS, statuses) & _in_period(
        claimprocs[date_col], start, end
    )
    return int(_cents(claimprocs["WriteOff"])[mask].sum())


def writeoffs(
    claimprocs: pd.DataFrame, start: object, end: object = None, mode: WriteoffMode = "payment_date"
) -> float:
    """Sum of WriteOff over claimprocs.

    * ``mode="payment_date"`` (default, Open Dental's "insurance payment date"): Status in {Received,
      Supplemental} and DateCP in [start, end];
    * ``mode="procedure_date"``: Status in {NotReceived, Received, Supplemental} and ProcDate in period.
    """
    s, e = period(start, end)
    return _dollars(_writeoff_cents(claimprocs, s, e, mode))


def net_production(
    procedures: pd.DataFrame,
    adjustments: pd.DataFrame,
    claimprocs: pd.DataFrame,
    start: object,
    end: object = None,
    *,
    writeoff_mode: WriteoffMode = "payment_date",
) -> float:
    """gross_production + adjustments - writeoffs (write-offs by ``writeoff_mode``)."""
    s, e = period(start, end)
    cents = (
        _gross_cents(procedures, s, e)
        + _adjustments_cents(adjustments, s, e)
        - _writeoff_cents(claimprocs, s, e, writeoff_mode)
    )
    return _dollars(cents)


def _patient_income_cents(paysplits: pd.DataFrame, start: date, end: date) -> int:
    paysplits = _require(paysplits, ("SplitAmt", "DatePay"), "patient_income", "paysplits")
    mask = _in_period(paysplits["DatePay"], start, end)
    return int(_cents(paysplits["SplitAmt"])[mask].sum())


def patient_income(paysplits: pd.DataFrame, start: object, end: object = None) -> float:
    """Sum of SplitAmt over paysplits with DatePay in [start, end]."""
    s, e = period(start, end)
    return _dollars(_patient_income_cents(paysplits, s, e))


def _insurance_income_cents(claimprocs: pd.DataFrame, start: date, end: date) -> int:
    claimprocs = _require(claimprocs, ("Status", "InsPayAmt", "DateCP"), "insurance_income", "claimprocs")
    mask = _status_is(claimprocs["Status"], CLAIMPROC_STATUS, ("Received", "Supplemental")) & _in_period(
        claimprocs["DateCP"], start, end
    )
    return int(_cents(claimprocs["InsPayAmt"])[mask].sum())


def insurance_income(claimprocs: pd.DataFrame, start: object, end: object = None) -> float:
    """Sum of InsPayAmt over claimprocs with Status in {Received, Supplemental} and DateCP in period."""
    s, e = period(start, end)
    return _dollars(_insurance_income_cents(claimprocs, s, e))


def collections(
    paysplits: pd.DataFrame, claimprocs: pd.DataFrame, start: object, end: object = None
) -> float:
    """patient_income + insurance_income."""
    s, e = period(start, end)
    return _dollars(_patient_income_cents(paysplits, s, e) + _insurance_income_cents(claimprocs, s, e))


def collection_ratio(
    procedures: pd.DataFrame,
    adjustments: pd.DataFrame | None,
    claimprocs: pd.DataFrame,
    paysplits: pd.DataFrame,
    start: object,
    end: object = None,
    *,
    denominator: Denominator = "net",
    writeoff_mode: WriteoffMode = "payment_date",
) -> float | None:
    """collections / net_production (``denominator="net"``, default) or / gross_production ("gross").

    None when the denominator is 0. ``adjustments`` may be None with ``denominator="gross"``.
    """
    s, e = period(start, end)
    _check_choice("denominator", denominator, ("net", "gross"))
    money_in = _patient_income_cents(paysplits, s, e) + _insurance_income_cents(claimprocs, s, e)
    den = _gross_cents(procedures, s, e)
    if denominator == "net":
        if adjustments is None:
            raise KPIInputError("collection_ratio with denominator='net' needs the adjustments table")
        den += _adjustments_cents(adjustments, s, e) - _writeoff_cents(claimprocs, s, e, writeoff_mode)
    return _ratio(money_in, den)


# --------------------------------------------------------------------------------------------------------
# Patients
# --------------------------------------------------------------------------------------------------------


def _not_excluded(
    procedures: pd.DataFrame, procedurecodes: pd.DataFrame | None, exclude_codes: Iterable[str]
) -> np.ndarray:
    """Mask of procedures whose code is not in ``exclude_codes`` (via procedurecodes, else procCode)."""
    exclude = list(exclude_codes)
    if not exclude:
        return np.ones(len(procedures), dtype=bool)
    if procedurecodes is not None:
        procedurecodes = _require(procedurecodes, ("CodeNum", "ProcCode"), "new_patients", "procedurecodes")
        procedures = _require(procedures, ("CodeNum",), "new_patients", "procedures (procedurelogs)")
        bad = procedurecodes.loc[procedurecodes["ProcCode"].isin(exclude), "CodeNum"]
        return ~procedures["CodeNum"].isin(list(bad)).to_numpy(dtype=bool, na_value=False)
    for col in ("procCode", "ProcCode"):
        if col in procedures.columns:
            return ~procedures[col].isin(exclude).to_numpy(dtype=bool, na_value=False)
    raise KPIInputError(
        "new_patients needs procedure codes to exclude "
        f"{', '.join(exclude)}: pass procedurecodes (CodeNum, ProcCode) or procedures with a procCode column"
    )


def new_patients(
    procedures: pd.DataFrame,
    procedurecodes: pd.DataFrame | None,
    start: object,
    end: object = None,
    *,
    exclude_codes: Iterable[str] = NEW_PATIENT_EXCLUDED_CODES,
) -> int:
    """Patients whose first "C" procedure ever (codes in ``exclude_codes`` ignored) has ProcDate in period.

    ``procedures`` must hold the patients' whole history of completed procedures (not just the period).
    Codes come from ``procedurecodes`` (CodeNum -> ProcCode) when given, else from a ``procCode`` column.
    Procedures without a date do not count.
    """
    s, e = period(start, end)
    procedures = _require(
        procedures, ("ProcStatus", "ProcDate", "PatNum"), "new_patients", "procedures (procedurelogs)"
    )
    if len(procedures) == 0:
        return 0
    days = _day_array(procedures["ProcDate"])
    keep = (
        _status_is(procedures["ProcStatus"], PROC_STATUS, ["C"])
        & ~np.isnat(days)
        & _not_excluded(procedures, procedurecodes, exclude_codes)
    )
    if not keep.any():
        return 0
    pats = pd.to_numeric(procedures["PatNum"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)[
        keep
    ]
    first = pd.Series(days[keep]).groupby(pats).min().to_numpy()
    lo = np.datetime64(s.isoformat(), "D")
    hi = np.datetime64((e + timedelta(days=1)).isoformat(), "D")
    return int(((first >= lo) & (first < hi)).sum())


def active_window_start(end: object, active_months: int = 18) -> date:
    """First day of the ``active_months`` months ending at ``end`` (``end`` - months + 1 day).

    >>> active_window_start("2026-11-24", 18)
    datetime.date(2025, 5, 25)
    """
    e = as_date(end, "end")
    if not isinstance(active_months, int) or isinstance(active_months, bool) or active_months < 1:
        raise KPIInputError(f"active_months must be a whole number of months >= 1, not {active_months!r}")
    back = (pd.Timestamp(e) - pd.DateOffset(months=active_months)).date()
    return back + timedelta(days=1)


def active_patients(
    patients: pd.DataFrame, procedures: pd.DataFrame, end: object, active_months: int = 18
) -> int:
    """Distinct PatNum with PatStatus "Patient" and a "C" procedure in the ``active_months`` months ending
    at ``end`` (ProcDate in [end - active_months + 1 day, end])."""
    e = as_date(end, "end")
    ws = active_window_start(e, active_months)
    patients = _require(patients, ("PatNum", "PatStatus"), "active_patients", "patients")
    procedures = _require(procedures, ("ProcStatus", "ProcDate", "PatNum"), "active_patients", "procedures")
    is_patient = _status_is(patients["PatStatus"], PAT_STATUS, ["Patient"])
    patient_ids = pd.to_numeric(patients["PatNum"], errors="coerce")[is_patient].dropna().unique()
    seen = _status_is(procedures["ProcStatus"], PROC_STATUS, ["C"]) & _in_period(
        procedures["ProcDate"], ws, e
    )
    seen_ids = pd.to_numeric(procedures["PatNum"], errors="coerce")[seen].dropna().unique()
    return int(np.isin(seen_ids, patient_ids).sum())


# --------------------------------------------------------------------------------------------------------
# Appointments
# --------------------------------------------------------------------------------------------------------


def _apt_count(appointments: pd.DataFrame, start: date, end: date, status: str, what: str) -> int:
    appointments = _require(appointments, ("AptStatus", "AptDateTime"), what, "appointments")
    mask = _status_is(appointments["AptStatus"], APT_STATUS, [status]) & _in_period(
        appointments["AptDateTime"], start, end
    )
    return int(mask.sum())


def appointments_completed(appointments: pd.DataFrame, start: object, end: object = None) -> int:
    """Appointments with AptStatus "Complete" and AptDateTime (by date) in [start, end]."""
    s, e = period(start, end)
    return _apt_count(appointments, s, e, "Complete", "appointments_completed")


def appointments_broken(appointments: pd.DataFrame, start: object, end: object = None) -> int:
    """Appointments with AptStatus "Broken" and AptDateTime (by date) in [start, end]."""
    s, e = period(start, end)
    return _apt_count(appointments, s, e, "Broken", "appointments_broken")


def broken_rate(appointments: pd.DataFrame, start: object, end: object = None) -> float | None:
    """appointments_broken / (appointments_completed + appointments_broken); None when both are 0."""
    s, e = period(start, end)
    broken = _apt_count(appointments, s, e, "Broken", "broken_rate")
    done = _apt_count(appointments, s, e, "Complete", "broken_rate")
    return _ratio(broken, done + broken)


def _hygiene_mask(appointments: pd.DataFrame, start: date, end: date, what: str) -> np.ndarray:
    appointments = _require(appointments, ("AptStatus", "AptDateTime", "IsHygiene"), what, "appointments")
    return (
        _status_is(appointments["AptStatus"], APT_STATUS, ["Complete"])
        & _in_period(appointments["AptDateTime"], start, end)
        & _truthy(appointments["IsHygiene"])
    )


def hygiene_visits(appointments: pd.DataFrame, start: object, end: object = None) -> int:
    """Completed appointments with IsHygiene true and AptDateTime (by date) in [start, end]."""
    s, e = period(start, end)
    return int(_hygiene_mask(appointments, s, e, "hygiene_visits").sum())


def _reappointed_counts(appointments: pd.DataFrame, start: date, end: date) -> tuple[int, int]:
    """(hygiene visits, those reappointed) — see :func:`hygiene_reappointment_rate`."""
    what = "hygiene_reappointment_rate"
    visits_mask = _hygiene_mask(appointments, start, end, what)
    appointments = _require(appointments, ("PatNum", "SecDateTEntry"), what, "appointments")
    n = int(visits_mask.sum())
    if n == 0:
        return 0, 0
    when = _day_array(appointments["AptDateTime"]).astype("datetime64[s]")
    entered = _day_array(appointments["SecDateTEntry"]).astype("datetime64[D]")
    pats = pd.to_numeric(appointments["PatNum"], errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
    visits = pd.DataFrame(
        {
            "PatNum": pats[visits_mask],
            "t": when[visits_mask],
            "day": when[visits_mask].astype("datetime64[D]"),
        }
    )
    visits["visit"] = np.arange(n)
    cand_mask = (
        _status_is(appointments["AptStatus"], APT_STATUS, ["Scheduled", "Complete"])
        & ~np.isnat(entered)
        & ~np.isnat(when)
        & ~np.isnan(pats)
    )
    cands = pd.DataFrame({"PatNum": pats[cand_mask], "t2": when[cand_mask], "entered": entered[cand_mask]})
    pairs = visits.merge(cands, on="PatNum", how="inner")
    hit = (pairs["t2"] > pairs["t"]) & (pairs["entered"] <= pairs["day"])
    return n, int(pairs.loc[hit, "visit"].nunique())


def hygiene_reappointment_rate(appointments: pd.DataFrame, start: object, end: object = None) -> float | None:
    """Share of hygiene_visits whose patient has another appointment (Scheduled or Complete) with
    AptDateTime after the visit and SecDateTEntry on or before the visit's date.

    ``appointments`` must include the appointments after the period (the reappointments). An appointment
    with no SecDateTEntry (0001-01-01) cannot show it was booked by the visit, so it does not count.
    None when there are no hygiene visits.
    """
    s, e = period(start, end)
    n, hits = _reappointed_counts(appointments, s, e)
    return _ratio(hits, n)


# --------------------------------------------------------------------------------------------------------
# Treatment and balances
# --------------------------------------------------------------------------------------------------------


def _case_cents(procedures: pd.DataFrame, start: date, end: date) -> tuple[int, int]:
    procedures = _require(
        procedures, ("ProcStatus", "DateTP", "ProcFee", "UnitQty"), "case_acceptance", "procedures"
    )
    in_tp = _in_period(procedures["DateTP"], start, end)
    done = _status_is(procedures["ProcStatus"], PROC_STATUS, ["C"]) & in_tp
    planned = _status_is(procedures["ProcStatus"], PROC_STATUS, ["TP", "C"]) & in_tp
    fees = _fee_cents(procedures)
    return int(fees[done].sum()), int(fees[planned].sum())


def case_acceptance(procedures: pd.DataFrame, start: object, end: object = None) -> float | None:
    """Over procedures with DateTP in period and ProcStatus in {TP, C}: sum fee(p) of "C" / sum fee(p).

    ``procedures`` must hold both the "TP" and the "C" procedures. None when nothing was planned.
    """
    s, e = period(start, end)
    accepted, planned = _case_cents(procedures, s, e)
    return _ratio(accepted, planned)


def _guarantors(patients: pd.DataFrame, what: str, columns: Iterable[str]) -> pd.DataFrame:
    patients = _require(patients, ("PatNum", "Guarantor", *columns), what, "patients")
    pat = pd.to_numeric(patients["PatNum"], errors="coerce")
    guar = pd.to_numeric(patients["Guarantor"], errors="coerce")
    return patients[(pat == guar).to_numpy(dtype=bool, na_value=False)]


def _ar_cents(patients: pd.DataFrame) -> int:
    return int(_cents(_guarantors(patients, "accounts_receivable", ["BalTotal"])["BalTotal"]).sum())


def accounts_receivable(patients: pd.DataFrame) -> float:
    """Sum of BalTotal over patients that are their own guarantor (Guarantor == PatNum), as of the data."""
    return _dollars(_ar_cents(patients))


AGING_BUCKETS: dict[str, str] = {
    "Bal_0_30": "0-30 days",
    "Bal_31_60": "31-60 days",
    "Bal_61_90": "61-90 days",
    "BalOver90": "over 90 days",
}


def ar_aging(patients: pd.DataFrame) -> pd.DataFrame:
    """A/R aging: the sum of each aging bucket over guarantors (Guarantor == PatNum).

    Returns DataFrame(bucket, label, amount) with one row per bucket, in age order.
    """
    guarantors = _guarantors(patients, "ar_aging", AGING_BUCKETS)
    amounts = [_dollars(int(_cents(guarantors[col]).sum())) for col in AGING_BUCKETS]
    return pd.DataFrame(
        {
            "bucket": list(AGING_BUCKETS),
            "label": list(AGING_BUCKETS.values()),
            "amount": pd.array(amounts, dtype="Float64"),
        }
    )


# --------------------------------------------------------------------------------------------------------
# Breakdowns
# --------------------------------------------------------------------------------------------------------

TREND_COLUMNS: tuple[str, ...] = (
    "gross_production",
    "adjustments",
    "writeoffs",
    "net_production",
    "patient_income",
    "insurance_income",
    "collections",
)


def _months(start: date, end: date) -> np.ndarray:
    first = np.datetime64(start.isoformat()[:7], "M")
    last = np.datetime64(end.isoformat()[:7], "M")
    return np.arange(first, last + 1)


def _monthly_cents(series: pd.Series, cents: np.ndarray, mask: np.ndarray, start: date, n: int) -> np.ndarray:
    """Sum ``cents[mask]`` by the calendar month of ``series`` (months counted from ``start``'s)."""
    days = _day_array(series)[mask]
    idx = (days.astype("datetime64[M]") - np.datetime64(start.isoformat()[:7], "M")).astype(np.int64)
    # bincount sums in float64: exact for integer cents below 2**53 (90 trillion dollars).
    return np.rint(np.bincount(idx, weights=cents[mask].astype("float64"), minlength=n)).astype(np.int64)


def production_by_month(
    procedures: pd.DataFrame,
    adjustments: pd.DataFrame | None,
    claimprocs: pd.DataFrame,
    start: object,
    end: object = None,
    paysplits: pd.DataFrame | None = None,
    *,
    writeoff_mode: WriteoffMode = "payment_date",
) -> pd.DataFrame:
    """Monthly trend of production and income over [start, end] (the first and last months are clipped
    to the period), by ProcDate / AdjDate / DateCP (or claimproc ProcDate) / DatePay.

    Returns DataFrame(month, gross_production, adjustments, writeoffs, net_production, patient_income,
    insurance_income, collections): ``month`` is the month's first day; money is Float64 dollars. A column
    whose table is None (e.g. adjustments not fetched) is <NA>, and so is everything built on it.
    """
    s, e = period(start, end)
    _check_choice("writeoff_mode", writeoff_mode, tuple(_WRITEOFF_RULES))
    months = _months(s, e)
    n = len(months)
    out: dict[str, np.ndarray | None] = {}

    procedures = _require(procedures, _PROC_COLS, "production_by_month", "procedures")
    mask = _status_is(procedures["ProcStatus"], PROC_STATUS, ["C"]) & _in_period(procedures["ProcDate"], s, e)
    out["gross_production"] = _monthly_cents(procedures["ProcDate"], _fee_cents(procedures), mask, s, n)

    out["adjustments"] = None
    if adjustments is not None:
        adjustments = _require(adjustments, ("AdjAmt", "AdjDate"), "production_by_month", "adjustments")
        mask = _in_period(adjustments["AdjDate"], s, e)
        out["adjustments"] = _monthly_cents(adjustments["AdjDate"], _cents(adjustments["AdjAmt"]), mask, s, n)

    statuses, date_col = _WRITEOFF_RULES[writeoff_mode]
    claimprocs = _require(
        claimprocs,
        ("Status", "WriteOff", "InsPayAmt", "DateCP", date_col),
        "production_by_month",
        "claimprocs",
    )
    mask = _status_is(claimprocs["Status"], CLAIMPROC_STATUS, statuses) & _in_period(
        claimprocs[date_col], s, e
    )
    out["writeoffs"] = _monthly_cents(claimprocs[date_col], _cents(claimprocs["WriteOff"]), mask, s, n)
    net = out["adjustments"]
    out["net_production"] = None if net is None else out["gross_production"] + net - out["writeoffs"]

    out["patient_income"] = None
    if paysplits is not None:
        paysplits = _require(paysplits, ("SplitAmt", "DatePay"), "production_by_month", "paysplits")
        mask = _in_period(paysplits["DatePay"], s, e)
        out["patient_income"] = _monthly_cents(
            paysplits["DatePay"], _cents(paysplits["SplitAmt"]), mask, s, n
        )
    received = _status_is(claimprocs["Status"], CLAIMPROC_STATUS, ("Received", "Supplemental"))
    mask = received & _in_period(claimprocs["DateCP"], s, e)
    out["insurance_income"] = _monthly_cents(
        claimprocs["DateCP"], _cents(claimprocs["InsPayAmt"]), mask, s, n
    )
    pi = out["patient_income"]
    out["collections"] = None if pi is None else pi + out["insurance_income"]
    return trend_frame(months, out)


def trend_frame(months: np.ndarray, cents: dict[str, np.ndarray | None]) -> pd.DataFrame:
    """Build the monthly trend frame from per-month integer cents (None = column not available)."""
    data: dict[str, Any] = {"month": pd.to_datetime(months.astype("datetime64[D]"))}
    for col in TREND_COLUMNS:
        values = cents.get(col)
        if values is None:
            data[col] = pd.array([pd.NA] * len(months), dtype="Float64")
        else:
            data[col] = pd.array(np.round(np.asarray(values, dtype=np.int64) / 100.0, 2), dtype="Float64")
    return pd.DataFrame(data)


def production_by_provider(
    procedures: pd.DataFrame, providers: pd.DataFrame | None, start: object, end: object = None
) -> pd.DataFrame:
    """Gross production by procedurelog.ProvNum over [start, end], largest first.

    Returns DataFrame(ProvNum, Abbr, gross_production, share); ``share`` is the provider's part of the
    total (<NA> when the total is 0); Abbr comes from ``providers`` (ProvNum, Abbr) when given.
    """
    s, e = period(start, end)
    procedures = _require(procedures, (*_PROC_COLS, "ProvNum"), "production_by_provider", "procedures")
    mask = _status_is(procedures["ProcStatus"], PROC_STATUS, ["C"]) & _in_period(procedures["ProcDate"], s, e)
    prov = pd.to_numeric(procedures["ProvNum"], errors="coerce").to_numpy(dtype="float64", na_value=0.0)[mask]
    cents = pd.Series(_fee_cents(procedures)[mask]).groupby(prov.astype(np.int64)).sum()
    return provider_frame(cents, providers)


def provider_frame(cents: pd.Series, providers: pd.DataFrame | None) -> pd.DataFrame:
    """Build the by-provider frame from integer cents indexed by ProvNum."""
    total = int(cents.sum())
    frame = pd.DataFrame(
        {
            "ProvNum": pd.array(cents.index.astype(np.int64), dtype="Int64"),
            "gross_cents": cents.to_numpy(dtype=np.int64),
        }
    )
    abbr: pd.Series = pd.Series(pd.NA, index=frame.index, dtype="string")
    if providers is not None and len(providers):
        providers = _require(providers, ("ProvNum", "Abbr"), "production_by_provider", "providers")
        lookup = dict(
            zip(pd.to_numeric(providers["ProvNum"], errors="coerce"), providers["Abbr"], strict=True)
        )
        abbr = frame["ProvNum"].map(lambda p: lookup.get(p, pd.NA)).astype("string")
    frame.insert(1, "Abbr", abbr)
    frame = frame.sort_values(["gross_cents", "ProvNum"], ascending=[False, True], kind="stable")
    frame["gross_production"] = pd.array(
        np.round(frame["gross_cents"].to_numpy() / 100.0, 2), dtype="Float64"
    )
    share = frame["gross_cents"].to_numpy() / total if total else np.full(len(frame), np.nan)
    frame["share"] = pd.array(share, dtype="Float64")
    if not total:
        frame["share"] = pd.array([pd.NA] * len(frame), dtype="Float64")
    return frame.drop(columns="gross_cents").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------------
# All KPIs from frames (the engine behind the list path of scorecard, and the benchmark)
# --------------------------------------------------------------------------------------------------------

# What each KPI needs, by table name in a frames dict (procedurecodes is handled by new_patients).
NEEDS: dict[str, tuple[str, ...]] = {
    "gross_production": ("procedures",),
    "adjustments": ("adjustments",),
    "writeoffs": ("claimprocs",),
    "patient_income": ("paysplits",),
    "insurance_income": ("claimprocs",),
    "new_patients": ("procedures",),
    "active_patients": ("patients", "procedures"),
    "appointments_completed": ("appointments",),
    "appointments_broken": ("appointments",),
    "broken_rate": ("appointments",),
    "hygiene_visits": ("appointments",),
    "hygiene_reappointment_rate": ("appointments",),
    "case_acceptance": ("procedures", "procedures_tp"),
    "accounts_receivable": ("patients",),
}
MONEY_KEYS = tuple(k for k in V1_KEYS if KINDS[k] == "money")

Frames = dict[str, "pd.DataFrame | str | None"]


def _options(writeoff_mode: str, ratio_denominator: str, active_months: int) -> None:
    _check_choice("writeoff_mode", writeoff_mode, tuple(_WRITEOFF_RULES))
    _check_choice("ratio_denominator", ratio_denominator, ("net", "gross"))
    active_window_start(date(2000, 1, 31), active_months)


def compute_from_frames(
    frames: Frames,
    start: object,
    end: object = None,
    *,
    writeoff_mode: WriteoffMode = "payment_date",
    ratio_denominator: Denominator = "net",
    active_months: int = 18,
) -> tuple[dict[str, float | int | None], dict[str, str]]:
    """Every v1 KPI from a dict of frames; returns ``(values, reasons)`` keyed by :data:`V1_KEYS` (the v2
    KPIs: :func:`odnb.kpis.frames_v2.compute_v2`).

    ``frames`` keys: procedures ("C" procedures, whole history), procedures_tp ("TP" procedures; may be
    omitted when ``procedures`` holds every status), procedurecodes (optional when procedures carry
    procCode), claimprocs, paysplits, adjustments, appointments (from ``start`` on, including later
    reappointments), patients. A string instead of a frame is the reason that table is missing: every KPI
    that needs it is None with that reason (and so is every KPI built on it).

    Example:
        >>> values, reasons = compute_from_frames(frames, "2026-01-01", "2026-01-31")  # doctest: +SKIP
    """
    s, e = period(start, end)
    _options(writeoff_mode, ratio_denominator, active_months)
    f: dict[str, Any] = dict(frames)
    if f.get("procedures_tp") is None and isinstance(f.get("procedures"), pd.DataFrame):
        f["procedures_tp"] = f["procedures"].iloc[0:0]  # procedures holds every status
    cents: dict[str, int] = {}
    values: dict[str, float | int | None] = {}
    reasons: dict[str, str] = {}

    def missing(key: str) -> str | None:
        for table in NEEDS[key]:
            got = f.get(table)
            if not isinstance(got, pd.DataFrame):
                return got if isinstance(got, str) else f"the {table} table was not given"
        no_codes = isinstance(f.get("procedurecodes"), str) and "procCode" not in f["procedures"].columns
        if key == "new_patients" and no_codes:
            return f["procedurecodes"]
        return None

    def codes() -> pd.DataFrame | None:
        got = f.get("procedurecodes")
        return got if isinstance(got, pd.DataFrame) else None

    calculations: dict[str, Callable[[], Any]] = {
        "gross_production": lambda: _gross_cents(f["procedures"], s, e),
        "adjustments": lambda: _adjustments_cents(f["adjustments"], s, e),
        "writeoffs": lambda: _writeoff_cents(f["claimprocs"], s, e, writeoff_mode),
        "patient_income": lambda: _patient_income_cents(f["paysplits"], s, e),
        "insurance_income": lambda: _insurance_income_cents(f["claimprocs"], s, e),
        "new_patients": lambda: new_patients(f["procedures"], codes(), s, e),
        "active_patients": lambda: active_patients(f["patients"], f["procedures"], e, active_months),
        "appointments_completed": lambda: _apt_count(f["appointments"], s, e, "Complete", "completed"),
        "appointments_broken": lambda: _apt_count(f["appointments"], s, e, "Broken", "broken"),
        "broken_rate": lambda: broken_rate(f["appointments"], s, e),
        "hygiene_visits": lambda: hygiene_visits(f["appointments"], s, e),
        "hygiene_reappointment_rate": lambda: hygiene_reappointment_rate(f["appointments"], s, e),
        "case_acceptance": lambda: _case_from_two(f["procedures"], f["procedures_tp"], s, e),
        "accounts_receivable": lambda: _ar_cents(f["patients"]),
    }
    for key, calculate in calculations.items():
        why = missing(key)
        if why is not None:
            values[key], reasons[key] = None, why
            continue
        try:
            result = calculate()
        except (KPIInputError, KeyError, TypeError, ValueError) as exc:
            values[key], reasons[key] = None, f"could not compute from the fetched data: {exc}"
            continue
        if key in MONEY_KEYS:
            cents[key] = int(result)
            result = _dollars(result)
        values[key] = result
    combine(values, reasons, cents, ratio_denominator)
    return {k: values.get(k) for k in V1_KEYS}, {k: reasons[k] for k in V1_KEYS if k in reasons}


def _case_from_two(done: pd.DataFrame, planned: pd.DataFrame, s: date, e: date) -> float | None:
    a1, t1 = _case_cents(done, s, e)
    a2, t2 = _case_cents(planned, s, e) if len(planned) else (0, 0)
    return _ratio(a1 + a2, t1 + t2)


_NULL_RATIO_REASONS: dict[str, str] = {
    "broken_rate": "no completed or broken appointments in the period (0 / 0)",
    "hygiene_reappointment_rate": "no hygiene visits in the period (0 / 0)",
    "case_acceptance": "no procedures treatment-planned in the period (0 / 0)",
}


def combine(
    values: dict[str, Any], reasons: dict[str, str], cents: dict[str, int], ratio_denominator: str
) -> None:
    """Fill the derived KPIs (net_production, collections, collection_ratio) from the components' cents,
    null with the reason when a component is null; explain a None ratio."""

    def need(key: str, parts: tuple[str, ...]) -> bool:
        for part in parts:
            if part not in cents:
                values[key] = None
                why = reasons.get(part, "not computed")
                # A derived part already says what it needs: pass its reason on rather than nest it.
                derived = part in ("net_production", "collections")
                reasons[key] = why if derived else f"needs {LABELS[part].lower()}, unavailable: {why}"
                return False
        return True

    if need("net_production", ("gross_production", "adjustments", "writeoffs")):
        cents["net_production"] = cents["gross_production"] + cents["adjustments"] - cents["writeoffs"]
        values["net_production"] = _dollars(cents["net_production"])
    if need("collections", ("patient_income", "insurance_income")):
        cents["collections"] = cents["patient_income"] + cents["insurance_income"]
        values["collections"] = _dollars(cents["collections"])
    den_key = "net_production" if ratio_denominator == "net" else "gross_production"
    if need("collection_ratio", ("collections", den_key)):
        values["collection_ratio"] = _ratio(cents["collections"], cents[den_key])
        if values["collection_ratio"] is None:
            reasons["collection_ratio"] = f"{LABELS[den_key].lower()} is 0 in the period"
    for key, why in _NULL_RATIO_REASONS.items():
        if key in values and values[key] is None and key not in reasons:
            reasons[key] = why
