"""Charts that need no internet: Altair renderers for JupyterLab, exported HTML and reports.

Altair's default renderer loads Vega from a CDN, so an office network or a laptop offline shows
"Error loading script". odnb's ``odnb`` renderer puts Vega, Vega-Lite and vega-embed (bundled by
vl-convert, which odnb already needs) into the chart's own HTML output: the chart draws in JupyterLab 4
and in an exported ``.html`` with no network at all. The bundle is built once per kernel (a few seconds)
and loaded into the page once; every output still carries it, so a re-opened or exported notebook works.

Under ``odnb report`` (``ODNB_STATIC_CHARTS=1``) charts render as PNG instead (the ``odnb-png``
renderer): email clients run no JavaScript. Each PNG carries the chart's figures as its alt text
(:func:`alt_text`), which mail clients show when they block images. The runner turns this on for
every notebook, whether or not the notebook asks.

Example:
    >>> import altair as alt
    >>> from odnb.reports.charts import enable_charts
    >>> enable_charts(static=False)
    'odnb'
    >>> alt.renderers.active
    'odnb'
"""

from __future__ import annotations

import functools
import json
import os
import uuid
from typing import Any

import altair as alt

RENDERER = "odnb"
STATIC_RENDERER = "odnb-png"
STATIC_ENV = "ODNB_STATIC_CHARTS"
PNG_SCALE = 1.5
ALT_METADATA = "odnb_alt"  # the output metadata key the report template takes an image's alt text from
ALT_MAX_ROWS = 40


@functools.cache
def vega_bundle() -> str:
    """Vega + Vega-Lite + vega-embed as one script (from vl-convert, for Altair's Vega-Lite version)."""
    import vl_convert
    from altair.utils._importers import vl_version_for_vl_convert

    return vl_convert.javascript_bundle(vl_version=vl_version_for_vl_convert())


def offline_html(spec: dict[str, Any], embed_options: dict[str, Any] | None = None) -> str:
    """An HTML fragment that draws ``spec`` with the bundled Vega: no ``<script src>``, no CDN."""
    div = f"odnb-chart-{uuid.uuid4().hex}"
    options = json.dumps({"mode": "vega-lite", "actions": False, **(embed_options or {})})
    spec_json = json.dumps(spec).replace("</", "<\\/")
    bundle = vega_bundle().replace("</script", "<\\/script")
    return (f'<div id="{div}" class="odnb-chart"></div>\n'
            "<script type=\"text/javascript\">\n"
            f"if (!window.vegaEmbed) {{ (function () {{\n{bundle}\n}})(); }}\n"
            "</script>\n"
            "<script type=\"text/javascript\">\n"
            f"(function () {{ window.vegaEmbed('#{div}', {spec_json}, {options})"
            ".catch(function (e) { var d = document.getElementById('" + div + "'); "
            "if (d) { d.textContent = 'Chart failed: ' + e; } }); })();\n"
            "</script>")


def offline_renderer(spec: dict[str, Any], **metadata: Any) -> dict[str, str]:
    """Altair renderer ``odnb``: the chart as self-contained HTML (plus its spec as plain text)."""
    return {"text/html": offline_html(spec, metadata.get("embed_options")),
            "text/plain": "<odnb chart: open in JupyterLab or a browser to see it>"}


# ---------------------------------------------------------------------------------------------------------
# Alt text: the chart's figures, for mail clients that block images and for screen readers


def _title(spec: dict[str, Any]) -> str:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    if isinstance(title, list):
        title = " ".join(str(t) for t in title)
    return str(title or "").strip()


def _value(value: Any, channel: dict[str, Any]) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "n/a"
    kind = channel.get("type")
    fmt = str(((channel.get("axis") or {}) or {}).get("format") or channel.get("format") or "")
    if kind == "temporal":
        text = str(value)[:10]
        if "%b" in fmt or "%B" in fmt:
            from datetime import date

            try:
                day = date.fromisoformat(text)
                return f"{day:%b %Y}" if "%d" not in fmt else f"{day:%d %b %Y}"
            except ValueError:
                return text
        return text
    if kind == "quantitative" and isinstance(value, (int, float)):
        if "%" in fmt:
            return f"{value * 100:.1f}%"
        if "$" in fmt:
            return f"-${-value:,.2f}" if value < 0 else f"${value:,.2f}"
        return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return str(value)


def alt_text(spec: dict[str, Any], max_rows: int = ALT_MAX_ROWS) -> str:
    """The figures a Vega-Lite chart draws, as one line of text: its title, then each data row's
    categories and values (``Gross production by provider: DOC1 $12,000.00; HYG1 $4,500.00``).

    >>> alt_text({"title": "Minutes", "data": {"name": "d"}, "datasets": {"d": [{"p": "DOC1", "m": 85}]},
    ...           "mark": "bar", "encoding": {"x": {"field": "m", "type": "quantitative"},
    ...                                       "y": {"field": "p", "type": "nominal"}}})
    'Minutes: DOC1 85'
    """
    title = _title(spec) or "Chart"
    layers = [spec, *spec.get("layer", [])]
    encoding: dict[str, Any] = next((lay["encoding"] for lay in layers if lay.get("encoding")), {})
    data = spec.get("data") or next((lay.get("data") for lay in layers if lay.get("data")), None) or {}
    rows = data.get("values")
    if rows is None and data.get("name"):
        rows = (spec.get("datasets") or {}).get(data["name"])
    channels = [(name, c) for name, c in encoding.items()
                if isinstance(c, dict) and c.get("field") and name not in ("tooltip", "detail", "order")]
    if not rows or not channels:
        return f"{title} (no figures)"
    order = ("x", "y", "row", "column", "facet", "color", "theta")
    channels.sort(key=lambda c: order.index(c[0]) if c[0] in order else len(order))
    labels = [c for c in channels if c[1].get("type") != "quantitative"]
    values = [c for c in channels if c[1].get("type") == "quantitative"]
    parts = []
    for row in rows[:max_rows]:
        head = " ".join(_value(row.get(c["field"]), c) for _, c in labels)
        tail = ", ".join(_value(row.get(c["field"]), c) for _, c in values)
        parts.append(f"{head} {tail}".strip())
    more = f"; and {len(rows) - max_rows} more" if len(rows) > max_rows else ""
    return f"{title}: " + "; ".join(parts) + more


def static_renderer(spec: dict[str, Any], **metadata: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Altair renderer ``odnb-png``: the chart as a PNG, with its figures as alt text in the output's
    metadata (``odnb_alt``), which the report puts on the image."""
    from altair.vegalite.v6.display import png_renderer

    answer = png_renderer(spec, scale_factor=metadata.pop("scale_factor", PNG_SCALE), **metadata)
    bundle, meta = answer if isinstance(answer, tuple) else (answer, {})
    return bundle, {**meta, ALT_METADATA: alt_text(spec)}


def static_wanted() -> bool:
    """True inside ``odnb report`` runs (``ODNB_STATIC_CHARTS`` set to anything but 0)."""
    return os.environ.get(STATIC_ENV, "") not in ("", "0")


def enable_charts(static: bool | None = None) -> str:
    """Make Altair charts render without the internet: PNG images when ``static`` (default: inside
    ``odnb report``), else the offline ``odnb`` renderer. Returns the active renderer's name."""
    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, offline_renderer)
    if STATIC_RENDERER not in alt.renderers.names():
        alt.renderers.register(STATIC_RENDERER, static_renderer)
    if static_wanted() if static is None else static:
        alt.renderers.enable(STATIC_RENDERER)
        return STATIC_RENDERER
    alt.renderers.enable(RENDERER)
    return RENDERER


# The first cell ``odnb report`` runs in every notebook (tagged odnb-hide: never shown in the report).
REPORT_SETUP_SOURCE = (
    "# odnb report: charts become PNG images and take the house look (added by odnb, not in your notebook)\n"
    "from odnb.reports.theme import use_house_theme as _odnb_theme\n"
    "_odnb_theme()\n"
    "del _odnb_theme"
)


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext odnb.reports.charts`` (``make install`` loads it in every kernel of the virtualenv):
    offline charts from the first cell on."""
    enable_charts()
