"""The KPI catalogue of the contract (kpi-definitions.md): keys in contract order, display labels and kinds.

Plain data, no pandas: :mod:`odnb.kpis` computes the KPIs, :mod:`odnb.report` and the mail/roll-up text
format them, both from these tables.

Example:
    >>> KPI_KEYS[0], LABELS["writeoffs"], KINDS["broken_rate"]
    ('gross_production', 'Insurance write-offs', 'ratio')
"""

from __future__ import annotations

from typing import Literal

KPI_KEYS: tuple[str, ...] = (
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
    "accounts_receivable": "Accounts receivable",
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
}
