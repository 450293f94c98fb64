"""Charts need no internet: the odnb renderer draws in a browser with every network request refused, and
every chart of a notebook run by `odnb report` becomes a PNG even when the notebook asks for nothing."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import altair as alt
import pandas as pd
import pytest

from odnb.reports.charts import ALT_METADATA, RENDERER, STATIC_RENDERER, alt_text, enable_charts, offline_html
from odnb.reports.run import run_report
from odnb.reports.theme import use_house_theme

NOTEBOOKS = Path(__file__).parent / "notebooks"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def restore_renderer():
    before = alt.renderers.active
    yield
    alt.renderers.enable(before)


def chart(n: int = 4) -> alt.Chart:
    data = pd.DataFrame({"month": [f"M{i}" for i in range(n)], "visits": [10 + 3 * i for i in range(n)]})
    return alt.Chart(data).mark_bar().encode(x="month:N", y="visits:Q")


def test_use_house_theme_enables_the_offline_renderer(restore_renderer, monkeypatch) -> None:
    monkeypatch.delenv("ODNB_STATIC_CHARTS", raising=False)
    alt.renderers.enable("default")
    use_house_theme()
    assert alt.renderers.active == RENDERER
    monkeypatch.setenv("ODNB_STATIC_CHARTS", "1")
    use_house_theme()
    assert alt.renderers.active == STATIC_RENDERER


def test_a_static_chart_carries_its_figures_as_alt_text(restore_renderer) -> None:
    enable_charts(static=True)
    data = pd.DataFrame({"provider": ["DOC1", "HYG1"], "amount": [12000.5, 4500.0],
                         "month": pd.to_datetime(["2026-09-01", "2026-10-01"])})
    bar = alt.Chart(data, title="Gross production by provider").mark_bar().encode(
        x=alt.X("amount:Q", axis=alt.Axis(format="$,.0f")), y="provider:N")
    bundle, metadata = bar._repr_mimebundle_()
    assert bundle["image/png"]
    assert metadata[ALT_METADATA] == "Gross production by provider: DOC1 $12,000.50; HYG1 $4,500.00"
    line = alt.Chart(data, title="By month").mark_line().encode(
        x=alt.X("month:T", axis=alt.Axis(format="%b %Y")), y="amount:Q", color="provider:N")
    assert alt_text(line.to_dict()) == "By month: Sep 2026 DOC1 12,000.50; Oct 2026 HYG1 4,500"
    many = pd.DataFrame({"x": [f"m{i}" for i in range(50)], "y": range(50)})
    text = alt_text(alt.Chart(many).mark_bar().encode(x="x:N", y="y:Q").to_dict(), max_rows=3)
    assert text == "Chart: m0 0; m1 1; m2 2; and 47 more"


@pytest.mark.slow
def test_offline_output_loads_no_script_from_anywhere(restore_renderer) -> None:
    enable_charts(static=False)
    bundle = chart()._repr_mimebundle_()
    html = (bundle[0] if isinstance(bundle, tuple) else bundle)["text/html"]
    assert not re.search(r"<script[^>]*\bsrc=", html, re.I)
    assert not re.search(r"import\s*\(|cdn\.jsdelivr|esm\.sh|unpkg", html)
    assert "window.vegaEmbed" in html


@pytest.mark.slow
@pytest.mark.chromium
def test_chart_draws_in_a_browser_with_the_network_refused(tmp_path: Path) -> None:
    if not CHROMIUM:
        pytest.skip("VISIBLE SKIP: chromium is not installed (apt-get install -y chromium; CI installs it)")
    # Two charts on one page, as in an exported notebook: the bundle loads once, both draw.
    page = tmp_path / "exported.html"
    page.write_text("<!DOCTYPE html><html><body>" + offline_html(chart(3).to_dict())
                    + offline_html(chart(5).to_dict()) + "</body></html>")
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--proxy-server=127.0.0.1:9", "--proxy-bypass-list=<-loopback>",  # every http(s) fetch fails
           f"--user-data-dir={tmp_path / 'chrome'}", "--virtual-time-budget=15000", "--dump-dom",
           page.as_uri()]
    dom = subprocess.run(cmd, check=True, capture_output=True, text=True, timeout=120).stdout
    charts = re.findall(r'<div id="odnb-chart-[0-9a-f]+" class="odnb-chart[^"]*"[^>]*>(.*?)</div>\s*<script',
                        dom, re.S)
    assert len(charts) == 2, dom[:2000]
    assert all("<canvas" in c or "<svg" in c for c in charts), charts
    assert not any("Chart failed" in c for c in charts)


@pytest.mark.slow
def test_report_turns_every_chart_into_a_png_without_the_notebook_asking(isolated_home: Path) -> None:
    source = (NOTEBOOKS / "own_chart.ipynb").read_text()
    assert "use_house_theme" not in source and "renderers" not in source  # the notebook asks for nothing
    result = run_report(NOTEBOOKS / "own_chart.ipynb", profile="demo", parameters={"n_bars": 5})
    assert result.ok, result.error
    page = result.html_path.read_text()
    images = re.findall(r'src="data:image/png;base64,([A-Za-z0-9+/=]+)"', page)
    assert len(images) == 1
    assert base64.b64decode(images[0])[:8] == b"\x89PNG\r\n\x1a\n"
    assert "odnb report: charts become PNG" not in page  # the set-up cell is hidden from the report
    assert "<script" not in page.lower()


@pytest.mark.slow
def test_a_fresh_kernel_of_this_virtualenv_renders_charts_offline() -> None:
    """What an analyst gets in JupyterLab after `make install`: no set-up call, the offline renderer."""
    import sys

    if not (Path(sys.prefix) / "etc" / "ipython" / "ipython_kernel_config.py").exists():
        pytest.fail("run `make install`: it writes the kernel config that enables offline charts")
    from jupyter_client.manager import start_new_kernel

    printed: list[dict] = []
    km, kc = start_new_kernel(kernel_name="python3")
    try:
        reply = kc.execute_interactive("import altair as alt; print(alt.renderers.active)", timeout=60,
                                       output_hook=lambda msg: printed.append(msg))
        assert reply["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    text = "".join(m["content"].get("text", "") for m in printed if m["msg_type"] == "stream")
    assert text.strip() == RENDERER

