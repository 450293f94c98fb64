"""Charts that need no internet: Altair renderers for JupyterLab, exported HTML and reports.

Altair's default renderer loads Vega from a CDN, so an office network or a laptop offline shows
"Error loading script". odnb's ``odnb`` renderer puts Vega, Vega-Lite and vega-embed (bundled by
vl-convert, which odnb already needs) into the chart's own HTML output: the chart draws in JupyterLab 4
and in an exported ``.html`` with no network at all. The bundle is built once per kernel (a few seconds)
and loaded into the page once; every output still carries it, so a re-opened or exported notebook works.

Under ``odnb report`` (``ODNB_STATIC_CHARTS=1``) charts render as PNG instead: email clients run no
JavaScript. The runner turns this on for every notebook, whether or not the notebook asks.

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
STATIC_ENV = "ODNB_STATIC_CHARTS"
PNG_SCALE = 1.5


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


def static_wanted() -> bool:
    """True inside ``odnb report`` runs (``ODNB_STATIC_CHARTS`` set to anything but 0)."""
    return os.environ.get(STATIC_ENV, "") not in ("", "0")


def enable_charts(static: bool | None = None) -> str:
    """Make Altair charts render without the internet: PNG images when ``static`` (default: inside
    ``odnb report``), else the offline ``odnb`` renderer. Returns the active renderer's name."""
    if RENDERER not in alt.renderers.names():
        alt.renderers.register(RENDERER, offline_renderer)
    if static_wanted() if static is None else static:
        alt.renderers.enable("png", scale_factor=PNG_SCALE)
        return "png"
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
