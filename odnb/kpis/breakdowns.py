"""Per-provider and per-clinic breakdowns of the scorecard (``docs/kpis.md``, "By provider", "By clinic").

By provider: gross production (procedurelog.ProvNum), adjustments (adjustment.ProvNum), write-offs and
insurance income (claimproc.ProvNum), patient income (paysplit.ProvNum), net production, collections,
completed visits (a hygiene visit with a ProvHyg counts for its ProvHyg, any other for its ProvNum) and
production per visit; names from providers. One ShortQuery with the Queries permission, else the list
pulls the scorecard shares (:class:`~odnb.kpis.scorecard.PracticeData`).

Example:
    >>> data = PracticeData(odnb.connect("demo"))                 # doctest: +SKIP
    >>> provider_kpis(data, "2026-10-01", "2026-10-31")           # doctest: +SKIP
"""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from odnb.api.enums import APT_STATUS, CLAIMPROC_STATUS, PROC_STATUS
from odnb.kpis import frames_v2
from odnb.kpis.frames import (
    _WRITEOFF_RULES,
    _cents,
    _dollars,
    _fee_cents,
    _in_period,
    _require,
    _status_is,
    _truthy,
    period,
)
from odnb.kpis.scorecard import PracticeData, _as_data, _fetch_frames, _use_sql, scorecard

PROVIDER_PARTS: tuple[str, ...] = (
    "gross_production",
    "adjustments",
    "writeoffs",
    "patient_income",
    "insurance_income",
    "visits",
)
PROVIDER_COLUMNS: tuple[str, ...] = (
    "gross_production",
    "adjustments",
    "writeoffs",
    "net_production",
    "collections",
    "visits",
    "production_per_visit",
)


def _by(prov: pd.Series, amounts: np.ndarray, mask: np.ndarray) -> dict[int, int]:
    ids = pd.to_numeric(prov, errors="coerce").fillna(0).to_numpy(dtype=np.int64)[mask]
    return {int(k): int(v) for k, v in pd.Series(amounts[mask]).groupby(ids).sum().items()}


def visit_provider(appointments: pd.DataFrame) -> pd.Series:
    """Who a completed visit counts for: ProvHyg for a hygiene visit that has one, else ProvNum."""
    hyg = pd.to_numeric(appointments["ProvHyg"], errors="coerce").fillna(0)
    own = pd.to_numeric(appointments["ProvNum"], errors="coerce").fillna(0)
    return own.where(~(_truthy(appointments["IsHygiene"]) & (hyg > 0).to_numpy()), hyg)


def provider_parts(
    frames: dict[str, Any], start: date, end: date, writeoff_mode: str = "payment_date"
) -> dict[str, dict[int, int] | str]:
    """Each part by ProvNum (money in cents, visits a count); a string where the table is missing."""
    out: dict[str, dict[int, int] | str] = {}

    def table(name: str) -> pd.DataFrame | str:
        got = frames.get(name)
        return got if isinstance(got, pd.DataFrame) else (got or f"the {name} table was not given")

    procs = table("procedures")
    if isinstance(procs, pd.DataFrame):
        procs = _require(
            procs, ("ProcStatus", "ProcDate", "ProcFee", "UnitQty", "ProvNum"), "providers", "procedures"
        )
        mask = _status_is(procs["ProcStatus"], PROC_STATUS, ["C"]) & _in_period(procs["ProcDate"], start, end)
        out["gross_production"] = _by(procs["ProvNum"], _fee_cents(procs), mask)
    else:
        out["gross_production"] = procs
    adj = table("adjustments")
    if isinstance(adj, pd.DataFrame):
        adj = _require(adj, ("AdjAmt", "AdjDate", "ProvNum"), "providers", "adjustments")
        out["adjustments"] = _by(
            adj["ProvNum"], _cents(adj["AdjAmt"]), _in_period(adj["AdjDate"], start, end)
        )
    else:
        out["adjustments"] = adj
    cps = table("claimprocs")
    if isinstance(cps, pd.DataFrame):
        statuses, col = _WRITEOFF_RULES[writeoff_mode]
        cps = _require(
            cps, ("Status", "WriteOff", "InsPayAmt", "DateCP", col, "ProvNum"), "providers", "claimprocs"
        )
        wo = _status_is(cps["Status"], CLAIMPROC_STATUS, statuses) & _in_period(cps[col], start, end)
        out["writeoffs"] = _by(cps["ProvNum"], _cents(cps["WriteOff"]), wo)
        paid = _status_is(cps["Status"], CLAIMPROC_STATUS, ("Received", "Supplemental")) & _in_period(
            cps["DateCP"], start, end
        )
        out["insurance_income"] = _by(cps["ProvNum"], _cents(cps["InsPayAmt"]), paid)
    else:
        out["writeoffs"] = out["insurance_income"] = cps
    pays = table("paysplits")
    if isinstance(pays, pd.DataFrame):
        pays = _require(pays, ("SplitAmt", "DatePay", "ProvNum"), "providers", "paysplits")
        out["patient_income"] = _by(
            pays["ProvNum"], _cents(pays["SplitAmt"]), _in_period(pays["DatePay"], start, end)
        )
    else:
        out["patient_income"] = pays
    apts = table("appointments")
    if isinstance(apts, pd.DataFrame):
        apts = _require(
            apts, ("AptStatus", "AptDateTime", "ProvNum", "ProvHyg", "IsHygiene"), "providers", "appointments"
        )
        done = _status_is(apts["AptStatus"], APT_STATUS, ["Complete"]) & _in_period(
            apts["AptDateTime"], start, end
        )
        out["visits"] = _by(visit_provider(apts), np.ones(len(apts), dtype=np.int64), done)
    else:
        out["visits"] = apts
    return out


def provider_frame_v2(parts: dict[str, dict[int, int] | str], providers: pd.DataFrame | None) -> pd.DataFrame:
    """The by-provider table from the parts: one row per provider with any figure, largest production
    first; a column whose table was missing is <NA> (``frame.attrs["reasons"]`` says why)."""
    provs = sorted({p for part in parts.values() if isinstance(part, dict) for p in part})
    money = {k: v for k, v in parts.items() if k != "visits"}

    def col(key: str) -> list[Any]:
        part = parts[key]
        return [pd.NA] * len(provs) if isinstance(part, str) else [part.get(p, 0) for p in provs]

    cents = {k: col(k) for k in money}
    cents["net_production"] = [
        pd.NA if any(x is pd.NA for x in (g, a, w)) else g + a - w
        for g, a, w in zip(cents["gross_production"], cents["adjustments"], cents["writeoffs"], strict=True)
    ]
    cents["collections"] = [
        pd.NA if a is pd.NA or b is pd.NA else a + b
        for a, b in zip(cents["patient_income"], cents["insurance_income"], strict=True)
    ]
    visits = col("visits")
    frame = pd.DataFrame({"ProvNum": pd.array(provs, dtype="Int64")})
    names = _names(providers)
    frame["Abbr"] = pd.array([names.get(p, ("", "", False))[0] or pd.NA for p in provs], dtype="string")
    frame["name"] = pd.array(
        [names.get(p, ("", "", False))[1] or f"Provider {p}" for p in provs], dtype="string"
    )
    frame["hygienist"] = [names.get(p, ("", "", False))[2] for p in provs]
    for key in ("gross_production", "adjustments", "writeoffs", "net_production", "collections"):
        frame[key] = pd.array([v if v is pd.NA else _dollars(v) for v in cents[key]], dtype="Float64")
    frame["visits"] = pd.array(visits, dtype="Int64")
    frame["production_per_visit"] = pd.array(
        [
            pd.NA if g is pd.NA or v is pd.NA or not v else _dollars(round(g / v))
            for g, v in zip(cents["gross_production"], visits, strict=True)
        ],
        dtype="Float64",
    )
    frame = frame.sort_values(["gross_production", "ProvNum"], ascending=[False, True], kind="stable")
    frame = frame.reset_index(drop=True)
    frame.attrs["reasons"] = {k: v for k, v in parts.items() if isinstance(v, str)}
    return frame


def _names(providers: pd.DataFrame | None) -> dict[int, tuple[str, str, bool]]:
    """ProvNum -> (Abbr, "FName LName", hygienist)."""
    if providers is None or not len(providers):
        return {}
    out = {}
    for row in providers.to_dict("records"):
        full = " ".join(str(row.get(c) or "").strip() for c in ("FName", "LName")).strip()
        hyg = str(row.get("IsSecondary")).lower() in ("true", "1")
        out[int(row["ProvNum"])] = (str(row.get("Abbr") or ""), full or str(row.get("Abbr") or ""), hyg)
    return out


def provider_sql(
    start: date, end: date, *, writeoff_mode: str = "payment_date", clinic: int | None = None
) -> str:
    """Each part by provider (``k``, ``prov``, ``v``; money in cents): one ShortQuery."""
    from odnb.kpis import sql

    s, e, after = sql._lit(start), sql._lit(end), sql._next_day(end)
    wo_status, wo_date = sql._in(sql.WRITEOFF_STATUSES[writeoff_mode]), sql.WRITEOFF_DATE[writeoff_mode]
    at = {x: sql._at(x, clinic) for x in "pjcya"}
    who = "CASE WHEN a.IsHygiene = 1 AND a.ProvHyg > 0 THEN a.ProvHyg ELSE a.ProvNum END"
    parts = [
        f"SELECT 'gross_production' AS k, p.ProvNum AS prov, {sql._sum(sql.FEE)} AS v FROM procedurelog p "
        f"WHERE p.ProcStatus = {sql.C} AND p.ProcDate BETWEEN {s} AND {e}{at['p']} GROUP BY p.ProvNum",
        f"SELECT 'adjustments' AS k, j.ProvNum AS prov, {sql._sum('ROUND(j.AdjAmt * 100)')} AS v "
        f"FROM adjustment j WHERE j.AdjDate BETWEEN {s} AND {e}{at['j']} GROUP BY j.ProvNum",
        f"SELECT 'writeoffs' AS k, c.ProvNum AS prov, {sql._sum('ROUND(c.WriteOff * 100)')} AS v "
        f"FROM claimproc c WHERE c.Status IN {wo_status} AND c.{wo_date} BETWEEN {s} AND {e}{at['c']} "
        "GROUP BY c.ProvNum",
        f"SELECT 'patient_income' AS k, y.ProvNum AS prov, {sql._sum('ROUND(y.SplitAmt * 100)')} AS v "
        f"FROM paysplit y WHERE y.DatePay BETWEEN {s} AND {e}{at['y']} GROUP BY y.ProvNum",
        f"SELECT 'insurance_income' AS k, c.ProvNum AS prov, {sql._sum('ROUND(c.InsPayAmt * 100)')} AS v "
        f"FROM claimproc c WHERE c.Status IN {sql._in(sql.RECEIVED)} "
        f"AND c.DateCP BETWEEN {s} AND {e}{at['c']} "
        "GROUP BY c.ProvNum",
        f"SELECT 'visits' AS k, {who} AS prov, COUNT(*) AS v FROM appointment a "
        f"WHERE a.AptStatus = {APT_STATUS['Complete']} AND a.AptDateTime >= {s} AND a.AptDateTime < {after}"
        f"{at['a']} GROUP BY {who}",
    ]
    return "\nUNION ALL ".join(parts) + "\nORDER BY 1, 2"


def provider_kpis(
    client: Any,
    start: object,
    end: object = None,
    *,
    clinic: int | None = None,
    writeoff_mode: Literal["payment_date", "procedure_date"] = "payment_date",
    adjustments: Literal["auto", "per_patient", "skip"] = "auto",
    use_queries: Literal["auto"] | bool = "auto",
) -> pd.DataFrame:
    """The by-provider table for [start, end] (columns: ProvNum, Abbr, name, hygienist, gross_production,
    adjustments, writeoffs, net_production, collections, visits, production_per_visit)."""
    s, e = period(start, end)
    clinic = frames_v2.check_clinic(clinic)
    data = _as_data(client)
    try:
        providers = data.get("providers")
    except Exception:
        providers = None
    if _use_sql(data, use_queries):
        try:
            rows = data.query(provider_sql(s, e, writeoff_mode=writeoff_mode, clinic=clinic))
        except Exception:
            if use_queries is True:
                raise
        else:
            parts: dict[str, dict[int, int] | str] = {k: {} for k in PROVIDER_PARTS}
            for k, prov, v in zip(rows.get("k", []), rows.get("prov", []), rows.get("v", []), strict=True):
                part = parts[str(k)]
                assert isinstance(part, dict)
                part[int(float(prov or 0))] = part.get(int(float(prov or 0)), 0) + round(float(v))
            return provider_frame_v2(parts, providers)
    frames = frames_v2.restrict_to_clinic(_fetch_frames(data, s, e, writeoff_mode, adjustments, []), clinic)
    return provider_frame_v2(provider_parts(frames, s, e, writeoff_mode), providers)


def clinic_table(
    client: Any, start: object, end: object, keys: tuple[str, ...], **options: Any
) -> pd.DataFrame:
    """One row per clinic (from the clinics list; empty when the office has none): ClinicNum, clinic (its
    description) and the ``keys`` of its scorecard."""
    data = _as_data(client)
    clinics = data.get("clinics")
    rows = []
    for row in clinics.to_dict("records") if len(clinics) else []:
        card = scorecard(data, start, end, clinic=int(row["ClinicNum"]), **options)
        name = str(row.get("Description") or row.get("Abbr") or f"Clinic {row['ClinicNum']}")
        rows.append({"ClinicNum": int(row["ClinicNum"]), "clinic": name, **{k: card.values[k] for k in keys}})
    return pd.DataFrame(rows, columns=["ClinicNum", "clinic", *keys])


__all__ = ["PracticeData", "clinic_table", "provider_kpis", "provider_parts", "provider_sql"]
