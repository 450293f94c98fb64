"""The relative periods an owner asks for, resolved against a fixed today."""

from __future__ import annotations

from datetime import date

import pytest

from odnb.periods import PeriodError, expand_parameters, same_period_last_year

TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(
    ("phrase", "start", "end"),
    [
        ("this month to date", "2026-11-01", "2026-11-24"),
        ("last month", "2026-10-01", "2026-10-31"),
        ("last quarter", "2026-07-01", "2026-09-30"),
        ("year to date", "2026-01-01", "2026-11-24"),
        ("last 12 months", "2025-11-01", "2026-10-31"),
    ],
)
def test_relative_periods(phrase: str, start: str, end: str) -> None:
    assert expand_parameters({"period": phrase}, today=TODAY) == {"start": start, "end": end}


def test_last_quarter_in_january_reaches_back_a_year() -> None:
    assert expand_parameters({"period": "last quarter"}, today=date(2027, 1, 5)) == {
        "start": "2026-10-01",
        "end": "2026-12-31",
    }


def test_unknown_period_names_the_choices() -> None:
    with pytest.raises(PeriodError, match="last quarter"):
        expand_parameters({"period": "last fortnight"}, today=TODAY)


def test_same_period_last_year() -> None:
    assert same_period_last_year(date(2028, 2, 1), date(2028, 2, 29)) == (date(2027, 2, 1), date(2027, 2, 28))
