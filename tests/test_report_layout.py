"""Every curated report (the owner's report, the morning huddle, connection diagnostics) and a scheduled
job's roll-up in real headless Chromium at a phone (390 px) and a desktop (800 px) width: laid out, then
measured in the page itself (a copy of the page with a measuring script; the reports have none). Every
element must lie inside the window: no column cut off."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from odnb.reports.mail import html_with_cids
from odnb.reports.rollup import write_rollup
from odnb.reports.run import CellFailure, ReportResult, run_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
MEASURE = """<script>
window.addEventListener('load', function () {
  var width = document.documentElement.clientWidth, over = [];
  document.querySelectorAll('body *').forEach(function (el) {
    var r = el.getBoundingClientRect();
    if (r.width > 0 && (r.right > width + 1 || r.left < -1)) {
      over.push(el.tagName + ':' + (el.textContent || '').slice(0, 40));
    }
  });
  parent.postMessage('WIDTH=' + width + ' OVER=' + over.length + ' ' + over.slice(0, 5).join(' | '), '*');
});
</script>"""
# Headless Chromium lays a window out at 500 px at least, so the phone width is an iframe of that width.
FRAME = """<html><body style="margin:0"><pre id="result"></pre>
<iframe src="{src}" width="{width}" height="2000" style="border:0"></iframe>
<script>window.addEventListener('message', function (e) {{ result.textContent = e.data; }});</script>
</body></html>"""


GOALS = "[profiles.demo.goals]\ngross_production = 60000\ncollections = 55000\nnew_patients = 8\n"


def run_in(home: Path, notebook: str, parameters: dict) -> ReportResult:
    (home / "config.toml").write_text(GOALS)
    with pytest.MonkeyPatch.context() as mp:
        from conftest import isolate, seed_demo_practice

        isolate(mp, home)
        seed_demo_practice(home)
        result = run_report(notebook, profile="demo", parameters=parameters)
    assert result.ok, result.error
    return result


@pytest.fixture(scope="module")
def kpis_result(tmp_path_factory: pytest.TempPathFactory) -> ReportResult:
    return run_in(tmp_path_factory.mktemp("layout"), "practice_kpis",
                  {"start": "2026-07-01", "end": "2026-09-30"})


@pytest.fixture(scope="module")
def report(kpis_result: ReportResult) -> Path:
    return kpis_result.html_path


def a_weekday() -> str:
    day = date.today()
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day.isoformat()


@pytest.fixture(scope="module")
def huddle_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_in(tmp_path_factory.mktemp("huddle"), "morning_huddle", {"day": a_weekday()}).html_path


@pytest.fixture(scope="module")
def diagnostics_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return run_in(tmp_path_factory.mktemp("diagnostics"), "connection_diagnostics", {}).html_path


@pytest.fixture(scope="module")
def rollup_page(kpis_result: ReportResult, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A roll-up of three practices with real figures (the owner's report's kpis.json), one failed."""
    home = tmp_path_factory.mktemp("rollup")
    (home / "config.toml").write_text('[profiles.north]\ndisplay_name = "North Street Family Dentistry"\n\n'
                                      '[profiles.south]\ndisplay_name = "South Side Smiles"\n')
    (home / "config.toml").chmod(0o600)
    failure = CellFailure(index=3, total=9, cell_id="ab12", tags=(), first_line="card = ...",
                          ename="ServerUnavailable", evalue="The eConnector of the office did not answer "
                          "within 30 seconds: check that the office computer running it is switched on")
    results = [ReportResult(None, None, None, ok=True, profile=p, kpis=kpis_result.kpis)
               for p in ("north", "south")]
    results.append(ReportResult(None, None, None, ok=False, profile="east", failure=failure))
    with pytest.MonkeyPatch.context() as mp:
        from conftest import isolate

        isolate(mp, home)
        html_path = write_rollup(SimpleNamespace(name="monthly", notebook="practice_kpis"), results,
                                 datetime(2026, 10, 1, 7)).html_path
    return html_path


PAGES = {"practice_kpis": "report", "morning_huddle": "huddle_report",
         "connection_diagnostics": "diagnostics_report", "rollup": "rollup_page"}


def overflow(page_path: Path, width: int, tmp_path: Path) -> tuple[int, int, str]:
    """(window width, elements sticking out, the first few) for ``page_path`` laid out at ``width``."""
    probe = tmp_path / "measured.html"
    probe.write_text(page_path.read_text().replace("</body>", MEASURE + "</body>"))
    frame = tmp_path / "frame.html"
    frame.write_text(FRAME.format(src=probe.name, width=width))
    dom = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
            "--window-size=1000,2200",
            "--virtual-time-budget=5000",
            f"--user-data-dir={tmp_path / 'chrome'}",  # a profile of its own: runs in parallel never meet
            "--dump-dom",
            frame.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout
    found = re.search(r"WIDTH=(\d+) OVER=(\d+)([^<]*)", dom)
    assert found, dom[-500:]
    return int(found[1]), int(found[2]), found[3]


@pytest.mark.slow
@pytest.mark.chromium
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
@pytest.mark.parametrize("width", [390, 800])
@pytest.mark.parametrize("name", list(PAGES))
def test_nothing_is_cut_off_at_phone_and_desktop_width(
    name: str, width: int, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    page_path = request.getfixturevalue(PAGES[name])
    seen, over, which = overflow(page_path, width, tmp_path)
    assert seen == width and over == 0, f"{name} at {width} px: {over} elements stick out: {which}"


@pytest.mark.slow
def test_the_report_shows_every_scorecard_column(report: Path) -> None:
    page = report.read_text()
    for column in ("This period", "Previous", "Last year", "Goal", "Status"):
        assert f">{column}<" in page


@pytest.mark.slow
def test_the_check_can_fail(report: Path, tmp_path: Path) -> None:
    """An ordinary 8-column table is wider than a phone: the measure sees it."""
    if CHROMIUM is None:
        pytest.skip("headless Chromium is not installed")
    cells = "".join(f"<td>Column number {i} $123,456.78</td>" for i in range(8))
    wide = f"<table><tr>{cells}</tr></table>"
    broken = tmp_path / "wide.html"
    broken.write_text(report.read_text().replace("</body>", wide + "</body>"))
    _, over, _ = overflow(broken, 390, tmp_path)
    assert over > 0


@pytest.mark.slow
def test_chart_images_carry_their_figures_in_the_report_and_the_email(
    report: Path, huddle_report: Path
) -> None:
    page = report.read_text()
    alts = re.findall(r'<img alt="([^"]*)"', page)
    assert alts and 'alt="chart"' not in page
    assert any(a.startswith("Production and collections by month: ") and "$" in a for a in alts), alts
    email_html, images = html_with_cids(page)
    assert images and re.findall(r'<img alt="([^"]*)"', email_html) == alts
    assert any(a.startswith("Scheduled minutes by provider: ") for a in
               re.findall(r'<img alt="([^"]*)"', huddle_report.read_text())) or "No appointments" in \
        huddle_report.read_text()


@pytest.mark.slow
def test_the_huddle_report_says_it_lists_patients_and_shows_each_figure(huddle_report: Path) -> None:
    page = huddle_report.read_text()
    assert "lists patients by name" in page
    for words in ("Scheduled production", "day goal of", "Open chair time", "Recall due", "last working day",
                  "Schedule by operatory", "Confirmation"):
        assert words in page, words
    assert "<script" not in page.lower()


@pytest.mark.slow
def test_the_rollup_page_names_practices_and_totals_them(rollup_page: Path) -> None:
    page = rollup_page.read_text()
    assert "North Street Family Dentistry" in page and "South Side Smiles" in page and "east" in page
    assert "ServerUnavailable: The eConnector of the office did not answer" in page
    assert ">Group total<" in page and "compared with" in page


def test_the_report_shows_goals_status_marks_and_no_local_paths(
    report: Path, kpis_result: ReportResult
) -> None:
    page = report.read_text()
    assert "<h2" in page and ">Goals<" in page.replace("\n", "")
    assert "✓ on target" in page and "color:#1a7f37" in page
    assert "Generated " in page and "as of" in page
    assert "<script" not in page.lower()
    assert str(report.parent) not in page and "/home/" not in page and "/tmp/" not in page
    assert kpis_result.kpis["previous"]["period"] == {"start": "2026-04-01", "end": "2026-06-30"}
