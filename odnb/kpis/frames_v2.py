"""The v2 KPIs of ``docs/kpis.md`` over typed frames: hygiene production, production per visit, treatment
acceptance, scheduled production, unscheduled treatment, A/R as of a date with aging from the ledger,
pending insurance, outstanding claims; and the clinic filter every KPI takes.

The same conventions as :mod:`odnb.kpis.frames` (integer cents, dates compared by day, enums as text or
integers, "no date" never counts). Snapshot KPIs take ``as_of`` instead of a period.

Example:
    >>> import pandas as pd
    >>> claims = pd.DataFrame({"ClaimStatus": ["S", "R", "R"], "DateSent": ["2026-01-02", "2026-01-05",
    ...     "2026-01-05"], "DateReceived": ["0001-01-01", "2026-02-10", "2026-01-20"],
    ...     "ClaimFee": [100.0, 250.5, 80.0]})
    >>> outstanding_claims(claims, "2026-01-31")
    {'outstanding_claims': 2, 'outstanding_claims_amount': 350.5, 'outstanding_claims_over_30': 0}
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from odnb.api.enums import APT_STATUS, CLAIMPROC_STATUS, PAT_STATUS, PROC_STATUS
from odnb.kpis.frames import (
    NEW_PATIENT_EXCLUDED_CODES,
    Frames,
    KPIInputError,
    _cents,
    _day_array,
    _dollars,
    _fee_cents,
    _in_period,
    _not_excluded,
    _ratio,
    _require,
    _status_is,
    _truthy,
    active_window_start,
    as_date,
)

# Aging: the first day of each bucket counted back from as_of (0-30, 31-60, 61-90, over 90 days).
AR_BUCKETS: tuple[str, ...] = ("ar_0_30", "ar_31_60", "ar_61_90", "ar_over_90")
AR_BUCKET_LABELS: dict[str, str] = {
    "ar_0_30": "0-30 days",
    "ar_31_60": "31-60 days",
    "ar_61_90": "61-90 days",
    "ar_over_90": "over 90 days",
}
# Tables that carry ClinicNum (claims get theirs from their claimprocs when the API omits it).
CLINIC_TABLES: tuple[str, ...] = (
    "procedures",
    "procedures_tp",
    "claimprocs",
    "paysplits",
    "adjustments",
    "appointments",
    "appointments_scheduled",
    "claims",
)


def _ids(series: pd.Series) -> np.ndarray:
    return pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)


def _day(d: date) -> np.datetime64:
    return np.datetime64(d.isoformat(), "D")


def _on_or_before(series: pd.Series, as_of: date) -> np.ndarray:
    return _day_array(series) < _day(as_of + timedelta(days=1))


# --------------------------------------------------------------------------------------------------------
# Clinic
# --------------------------------------------------------------------------------------------------------


def check_clinic(clinic: object) -> int | None:
    """``None`` (the whole practice) or a ClinicNum as an int; KPIInputError otherwise.

    >>> check_clinic("2"), check_clinic(None)
    (2, None)
    """
    if clinic is None:
        return None
    try:
        number = int(str(clinic).strip())
    except ValueError:
        number = -1
    if number < 0 or isinstance(clinic, bool):
        raise KPIInputError(f"clinic={clinic!r} is not a ClinicNum (a whole number such as 1, or None)")
    return number


def at_clinic(frame: pd.DataFrame, clinic: int) -> pd.DataFrame:
    """Rows of ``frame`` whose ClinicNum is ``clinic`` (a frame without the column raises)."""
    if len(frame) == 0:
        return frame
    frame = _require(frame, ("ClinicNum",), f"clinic={clinic}", "a table")
    return frame[(_ids(frame["ClinicNum"]) == clinic)]


def claims_with_clinic(claims: pd.DataFrame, claimprocs: pd.DataFrame | None) -> pd.DataFrame:
    """``claims`` with a ClinicNum: its own when present, else the ClinicNum of its claimprocs."""
    if "ClinicNum" in claims.columns or claimprocs is None or "ClaimNum" not in claimprocs.columns:
        return claims
    cp = claimprocs[_ids(claimprocs["ClaimNum"]) > 0]
    lookup = cp.drop_duplicates("ClaimNum").set_index(
        pd.to_numeric(cp.drop_duplicates("ClaimNum")["ClaimNum"])
    )
    clinic = pd.to_numeric(claims["ClaimNum"], errors="coerce").map(lookup["ClinicNum"])
    return claims.assign(ClinicNum=clinic)


def restrict_to_clinic(frames: Frames, clinic: int | None) -> Frames:
    """Every clinic-carrying table of ``frames`` cut to ``clinic`` (None: unchanged). Missing tables (a
    reason string) stay as they are; patients, providers and codes are not cut (they are looked up)."""
    if clinic is None:
        return dict(frames)
    out: Frames = dict(frames)
    if isinstance(out.get("claims"), pd.DataFrame):
        cps = out.get("claimprocs")
        out["claims"] = claims_with_clinic(out["claims"], cps if isinstance(cps, pd.DataFrame) else None)
    for name in CLINIC_TABLES:
        got = out.get(name)
        if isinstance(got, pd.DataFrame):
            out[name] = at_clinic(got, clinic)
    return out


def new_patients_at_clinic(
    procedures: pd.DataFrame, procedurecodes: pd.DataFrame | None, clinic: int, start: date, end: date
) -> int:
    """New patients (first "C" procedure ever, D9986/D9987 ignored, dated in the period) whose first day
    has a procedure at ``clinic``. ``procedures`` is every clinic's history."""
    procedures = _require(
        procedures, ("ProcStatus", "ProcDate", "PatNum", "ClinicNum"), "new_patients", "procedures"
    )
    if len(procedures) == 0:
        return 0
    days = _day_array(procedures["ProcDate"])
    keep = (
        _status_is(procedures["ProcStatus"], PROC_STATUS, ["C"])
        & ~np.isnat(days)
        & _not_excluded(procedures, procedurecodes, NEW_PATIENT_EXCLUDED_CODES)
    )
    rows = pd.DataFrame({"pat": _ids(procedures["PatNum"])[keep], "day": days[keep]})
    rows["here"] = _ids(procedures["ClinicNum"])[keep] == clinic
    first = rows.groupby("pat")["day"].transform("min")
    on_first = rows[(rows["day"] == first) & rows["here"]]
    in_period = (on_first["day"] >= _day(start)) & (on_first["day"] <= _day(end))
    return int(on_first.loc[in_period, "pat"].nunique())


# --------------------------------------------------------------------------------------------------------
# Production
# --------------------------------------------------------------------------------------------------------


def hygienists(providers: pd.DataFrame) -> set[int]:
    """ProvNums of the hygienists (IsSecondary true)."""
    providers = _require(providers, ("ProvNum", "IsSecondary"), "hygiene_production", "providers")
    return {int(p) for p in _ids(providers["ProvNum"])[_truthy(providers["IsSecondary"])] if p == p}


def _complete_in(procedures: pd.DataFrame, start: date, end: date) -> np.ndarray:
    return _status_is(procedures["ProcStatus"], PROC_STATUS, ["C"]) & _in_period(
        procedures["ProcDate"], start, end
    )


def hygiene_production_cents(
    procedures: pd.DataFrame, providers: pd.DataFrame, start: date, end: date
) -> int:
    """fee(p) of "C" procedures in the period whose ProvNum is a hygienist, in cents."""
    procedures = _require(
        procedures,
        ("ProcStatus", "ProcDate", "ProcFee", "UnitQty", "ProvNum"),
        "hygiene_production",
        "procedures",
    )
    mask = _complete_in(procedures, start, end) & np.isin(
        _ids(procedures["ProvNum"]), list(hygienists(providers))
    )
    return int(_fee_cents(procedures)[mask].sum())


def _procedures(*parts: pd.DataFrame) -> pd.DataFrame:
    """One frame of procedures from several pulls (e.g. C and TP), de-duplicated by ProcNum."""
    frames = [p for p in parts if isinstance(p, pd.DataFrame) and len(p)]
    if not frames:
        return parts[0]
    both = pd.concat(frames, ignore_index=True)
    return both.drop_duplicates("ProcNum", keep="last") if "ProcNum" in both.columns else both


def _apt_nums(
    appointments: pd.DataFrame, statuses: list[str], start: date | None = None, end: date | None = None
) -> list[float]:
    appointments = _require(
        appointments, ("AptNum", "AptStatus", "AptDateTime"), "appointments", "appointments"
    )
    mask = _status_is(appointments["AptStatus"], APT_STATUS, statuses)
    if start is not None and end is not None:
        mask = mask & _in_period(appointments["AptDateTime"], start, end)
    return [a for a in _ids(appointments["AptNum"])[mask] if a > 0]


_PROC_V2 = ("ProcStatus", "ProcFee", "UnitQty", "AptNum")


def scheduled_production_cents(
    procedures: pd.DataFrame, appointments: pd.DataFrame, start: date, end: date
) -> int:
    """fee(p) of procedures (TP or C) attached to appointments Scheduled or Complete in the period."""
    procedures = _require(procedures, _PROC_V2, "scheduled_production", "procedures")
    booked = _apt_nums(appointments, ["Scheduled", "Complete"], start, end)
    mask = _status_is(procedures["ProcStatus"], PROC_STATUS, ["TP", "C"]) & np.isin(
        _ids(procedures["AptNum"]), booked
    )
    return int(_fee_cents(procedures)[mask].sum())


def treatment_acceptance_cents(
    procedures: pd.DataFrame, scheduled: pd.DataFrame, start: date, end: date
) -> tuple[int, int]:
    """(accepted, planned) cents over procedures with DateTP in the period, TP or C: accepted = "C", or TP
    attached to a Scheduled appointment (``scheduled`` holds the Scheduled appointments, any date)."""
    procedures = _require(procedures, (*_PROC_V2, "DateTP"), "treatment_acceptance", "procedures")
    in_tp = _in_period(procedures["DateTP"], start, end)
    done = _status_is(procedures["ProcStatus"], PROC_STATUS, ["C"])
    tp = _status_is(procedures["ProcStatus"], PROC_STATUS, ["TP"])
    on_books = np.isin(_ids(procedures["AptNum"]), _apt_nums(scheduled, ["Scheduled"]))
    fees = _fee_cents(procedures)
    return int(fees[in_tp & (done | (tp & on_books))].sum()), int(fees[in_tp & (done | tp)].sum())


def unscheduled_treatment_cents(
    procedures: pd.DataFrame,
    patients: pd.DataFrame,
    scheduled: pd.DataFrame,
    as_of: date,
    active_months: int = 18,
) -> int:
    """fee(p) of procedures still TP (any DateTP) of patients active as of ``as_of`` (PatStatus Patient
    and a "C" procedure in the ``active_months`` months ending then), not on a Scheduled appointment."""
    procedures = _require(
        procedures, (*_PROC_V2, "PatNum", "ProcDate"), "unscheduled_treatment", "procedures"
    )
    patients = _require(patients, ("PatNum", "PatStatus"), "unscheduled_treatment", "patients")
    window = active_window_start(as_of, active_months)
    seen = _complete_in(procedures, window, as_of)
    pats = _ids(procedures["PatNum"])
    is_patient = _ids(patients["PatNum"])[_status_is(patients["PatStatus"], PAT_STATUS, ["Patient"])]
    active = np.intersect1d(np.unique(pats[seen]), is_patient)
    tp = _status_is(procedures["ProcStatus"], PROC_STATUS, ["TP"])
    on_books = np.isin(_ids(procedures["AptNum"]), _apt_nums(scheduled, ["Scheduled"]))
    mask = tp & ~on_books & np.isin(pats, active)
    return int(_fee_cents(procedures)[mask].sum())


# --------------------------------------------------------------------------------------------------------
# Balances as of a date: the family ledger, aged oldest-first
# --------------------------------------------------------------------------------------------------------


def _bucket(days: np.ndarray, as_of: date) -> np.ndarray:
    """0..3 for 0-30, 31-60, 61-90, over 90 days before ``as_of``."""
    age = (_day(as_of) - days.astype("datetime64[D]")).astype(np.int64)
    return np.select([age <= 30, age <= 60, age <= 90], [0, 1, 2], default=3)


def _family(patients: pd.DataFrame) -> pd.Series:
    patients = _require(patients, ("PatNum", "Guarantor"), "accounts_receivable_as_of", "patients")
    pats = pd.to_numeric(patients["PatNum"], errors="coerce")
    return pd.Series(pd.to_numeric(patients["Guarantor"], errors="coerce").to_numpy(), index=pats.to_numpy())


def ledger_aging_cents(
    procedures: pd.DataFrame,
    adjustments: pd.DataFrame,
    paysplits: pd.DataFrame,
    claimprocs: pd.DataFrame,
    patients: pd.DataFrame,
    as_of: object,
) -> dict[str, int]:
    """Families' balances as of ``as_of`` by age, in cents: ``{"ar_0_30": ..., "ar_over_90": ...}``.

    Charges: "C" procedures' fee(p) and positive adjustments dated on or before ``as_of``. Credits:
    negative adjustments, paysplits, and InsPayAmt + WriteOff of claimprocs Received/Supplemental, dated
    on or before it. Credits pay the oldest charges first; what is left of each charge is aged by its
    date; a family in credit shows it (negative) in 0-30.
    """
    d = as_date(as_of, "as_of")
    family = _family(patients)

    def guarantor(frame: pd.DataFrame) -> np.ndarray:
        pats = pd.to_numeric(frame["PatNum"], errors="coerce")
        return pats.map(family).fillna(pats).to_numpy(dtype="float64", na_value=np.nan)

    charges: list[pd.DataFrame] = []
    credits: list[pd.DataFrame] = []
    procedures = _require(
        procedures, ("ProcStatus", "ProcDate", "ProcFee", "UnitQty", "PatNum"), "aging", "procedures"
    )
    mask = _status_is(procedures["ProcStatus"], PROC_STATUS, ["C"]) & _on_or_before(procedures["ProcDate"], d)
    charges.append(
        pd.DataFrame(
            {
                "g": guarantor(procedures)[mask],
                "day": _day_array(procedures["ProcDate"])[mask],
                "cents": _fee_cents(procedures)[mask],
            }
        )
    )
    adjustments = _require(adjustments, ("AdjAmt", "AdjDate", "PatNum"), "aging", "adjustments")
    amount = _cents(adjustments["AdjAmt"])
    dated = _on_or_before(adjustments["AdjDate"], d)
    plus = dated & (amount > 0)
    charges.append(
        pd.DataFrame(
            {
                "g": guarantor(adjustments)[plus],
                "day": _day_array(adjustments["AdjDate"])[plus],
                "cents": amount[plus],
            }
        )
    )
    minus = dated & (amount < 0)
    credits.append(pd.DataFrame({"g": guarantor(adjustments)[minus], "cents": -amount[minus]}))
    paysplits = _require(paysplits, ("SplitAmt", "DatePay", "PatNum"), "aging", "paysplits")
    mask = _on_or_before(paysplits["DatePay"], d)
    credits.append(
        pd.DataFrame({"g": guarantor(paysplits)[mask], "cents": _cents(paysplits["SplitAmt"])[mask]})
    )
    claimprocs = _require(
        claimprocs, ("Status", "InsPayAmt", "WriteOff", "DateCP", "PatNum"), "aging", "claimprocs"
    )
    mask = _status_is(claimprocs["Status"], CLAIMPROC_STATUS, ("Received", "Supplemental")) & _on_or_before(
        claimprocs["DateCP"], d
    )
    paid = _cents(claimprocs["InsPayAmt"]) + _cents(claimprocs["WriteOff"])
    credits.append(pd.DataFrame({"g": guarantor(claimprocs)[mask], "cents": paid[mask]}))

    charge = pd.concat(charges, ignore_index=True)
    charge["bucket"] = _bucket(charge["day"].to_numpy(), d) if len(charge) else np.array([], dtype=np.int64)
    by_bucket = charge.pivot_table(index="g", columns="bucket", values="cents", aggfunc="sum", fill_value=0)
    by_bucket = by_bucket.reindex(columns=range(4), fill_value=0)
    credit = pd.concat(credits, ignore_index=True).groupby("g")["cents"].sum()
    families = by_bucket.index.union(credit.index)
    b = by_bucket.reindex(families, fill_value=0).to_numpy(dtype=np.int64)
    left = credit.reindex(families, fill_value=0).to_numpy(dtype=np.int64)
    remaining = np.zeros_like(b)
    for i in (3, 2, 1):  # oldest first: each bucket takes what credit is left, up to its size
        applied = np.clip(left, 0, b[:, i])
        remaining[:, i] = b[:, i] - applied
        left = left - applied
    remaining[:, 0] = b[:, 0] - left  # what is still left (or a negative credit) sits in 0-30
    return {key: int(remaining[:, i].sum()) for i, key in enumerate(AR_BUCKETS)}


def ar_aging_as_of(
    procedures: pd.DataFrame,
    adjustments: pd.DataFrame,
    paysplits: pd.DataFrame,
    claimprocs: pd.DataFrame,
    patients: pd.DataFrame,
    as_of: object,
) -> pd.DataFrame:
    """A/R aging as of a date from the ledger: DataFrame(bucket, label, amount) in dollars."""
    cents = ledger_aging_cents(procedures, adjustments, paysplits, claimprocs, patients, as_of)
    return pd.DataFrame(
        {
            "bucket": list(AR_BUCKETS),
            "label": [AR_BUCKET_LABELS[k] for k in AR_BUCKETS],
            "amount": pd.array([_dollars(cents[k]) for k in AR_BUCKETS], dtype="Float64"),
        }
    )


def insurance_estimate_cents(claimprocs: pd.DataFrame, as_of: object) -> int:
    """Insurance still expected at ``as_of``, in cents: InsPayEst of claimprocs for procedures dated on or
    before it that were not yet paid then (Status NotReceived, or Received with DateCP after it)."""
    d = as_date(as_of, "as_of")
    claimprocs = _require(
        claimprocs, ("Status", "InsPayEst", "DateCP", "ProcDate"), "ar_insurance_estimate", "claimprocs"
    )
    waiting = _status_is(claimprocs["Status"], CLAIMPROC_STATUS, ["NotReceived"]) | (
        _status_is(claimprocs["Status"], CLAIMPROC_STATUS, ["Received"])
        & ~_on_or_before(claimprocs["DateCP"], d)
    )
    mask = waiting & _on_or_before(claimprocs["ProcDate"], d)
    return int(_cents(claimprocs["InsPayEst"])[mask].sum())


# --------------------------------------------------------------------------------------------------------
# Claims
# --------------------------------------------------------------------------------------------------------


def _outstanding_mask(claims: pd.DataFrame, as_of: date) -> tuple[np.ndarray, np.ndarray]:
    claims = _require(claims, ("ClaimStatus", "DateSent", "DateReceived"), "outstanding_claims", "claims")
    status = claims["ClaimStatus"].astype("string").str.strip()
    sent = _day_array(claims["DateSent"])
    received_later = ~_on_or_before(claims["DateReceived"], as_of) & ~np.isnat(
        _day_array(claims["DateReceived"])
    )
    waiting = (status == "S").to_numpy(dtype=bool, na_value=False) | (
        (status == "R").to_numpy(dtype=bool, na_value=False) & received_later
    )
    mask = ~np.isnat(sent) & (sent <= _day(as_of)) & waiting
    old = mask & (sent < _day(as_of - timedelta(days=30)))
    return mask, old


def outstanding_claims(claims: pd.DataFrame, as_of: object) -> dict[str, Any]:
    """Claims sent and not yet received at ``as_of``: how many, their ClaimFee, how many are over 30 days."""
    d = as_date(as_of, "as_of")
    mask, old = _outstanding_mask(claims, d)
    fee = _cents(claims["ClaimFee"]) if "ClaimFee" in claims.columns else np.zeros(len(claims), np.int64)
    return {
        "outstanding_claims": int(mask.sum()),
        "outstanding_claims_amount": _dollars(int(fee[mask].sum())),
        "outstanding_claims_over_30": int(old.sum()),
    }


# --------------------------------------------------------------------------------------------------------
# Every v2 KPI from frames
# --------------------------------------------------------------------------------------------------------

# What each v2 component needs, by table name in a frames dict.
NEEDS_V2: dict[str, tuple[str, ...]] = {
    "hygiene_production": ("procedures", "providers"),
    "scheduled_production": ("procedures", "procedures_tp", "appointments"),
    "treatment_acceptance": ("procedures", "procedures_tp", "appointments_scheduled"),
    "unscheduled_treatment": ("procedures", "procedures_tp", "patients", "appointments_scheduled"),
    "ar_aging": ("procedures", "adjustments", "paysplits", "claimprocs", "patients"),
    "ar_insurance_estimate": ("claimprocs",),
    "outstanding_claims": ("claims",),
}
V2_SNAPSHOT_GROUPS: dict[str, tuple[str, ...]] = {
    "ar_aging": (*AR_BUCKETS, "accounts_receivable_as_of", "ar_over_90_share", "ar_patient_estimate"),
    "outstanding_claims": ("outstanding_claims", "outstanding_claims_amount", "outstanding_claims_over_30"),
}


def compute_v2(
    frames: Frames,
    start: date,
    end: date,
    as_of: date,
    *,
    gross_cents: int | None,
    visits: int | None,
    active_months: int = 18,
) -> tuple[dict[str, float | int | None], dict[str, str], dict[str, int]]:
    """The v2 KPIs from (clinic-restricted) frames: ``(values, reasons, cents)``.

    ``gross_cents`` and ``visits`` are the v1 components (None when unavailable) the shares and per-visit
    figures divide by.
    """
    f: dict[str, Any] = dict(frames)
    if f.get("procedures_tp") is None and isinstance(f.get("procedures"), pd.DataFrame):
        f["procedures_tp"] = f["procedures"].iloc[0:0]
    values: dict[str, float | int | None] = {}
    reasons: dict[str, str] = {}
    cents: dict[str, int] = {}

    def missing(group: str) -> str | None:
        for table in NEEDS_V2[group]:
            got = f.get(table)
            if not isinstance(got, pd.DataFrame):
                return got if isinstance(got, str) else f"the {table} table was not given"
        return None

    def attempt(group: str, keys: tuple[str, ...], run: Any) -> None:
        why = missing(group)
        if why is None:
            try:
                run()
                return
            except (KPIInputError, KeyError, TypeError, ValueError) as exc:
                why = f"could not compute from the fetched data: {exc}"
        for key in keys:
            values[key], reasons[key] = None, why

    def all_procs() -> pd.DataFrame:
        return _procedures(f["procedures"], f["procedures_tp"])

    def hygiene() -> None:
        cents["hygiene_production"] = hygiene_production_cents(f["procedures"], f["providers"], start, end)

    def scheduled() -> None:
        cents["scheduled_production"] = scheduled_production_cents(all_procs(), f["appointments"], start, end)

    def treatment() -> None:
        accepted, planned = treatment_acceptance_cents(all_procs(), f["appointments_scheduled"], start, end)
        values["treatment_acceptance"] = _ratio(accepted, planned)
        if planned == 0:
            reasons["treatment_acceptance"] = "no procedures treatment-planned in the period (0 / 0)"

    def unscheduled() -> None:
        cents["unscheduled_treatment"] = unscheduled_treatment_cents(
            all_procs(), f["patients"], f["appointments_scheduled"], as_of, active_months
        )

    def aging() -> None:
        cents.update(
            ledger_aging_cents(
                f["procedures"], f["adjustments"], f["paysplits"], f["claimprocs"], f["patients"], as_of
            )
        )

    def estimate() -> None:
        cents["ar_insurance_estimate"] = insurance_estimate_cents(f["claimprocs"], as_of)

    def claims() -> None:
        values.update(outstanding_claims(f["claims"], as_of))

    attempt("hygiene_production", ("hygiene_production",), hygiene)
    attempt("scheduled_production", ("scheduled_production",), scheduled)
    attempt("treatment_acceptance", ("treatment_acceptance",), treatment)
    attempt("unscheduled_treatment", ("unscheduled_treatment",), unscheduled)
    attempt("ar_aging", V2_SNAPSHOT_GROUPS["ar_aging"], aging)
    attempt("ar_insurance_estimate", ("ar_insurance_estimate", "ar_patient_estimate"), estimate)
    attempt("outstanding_claims", V2_SNAPSHOT_GROUPS["outstanding_claims"], claims)
    derive_v2(values, reasons, cents, gross_cents=gross_cents, visits=visits)
    return values, reasons, cents


def derive_v2(
    values: dict[str, Any],
    reasons: dict[str, str],
    cents: dict[str, int],
    *,
    gross_cents: int | None,
    visits: int | None,
) -> None:
    """Dollars from the components' cents, and the v2 KPIs built on them (shares, per visit, totals);
    the same arithmetic for the list and the ShortQuery paths."""
    for key, value in cents.items():
        values[key] = _dollars(value)
    if all(k in cents for k in AR_BUCKETS):
        total = sum(cents[k] for k in AR_BUCKETS)
        cents["accounts_receivable_as_of"] = total
        values["accounts_receivable_as_of"] = _dollars(total)
        values["ar_over_90_share"] = _ratio(cents["ar_over_90"], total)
        if total == 0:
            reasons["ar_over_90_share"] = "no balance owed at that date (0 / 0)"
        if "ar_insurance_estimate" in cents:
            values["ar_patient_estimate"] = _dollars(total - cents["ar_insurance_estimate"])
        else:
            values["ar_patient_estimate"] = None
            reasons.setdefault("ar_patient_estimate", reasons.get("ar_insurance_estimate", "not computed"))
    elif "ar_patient_estimate" not in reasons:
        values["ar_patient_estimate"] = None
        reasons["ar_patient_estimate"] = reasons.get("ar_0_30", "not computed")
    if gross_cents is None:
        for key in ("hygiene_production_share", "production_per_visit"):
            values[key], reasons[key] = None, "needs gross production, unavailable"
    else:
        if "hygiene_production" in cents:
            values["hygiene_production_share"] = _ratio(cents["hygiene_production"], gross_cents)
            if gross_cents == 0:
                reasons["hygiene_production_share"] = "no gross production in the period (0 / 0)"
        else:
            values["hygiene_production_share"] = None
            reasons["hygiene_production_share"] = reasons.get("hygiene_production", "not computed")
        if visits is None:
            values["production_per_visit"] = None
            reasons["production_per_visit"] = "needs completed appointments, unavailable"
        elif visits == 0:
            values["production_per_visit"] = None
            reasons["production_per_visit"] = "no completed appointments in the period (0 / 0)"
        else:
            values["production_per_visit"] = _dollars(round(gross_cents / visits))
