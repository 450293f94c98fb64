"""The headline figures a notebook hands to the runner (``publish_kpis``), written to ``kpis.json``.

Example:
    >>> kpi_payload({"new_patients": 12.0}, start="2026-10-01", end="2026-10-31", profile="demo")["kpis"]
    {'new_patients': 12}
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

from odnb.failures import ODError
from odnb.kpis.catalog import KINDS, TIMING


class KPIValueError(ODError, TypeError):
    """A value handed to ``publish_kpis`` that is not a number or None."""

KPI_MIMETYPE = "application/vnd.odnb.kpis+json"


def _number(key: str, value: Any) -> float | int | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise KPIValueError(f"KPI {key!r} is a boolean; publish a number or None")
    try:
        number = float(value)
    except (TypeError, ValueError):
        if str(value) in ("<NA>", "NaT", "nan"):
            return None
        raise KPIValueError(f"KPI {key!r} is {type(value).__name__}, not a number (or None)") from None
    if math.isnan(number) or math.isinf(number):
        return None
    return int(number) if number.is_integer() and KINDS.get(key) == "count" else number


def _iso(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "date") and callable(value.date):  # pandas Timestamp
        return value.date().isoformat()
    return date.fromisoformat(str(value)[:10]).isoformat()


def kpi_payload(values: Any, *, start: Any = None, end: Any = None, profile: str | None = None,
                reasons: Mapping[str, str] | None = None, as_of: Any = None,
                clinic: int | None = None, previous: Any = None) -> dict[str, Any]:
    """The JSON document :func:`publish_kpis` hands to the runner (also accepts a Scorecard).

    It carries every key given (a Scorecard: every KPI of the contract, null = n/a), the period, ``as_of``
    (the date snapshot KPIs describe; default the period's end), the clinic (None = whole practice) and
    each KPI's kind, "period" or "snapshot". ``previous`` (a Scorecard, or a payload of its own) adds
    ``"previous": {"period": ..., "as_of": ..., "kpis": ...}``: the figures a roll-up compares with.

    Example:
        >>> kpi_payload({"new_patients": 12.0}, start="2026-10-01", end="2026-10-31", profile="demo")["kpis"]
        {'new_patients': 12}
    """
    stale_age_hours = None
    if hasattr(values, "to_dict") and not isinstance(values, Mapping):
        card = values.to_dict()
        stale_age_hours = card.get("stale_age_hours") if card.get("stale") else None
        values = card.get("values", {})
        reasons = reasons if reasons is not None else card.get("reasons")
        start = start if start is not None else (card.get("period") or {}).get("start")
        end = end if end is not None else (card.get("period") or {}).get("end")
        profile = profile if profile is not None else card.get("profile")
        as_of = as_of if as_of is not None else card.get("as_of")
        clinic = clinic if clinic is not None else card.get("clinic")
    kpis = {str(k): _number(str(k), v) for k, v in dict(values).items()}
    before = None
    if previous is not None:
        inner = previous if isinstance(previous, Mapping) and "kpis" in previous else kpi_payload(
            previous, clinic=clinic)
        before = {"period": inner["period"], "as_of": inner["as_of"], "kpis": dict(inner["kpis"])}
    payload = {
        "profile": profile,
        "period": {"start": _iso(start), "end": _iso(end)},
        "as_of": _iso(as_of if as_of is not None else end),
        "clinic": None if clinic is None else int(clinic),
        "kpis": kpis,
        "kinds": {k: TIMING.get(k, "period") for k in kpis},
        "reasons": {str(k): str(v) for k, v in dict(reasons or {}).items()},
        "stale": stale_age_hours is not None,  # figures resting on cached data the server could not refresh
        "stale_age_hours": stale_age_hours,
    }
    if before is not None:
        payload["previous"] = before
    return payload


def publish_kpis(values: Any, *, start: Any = None, end: Any = None, profile: str | None = None,
                 reasons: Mapping[str, str] | None = None, as_of: Any = None,
                 clinic: int | None = None, previous: Any = None) -> None:
    """Hand a notebook's headline figures to ``odnb report`` (written to ``<name>-<stamp>.kpis.json``).

    Shows a one-line summary in Jupyter; the HTML report shows nothing for it.

    Example (in a notebook cell):
        publish_kpis({"gross_production": 81234.5, "collection_ratio": 0.97}, start=start, end=end,
                     profile=profile)
        publish_kpis(card, profile=profile, previous=previous_card)   # the roll-up compares with it
    """
    from IPython.display import display

    payload = kpi_payload(values, start=start, end=end, profile=profile, reasons=reasons, as_of=as_of,
                          clinic=clinic, previous=previous)
    period = payload["period"]
    summary = f"KPIs published: {len(payload['kpis'])} values, {period['start']} to {period['end']}"
    display({KPI_MIMETYPE: payload, "text/plain": summary}, raw=True)


def extract_kpis(nb: Any) -> dict[str, Any] | None:
    """The last payload a notebook published with :func:`publish_kpis`, or None."""
    found = None
    for cell in nb.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if KPI_MIMETYPE in data:
                found = data[KPI_MIMETYPE]
                if isinstance(found, str):
                    found = json.loads(found)
    return dict(found) if found is not None else None
