"""The roll-up of a scheduled job over several practices: one CSV row and one HTML column per practice.

``odnb schedule`` writes it under ``$ODNB_REPORTS_DIR/_rollups`` after a job has run for every profile.

Example:
    >>> columns, rows = rollup_rows([])
    >>> columns
    ['profile', 'status', 'start', 'end']
"""

from __future__ import annotations

import csv
import html
import io
from datetime import datetime
from pathlib import Path
from typing import Any

ROLLUP_DIR = "_rollups"  # under $ODNB_REPORTS_DIR; profile names cannot start with "_"


def rollup_rows(results: list[Any]) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and rows of a roll-up: one row per profile, columns = KPI keys (catalogue order)."""
    from odnb.kpis.catalog import ordered_kpi_keys

    keys = ordered_kpi_keys({k for r in results if r.kpis for k in r.kpis.get("kpis", {})})
    rows = []
    for r in results:
        payload = r.kpis or {}
        period = payload.get("period", {})
        row = {"profile": r.profile, "status": "ok" if r.ok else "failed",
               "start": period.get("start") or "", "end": period.get("end") or ""}
        row.update({k: payload.get("kpis", {}).get(k) for k in keys})
        rows.append(row)
    return ["profile", "status", "start", "end", *keys], rows


def rollup_html(title: str, columns: list[str], rows: list[dict[str, Any]]) -> str:
    """An email-safe HTML table of a roll-up: one row per KPI, one column per practice, so that it fits an
    email's width (the CSV keeps one row per practice). Values formatted as money / percent / counts."""
    from odnb.kpis.catalog import format_kpi, kpi_label
    from odnb.reports.render import inline_styles, tidy_tables

    def line(label: str, cells: list[str], tag: str = "td") -> str:
        tds = "".join(f"<{tag}>{html.escape(c)}</{tag}>" for c in cells)
        return f"<tr><th>{html.escape(label)}</th>{tds}</tr>"

    head = line("Practice", [str(r["profile"]) for r in rows], "th") + line(
        "Status", [str(r["status"]) for r in rows], "th") + line(
        "Period", [f"{r['start']} to {r['end']}" if r["start"] else "" for r in rows], "th")
    body = "".join(line(kpi_label(c), [format_kpi(c, r[c]) for r in rows]) for c in columns[4:])
    return inline_styles(tidy_tables(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>' + html.escape(title)
        + '</title></head><body style="margin:0;padding:0;"><div style="max-width:680px;margin:0 auto;'
        'padding:12px 16px;font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#222222;">'
        f"<h1>{html.escape(title)}</h1>"
        f"<table><thead>{head}</thead><tbody>{body}</tbody></table></div></body></html>\n"))


def write_rollup(job: Any, results: list[Any], when: datetime) -> tuple[Path, Path, str, str]:
    """Write ``<job>-<stamp>.csv`` and ``.html`` (0600) under ``$ODNB_REPORTS_DIR/_rollups``."""
    from odnb import paths
    from odnb.kpis.catalog import format_kpi, kpi_label

    folder = paths.reports_dir(ROLLUP_DIR)
    stem = folder / f"{job.name}-{when:%Y%m%d-%H%M%S}"
    columns, rows = rollup_rows(results)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows([{k: ("" if v is None else v) for k, v in row.items()} for row in rows])
    title = f"{job.name}: {job.notebook} for {len(results)} practices"
    page = rollup_html(title, columns, rows)
    csv_path, html_path = stem.with_suffix(".csv"), stem.with_suffix(".html")
    paths.write_private_file(csv_path, buf.getvalue().encode())
    paths.write_private_file(html_path, page.encode())
    text = title + "\n\n" + "\n".join(
        f"{row['profile']} ({row['status']}): " + "; ".join(
            f"{kpi_label(c)} {format_kpi(c, row[c])}" for c in columns[4:]) for row in rows) + "\n"
    return csv_path, html_path, page, text
