"""Goals: pro-rating, working days, attainment and pace; goals read from the profile's config."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from odnb.api import profiles
from odnb.api.errors import ODError
from odnb.kpis import goals


def test_goals_are_pro_rated_by_days() -> None:
    assert goals.period_goal(3100.0, date(2026, 1, 1), date(2026, 1, 31)) == 3100.0
    assert goals.period_goal(3100.0, date(2026, 1, 1), date(2026, 3, 31)) == 9300.0
    assert goals.period_goal(3100.0, date(2026, 1, 1), date(2026, 1, 10)) == 1000.0
    # half of January (16 of 31 days) and all of February
    assert goals.period_goal(3100.0, date(2026, 1, 16), date(2026, 2, 28)) == 1600.0 + 3100.0


def test_working_days_come_from_schedules_else_weekdays() -> None:
    s, e = date(2026, 11, 1), date(2026, 11, 30)
    assert len(goals.working_days(s, e)) == 21  # November 2026: 21 weekdays
    tuesdays = [date(2026, 11, d) for d in (3, 10, 17, 24)]
    assert goals.working_days(s, e, tuesdays) == tuesdays


def test_attainment_and_pace() -> None:
    values = {"gross_production": 50_000.0, "new_patients": 20, "collection_ratio": 0.99}
    target = {"gross_production": 100_000, "new_patients": 30, "collection_ratio": 0.98}
    table = goals.goal_table(values, target, "2026-11-01", "2026-11-30", today="2026-11-13").set_index("kpi")
    # 10 of 21 weekdays elapsed by Friday 13th: pace = 50,000 / 10 x 21
    assert table.loc["gross_production", "attainment"] == 0.5
    assert table.loc["gross_production", "pace"] == pytest.approx(105_000.0)
    assert bool(table.loc["gross_production", "met"]) is True
    assert table.loc["new_patients", "pace"] == pytest.approx(42.0)
    assert table.loc["collection_ratio", "goal"] == 0.98 and bool(table.loc["collection_ratio", "met"])
    closed = goals.goal_table(values, target, "2026-10-01", "2026-10-31", today="2026-11-13").set_index("kpi")
    assert closed["pace"].isna().all() and bool(closed.loc["gross_production", "met"]) is False
    with pytest.raises(goals.KPIInputError, match="unknown KPI"):
        goals.goal_table(values, {"production": 1}, "2026-10-01", "2026-10-31")


def test_goals_come_from_the_profile_config(isolated_home: Path) -> None:
    config = isolated_home / "config.toml"
    config.write_text('[profiles.demo.goals]\ngross_production = 120000\nnew_patients = 40\n')
    assert profiles.profile_goals("demo") == {"gross_production": 120000.0, "new_patients": 40.0}
    assert profiles.profile_goals("elsewhere") == {}
    config.write_text('[profiles.demo.goals]\ngross_production = "lots"\n')
    with pytest.raises(ODError, match="must be positive numbers"):
        profiles.profile_goals("demo")
