"""The KPI catalogue of ``docs/kpis.md``: keys in contract order, display labels, kinds and formatting.

Plain data, no pandas: :mod:`odnb.kpis` computes the KPIs, :mod:`odnb.reports.run` and the mail/roll-up text
format them, both from these tables.

Example:
    >>> KPI_KEYS[0], LABELS["writeoffs"], KINDS["broken_rate"], TIMING["ar_0_30"]
    ('gross_production', 'Insurance write-offs', 'ratio', 'snapshot')
"""

from __future__ import annotations

import math
from typing import Any, Literal

V1_KEYS: tuple[str, ...] = (
    "gross_production",
    "adjustments",
    "writeoffs",
    "net_production",
    "patient_income",
    "insurance_income",
    "collections",
    "collection_ratio",
    "new_patients",
    "active_patients",
    "appointments_completed",
    "appointments_broken",
    "broken_rate",
    "hygiene_visits",
    "hygiene_reappointment_rate",
    "case_acceptance",
    "accounts_receivable",
)
V2_KEYS: tuple[str, ...] = (
    "hygiene_production",
    "hygiene_production_share",
    "production_per_visit",
    "treatment_acceptance",
    "scheduled_production",
    "unscheduled_treatment",
    "accounts_receivable_as_of",
    "ar_0_30",
    "ar_31_60",
    "ar_61_90",
    "ar_over_90",
    "ar_over_90_share",
    "ar_insurance_estimate",
    "ar_patient_estimate",
    "outstanding_claims",
    "outstanding_claims_amount",
    "outstanding_claims_over_30",
)
KPI_KEYS: tuple[str, ...] = V1_KEYS + V2_KEYS

LABELS: dict[str, str] = {
    "gross_production": "Gross production",
    "adjustments": "Adjustments",
    "writeoffs": "Insurance write-offs",
    "net_production": "Net production",
    "patient_income": "Patient income",
    "insurance_income": "Insurance income",
    "collections": "Collections",
    "collection_ratio": "Collection ratio",
    "new_patients": "New patients",
    "active_patients": "Active patients",
    "appointments_completed": "Appointments completed",
    "appointments_broken": "Appointments broken",
    "broken_rate": "Broken appointment rate",
    "hygiene_visits": "Hygiene visits",
    "hygiene_reappointment_rate": "Hygiene reappointment rate",
    "case_acceptance": "Case acceptance",
    "accounts_receivable": "Accounts receivable today",
    "hygiene_production": "Hygiene production",
    "hygiene_production_share": "Hygiene share of production",
    "production_per_visit": "Production per visit",
    "treatment_acceptance": "Treatment acceptance",
    "scheduled_production": "Scheduled production",
    "unscheduled_treatment": "Unscheduled treatment",
    "accounts_receivable_as_of": "Accounts receivable",
    "ar_0_30": "Owed 0-30 days",
    "ar_31_60": "Owed 31-60 days",
    "ar_61_90": "Owed 61-90 days",
    "ar_over_90": "Owed over 90 days",
    "ar_over_90_share": "Share owed over 90 days",
    "ar_insurance_estimate": "Expected from insurance",
    "ar_patient_estimate": "Expected from patients",
    "outstanding_claims": "Outstanding claims",
    "outstanding_claims_amount": "Outstanding claims (amount)",
    "outstanding_claims_over_30": "Claims outstanding over 30 days",
}

Kind = Literal["money", "count", "ratio"]
KINDS: dict[str, Kind] = {
    "gross_production": "money",
    "adjustments": "money",
    "writeoffs": "money",
    "net_production": "money",
    "patient_income": "money",
    "insurance_income": "money",
    "collections": "money",
    "collection_ratio": "ratio",
    "new_patients": "count",
    "active_patients": "count",
    "appointments_completed": "count",
    "appointments_broken": "count",
    "broken_rate": "ratio",
    "hygiene_visits": "count",
    "hygiene_reappointment_rate": "ratio",
    "case_acceptance": "ratio",
    "accounts_receivable": "money",
    "hygiene_production": "money",
    "hygiene_production_share": "ratio",
    "production_per_visit": "money",
    "treatment_acceptance": "ratio",
    "scheduled_production": "money",
    "unscheduled_treatment": "money",
    "accounts_receivable_as_of": "money",
    "ar_0_30": "money",
    "ar_31_60": "money",
    "ar_61_90": "money",
    "ar_over_90": "money",
    "ar_over_90_share": "ratio",
    "ar_insurance_estimate": "money",
    "ar_patient_estimate": "money",
    "outstanding_claims": "count",
    "outstanding_claims_amount": "money",
    "outstanding_claims_over_30": "count",
}

# "period": a figure over [start, end]; "snapshot": the practice on one date (``as_of``, default the
# period's end; accounts_receivable is the office's balance today, whatever the period).
Timing = Literal["period", "snapshot"]
SNAPSHOT_KEYS: frozenset[str] = frozenset(
    {"active_patients", "accounts_receivable", "unscheduled_treatment", "accounts_receivable_as_of"}
    | {"ar_0_30", "ar_31_60", "ar_61_90", "ar_over_90", "ar_over_90_share", "ar_insurance_estimate"}
    | {"ar_patient_estimate", "outstanding_claims", "outstanding_claims_amount", "outstanding_claims_over_30"}
)
TIMING: dict[str, Timing] = {k: "snapshot" if k in SNAPSHOT_KEYS else "period" for k in KPI_KEYS}


def format_kpi(key: str, value: float | int | None) -> str:
    """``$81,234.50``, ``97.1%``, ``1,204``; "n/a" for None.

    Example:
        >>> format_kpi("collections", 81234.5), format_kpi("broken_rate", 0.0712), format_kpi("x", None)
        ('$81,234.50', '7.1%', 'n/a')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    kind = KINDS.get(key)
    if kind == "money":
        return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
    if kind == "ratio":
        return f"{value * 100:.1f}%"
    if kind == "count" or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:,.2f}"


def kpi_label(key: str) -> str:
    """``gross_production`` -> ``Gross production``; ``writeoffs`` -> ``Insurance write-offs``."""
    return LABELS.get(key) or key.replace("_", " ").capitalize()


def ordered_kpi_keys(keys: Any) -> list[str]:
    """Catalogue order first, then any other keys alphabetically."""
    keys = set(keys)
    return [k for k in KPI_KEYS if k in keys] + sorted(keys - set(KPI_KEYS))
