"""Practice KPIs as ``docs/kpis.md`` defines them: the catalogue (:mod:`odnb.kpis.catalog`), pure
functions over typed frames (:mod:`odnb.kpis.frames`), the one-request ShortQuery path
(:mod:`odnb.kpis.sql`) and the scorecard that picks between them (:mod:`odnb.kpis.scorecard`).

Example:
    >>> from odnb import kpis
    >>> kpis.format_kpi("collection_ratio", 0.973)
    '97.3%'
"""

from __future__ import annotations

from odnb.kpis.catalog import (
    KINDS,
    KPI_KEYS,
    LABELS,
    TIMING,
    V1_KEYS,
    V2_KEYS,
    format_kpi,
    kpi_label,
    ordered_kpi_keys,
)
from odnb.kpis.catalog import format_kpi as display
from odnb.kpis.frames import (
    AGING_BUCKETS,
    BENCHMARKS,
    MIN_VALID_DATE,
    MONEY_KEYS,
    NEEDS,
    NEW_PATIENT_EXCLUDED_CODES,
    TREND_COLUMNS,
    Benchmark,
    Denominator,
    KPIInputError,
    WriteoffMode,
    accounts_receivable,
    active_patients,
    active_window_start,
    adjustments_total,
    appointments_broken,
    appointments_completed,
    ar_aging,
    as_date,
    broken_rate,
    case_acceptance,
    collection_ratio,
    collections,
    combine,
    compute_from_frames,
    gross_production,
    hygiene_reappointment_rate,
    hygiene_visits,
    insurance_income,
    net_production,
    new_patients,
    patient_income,
    period,
    production_by_month,
    production_by_provider,
    provider_frame,
    trend_frame,
    writeoffs,
)
from odnb.kpis.scorecard import (
    APPOINTMENTS_HORIZON,
    PracticeData,
    Scorecard,
    UnknownKPI,
    adjustments_cost,
    aging,
    comparison_table,
    monthly_trend,
    provider_production,
    scorecard,
)
