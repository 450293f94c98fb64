"""What the owner's report shows: the scorecard beside the previous period, the same period last year and
the goal, with a status that reads in any mail client (colour and a ✓ / ✗ mark), and every n/a said in an
owner's words with the one step that enables it (the technical detail stays in ``card.reasons`` for the
diagnostics notebook).

Example:
    >>> owner_reason("adjustments", "not fetched: the adjustments endpoint needs a PatNum ...")
    'Needs your adjustments, which your Open Dental key can only read one patient at a time. To enable: ask Open Dental to add the Queries permission to your API key.'
"""  # noqa: E501

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import Any

import pandas as pd

from odnb.kpis.catalog import KINDS, LABELS, TIMING, format_kpi
from odnb.kpis.frames import BENCHMARKS

GOOD, BAD = "#1a7f37", "#b42318"  # green / red with enough contrast on white
QUERIES_STEP = "To enable: ask Open Dental to add the Queries permission to your API key."
DIAGNOSTICS_STEP = (
    "To find out why: run the connection diagnostics report (odnb report connection_diagnostics)."
)
LOWER_IS_BETTER = frozenset({"broken_rate", "ar_over_90_share", "ar_over_90", "outstanding_claims_over_30"})


def owner_reason(key: str, reason: str) -> str:
    """A null's reason in an owner's words: what is missing and the one step that enables it."""
    text = reason.lower()
    if "(0 / 0)" in text or "is 0 in the period" in text:
        return "Nothing to measure in this period."
    if "adjustment" in text:
        return (
            "Needs your adjustments, which your Open Dental key can only read one patient at a time. "
            + QUERIES_STEP
        )
    if "permission" in text or "401" in text or "403" in text:
        return "Your Open Dental key is not allowed to read this. " + QUERIES_STEP
    return "Open Dental did not send the data this needs. " + DIAGNOSTICS_STEP


def _met(key: str, value: Any, goal: Any) -> bool | None:
    if value is None:
        return None
    if goal is not None:
        return value <= goal if key in LOWER_IS_BETTER else value >= goal
    bench = BENCHMARKS.get(key)
    return bench.met(value) if bench else None


def status_html(met: bool | None) -> str:
    """``✓ on target`` in green or ``✗ below target`` in red (inline style: survives any client)."""
    if met is None:
        return ""
    colour, mark, words = (GOOD, "✓", "on target") if met else (BAD, "✗", "below target")
    return f'<span style="color:{colour};font-weight:bold;">{mark} {words}</span>'


def change_text(key: str, now: Any, before: Any) -> str:
    """``+4.2%`` (or ``+1.3 pts`` for a ratio); empty when either side is missing."""
    if now is None or before is None:
        return ""
    if KINDS.get(key) == "ratio":
        return f"{(now - before) * 100:+.1f} pts"
    return "" if before == 0 else f"{(now - before) / abs(before) * 100:+.1f}%"


def owner_scorecard(
    card: Any,
    previous: Any,
    last_year: Any,
    keys: tuple[str, ...],
    goals: Mapping[str, float] | None = None,
) -> pd.DataFrame:
    """One row per KPI: KPI, This period, Previous, Change, Last year, Goal, Status (HTML), Note.

    ``goals`` are the period's goals (already pro-rated); a KPI without one is judged by its benchmark.
    Snapshot KPIs are labelled with the date they describe. Status is HTML; show it with
    :func:`stacked_html`, which escapes every other cell.
    """
    goals = goals or {}
    rows = []
    for key in keys:
        now, before, year = (c.values.get(key) for c in (card, previous, last_year))
        goal = goals.get(key)
        label = LABELS[key] + (f" (at {card.as_of or card.end:%d %b})" if TIMING[key] == "snapshot" else "")
        note = owner_reason(key, card.reasons[key]) if now is None and key in card.reasons else ""
        rows.append(
            {
                "KPI": label,
                "This period": format_kpi(key, now),
                "Previous": format_kpi(key, before),
                "Change": change_text(key, now, before),
                "Last year": format_kpi(key, year),
                "Goal": format_kpi(key, goal)
                if goal is not None
                else getattr(BENCHMARKS.get(key), "text", ""),
                "Status": status_html(_met(key, now, goal)),
                "Note": note,
            }
        )
    return pd.DataFrame(rows)


def stacked_html(frame: pd.DataFrame, html_columns: tuple[str, ...] = ("Status",),
                 wide_columns: tuple[str, ...] = ("Note",)) -> str:
    """A table that reads on a 390 px phone and a desktop alike: one block per row, its first column as
    the heading and every other column as a "name / value" item that wraps onto the next line when the
    screen is narrow (inline styles only, so it survives mail clients). Cells are HTML-escaped except
    ``html_columns``; ``wide_columns`` take a line of their own; empty cells are left out; long words
    (a path, a URL) wrap rather than stick out.

    Example:
        >>> stacked_html(pd.DataFrame({"KPI": ["A<b>"], "This period": ["$1.00"]})).count("&lt;b&gt;")
        1
    """
    blocks = []
    columns = list(frame.columns)
    for row in frame.itertuples(index=False):
        cells = dict(zip(columns, row, strict=True))
        head = html.escape(str(cells[columns[0]]))
        items = []
        for col in columns[1:]:
            value = cells[col]
            if value is None or (isinstance(value, float) and value != value) or str(value) == "":
                continue
            text = str(value) if col in html_columns else html.escape(str(value))
            wide = "display:block;" if col in wide_columns else "display:inline-block;min-width:96px;"
            items.append(
                f'<span style="{wide}margin:2px 14px 2px 0;vertical-align:top;overflow-wrap:anywhere;">'
                f'<span style="color:#666666;font-size:11px;">{html.escape(str(col))}</span><br>{text}</span>'
            )
        blocks.append(
            '<div style="border-bottom:1px solid #e2e2e2;padding:6px 0;">'
            f'<div style="font-weight:bold;">{head}</div>{"".join(items)}</div>'
        )
    return '<div style="margin:8px 0;">' + "".join(blocks) + "</div>"


def to_html(frame: pd.DataFrame) -> str:
    """The owner's table as HTML: :func:`stacked_html`."""
    return stacked_html(frame)
