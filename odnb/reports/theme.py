"""The house look of every odnb chart, and static rendering for reports.

One Altair theme for all notebooks, so a report reads as one document. When a notebook runs under
``odnb report`` (which sets ``ODNB_STATIC_CHARTS=1``), charts render as PNG images: email clients run no
JavaScript, so an interactive Vega chart would show nothing there.

Example:
    >>> from odnb.reports.theme import use_house_theme, PALETTE
    >>> use_house_theme()
    'odnb'
    >>> PALETTE[0]
    '#1f5f8b'
"""

from __future__ import annotations

import os

import altair as alt

THEME_NAME = "odnb"
PALETTE = ["#1f5f8b", "#e07b39", "#3c9d6b", "#b8485b", "#7a5ba6", "#8c8c8c", "#d4a72c", "#2aa1b3"]
FONT = "Helvetica, Arial, sans-serif"
STATIC_ENV = "ODNB_STATIC_CHARTS"


def _house_theme() -> alt.theme.ThemeConfig:
    axis = {"labelFont": FONT, "titleFont": FONT, "labelFontSize": 11, "titleFontSize": 12,
            "gridColor": "#e6e6e6", "domainColor": "#999999", "tickColor": "#999999"}
    return alt.theme.ThemeConfig(
        config={
            "background": "white",
            "font": FONT,
            "view": {"stroke": None, "continuousWidth": 560, "continuousHeight": 260},
            "range": {"category": PALETTE},
            "title": {"font": FONT, "fontSize": 14, "anchor": "start", "color": "#222222"},
            "axis": axis,
            "legend": {"labelFont": FONT, "titleFont": FONT, "orient": "bottom"},
            "bar": {"color": PALETTE[0]},
            "line": {"color": PALETTE[0], "strokeWidth": 2},
            "point": {"color": PALETTE[0], "filled": True},
        }
    )


def use_house_theme() -> str:
    """Enable the odnb theme and charts that need no internet (PNG when running as a report, else the
    offline ``odnb`` renderer, see :mod:`odnb.reports.charts`); returns the theme name."""
    from odnb.reports.charts import enable_charts

    if THEME_NAME not in alt.theme.names():
        alt.theme.register(THEME_NAME, enable=False)(_house_theme)
    alt.theme.enable(THEME_NAME)
    enable_charts(static=os.environ.get(STATIC_ENV, "") not in ("", "0"))
    return THEME_NAME
