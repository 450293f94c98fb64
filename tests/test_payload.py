"""kpis.json says when the figures rest on stale cached data (the server failed, an expired copy was used)."""

from __future__ import annotations

from datetime import date

from odnb.kpis import Scorecard
from odnb.reports.payload import kpi_payload


def card(stale_age: float | None) -> Scorecard:
    return Scorecard(start=date(2026, 10, 1), end=date(2026, 10, 31), values={"new_patients": 12},
                     stale_age=stale_age)


def test_stale_scorecard_is_marked_with_its_age() -> None:
    payload = kpi_payload(card(stale_age=2 * 3600 + 360), profile="demo")
    assert payload["stale"] is True and payload["stale_age_hours"] == 2.1
    assert payload["kpis"]["new_patients"] == 12


def test_fresh_scorecard_is_not_stale() -> None:
    payload = kpi_payload(card(stale_age=None), profile="demo")
    assert payload["stale"] is False and payload["stale_age_hours"] is None


def test_previous_period_rides_along_for_the_roll_up() -> None:
    before = Scorecard(start=date(2026, 9, 1), end=date(2026, 9, 30), values={"new_patients": 9})
    payload = kpi_payload(card(stale_age=None), profile="demo", previous=before)
    previous = payload["previous"]
    assert previous["period"] == {"start": "2026-09-01", "end": "2026-09-30"}
    assert previous["as_of"] == "2026-09-30" and previous["kpis"]["new_patients"] == 9
    assert "previous" not in kpi_payload(card(stale_age=None), profile="demo")
