"""The morning huddle: one day's schedule with what each visit is worth and what to raise with the patient.

This is the one part of odnb that lists patients (by name) — it exists for the team's own huddle, not for
reports that leave the office.

Requests: appointments for the day, operatories, providers, patients/Simple (paged), and one procedurelogs
request per patient on the schedule (the API has no date filter for procedures). In service mode that is
instant; on the free remote tier (1 request / 5 s) a 25-patient day costs about 3 minutes.

Example:
    >>> h = day_huddle(odnb.connect("demo"), "2026-11-24")   # doctest: +SKIP
    >>> h.schedule.columns[:4].tolist()                       # doctest: +SKIP
    ['Time', 'Operatory', 'Provider', 'Patient']
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from odnb.periods import parse_date

# Appointments that hold a chair on the day (others are notes, plans or lists).
ON_SCHEDULE = ("Scheduled", "Complete", "ASAP", "Broken")


@dataclass
class Huddle:
    """The day's schedule (one row per appointment) and the totals the huddle talks about."""

    day: date
    schedule: pd.DataFrame
    by_provider: pd.DataFrame
    requests: int

    @property
    def scheduled_production(self) -> float:
        return round(float(self.schedule["Scheduled $"].sum()), 2)


def _fee(procs: pd.DataFrame) -> pd.Series:
    units = procs["UnitQty"].fillna(0) + procs["BaseUnits"].fillna(0)
    return (procs["ProcFee"].fillna(0) * units).astype("Float64")


def _names(frame: pd.DataFrame, key: str, label: str) -> dict[int, str]:
    if frame.empty:
        return {}
    return dict(zip(frame[key].astype(int), frame[label].astype(str), strict=False))


def day_huddle(client: Any, day: str | date) -> Huddle:
    """Build the huddle for ``day`` (yyyy-mm-dd) from the API, with the fewest requests it allows."""
    day = parse_date(day, "day")
    before = client.request_count
    apts = client.appointments(day, day)
    apts = apts[apts["AptStatus"].astype(str).isin(ON_SCHEDULE)].sort_values(["AptDateTime", "Op"])
    ops = _names(client.operatories(), "OperatoryNum", "OpName")
    providers = client.providers()
    prov = _names(providers, "ProvNum", "Abbr")
    patients = client.patients()
    people = patients.set_index("PatNum")

    rows = []
    for pat_num in apts["PatNum"].dropna().astype(int).unique():
        procs = client.procedures(PatNum=int(pat_num))
        if procs.empty:
            continue
        procs = procs.assign(fee=_fee(procs))
        unscheduled = procs[(procs["ProcStatus"].astype(str) == "TP") & (procs["AptNum"].fillna(0) == 0)]
        rows.append({"PatNum": pat_num, "unscheduled": float(unscheduled["fee"].sum()),
                     "by_apt": procs.groupby("AptNum")["fee"].sum().to_dict()})
    per_patient = {r["PatNum"]: r for r in rows}

    def patient_field(pat: int, column: str, default: Any) -> Any:
        return people.at[pat, column] if pat in people.index and column in people.columns else default

    records = []
    for apt in apts.itertuples(index=False):
        pat = int(apt.PatNum)
        info = per_patient.get(pat, {"unscheduled": 0.0, "by_apt": {}})
        name = f"{patient_field(pat, 'FName', '')} {patient_field(pat, 'LName', '')}".strip() or f"#{pat}"
        hygiene = bool(apt.IsHygiene) if pd.notna(apt.IsHygiene) else False
        provider = apt.ProvHyg if hygiene and pd.notna(apt.ProvHyg) and apt.ProvHyg else apt.ProvNum
        balance = patient_field(pat, "EstBalance", 0.0)
        records.append({
            "Time": apt.AptDateTime.strftime("%H:%M") if pd.notna(apt.AptDateTime) else "",
            "Operatory": ops.get(int(apt.Op), f"Op {apt.Op}") if pd.notna(apt.Op) else "",
            "Provider": prov.get(int(provider), f"#{provider}") if pd.notna(provider) else "",
            "Patient": name,
            "Status": str(apt.AptStatus),
            "Kind": "Hygiene" if hygiene else "Doctor",
            "Minutes": len(apt.Pattern or "") * 5,
            "Procedures": apt.ProcDescript or "",
            "Scheduled $": round(float(info["by_apt"].get(apt.AptNum, 0.0)), 2),
            "New patient": bool(apt.IsNewPatient) if pd.notna(apt.IsNewPatient) else False,
            "Unscheduled treatment $": round(info["unscheduled"], 2),
            "Balance $": round(float(balance), 2) if pd.notna(balance) else 0.0,
        })
    schedule = pd.DataFrame(records, columns=[
        "Time", "Operatory", "Provider", "Patient", "Status", "Kind", "Minutes", "Procedures",
        "Scheduled $", "New patient", "Unscheduled treatment $", "Balance $"])
    by_provider = (
        schedule.groupby(["Provider", "Kind"], as_index=False)
        .agg(**{"Appointments": ("Patient", "size"), "Minutes": ("Minutes", "sum"),
                "Scheduled $": ("Scheduled $", "sum")})
        .sort_values(["Kind", "Provider"])
        .reset_index(drop=True)
    )
    return Huddle(day=day, schedule=schedule.reset_index(drop=True), by_provider=by_provider,
                  requests=client.request_count - before)
