"""Mail reports: HTML with charts as CID images, a plain-text part with the headline figures, retries.

Message shape (what every mail client can show without JavaScript or remote content)::

    multipart/alternative
    ├── text/plain            headline figures from kpis.json ($81,234.50, 97.1%, ...)
    └── multipart/related
        ├── text/html         the report, <img src="cid:...">
        └── image/png ...     one part per chart, Content-ID matching the HTML

Transient failures (4xx replies, dropped or refused connections, timeouts) are retried with backoff;
permanent ones (5xx, bad login) are not. The password never appears in a message, log line or error.

Failure notices carry no patient data: notebook name, profile, time, the failing cell's position/id/tags
and the exception *type* only. Exception messages are left out on purpose: they often interpolate the
offending value (``KeyError: 'Smith'``), and mail leaves the machine; the full error is in the partial
notebook on disk, whose path the notice gives.

Example:
    >>> html_with_cids('<img src="data:image/png;base64,iVBORw0KGgo=">')[0]
    '<img src="cid:chart1@odnb">'
"""

from __future__ import annotations

import base64
import re
import smtplib
import ssl
import time
from collections.abc import Iterable, Mapping
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from odnb.failures import ODError

MAX_MESSAGE_BYTES = 15_000_000  # most providers refuse more than 20-25 MB once base64 is counted
RETRIES = 4
BACKOFF_SECONDS = (2.0, 10.0, 30.0)  # waits between attempts; the last one repeats
TIMEOUT_SECONDS = 30.0
_DATA_URI = re.compile(r'src="data:image/(png|jpeg|gif);base64,([A-Za-z0-9+/=\s]+)"')


class MailError(ODError):
    """Mail could not be delivered; the message says why (no password, no report content)."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def check_recipients(addresses: Iterable[str]) -> list[str]:
    """The recipients, split on commas and stripped; a MailError naming each one that is not an address
    (checked before any work, so a typo never costs a report run).

    >>> check_recipients(["owner@example.com, office@example.com"])
    ['owner@example.com', 'office@example.com']
    """
    from odnb.api.profiles import is_email_address

    out = [a.strip() for item in addresses for a in str(item).split(",") if a.strip()]
    bad = [a for a in out if not is_email_address(a)]
    if bad:
        raise MailError(f"Not an email address: {', '.join(map(repr, bad))}. Write each recipient as "
                        "name@example.com (repeat --email, or separate them with commas).")
    if not out:
        raise MailError("No recipient given: write --email name@example.com.")
    return list(dict.fromkeys(out))


def require_settings() -> Any:
    """``odnb.api.profiles.load_mail_settings()``, or a MailError saying how to add a [mail] section."""
    from odnb.api import profiles

    settings = profiles.load_mail_settings()
    if settings is None:
        raise MailError(f"No [mail] section in {profiles.config_path()}: add host, port, security, user, "
                        "sender (password from ODNB_SMTP_PASSWORD, password_env or password_keyring).")
    return settings


# ---------------------------------------------------------------------------------------------------------
# Building messages


def html_with_cids(page: str) -> tuple[str, list[tuple[str, str, bytes]]]:
    """Replace inline data-URI images by ``cid:`` references; returns the HTML and (cid, subtype, bytes).
    Identical images share one part."""
    parts: list[tuple[str, str, bytes]] = []
    seen: dict[str, str] = {}

    def swap(match: re.Match[str]) -> str:
        subtype, data = match.group(1), re.sub(r"\s", "", match.group(2))
        if data not in seen:
            seen[data] = f"chart{len(seen) + 1}@odnb"
            parts.append((seen[data], subtype, base64.b64decode(data)))
        return f'src="cid:{seen[data]}"'

    return _DATA_URI.sub(swap, page), parts


def build_message(page: str, text: str, *, subject: str, sender: str, to: Iterable[str]) -> EmailMessage:
    """multipart/alternative(text/plain, multipart/related(text/html, image/png...))."""
    body, images = html_with_cids(page)
    msg = EmailMessage()
    msg["Subject"] = subject
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="odnb.local")
    msg.set_content(text)
    msg.add_alternative(body, subtype="html")
    html_part = msg.get_payload()[1]
    for cid, subtype, data in images:
        html_part.add_related(data, maintype="image", subtype=subtype, cid=f"<{cid}>",
                              filename=f"{cid.split('@')[0]}.{subtype}", disposition="inline")
    size = len(msg.as_bytes())
    if size > MAX_MESSAGE_BYTES:
        limit_mb = MAX_MESSAGE_BYTES / 1e6
        raise MailError(f"The message would be {size / 1e6:.1f} MB, over the {limit_mb:.0f} MB "
                        "limit: make the report's charts fewer or smaller.")
    return msg


def headline_text(kpis: Mapping[str, Any] | None, *, title: str, html_path: Path | None = None) -> str:
    """The plain-text part: title, period, profile, one line per KPI (formatted), reasons for gaps."""
    from odnb.kpis.catalog import format_kpi, kpi_label, ordered_kpi_keys

    lines = [title, ""]
    if kpis:
        period = kpis.get("period") or {}
        lines.append(f"Practice: {kpis.get('profile')}")
        if period.get("start"):
            lines.append(f"Period: {period['start']} to {period['end']}")
        if kpis.get("stale"):
            age = kpis.get("stale_age_hours")
            since = f" up to {age:g} hours old" if isinstance(age, (int, float)) else ""
            lines.append("STALE DATA: the practice's server could not be reached, so these figures use "
                         f"cached data{since}.")
        lines.append("")
        values, reasons = kpis.get("kpis") or {}, kpis.get("reasons") or {}
        keys = ordered_kpi_keys(values)
        width = max((len(kpi_label(k)) for k in keys), default=0)
        figure = max((len(format_kpi(k, values[k])) for k in keys), default=0)
        for key in keys:  # labels left, figures right-aligned in one column (read in a monospace client)
            line = f"{kpi_label(key) + ':':<{width + 1}} {format_kpi(key, values[key]):>{figure}}"
            if values[key] is None and reasons.get(key):
                line += f" ({reasons[key]})"
            lines.append(line)
    if html_path:
        # The file's name only: a path on the analyst's machine means nothing to the reader (and leaks it).
        lines += ["", "The full report (with charts) is the HTML part of this message; a copy is kept in the "
                  f"practice's report folder as {Path(html_path).name}."]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------------------------------------------------
# Sending


def _scrub(text: str, settings: Any) -> str:
    secret = getattr(settings, "password", None)
    if not secret:
        return text
    for form in {secret, base64.b64encode(secret.encode()).decode()}:
        text = text.replace(form, "***")
    return text


def _reply(exc: smtplib.SMTPResponseException) -> str:
    raw = exc.smtp_error
    message = raw.decode(errors="replace") if isinstance(raw, bytes) else str(raw)
    return f"{exc.smtp_code} {message}".strip()


def _send_once(msg: EmailMessage, recipients: list[str], settings: Any,
               context: ssl.SSLContext | None) -> dict:
    security = (getattr(settings, "security", "starttls") or "starttls").lower()
    host, port = settings.host, int(settings.port)
    context = context or ssl.create_default_context()
    if security == "ssl":
        smtp: smtplib.SMTP = smtplib.SMTP_SSL(host, port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        smtp = smtplib.SMTP(host, port, timeout=TIMEOUT_SECONDS)
    with smtp:
        smtp.ehlo()
        if security == "starttls":
            smtp.starttls(context=context)
            smtp.ehlo()
        if getattr(settings, "user", None):
            smtp.login(settings.user, settings.password or "")
        sender = getattr(settings, "sender", None) or getattr(settings, "user", None) or "odnb@localhost"
        return smtp.send_message(msg, from_addr=sender, to_addrs=recipients)


def send_message(msg: EmailMessage, to: list[str], settings: Any, *,
                 ssl_context: ssl.SSLContext | None = None, retries: int = RETRIES,
                 backoff: Iterable[float] = BACKOFF_SECONDS) -> None:
    """Deliver ``msg`` to ``to``; retry transient failures (only for the recipients still pending)."""
    waits = list(backoff) or [0.0]
    pending, permanent = list(to), {}
    last_error = ""
    for attempt in range(max(1, retries)):
        if attempt:
            time.sleep(waits[min(attempt - 1, len(waits) - 1)])
        try:
            refused = _send_once(msg, pending, settings, ssl_context)
        except smtplib.SMTPRecipientsRefused as exc:
            refused = exc.recipients
        except smtplib.SMTPAuthenticationError as exc:
            if 400 <= exc.smtp_code < 500:  # 454: temporary authentication failure
                last_error = _scrub(f"{settings.host} replied {_reply(exc)}", settings)
                continue
            raise MailError(_scrub(f"The SMTP server {settings.host} refused the login for "
                                   f"{settings.user!r}: {_reply(exc)}. Check [mail] user and the password "
                                   "source (ODNB_SMTP_PASSWORD / password_env / password_keyring).", settings)
                            ) from None
        except smtplib.SMTPResponseException as exc:
            last_error = _scrub(f"{settings.host} replied {_reply(exc)}", settings)
            if 400 <= exc.smtp_code < 500:
                continue
            raise MailError(f"Mail not sent: {last_error} (permanent, not retried).") from None
        except (smtplib.SMTPServerDisconnected, ConnectionError, TimeoutError) as exc:
            last_error = f"connection to {settings.host}:{settings.port} failed ({type(exc).__name__})"
            continue
        except smtplib.SMTPNotSupportedError as exc:  # an OSError too: must come before the retried ones
            raise MailError(f"{settings.host}:{settings.port} does not offer what [mail] asks for ({exc}). "
                            "Check [mail] security (starttls on 587, ssl on 465, none on 25) and port."
                            ) from None
        except ssl.SSLError as exc:
            raise MailError(f"TLS with {settings.host}:{settings.port} failed: {exc.reason or exc}. Check "
                            "[mail] security (starttls on 587, ssl on 465).") from None
        except smtplib.SMTPException as exc:  # e.g. no authentication method both sides know: permanent
            raise MailError(_scrub(f"Mail not sent: {settings.host}: {type(exc).__name__}: {exc}", settings)
                            ) from None
        except OSError as exc:  # DNS failure, no route: worth another try
            reason = exc.strerror or type(exc).__name__
            last_error = f"cannot reach {settings.host}:{settings.port} ({reason})"
            continue
        transient = {a: r for a, r in refused.items() if 400 <= r[0] < 500}
        permanent.update({a: r for a, r in refused.items() if not 400 <= r[0] < 500})
        pending = list(transient)
        if not pending:
            break
        last_error = "; ".join(f"{a}: {c} {m.decode(errors='replace') if isinstance(m, bytes) else m}"
                               for a, (c, m) in transient.items())
    else:
        raise MailError(f"Mail not sent after {max(1, retries)} attempts: {last_error}.", transient=True)
    if permanent:
        refused_text = "; ".join(f"{a}: {c} {m.decode(errors='replace') if isinstance(m, bytes) else m}"
                                 for a, (c, m) in permanent.items())
        raise MailError(f"The server refused some recipients (permanent): {refused_text}.")


def _sender(settings: Any) -> str:
    return getattr(settings, "sender", None) or getattr(settings, "user", None) or "odnb@localhost"


def send_html(page: str, to: list[str], settings: Any, *, subject: str, text: str,
              ssl_context: ssl.SSLContext | None = None, **retry: Any) -> None:
    """Send an HTML page (its data-URI images become CID parts) with a plain-text alternative."""
    msg = build_message(page, text, subject=subject, sender=_sender(settings), to=to)
    send_message(msg, to, settings, ssl_context=ssl_context, **retry)


HEADLINE_KEYS = ("net_production", "gross_production", "collections")


def headline_figure(kpis: Mapping[str, Any] | None) -> str:
    """``": net production $431,575.53"`` for the subject: the first headline KPI with a value, else "".

    Example:
        >>> headline_figure({"kpis": {"net_production": None, "gross_production": 1200.5}})
        ': gross production $1,200.50'
    """
    from odnb.kpis.catalog import format_kpi, kpi_label

    values = (kpis or {}).get("kpis") or {}
    for key in HEADLINE_KEYS:
        if values.get(key) is not None:
            return f": {kpi_label(key).lower()} {format_kpi(key, values[key])}"
    return ""


def send_report(result_or_html: Any, to: list[str], settings: Any, subject: str | None = None,
                text: str | None = None, *, ssl_context: ssl.SSLContext | None = None, **retry: Any) -> None:
    """Mail a report: a :class:`~odnb.reports.run.ReportResult` (HTML file + kpis.json) or an HTML string."""
    if isinstance(result_or_html, str):
        page, kpis, html_path, name, profile = result_or_html, None, None, "report", ""
    else:
        result = result_or_html
        page = Path(result.html_path).read_text(encoding="utf-8")
        kpis, html_path, profile = result.kpis, result.html_path, result.profile
        name = getattr(result, "title", "") or result.name
    period = (kpis or {}).get("period") or {}
    subject = subject or f"{name} — {profile}" + (
        f", {period['start']} to {period['end']}" if period.get("start") else "") + headline_figure(kpis)
    text = text or headline_text(kpis, title=subject, html_path=html_path)
    send_html(page, to, settings, subject=subject, text=text, ssl_context=ssl_context, **retry)


def failure_notice_text(result: Any, when: datetime | None = None) -> str:
    """The PHI-free body of a failure notice (see the module docstring for what is left out and why)."""
    when = when or getattr(result, "started_at", None) or datetime.now()
    lines = [f"The odnb report {result.name!r} for practice {result.profile!r} failed.", "",
             f"Started: {when:%Y-%m-%d %H:%M:%S}"]
    failure = getattr(result, "failure", None)
    if failure is not None:
        lines.append(f"Failed in: {failure.label}")
        lines.append(f"Error type: {failure.ename}")
    else:
        lines.append("Failed before or outside a notebook cell (kernel or setup).")
    if getattr(result, "notebook_path", None):
        lines.append(f"Partial notebook (with the full error) on the reporting machine: "
                     f"{result.notebook_path}")
    lines += ["", "No report was produced for this run. The error text is left out of this mail on purpose: "
              "it can quote practice data."]
    return "\n".join(lines) + "\n"


def send_failure_notice(result: Any, to: list[str], settings: Any, *,
                        ssl_context: ssl.SSLContext | None = None, **retry: Any) -> None:
    """A short plain-text mail saying which report failed where — without any patient data."""
    msg = EmailMessage()
    msg["Subject"] = f"odnb report FAILED: {result.name} — {result.profile}"
    msg["From"] = _sender(settings)
    msg["To"] = ", ".join(to)
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain="odnb.local")
    msg.set_content(failure_notice_text(result))
    send_message(msg, to, settings, ssl_context=ssl_context, **retry)
