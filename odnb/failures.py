"""The root of every odnb failure: :class:`ODError`, in a shared leaf so every room can raise one.

``odnb.api.errors`` re-exports it with the request failures. :class:`odnb.periods.PeriodError`,
``odnb.kpis.KPIInputError``, ``odnb.reports.ReportError``, ``MailError``, ``ScheduleError`` and
``odnb.store.StoreError`` are all ``ODError`` subclasses: ``except odnb.errors.ODError`` catches each.

Example:
    >>> err = ODError("Bad period", cause="start is after end", fix="swap the dates")
    >>> str(err)
    'Bad period — start is after end — Fix: swap the dates'
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

_MAX_BODY_IN_MESSAGE = 300


class ODError(Exception):
    """Base of every odnb error. ``str(err)`` is "what happened — cause — Fix: step"."""

    title = "Open Dental request failed"

    def __init__(
        self,
        what: str = "",
        *,
        cause: str = "",
        fix: str = "",
        status: int | None = None,
        method: str | None = None,
        url: str | None = None,
        body: str | None = None,
        mode: str | None = None,
        retry_after: float | None = None,
        secrets: Iterable[str] = (),
    ) -> None:
        secrets = tuple(s for s in secrets if s)
        self.what = scrub(what or self.title, secrets)
        self.cause = scrub(cause, secrets)
        self.fix = scrub(fix, secrets)
        self.status = status
        self.method = method
        self.url = safe_url(url, secrets) if url else url
        self.body = scrub(body, secrets) if body is not None else None
        self.mode = mode
        self.retry_after = retry_after
        super().__init__(self._line())

    def _line(self) -> str:
        parts = [self.what]
        if self.cause:
            parts.append(self.cause)
        if self.fix:
            parts.append(f"Fix: {self.fix}")
        text = " — ".join(parts)
        if self.method or self.status is not None:
            where = " ".join(p for p in (self.method, self.url) if p)
            status = f" → {self.status}" if self.status is not None else ""
            text += f" [{where}{status}]"
        return text

    def __str__(self) -> str:
        return self._line()

    def _repr_html_(self) -> str:
        e = html.escape
        rows = [("Cause", self.cause), ("Fix", self.fix)]
        if self.method or self.url:
            rows.append(("Request", " ".join(p for p in (self.method, self.url) if p)))
        if self.status is not None:
            rows.append(("Status", str(self.status)))
        if self.body:
            rows.append(("Server said", _short(self.body)))
        cells = "".join(
            f"<tr><th style='text-align:left;padding-right:1em'>{e(k)}</th><td>{e(v)}</td></tr>"
            for k, v in rows
            if v
        )
        return (
            "<div style='border-left:4px solid #c0392b;padding:0.4em 0.8em;background:#fdf2f1'>"
            f"<b>{e(type(self).__name__)}</b>: {e(self.what)}<table>{cells}</table></div>"
        )


def scrub(text: str | None, secrets: Iterable[str] = ()) -> str:
    """Remove anything that looks like a key: the given secrets and any ``ODFHIR x/y`` header value."""
    if not text:
        return text or ""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, "***")
    text = re.sub(r"ODFHIR\s+(?!\{)[^\s\"',;]+", "ODFHIR ***", text, flags=re.IGNORECASE)
    return re.sub(r"\b(Basic|Bearer)\s+[A-Za-z0-9+/=._~-]{12,}", r"\1 ***", text)


def safe_url(url: str, secrets: Iterable[str] = ()) -> str:
    """``url`` without any query value that equals a secret or is named like a key."""
    parts = urlsplit(url)
    keep = []
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if value in secrets or re.search(r"key|token|authorization|password", name, re.IGNORECASE):
            value = "***"
        keep.append((name, value))
    query = urlencode(keep, safe=" :,/")
    return scrub(urlunsplit((parts.scheme, parts.netloc, parts.path, query, "")), secrets)


def _short(text: str) -> str:
    return text if len(text) <= _MAX_BODY_IN_MESSAGE else text[:_MAX_BODY_IN_MESSAGE] + "…"
