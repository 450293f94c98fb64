"""Errors that explain themselves: what happened, why, and the concrete step that fixes it.

Every failure odnb raises is an :class:`ODError`. Input mistakes (unknown resource, bad date, missing
profile) are raised *before* any request; failures of a request are chosen by
:func:`error_from_response` from the HTTP status, the body text and the connection mode, using the
:data:`CASES` table (the README's error table is rendered from it by :func:`error_table_markdown`).

Each error carries ``status``, ``method``, ``url`` (never a key: keys travel only in the Authorization
header), the raw ``body``, a one-line ``cause`` and a ``fix``. ``str(err)`` reads
"what happened — cause — Fix: step"; in Jupyter the error renders as a small HTML box.

Example:
    >>> err = error_from_response("GET", "https://api.opendental.com/api/v1/patients/Simple", 401,
    ...                           '"Invalid customer key"', "remote")
    >>> type(err).__name__
    'AuthError'
    >>> "Setup > Advanced Setup > API" in err.fix
    True
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from odnb.failures import ODError, _short, safe_url, scrub  # noqa: F401  (re-exported: odnb.errors.*)

ALL_MODES: tuple[str, ...] = ("remote", "local", "service")


# --- bad input, raised before any request -------------------------------------------------------


class InputError(ODError, ValueError):
    """Something the caller passed is wrong; no request was made."""

    title = "Bad input"


class ConfigError(InputError):
    """Missing or invalid profile, base URL or keys."""

    title = "Configuration problem"


class UnknownResource(InputError):
    """The resource name is not in odnb's catalogue."""

    title = "Unknown resource"


class UnknownParameter(InputError):
    """A filter the resource does not take."""

    title = "Unknown parameter"


class InvalidParameter(InputError):
    """A filter value in the wrong format (bad date, start after end, missing required filter...)."""

    title = "Invalid parameter"


# --- failures of a request ----------------------------------------------------------------------


class AuthError(ODError):
    """401: the keys are invalid, unassigned or disabled."""

    title = "Open Dental refused the API keys"


class PermissionDenied(AuthError):
    """401 for a method the key's plan does not include (e.g. Queries), or non-read-only SQL."""

    title = "The API key is not allowed to do this"


class EConnectorDown(ODError):
    """400: the office's eConnector is not running (or two share one registration key)."""

    title = "The office's eConnector is not answering"


class VersionTooOld(ODError):
    """400: the office runs an Open Dental version older than the method's "Version Added"."""

    title = "The office's Open Dental version is too old for this request"


class BadRequest(ODError):
    """400: malformed request or per-method validation (e.g. "PatNum is required")."""

    title = "Open Dental rejected the request"


class NotFound(ODError):
    """404: unknown route (usually a typo) or missing record."""

    title = "Not found"


class Gone(ODError):
    """410: the method is deprecated."""

    title = "This API method was retired"


class RateLimited(ODError):
    """429: too many requests for this customer key."""

    title = "Rate limited"


class ServerError(ODError):
    """500/502/503 (and other 5xx) after retries."""

    title = "Open Dental's server failed"


class Timeout(ODError):
    """504 (remote 60 s cut), a 400 about office connectivity, or no answer within the read timeout."""

    title = "The request timed out"


class ConnectionFailed(ODError):
    """No connection could be made (DNS, refused, reset) after retries."""

    title = "Could not connect to the Open Dental API"


class BadResponse(ODError):
    """The server answered 200 but the body is not the JSON expected (truncated, HTML...)."""

    title = "The server's answer could not be read"


class UnstableOrder(BadResponse):
    """Pages overlap or leave gaps: the server's row order changed between requests (or rows were added or
    deleted while paging), so the pull cannot be proven complete."""

    title = "The server's pages do not fit together"


class ResumePointMoved(UnstableOrder):
    """A pull resumed past rows already held found another row where the last of them should be: rows
    before it were deleted, or the server's order changed. Pull from the start instead."""

    title = "The rows before the resume point changed"


class WaitTooLong(RateLimited):
    """The server asked to wait (Retry-After) longer than odnb's cap; nothing was waited for."""

    title = "The server asked for a wait longer than odnb's cap"


class StaleTooOld(ODError):
    """The server failed and the only cached copy is older than the maximum staleness allowed."""

    title = "Only a cached answer older than the allowed staleness is available"


# --- the table of cases -------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One row of the error table: when it applies, which class, and the explanation."""

    cls: type[ODError]
    status: int | None  # None: no HTTP status (connection, timeout, unreadable body)
    when: str  # the condition, in words, for the README table
    cause: str
    fix: str  # may use {message}, {base}, {retry_after}, {hint}
    body: str | None = None  # regex (case-insensitive) on the server's message
    path: str | None = None  # regex on the URL path
    modes: tuple[str, ...] = ALL_MODES


_KEYS_HINT = (
    "the keys odnb uses come from ODNB_DEVELOPER_KEY / ODNB_CUSTOMER_KEY, the config file or the "
    "keyring (`odnb config`)"
)
_ECONNECTOR_FIX = (
    "On the office's server open Open Dental > eServices > eConnector Service (or Windows Services, "
    "'OpenDental eConnector Service') and check it shows Running; start it and retry. If two "
    "eConnectors run on one registration key, stop the extra one."
)
_ASK_FOR_LESS = (
    "ask for less per request: a smaller date range (dateStart/dateEnd), a narrower filter "
    "(PatNum, ClinicNum, DateTStamp) or one ShortQuery with GROUP BY"
)

CASES: tuple[Case, ...] = (
    Case(BadRequest, 400, "ShortQuery, body is a MySQL syntax or name error",
         "MySQL could not run the SQL: {message}",
         "Fix the SQL: MySQL syntax (not SQLite's), Open Dental's table and column names, and MySQL's own "
         "functions.", path=r"queries/ShortQuery",
         body=r"SQL syntax|Unknown column|Unknown table|doesn't exist|does not exist|ambiguous"),
    Case(EConnectorDown, 400, "body mentions the eConnector",
         "the office's eConnector service is stopped, cannot reach the database, or two eConnectors "
         "share one registration key", _ECONNECTOR_FIX, body=r"e-?connector"),
    Case(VersionTooOld, 400, "body mentions the version",
         "the office's Open Dental is older than the \"Version Added\" of this method or filter",
         "Update Open Dental at the office (Help > Update), or drop the newer filter. {hint}",
         body=r"version"),
    Case(Timeout, 400, "body mentions a timeout or office connectivity",
         "the office did not answer in time (connectivity between Open Dental's cloud and the office)",
         "Check that the office server is on and online and the eConnector runs, retry, and "
         + _ASK_FOR_LESS + ".", body=r"time(d)?[ -]?out|connectivity|could not connect to the office"),
    Case(BadRequest, 400, "ShortQuery, any other text",
         "the SQL was rejected: {message}",
         "Fix the SQL (MySQL syntax, Open Dental's table and column names, a single SELECT).",
         path=r"queries/ShortQuery"),
    Case(BadRequest, 400, "any other text (per-method validation)",
         "Open Dental said: {message}",
         "Check the parameter names and formats (dates yyyy-MM-dd, DateTStamp yyyy-MM-dd HH:mm:ss, enum "
         "text as in the API docs) and required filters. {hint}"),
    Case(PermissionDenied, 401, "ShortQuery, body says the query is not read-only",
         "Open Dental screens ShortQuery SQL and this statement would change the database",
         "Make the SQL read-only: SELECTs only (temporary tables are allowed); no INSERT/UPDATE/DELETE on "
         "Open Dental's tables, no SET, LOCK or INTO OUTFILE.", path=r"queries/ShortQuery",
         body=r"not read[- ]?only"),
    Case(PermissionDenied, 401, "ShortQuery, body about permission or read-only SQL",
         "ShortQuery needs the Queries permission (the $15 tier or higher) and runs only read-only SQL",
         "Enable Queries for this customer key in the Developer Portal, and make the SQL a single "
         "SELECT (no INSERT/UPDATE/DELETE or non-temporary tables).", path=r"queries/ShortQuery",
         body=r"permission|read[- ]?only|not allowed|quer"),
    Case(PermissionDenied, 401, "body mentions permission",
         "the developer key's plan does not include this method (Read All covers GETs; Queries, Payments, "
         "Setup... need a paid permission)",
         "Add the permission to the customer key in the Developer Portal (billing is per key and "
         "location), or use a method the plan covers.",
         body=r"permission|not (authorized|allowed|permitted)|does not have access|read[- ]?only"),
    Case(AuthError, 401, "anything else, remote mode",
         "the keys are invalid, unassigned or disabled",
         "Check that (1) the customer key is entered in Open Dental under Setup > Advanced Setup > API "
         "with Enabled ticked; (2) a key just generated or moved in the Developer Portal can take up to "
         "15 minutes to work; (3) the header is `Authorization: ODFHIR {{DeveloperKey}}/{{CustomerKey}}` "
         "(not Basic, not Bearer) — " + _KEYS_HINT + ".", modes=("remote",)),
    Case(AuthError, 401, "anything else, local / service mode",
         "the keys are invalid, unassigned or disabled (the Local API / API Service re-checks them with "
         "Open Dental every 6 hours)",
         "Check that the customer key is entered and Enabled in Setup > Advanced Setup > API on this "
         "office's database and belongs to your developer key; the header is `Authorization: ODFHIR "
         "{{DeveloperKey}}/{{CustomerKey}}` — " + _KEYS_HINT + ". Keys are re-checked with Open Dental "
         "every 6 hours: after changing them, restart the API Service (or Open Dental for the Local API).",
         modes=("local", "service")),
    Case(PermissionDenied, 403, "any text (undocumented, seen through proxies)",
         "the server or a proxy refused this request",
         "Check the key's permissions in the Developer Portal and any proxy or firewall in between."),
    Case(NotFound, 404, "body says the route or resource does not exist",
         "the URL is not an Open Dental route, usually a typo in the resource or a base URL without "
         "/api/v1",
         "Check the base URL ({base}) and the resource name; odnb.api.catalogue.RESOURCES lists the valid "
         "ones.", body=r"resource|route|no http|endpoint|not a valid (url|path)"),
    Case(NotFound, 404, "body names a missing record (\"Patient not found.\")",
         "the record does not exist in this office: {message}",
         "Check the id you passed (PatNum, ClinicNum, ...) against this office's data.",
         body=r"not found|does not exist|no \w+ with"),
    Case(NotFound, 404, "anything else (unknown route)",
         "the URL is not an Open Dental route, usually a typo in the resource or a base URL without "
         "/api/v1",
         "Check the base URL ({base}) and the resource name; odnb.api.catalogue.RESOURCES lists the valid "
         "ones."),
    Case(Gone, 410, "any text",
         "the method is deprecated and no longer served",
         "Use the replacement named on Open Dental's API page for this resource, and update odnb."),
    Case(RateLimited, 429, "any text (undocumented, seen through proxies); honours Retry-After",
         "too many requests for this customer key (Remote: 1 request / 5 s on Read All, 1 / s paid, "
         "1 / 0.5 s Enterprise)",
         "odnb already paces and retried; wait {retry_after} and rerun, do not run several notebooks on "
         "the same key at once, and set the profile's tier to the key's real plan."),
    Case(Timeout, 504, "remote mode (the 60 s cut)",
         "Open Dental's cloud stops remote requests after 60 s",
         _ASK_FOR_LESS[0].upper() + _ASK_FOR_LESS[1:] + ".", modes=("remote",)),
    Case(Timeout, 504, "local / service mode",
         "a gateway gave up waiting for the API",
         "Retry later; if it persists, " + _ASK_FOR_LESS + ".", modes=("local", "service")),
    Case(ServerError, 500, "any text, after retries",
         "Open Dental failed while answering: {message}",
         "Retry later; if it persists, check the eConnector / API Service log at the office."),
    Case(ServerError, 502, "any text, after retries",
         "a proxy in front of Open Dental got no valid answer",
         "Retry later; check that the eConnector / API Service runs at the office."),
    Case(ServerError, 503, "any text, after retries",
         "the service is unavailable (restarting or overloaded)",
         "Retry in a few minutes; check that the eConnector / API Service runs at the office."),
    Case(Timeout, None, "no answer within the read timeout, after retries",
         "the server did not answer in time",
         "Check the office server and network; " + _ASK_FOR_LESS + "."),
    Case(ConnectionFailed, None, "connection refused / DNS / reset, after retries",
         "no working connection to {base} (refused, not found, or closed without an answer)",
         "Check the base URL; for the API Service that the Windows service runs and port 30223 is open, "
         "for the Local API that Open Dental is running (port 30222), for Remote your internet access."),
    Case(BadResponse, None, "200 whose body is not JSON (truncated, HTML from a proxy), after retries",
         "the answer was cut off or is not JSON: {message}",
         "Retry; if it persists, look for a proxy, VPN or captive portal between you and the API."),
)


def message_of(body: str | bytes | None) -> str:
    """The server's message from any of the three body formats: plain text, a JSON string, or a JSON
    object with ``message`` / ``Message``.

    >>> message_of('{"Message": "PatNum is required."}')
    'PatNum is required.'
    >>> message_of('"Patient not found."')
    'Patient not found.'
    """
    if body is None:
        return ""
    if isinstance(body, bytes):
        body = body.decode("utf-8", errors="replace")
    text = body.strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, str):
        text = data
    elif isinstance(data, dict):
        for key in ("message", "Message", "error", "Error", "detail", "title"):
            if isinstance(data.get(key), str):
                text = data[key]
                break
    if "<html" in text[:200].lower():
        text = re.sub(r"<[^>]+>", " ", text)
    return " ".join(text.split())


def _find_case(status: int | None, mode: str, path: str, message: str, cls: type[ODError] | None) -> Case:
    for case in CASES:
        if case.status != status or mode not in case.modes:
            continue
        if cls is not None and case.cls is not cls:
            continue
        if case.path and not re.search(case.path, path):
            continue
        if case.body and not re.search(case.body, message, re.IGNORECASE):
            continue
        return case
    # statuses outside the table: route by class of status
    if status is not None and 500 <= status < 600:
        return _find_case(503, mode, path, message, None)
    if status is not None and 400 <= status < 500:
        return Case(BadRequest, status, "other 4xx", "Open Dental said: {message}",
                    "Check the request. {hint}")
    return Case(BadResponse, status, "other status", "unexpected answer: {message}",
                "Retry; if it persists, report it with the status and body.")


def error_from_response(
    method: str,
    url: str,
    status: int | None,
    body: str | bytes | None,
    mode: str,
    *,
    retry_after: float | None = None,
    secrets: Iterable[str] = (),
    hint: str = "",
    cls: type[ODError] | None = None,
    detail: str = "",
    base: str | None = None,
) -> ODError:
    """The :class:`ODError` for a failed request, chosen from status, body text and mode.

    ``cls`` forces a class for failures without a status (``Timeout``, ``ConnectionFailed``,
    ``BadResponse``); ``detail`` is used as the message when there is no body; ``hint`` is added to the fix
    (e.g. which filters need which Open Dental version); ``base`` is the profile's base URL (else it is
    guessed from ``url``).

    >>> error_from_response("GET", "http://h/api/v1/appointments", 400,
    ...                     '{"message": "eConnector is not running"}', "remote").__class__.__name__
    'EConnectorDown'
    """
    secrets = tuple(s for s in secrets if s)
    raw = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    message = scrub(message_of(raw), secrets) or detail or "(empty body)"
    parts = urlsplit(url)
    if base is None:
        base = urlunsplit((parts.scheme, parts.netloc, re.sub(r"(/api/v1).*$", r"\1", parts.path), "", ""))
    base = base.rstrip("/")
    case = _find_case(status, mode, parts.path, message, cls)
    values = {
        "message": _short(message),
        "base": base,
        "retry_after": f"{retry_after:g} s" if retry_after else "a minute",
        "hint": hint,
    }
    # The server's message goes in once: in the cause when the case quotes it, else after the title.
    what = case.cls.title if "{message}" in case.cause else f"{case.cls.title}: {_short(message)}"
    fix = case.fix.format(**values).strip()
    if status == 404 and not base.endswith("/api/v1"):
        fix = (f"Your base URL {base} does not end in /api/v1: use {base}/api/v1 (every Open Dental API "
               f"route lives under /api/v1). " + fix)
    return case.cls(
        what,
        cause=case.cause.format(**values),
        fix=fix,
        status=status,
        method=method,
        url=url,
        body=raw,
        mode=mode,
        retry_after=retry_after,
        secrets=secrets,
    )


def error_table_markdown() -> str:
    """The README table of every error case, rendered from :data:`CASES`."""
    lines = [
        "| Error | Status | When | Cause | Fix |",
        "|---|---|---|---|---|",
    ]

    shown = {"{hint}": "(plus which filters need which version)", "{message}": "*the server's message*",
             "{base}": "*your base URL*", "{retry_after}": "*the Retry-After time*"}

    def cell(text: str) -> str:
        for placeholder, words in shown.items():
            text = text.replace(placeholder, words)
        return text.replace("|", "\\|").replace("{{", "{").replace("}}", "}")

    for case in CASES:
        status = str(case.status) if case.status is not None else "—"
        row = (f"`{case.cls.__name__}`", status, cell(case.when), cell(case.cause), cell(case.fix))
        lines.append("| " + " | ".join(row) + " |")
    for cls, status, when, fix in (
        (UnstableOrder, "200", "pages overlap, a page holds only rows already received, or the "
         "confirming request does not answer the last row",
         "rerun later; check for a proxy; use a narrower filter or od.query with ORDER BY"),
        (WaitTooLong, "429 / 503", "a Retry-After above the cap (`max_retry_after`, 60 s by default)",
         "rerun after the time named in the message, or raise `max_retry_after`"),
        (StaleTooOld, "any failure",
         "the server failed and the cached copy is older than `max_stale` (24 h by default)",
         "fix the connection and rerun, or raise `max_stale` / `ODNB_MAX_STALE_HOURS`"),
        (ConfigError, "— (no request)", "no profile, no base URL or missing keys",
         "the message names the missing setting and where to set it (env var, config file, keyring)"),
        (UnknownResource, "— (no request)", "a resource odnb does not know",
         "pick one of the listed resources"),
        (UnknownParameter, "— (no request)",
         "a filter the resource does not take (also Offset/Limit: odnb pages for you); a date filter on "
         "a resource whose API has none (procedures, pay splits, ...)",
         "use one of the listed filters, spelled as in the docs (case-insensitive; snake_case works too); "
         "for a date window: filter the frame, the local store or one ShortQuery, as the message shows"),
        (InvalidParameter, "— (no request)", "dates given as positional arguments to a helper without a "
         "date filter (od.procedures('2026-01-01', ...))", "the same three ways to a date window"),
        (InvalidParameter, "— (no request)", "bad date or number, start after end, a required filter missing "
         "(adjustments without PatNum)", "pass the value in the shown format"),
    ):
        doc = " ".join(cls.__doc__.split())
        lines.append(f"| `{cls.__name__}` | {status} | {when} | {doc} | {fix} |")
    return "\n".join(lines)
