"""The roll-up of a scheduled job over several practices: each practice by its configured name, the group
total, the previous period beside it, and why a practice failed.

``odnb schedule`` writes it under ``$ODNB_REPORTS_DIR/_rollups`` after a job has run for every profile:
a CSV (one row per practice) and an email-safe HTML page that stacks on a phone.

Group totals: money and counts are summed over the practices; a ratio is recomputed from the summed parts
(:data:`GROUP_RATIOS`), never averaged; a ratio whose parts the reports do not carry is not totalled.
Totals are over the practices that ran (the roll-up and its subject say how many failed); a total is n/a
when a practice that ran has no figure for it (the roll-up says which).

Example:
    >>> group_totals([{"collections": 90.0, "net_production": 100.0, "collection_ratio": 0.9},
    ...               {"collections": 10.0, "net_production": 50.0, "collection_ratio": 0.2}],
    ...              ["collections", "collection_ratio"])[0]
    {'collections': 100.0, 'collection_ratio': 0.6666666666666666}
"""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

ROLLUP_DIR = "_rollups"  # under $ODNB_REPORTS_DIR; profile names cannot start with "_"

# ratio -> (numerator parts, denominator parts), each summed over the practices (docs/kpis.md).
GROUP_RATIOS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "collection_ratio": (("collections",), ("net_production",)),
    "broken_rate": (("appointments_broken",), ("appointments_broken", "appointments_completed")),
    "hygiene_production_share": (("hygiene_production",), ("gross_production",)),
    "production_per_visit": (("gross_production",), ("appointments_completed",)),
    "ar_over_90_share": (("ar_over_90",), ("accounts_receivable_as_of",)),
}
NOT_TOTALLED = "not totalled: its parts are not in the practices' reports (a ratio is never averaged)"
GOOD, BAD = "#1a7f37", "#b42318"


@dataclass
class Practice:
    """One practice's line in the roll-up: its figures now and for the previous period, or why it failed."""

    profile: str
    name: str
    ok: bool
    start: str = ""
    end: str = ""
    kpis: dict[str, Any] = field(default_factory=dict)
    previous: dict[str, Any] = field(default_factory=dict)
    previous_start: str = ""
    previous_end: str = ""
    error: str = ""


# ---------------------------------------------------------------------------------------------------------
# Why a practice failed: one line, no key material, no local path


_TOKEN = re.compile(r"\b(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{16,}\b")
_AUTH = re.compile(r"(ODFHIR|Bearer|Basic)\s+\S+(\s*/\s*\S+)?", re.IGNORECASE)
_PATH = re.compile(r"(?<![\w.])(?:~|[A-Za-z]:)?(?:[/\\][^\s/\\:;,'\"()]+){2,}")


def one_line_reason(text: str, limit: int = 200) -> str:
    """The first line of an error message, key-like tokens and Authorization values replaced by
    ``[redacted]``, paths cut to their last part, at most ``limit`` characters.

    >>> one_line_reason("Open Dental refused key Ab12Cd34Ef56Gh78 (401)\\nmore")
    'Open Dental refused key [redacted] (401)'
    >>> one_line_reason("partial notebook kept at ~/reports/north/x.ipynb")
    'partial notebook kept at x.ipynb'
    """
    lines = [line.strip() for line in str(text or "").strip().splitlines() if line.strip()]
    line = lines[0] if lines else "failed (no message)"
    line = _AUTH.sub(lambda m: f"{m[1]} [redacted]", line)
    line = _TOKEN.sub("[redacted]", line)
    line = _PATH.sub(lambda m: re.split(r"[/\\]", m[0])[-1], line)
    return line if len(line) <= limit else line[: limit - 1] + "…"


def failure_reason(result: Any) -> str:
    """Why a run failed, for the roll-up: the cell and the exception's message, or the runner's error."""
    failure = getattr(result, "failure", None)
    if failure is not None:
        message = one_line_reason(failure.evalue) if str(failure.evalue).strip() else ""
        return one_line_reason(f"{failure.ename}: {message}" if message else failure.ename) + \
            f" (cell {failure.index} of {failure.total})"
    return one_line_reason(getattr(result, "error", None) or "failed (no message)")


# ---------------------------------------------------------------------------------------------------------
# Figures


def practices(results: Sequence[Any], config: Mapping[str, Any] | None = None) -> list[Practice]:
    """One :class:`Practice` per run result (a ReportResult), named by ``display_name`` in the config."""
    from odnb.api.profiles import profile_display_name

    if config is None:
        try:
            from odnb.api.profiles import read_config

            config = read_config()
        except Exception:  # an unreadable config must not lose the roll-up: profile names then
            config = {}
    out = []
    for r in results:
        payload = r.kpis or {}
        period = payload.get("period") or {}
        before = payload.get("previous") or {}
        before_period = before.get("period") or {}
        out.append(Practice(
            profile=r.profile, name=profile_display_name(r.profile, config), ok=bool(r.ok),
            start=period.get("start") or "", end=period.get("end") or "",
            kpis=dict(payload.get("kpis") or {}) if r.ok else {},
            previous=dict(before.get("kpis") or {}) if r.ok else {},
            previous_start=before_period.get("start") or "", previous_end=before_period.get("end") or "",
            error="" if r.ok else failure_reason(r),
        ))
    return out


def group_totals(
    figures: Sequence[Mapping[str, Any]], keys: Sequence[str], names: Sequence[str] | None = None
) -> tuple[dict[str, float | int | None], dict[str, str]]:
    """(totals, reasons): money and counts summed, ratios from the summed parts (:data:`GROUP_RATIOS`).

    A total is None when a practice has no figure for it (``reasons`` names the practice), or for a ratio
    whose parts are not given (``NOT_TOTALLED``).
    """
    from odnb.kpis.catalog import KINDS

    names = list(names or [f"practice {i + 1}" for i in range(len(figures))])
    sums: dict[str, float | int | None] = {}
    reasons: dict[str, str] = {}

    def summed(key: str) -> float | int | None:
        if key not in sums:
            missing = [n for n, f in zip(names, figures, strict=True) if f.get(key) is None]
            if missing or not figures:
                sums[key] = None
                reasons.setdefault(key, f"n/a for {', '.join(missing)}" if missing else "no practice ran")
            else:
                total = sum(f[key] for f in figures)
                sums[key] = round(total, 2) if KINDS.get(key) == "money" else total
        return sums[key]

    totals: dict[str, float | int | None] = {}
    for key in keys:
        if key in GROUP_RATIOS:
            top, bottom = GROUP_RATIOS[key]
            parts = [summed(k) for k in (*top, *bottom)]
            if any(p is None for p in parts):
                totals[key] = None
                reasons[key] = "; ".join(reasons[k] for k in (*top, *bottom) if k in reasons)
                continue
            num, den = sum(parts[: len(top)]), sum(parts[len(top):])
            value = num / den if den else None
            totals[key] = round(value, 2) if value is not None and KINDS.get(key) == "money" else value
            if not den:
                reasons[key] = "0 / 0 for the group"
        elif KINDS.get(key) == "ratio":
            totals[key] = None
            reasons[key] = NOT_TOTALLED
        else:
            totals[key] = summed(key)
    return totals, {k: v for k, v in reasons.items() if k in totals and totals[k] is None}


def rollup_rows(results: list[Any], config: Mapping[str, Any] | None = None
                ) -> tuple[list[str], list[dict[str, Any]]]:
    """Columns and rows of the roll-up CSV: one row per profile (profile, practice name, status, why it
    failed, period), then the KPI keys in catalogue order."""
    from odnb.kpis.catalog import ordered_kpi_keys

    found = practices(results, config)
    keys = ordered_kpi_keys({k for p in found for k in p.kpis})
    rows = []
    for p in found:
        row = {"profile": p.profile, "practice": p.name, "status": "ok" if p.ok else "failed",
               "error": p.error, "start": p.start, "end": p.end}
        row.update({k: p.kpis.get(k) for k in keys})
        rows.append(row)
    return ["profile", "practice", "status", "error", "start", "end", *keys], rows


# ---------------------------------------------------------------------------------------------------------
# HTML and text


def _period(start: str, end: str) -> str:
    return f"{start} to {end}" if start else ""


def _status(p: Practice) -> str:
    if p.ok:
        return f'<span style="color:{GOOD};font-weight:bold;">✓ ok</span>'
    return f'<span style="color:{BAD};font-weight:bold;">✗ failed</span>'


def rollup_html(title: str, found: Sequence[Practice], keys: Sequence[str], when: datetime) -> str:
    """An email-safe page: practices (status, period, why one failed), the group total against the
    previous period, and each KPI by practice. Every table is stacked blocks with inline styles, so it
    reads on a 390 px phone and in any mail client; server and exception text is escaped."""
    import pandas as pd

    from odnb.kpis.catalog import format_kpi, kpi_label
    from odnb.kpis.owner import change_text, stacked_html

    ran = [p for p in found if p.ok]
    names = [p.name for p in ran]
    now, now_why = group_totals([p.kpis for p in ran], keys, names)
    before, _ = group_totals([p.previous for p in ran], keys, names)
    has_previous = any(p.previous for p in ran)

    status = pd.DataFrame({
        "Practice": [p.name for p in found],
        "Status": [_status(p) for p in found],
        "Period": [_period(p.start, p.end) for p in found],
        "Why": [p.error for p in found],
    })
    group = pd.DataFrame({
        "KPI": [kpi_label(k) for k in keys],
        "This period": [format_kpi(k, now[k]) for k in keys],
        "Previous": [format_kpi(k, before[k]) if has_previous else "" for k in keys],
        "Change": [change_text(k, now[k], before[k]) for k in keys],
        "Note": [now_why.get(k, "") for k in keys],
    })
    by_kpi = pd.DataFrame({"KPI": [kpi_label(k) for k in keys]})
    for p in ran:
        cells = []
        for k in keys:
            change = change_text(k, p.kpis.get(k), p.previous.get(k))
            cells.append(format_kpi(k, p.kpis.get(k)) + (f" ({change})" if change else ""))
        by_kpi[p.name] = cells
    periods = sorted({_period(p.start, p.end) for p in ran} - {""})
    previous = sorted({_period(p.previous_start, p.previous_end) for p in ran} - {""})
    lines = [f"{len(found)} practices, {len(ran)} ran"
             + (f", {len(found) - len(ran)} failed" if len(ran) < len(found) else ""),
             "period " + "; ".join(periods) if periods else "",
             "compared with " + "; ".join(previous) if previous else "no previous period in the reports",
             f"generated {when:%d %b %Y %H:%M}"]
    summary = html.escape(" · ".join(x for x in lines if x))
    note = ("Totals: money and counts are summed over the practices that ran; ratios are recomputed from "
            "the summed parts, never averaged.")
    body = (
        f"<h1>{html.escape(title)}</h1><p>{summary}</p>"
        f"<h2>Practices</h2>{stacked_html(status, html_columns=('Status',))}"
        f"<h2>Group total</h2><p>{html.escape(note)}</p>{stacked_html(group)}"
        + (f"<h2>By practice</h2><p>{html.escape('Each figure, with its change on the previous period.')}"
           f"</p>{stacked_html(by_kpi)}" if ran else "")
    )
    from odnb.reports.render import inline_styles

    return inline_styles(
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1"><title>' + html.escape(title)
        + '</title></head><body style="margin:0;padding:0;"><div style="max-width:680px;margin:0 auto;'
        'padding:12px 16px;font-family:Helvetica,Arial,sans-serif;font-size:14px;color:#222222;'
        f'overflow-wrap:anywhere;">{body}</div></body></html>\n')


def rollup_text(title: str, found: Sequence[Practice], keys: Sequence[str]) -> str:
    """The plain-text part of the roll-up email: each practice (ok or why it failed), then the group."""
    from odnb.kpis.catalog import format_kpi, kpi_label

    ran = [p for p in found if p.ok]
    now, _ = group_totals([p.kpis for p in ran], keys, [p.name for p in ran])
    lines = [title, ""]
    for p in found:
        if p.ok:
            lines.append(f"{p.name} (ok): " + "; ".join(f"{kpi_label(k)} {format_kpi(k, p.kpis.get(k))}"
                                                         for k in keys))
        else:
            lines.append(f"{p.name} (failed): {p.error}")
    lines += ["", "Group total: " + "; ".join(f"{kpi_label(k)} {format_kpi(k, now[k])}" for k in keys)]
    return "\n".join(lines) + "\n"


HEADLINE_KPIS = ("net_production", "gross_production", "collections")  # the subject's figure: first totalled


class Rollup(NamedTuple):
    """What :func:`write_rollup` wrote, and the email made of it."""

    csv_path: Path
    html_path: Path
    page: str
    text: str
    subject: str


def rollup_subject(name: str, found: Sequence[Practice], keys: Sequence[str]) -> str:
    """The roll-up email's subject: the job, how many practices ran, the group's headline figure.

    >>> rollup_subject("monthly", [], ["net_production"])
    'odnb roll-up: monthly — 0 of 0 practices'
    """
    from odnb.kpis.catalog import format_kpi, kpi_label

    ran = [p for p in found if p.ok]
    subject = f"odnb roll-up: {name} — {len(ran)} of {len(found)} practices"
    if len(ran) < len(found):
        subject += f" ({len(found) - len(ran)} failed)"
    now, _ = group_totals([p.kpis for p in ran], keys, [p.name for p in ran]) if ran else ({}, {})
    head = next((k for k in HEADLINE_KPIS if k in keys and now.get(k) is not None), None)
    return subject + (f", {kpi_label(head).lower()} {format_kpi(head, now[head])}" if head else "")


def write_rollup(job: Any, results: list[Any], when: datetime) -> Rollup:
    """Write ``<job>-<stamp>.csv`` and ``.html`` (0600) under ``$ODNB_REPORTS_DIR/_rollups``; returns
    both paths, the HTML page, the plain text and the subject for the email. ``job`` has ``name`` and
    ``notebook``."""
    from odnb import paths

    folder = paths.reports_dir(ROLLUP_DIR)
    stem = folder / f"{job.name}-{when:%Y%m%d-%H%M%S}"
    columns, rows = rollup_rows(results)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows([{k: ("" if v is None else v) for k, v in row.items()} for row in rows])
    found = practices(results)
    keys = columns[6:]
    title = f"{job.name}: {len(results)} practices"
    page = rollup_html(title, found, keys, when)
    csv_path, html_path = stem.with_suffix(".csv"), stem.with_suffix(".html")
    paths.write_private_file(csv_path, buf.getvalue().encode())
    paths.write_private_file(html_path, page.encode())
    return Rollup(csv_path, html_path, page, rollup_text(title, found, keys),
                  rollup_subject(job.name, found, keys))
