"""The owner's report in real headless Chromium at a phone (390 px) and a desktop (800 px) width: laid out,
then measured in the page itself (a copy of the report with a measuring script; the report has none).
Every element must lie inside the window: no column cut off."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from odnb.reports.run import run_report

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


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("layout")
    (home / "config.toml").write_text(
        "[profiles.demo.goals]\ngross_production = 60000\ncollections = 55000\nnew_patients = 8\n"
    )
    with pytest.MonkeyPatch.context() as mp:
        from conftest import isolate

        isolate(mp, home)
        result = run_report(
            "practice_kpis", profile="demo", parameters={"start": "2026-07-01", "end": "2026-09-30"}
        )
    assert result.ok, result.error
    return result.html_path


@pytest.mark.slow
@pytest.mark.chromium
@pytest.mark.skipif(CHROMIUM is None, reason="headless Chromium is not installed")
@pytest.mark.parametrize("width", [390, 800])
def test_every_column_is_visible_at_phone_and_desktop_width(report: Path, width: int, tmp_path: Path) -> None:
    page = report.read_text()
    probe = tmp_path / "measured.html"
    probe.write_text(page.replace("</body>", MEASURE + "</body>"))
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
    assert int(found[1]) == width and int(found[2]) == 0, found[0]
    for column in ("This period", "Previous", "Last year", "Goal", "Status"):
        assert f">{column}<" in page


def test_the_report_shows_goals_status_marks_and_no_local_paths(report: Path) -> None:
    page = report.read_text()
    assert "<h2" in page and ">Goals<" in page.replace("\n", "")
    assert "✓ on target" in page and "color:#1a7f37" in page
    assert "Generated " in page and "as of" in page
    assert "<script" not in page.lower()
    assert str(report.parent) not in page and "/home/" not in page and "/tmp/" not in page
