"""The roll-up of a job over several practices: configured names, group totals (sums, and ratios from the
summed parts), the previous period, and why a practice failed (escaped, one line, no key material)."""

from __future__ import annotations

import csv
import html
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace

import pytest

from odnb.reports.rollup import NOT_TOTALLED, Rollup, group_totals, one_line_reason, write_rollup
from odnb.reports.run import CellFailure, ReportResult

KEY = "Zq81Kd0Lm4Pw7Rt2"  # shaped like an Open Dental key


def payload(start: str, end: str, kpis: dict, previous: dict | None = None) -> dict:
    out = {"period": {"start": start, "end": end}, "kpis": kpis}
    if previous is not None:
        out["previous"] = {"period": {"start": "2026-09-01", "end": "2026-09-30"}, "as_of": "2026-09-30",
                           "kpis": previous}
    return out


NORTH = {"gross_production": 100000.0, "net_production": 90000.0, "collections": 81000.0,
         "collection_ratio": 0.9, "appointments_completed": 400, "appointments_broken": 100,
         "broken_rate": 0.2, "new_patients": 30, "case_acceptance": 0.5, "production_per_visit": 250.0}
SOUTH = {"gross_production": 20000.0, "net_production": 10000.0, "collections": 9000.0,
         "collection_ratio": 0.9, "appointments_completed": 100, "appointments_broken": 0,
         "broken_rate": 0.0, "new_patients": 5, "case_acceptance": 0.9, "production_per_visit": 200.0}
NORTH_BEFORE = {**NORTH, "collections": 72000.0, "new_patients": 24}
SOUTH_BEFORE = {**SOUTH, "collections": 9000.0, "new_patients": 5}


def test_group_totals_sum_money_and_counts_and_recompute_ratios() -> None:
    keys = ["gross_production", "collections", "new_patients", "collection_ratio", "broken_rate",
            "production_per_visit", "case_acceptance"]
    totals, reasons = group_totals([NORTH, SOUTH], keys, ["North", "South"])
    assert totals["gross_production"] == 120000.0 and totals["collections"] == 90000.0
    assert totals["new_patients"] == 35
    assert totals["collection_ratio"] == pytest.approx(90000 / 100000)  # not (0.9 + 0.9) / 2 by chance:
    assert totals["broken_rate"] == pytest.approx(100 / 600)  # the average would be 0.1
    assert totals["production_per_visit"] == pytest.approx(120000 / 500)  # 240, the average would be 225
    assert totals["case_acceptance"] is None and reasons["case_acceptance"] == NOT_TOTALLED
    partial, why = group_totals([NORTH, {**SOUTH, "collections": None}], keys, ["North", "South"])
    assert partial["collections"] is None and partial["collection_ratio"] is None
    assert why["collections"] == "n/a for South" and "South" in why["collection_ratio"]
    assert partial["gross_production"] == 120000.0


def test_a_failure_reason_is_one_line_without_keys_or_paths() -> None:
    text = f"Open Dental refused the key {KEY} (401)\nTraceback (most recent call last): ..."
    assert one_line_reason(text) == "Open Dental refused the key [redacted] (401)"
    assert KEY not in one_line_reason(f"Authorization: ODFHIR {KEY}/{KEY[::-1]} rejected")
    assert one_line_reason("kept ~/.cache/odnb/north/x.ipynb for you") == "kept x.ipynb for you"
    assert len(one_line_reason("x" * 500)) == 200


@pytest.fixture
def rollup(isolated_home: Path) -> Rollup:
    (isolated_home / "config.toml").write_text(
        '[profiles.north]\ndisplay_name = "North Street Dental"\n\n'
        '[profiles.south]\ndisplay_name = "South <Smiles> & Co"\n\n[profiles.west]\n')
    (isolated_home / "config.toml").chmod(0o600)
    failure = CellFailure(index=3, total=9, cell_id="ab12", tags=(), first_line="card = ...",
                          ename="Unauthorized", evalue=f"key {KEY} <script>alert(1)</script>\nsecond line")
    results = [
        ReportResult(None, None, None, ok=True, profile="north", name="practice_kpis",
                     kpis=payload("2026-10-01", "2026-10-31", NORTH, NORTH_BEFORE)),
        ReportResult(None, None, None, ok=True, profile="south", name="practice_kpis",
                     kpis=payload("2026-10-01", "2026-10-31", SOUTH, SOUTH_BEFORE)),
        ReportResult(None, None, None, ok=False, profile="west", name="practice_kpis", failure=failure),
    ]
    job = SimpleNamespace(name="monthly", notebook="practice_kpis")
    return write_rollup(job, results, datetime(2026, 11, 2, 7, 0))


def test_rollup_names_practices_totals_the_group_and_says_why_one_failed(rollup) -> None:
    csv_path, html_path, page, text, subject = rollup
    assert subject == "odnb roll-up: monthly — 2 of 3 practices (1 failed), net production $100,000.00"
    assert html_path.read_text() == page and (html_path.stat().st_mode & 0o777) == 0o600
    assert "North Street Dental" in page and html.escape("South <Smiles> & Co") in page
    assert "<Smiles>" not in page and "west" in page  # no display name: the profile name
    # the group: sums and ratios from the summed parts, beside the previous period
    assert "$120,000.00" in page and "$90,000.00" in page and ">35<" in page
    assert "16.7%" in page  # broken rate 100 / 600, not the average 10.0%
    assert "$81,000.00" in page and "+11.1%" in page  # group collections 90,000 against 81,000
    assert "+12.5%" in page  # North's collections 81,000 against 72,000
    assert NOT_TOTALLED in page
    # the failure: escaped, one line, no key
    assert "Unauthorized: key [redacted] &lt;script&gt;alert(1)&lt;/script&gt; (cell 3 of 9)" in page
    assert "<script" not in page and "second line" not in page and KEY not in page
    assert "✗ failed" in page and page.count("✓ ok") == 2
    assert "2026-10-01 to 2026-10-31" in page and "2026-09-01 to 2026-09-30" in page
    assert "West" not in text and "west (failed): Unauthorized: key [redacted]" in text and KEY not in text
    assert text.count("(ok)") == 2 and "Group total: " in text
    with csv_path.open() as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["profile"], r["practice"], r["status"]) for r in rows] == [
        ("north", "North Street Dental", "ok"), ("south", "South <Smiles> & Co", "ok"),
        ("west", "west", "failed")]
    assert rows[2]["error"].startswith("Unauthorized: key [redacted]") and KEY not in csv_path.read_text()
    assert rows[0]["collections"] == "81000.0"
