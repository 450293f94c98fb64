"""Benchmark: the vectorised KPI scorecard against a straightforward row-by-row baseline, same data, same run.

A synthetic practice is generated with numpy (1,000,000 procedures by default, plus proportional
claimprocs, paysplits, adjustments, appointments and patients), typed like odnb's client frames (Int64 ids,
Float64 money, categorical enums, datetime64 dates with NaT). Both implementations compute every KPI of
the contract for one year; the script prints seconds, rows/s, peak memory (tracemalloc, in a separate
run so that tracing does not distort the timings) and the speed-up, and exits 1 if any value differs.

Usage:
    .venv/bin/python bench/kpis.py                 # 1,000,000 procedures
    .venv/bin/python bench/kpis.py --rows 100000   # quicker
    .venv/bin/python bench/kpis.py --no-memory     # skip the tracemalloc runs
"""

from __future__ import annotations

import argparse
import calendar
import sys
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from odnb import kpis

START, END = date(2025, 1, 1), date(2025, 12, 31)
FIRST_DAY = np.datetime64("2021-01-01")
DAYS = 5 * 365 + 200  # history, plus appointments booked ahead


# ---------------------------------------------------------------------------------------------- data


def _money(rng: np.random.Generator, n: int, low: int, high: int) -> pd.arrays.FloatingArray:
    return pd.array(rng.integers(low, high, n) / 100.0, dtype="Float64")


def _days(rng: np.random.Generator, n: int, nat_share: float = 0.0) -> np.ndarray:
    days = FIRST_DAY + rng.integers(0, DAYS, n).astype("timedelta64[D]")
    days = days.astype("datetime64[ns]")
    if nat_share:
        days[rng.random(n) < nat_share] = np.datetime64("NaT")
    return days


def _cat(rng: np.random.Generator, n: int, choices: dict[str, float]) -> pd.Categorical:
    p = np.array(list(choices.values()))
    return pd.Categorical.from_codes(rng.choice(len(p), n, p=p / p.sum()), list(choices))


def synthetic_practice(rows: int, seed: int = 1) -> dict[str, pd.DataFrame]:
    """Frames shaped like the client's: ``rows`` procedures and proportional other tables."""
    rng = np.random.default_rng(seed)
    n_pat = max(rows // 20, 10)
    ids = lambda n: pd.array(np.arange(1, n + 1), dtype="Int64")  # noqa: E731
    pats = lambda n: pd.array(rng.integers(1, n_pat + 1, n), dtype="Int64")  # noqa: E731

    # Each patient joins on some day; their procedures fall after it (so some are new in any year).
    joined = rng.integers(0, DAYS, n_pat)
    pat_of_proc = rng.integers(0, n_pat, rows)
    offset = joined[pat_of_proc] + (rng.random(rows) * (DAYS - joined[pat_of_proc])).astype(np.int64)
    proc_date = (FIRST_DAY + offset.astype("timedelta64[D]")).astype("datetime64[ns]")
    proc_date[rng.random(rows) < 0.005] = np.datetime64("NaT")
    procedures = pd.DataFrame(
        {
            "ProcNum": ids(rows),
            "PatNum": pd.array(pat_of_proc + 1, dtype="Int64"),
            "ProcStatus": _cat(rng, rows, {"C": 0.75, "TP": 0.18, "EC": 0.03, "D": 0.02, "TPi": 0.02}),
            "ProcDate": proc_date,
            "DateTP": proc_date - rng.integers(0, 120, rows).astype("timedelta64[D]"),
            "ProcFee": _money(rng, rows, 2_000, 60_000),
            "UnitQty": pd.array(rng.choice([1, 1, 1, 2, 3], rows), dtype="Int64"),
            "BaseUnits": pd.array(rng.choice([0] * 9 + [1], rows), dtype="Int64"),
            "CodeNum": pd.array(rng.integers(1, 301, rows), dtype="Int64"),
            "ProvNum": pd.array(rng.integers(1, 9, rows), dtype="Int64"),
        }
    )
    codes = ["D9986", "D9987"] + [f"D{n:04d}" for n in range(3, 301)]
    procedurecodes = pd.DataFrame({"CodeNum": ids(300), "ProcCode": codes})

    n_cp = int(rows * 0.6)
    status = _cat(
        rng,
        n_cp,
        {
            "NotReceived": 0.1,
            "Received": 0.6,
            "Supplemental": 0.05,
            "Estimate": 0.2,
            "Preauth": 0.03,
            "CapClaim": 0.02,
        },
    )
    date_cp = _days(rng, n_cp)
    date_cp[np.isin(status.codes, [0, 3])] = np.datetime64("NaT")
    claimprocs = pd.DataFrame(
        {
            "ClaimProcNum": ids(n_cp),
            "PatNum": pats(n_cp),
            "Status": status,
            "DateCP": date_cp,
            "ProcDate": _days(rng, n_cp),
            "WriteOff": _money(rng, n_cp, 0, 8_000),
            "InsPayAmt": _money(rng, n_cp, 0, 30_000),
        }
    )
    n_split = int(rows * 0.5)
    paysplits = pd.DataFrame(
        {
            "SplitNum": ids(n_split),
            "PatNum": pats(n_split),
            "DatePay": _days(rng, n_split),
            "SplitAmt": _money(rng, n_split, -2_000, 30_000),
        }
    )
    n_adj = int(rows * 0.05)
    adjustments = pd.DataFrame(
        {
            "AdjNum": ids(n_adj),
            "PatNum": pats(n_adj),
            "AdjDate": _days(rng, n_adj, 0.01),
            "AdjAmt": _money(rng, n_adj, -8_000, 2_000),
        }
    )
    n_apt = int(rows * 0.4)
    when = _days(rng, n_apt) + (rng.integers(16, 34, n_apt) * 30).astype("timedelta64[m]")
    entered = when - rng.integers(0, 200 * 24 * 60, n_apt).astype("timedelta64[m]")
    entered[rng.random(n_apt) < 0.05] = np.datetime64("NaT")
    appointments = pd.DataFrame(
        {
            "AptNum": ids(n_apt),
            "PatNum": pats(n_apt),
            "AptStatus": _cat(
                rng,
                n_apt,
                {"Scheduled": 0.15, "Complete": 0.7, "Broken": 0.08, "UnschedList": 0.04, "Planned": 0.03},
            ),
            "AptDateTime": when,
            "IsHygiene": pd.array(rng.random(n_apt) < 0.45, dtype="boolean"),
            "SecDateTEntry": entered,
        }
    )
    pat_num = np.arange(1, n_pat + 1)
    guarantor = np.where(rng.random(n_pat) < 0.6, pat_num, rng.integers(1, n_pat + 1, n_pat))
    patients = pd.DataFrame(
        {
            "PatNum": pd.array(pat_num, dtype="Int64"),
            "Guarantor": pd.array(guarantor, dtype="Int64"),
            "PatStatus": _cat(
                rng,
                n_pat,
                {"Patient": 0.85, "NonPatient": 0.05, "Inactive": 0.07, "Archived": 0.02, "Deceased": 0.01},
            ),
            "BalTotal": _money(rng, n_pat, -5_000, 60_000),
        }
    )
    return {
        "procedures": procedures,
        "procedurecodes": procedurecodes,
        "claimprocs": claimprocs,
        "paysplits": paysplits,
        "adjustments": adjustments,
        "appointments": appointments,
        "patients": patients,
    }


# ---------------------------------------------------------------------------------------------- baseline


def _day(value: Any) -> date | None:
    """A cell's date, or None for NaT / missing."""
    return None if pd.isna(value) else value.date()


def _cents(value: Any) -> int:
    return 0 if pd.isna(value) else round(float(value) * 100)


def _window_start(end: date, months: int) -> date:
    y, m = divmod(end.year * 12 + end.month - 1 - months, 12)
    return date(y, m + 1, min(end.day, calendar.monthrange(y, m + 1)[1])) + timedelta(days=1)


def baseline(frames: dict[str, pd.DataFrame], start: date, end: date) -> dict[str, float | int | None]:
    """Every KPI, one row at a time (itertuples), in plain Python: the straightforward way."""
    inside = lambda d: d is not None and start <= d <= end  # noqa: E731
    code_of = {r.CodeNum: r.ProcCode for r in frames["procedurecodes"].itertuples(index=False)}
    window = _window_start(end, 18)

    gross = accepted = planned = 0
    first: dict[int, date] = {}
    recent: set[int] = set()
    for r in frames["procedures"].itertuples(index=False):
        fee = _cents(r.ProcFee) * (int(r.UnitQty) + int(r.BaseUnits))
        done = r.ProcStatus == "C"
        day, tp_day = _day(r.ProcDate), _day(r.DateTP)
        if done and inside(day):
            gross += fee
        if inside(tp_day) and r.ProcStatus in ("C", "TP"):
            planned += fee
            accepted += fee if done else 0
        if done and day is not None:
            if code_of.get(r.CodeNum) not in ("D9986", "D9987") and (
                r.PatNum not in first or day < first[r.PatNum]
            ):
                first[r.PatNum] = day
            if window <= day <= end:
                recent.add(r.PatNum)

    adj = sum(
        _cents(r.AdjAmt) for r in frames["adjustments"].itertuples(index=False) if inside(_day(r.AdjDate))
    )
    wo = ins = 0
    for r in frames["claimprocs"].itertuples(index=False):
        if r.Status in ("Received", "Supplemental") and inside(_day(r.DateCP)):
            wo += _cents(r.WriteOff)
            ins += _cents(r.InsPayAmt)
    pat_in = sum(
        _cents(r.SplitAmt) for r in frames["paysplits"].itertuples(index=False) if inside(_day(r.DatePay))
    )

    done_n = broken_n = 0
    visits: list[tuple[int, datetime]] = []
    later: dict[int, list[tuple[datetime, date]]] = defaultdict(list)
    for r in frames["appointments"].itertuples(index=False):
        day = _day(r.AptDateTime)
        if r.AptStatus == "Complete" and inside(day):
            done_n += 1
            if not pd.isna(r.IsHygiene) and bool(r.IsHygiene):
                visits.append((r.PatNum, r.AptDateTime))
        if r.AptStatus == "Broken" and inside(day):
            broken_n += 1
        if r.AptStatus in ("Scheduled", "Complete") and day is not None and not pd.isna(r.SecDateTEntry):
            later[r.PatNum].append((r.AptDateTime, r.SecDateTEntry.date()))
    reappointed = sum(
        1 for pat, t in visits if any(t2 > t and entered <= t.date() for t2, entered in later.get(pat, ()))
    )

    active_set = {r.PatNum for r in frames["patients"].itertuples(index=False) if r.PatStatus == "Patient"}
    ar = sum(
        _cents(r.BalTotal) for r in frames["patients"].itertuples(index=False) if r.PatNum == r.Guarantor
    )
    net = gross + adj - wo
    ratio = lambda a, b: a / b if b else None  # noqa: E731
    return {
        "gross_production": round(gross / 100, 2),
        "adjustments": round(adj / 100, 2),
        "writeoffs": round(wo / 100, 2),
        "net_production": round(net / 100, 2),
        "patient_income": round(pat_in / 100, 2),
        "insurance_income": round(ins / 100, 2),
        "collections": round((pat_in + ins) / 100, 2),
        "collection_ratio": ratio(pat_in + ins, net),
        "new_patients": sum(1 for d in first.values() if start <= d <= end),
        "active_patients": len(recent & active_set),
        "appointments_completed": done_n,
        "appointments_broken": broken_n,
        "broken_rate": ratio(broken_n, done_n + broken_n),
        "hygiene_visits": len(visits),
        "hygiene_reappointment_rate": ratio(reappointed, len(visits)),
        "case_acceptance": ratio(accepted, planned),
        "accounts_receivable": round(ar / 100, 2),
    }


def vectorised(frames: dict[str, pd.DataFrame], start: date, end: date) -> dict[str, float | int | None]:
    values, reasons = kpis.compute_from_frames(frames, start, end)
    if reasons:
        raise SystemExit(f"unexpected nulls: {reasons}")
    return values


# ---------------------------------------------------------------------------------------------- harness


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = fn()
    return time.perf_counter() - began, result


def peak_mib(fn: Callable[[], Any]) -> float:
    tracemalloc.start()
    tracemalloc.reset_peak()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="procedures to generate (default 1e6)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    args = parser.parse_args(argv)
    if args.rows < 100:
        parser.error("--rows must be at least 100")

    gen_s, frames = timed(lambda: synthetic_practice(args.rows, args.seed))
    total = sum(len(f) for f in frames.values())
    size = sum(f.memory_usage(deep=True).sum() for f in frames.values()) / 2**20
    print(
        f"synthetic practice: {len(frames['procedures']):,} procedures, {total:,} rows in all "
        f"({', '.join(f'{k} {len(v):,}' for k, v in frames.items())}), {size:,.0f} MiB, "
        f"generated in {gen_s:.1f} s"
    )
    print(f"period {START} .. {END}")

    vec_s, vec = timed(lambda: vectorised(frames, START, END))
    base_s, base = timed(lambda: baseline(frames, START, END))
    print(f"{'':<12}{'seconds':>10}{'rows/s':>16}{'peak MiB':>12}")
    vec_mem = base_mem = float("nan")
    if not args.no_memory:
        vec_mem = peak_mib(lambda: vectorised(frames, START, END))
        base_mem = peak_mib(lambda: baseline(frames, START, END))
    print(f"{'vectorised':<12}{vec_s:>10.2f}{total / vec_s:>16,.0f}{vec_mem:>12.1f}")
    print(f"{'row-by-row':<12}{base_s:>10.2f}{total / base_s:>16,.0f}{base_mem:>12.1f}")
    print(f"speed-up: {base_s / vec_s:.1f}x")

    diff = {k: (vec[k], base[k]) for k in kpis.KPI_KEYS if vec[k] != base[k]}
    for key in kpis.KPI_KEYS:
        print(f"  {key:<28}{kpis.display(key, vec[key]):>18}{'' if key not in diff else '  MISMATCH'}")
    if diff:
        print(f"FAIL: the two implementations disagree on {sorted(diff)}: {diff}", file=sys.stderr)
        return 1
    print("OK: both implementations give identical values for every KPI")
    return 0


if __name__ == "__main__":
    sys.exit(main())
