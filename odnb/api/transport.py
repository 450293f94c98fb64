"""HTTP for one practice: a private on-disk cache, pacing per customer key, retries, timeouts, logging.

* Cache: a ``requests_cache.CachedSession`` whose SQLite file lives in the practice folder (dir 0700, file
  0600). Only 200s are stored; the Authorization header is neither stored nor part of the cache key; each
  resource has its own freshness (:data:`odnb.api.catalogue.EXPIRY`). ShortQuery PUTs are cached too (the SQL
  body is part of the key). When a refresh fails and an expired copy exists, the stale copy is served
  with a visible warning.
* Pacing: :class:`PacingAdapter` sits *under* the cache, so only real network requests wait and count;
  two requests with the same customer key start at least ``min_interval`` apart, process-wide.
* Retries: exponential backoff with full jitter on 429 (honouring Retry-After), 5xx, connection errors,
  timeouts and unreadable 200 bodies; never on 400/401/404/410.

Example:
    >>> policy = RetryPolicy(attempts=3, base=0.01, cap=0.05)
    >>> 0 <= policy.delay(2) <= 0.05
    True
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import random
import threading
import time
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter

from odnb.api import catalogue
from odnb.api.errors import BadResponse, ConnectionFailed, ODError, Timeout, error_from_response
from odnb.paths import practice_dir

log = logging.getLogger("odnb")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 300.0  # never sleep longer than this on one Retry-After


class StaleDataWarning(UserWarning):
    """A cached answer past its freshness was served because the server failed."""


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry. ``delay(n)`` is full jitter: uniform(0, min(cap, base * 2**n))."""

    attempts: int = 5  # total tries per request
    base: float = 1.0
    cap: float = 30.0

    def delay(self, attempt: int) -> float:
        return random.uniform(0, min(self.cap, self.base * 2**attempt))


@dataclass(frozen=True)
class Timeouts:
    """(connect, read) seconds. Remote read must exceed Open Dental's 60 s cut so we see its 504."""

    connect: float = 10.0
    read: float = 120.0

    @classmethod
    def for_mode(cls, mode: str) -> Timeouts:
        return cls(10.0, 75.0) if mode == "remote" else cls(10.0, 120.0)


# --- pacing -------------------------------------------------------------------------------------


class Pacer:
    """Start-to-start spacing of requests per key id, shared by every session in the process."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}

    def wait(self, key_id: str, interval: float) -> float:
        """Sleep until ``interval`` seconds have passed since the last start for ``key_id``; return the
        seconds slept."""
        with self._guard:
            lock = self._locks.setdefault(key_id, threading.Lock())
        with lock:
            now = time.monotonic()
            last = self._last.get(key_id)
            slept = 0.0
            if interval > 0 and last is not None and now - last < interval:
                slept = interval - (now - last)
                time.sleep(slept)
            self._last[key_id] = time.monotonic()
            return slept


PACER = Pacer()


def pacing_margin(interval: float) -> float:
    """Safety added to the tier interval: the server measures arrival, we measure sending, and connection
    set-up makes the two differ by a few milliseconds (5 s -> 5.15 s; 0.2 s -> 0.254 s; 0 stays 0)."""
    return min(0.05, 0.25 * interval) + 0.02 * interval if interval > 0 else 0.0


def key_id(developer_key: str, customer_key: str) -> str:
    """A short one-way id for a key pair (safe to use in file names and dict keys)."""
    return hashlib.sha256(f"{developer_key}/{customer_key}".encode()).hexdigest()[:16]


class PacingAdapter(HTTPAdapter):
    """Transport adapter that paces and counts real network requests (cache hits never reach it)."""

    def __init__(self, key: str, interval: float, on_send: Callable[[], None] | None = None,
                 pacer: Pacer = PACER) -> None:
        super().__init__()
        self.key = key
        self.interval = interval
        self.on_send = on_send
        self.pacer = pacer

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        slept = self.pacer.wait(self.key, self.interval + pacing_margin(self.interval))
        if slept > 0.05:
            log.debug("paced %.2f s before %s", slept, urlsplit(request.url or "").path)
        if self.on_send:
            self.on_send()
        return super().send(request, *args, **kwargs)


# --- cache --------------------------------------------------------------------------------------


def _private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 if missing (SQLite then keeps that mode, journals included)."""
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    os.close(fd)
    os.chmod(path, 0o600)


def expire_rules(base_url: str) -> dict[str, int]:
    """``urls_expire_after`` patterns: one per resource (longest path first), plus ShortQuery."""
    host_path = base_url.split("://", 1)[-1].rstrip("/")
    rules: dict[str, int] = {f"{host_path}/{catalogue.SHORTQUERY_PATH}": catalogue.EXPIRY["query"]}
    for res in sorted(catalogue.RESOURCES.values(), key=lambda r: -len(r.path)):
        rules[f"{host_path}/{res.path}"] = catalogue.EXPIRY[res.expiry]
    return rules


def cached_session(profile: Any, directory: Path | None = None,
                   expire_after: float | None = None) -> requests.Session:
    """A private ``CachedSession`` for ``profile``: SQLite file 0600 in the practice folder (0700).
    ``expire_after`` (seconds) replaces the per-resource freshness for every URL."""
    import requests_cache

    folder = directory or practice_dir(profile)
    db = folder / f"http-{key_id(profile.developer_key, profile.customer_key)}.sqlite"
    _private_file(db)
    session = requests_cache.CachedSession(
        cache_name=str(db),
        backend="sqlite",
        allowable_codes=(200,),
        allowable_methods=("GET", "PUT"),
        ignored_parameters=["Authorization"],
        match_headers=False,
        expire_after=catalogue.EXPIRY["records"] if expire_after is None else expire_after,
        urls_expire_after=expire_rules(profile.base_url) if expire_after is None else {},
        stale_if_error=True,
    )
    for path in folder.glob(db.name + "*"):
        os.chmod(path, 0o600)
    return session


# --- the transport ------------------------------------------------------------------------------


@dataclass
class Answer:
    """A decoded 200: the JSON data and whether it came from the cache."""

    data: Any
    from_cache: bool
    stale: bool = False


def _retry_after(response: requests.Response | None) -> float | None:
    if response is None:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
        except (TypeError, ValueError):
            return None


def unreadable(content: bytes, exc: ValueError) -> tuple[str, bytes | None]:
    """(what is wrong, the body to quote) for a 200 that is not JSON. A broken JSON body is patient data:
    it is described, never quoted; anything else (an HTML page from a proxy) is quoted briefly.

    >>> unreadable(b'[{"PatNum": 1, "LName": "Sm', ValueError("Unterminated string"))
    ('27 bytes of JSON that break off or are malformed (Unterminated string)', None)
    """
    if content.lstrip()[:1] in (b"[", b"{", b'"'):
        return f"{len(content):,} bytes of JSON that break off or are malformed ({exc})", None
    return f"{len(content):,} bytes that are not JSON", content[:500]


def connection_reason(exc: BaseException) -> str:
    """A short reason for a failed connection from the exception chain (refused, DNS, closed...).

    >>> connection_reason(requests.ConnectionError(ConnectionRefusedError(111, "Connection refused")))
    'connection refused'
    """
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo and len(seen) < 20:
        current = todo.pop()
        seen.append(current)
        todo += [a for a in getattr(current, "args", ()) if isinstance(a, BaseException)]
        for linked in (getattr(current, "reason", None), current.__cause__, current.__context__):
            if isinstance(linked, BaseException) and linked not in seen:
                todo.append(linked)
    names = {type(e).__name__ for e in seen}
    text = " ".join(str(e) for e in seen).lower()
    if "ConnectionRefusedError" in names or "refused" in text:
        return "connection refused"
    if "NameResolutionError" in names or "gaierror" in names or "name or service not known" in text:
        return "host name not found"
    if "RemoteDisconnected" in names or "closed connection" in text or "ConnectionResetError" in names:
        return "the server closed the connection without answering"
    if "SSLError" in names or "ssl" in text:
        return "TLS (https) handshake failed"
    return type(exc).__name__


class Transport:
    """Send requests for one profile: headers, cache, pacing, retries, errors, logging.

    ``session``: inject your own ``requests.Session`` (used as is; only the pacing adapter is mounted).
    ``min_interval``: override the tier's pacing (tests use tiny values). ``expire_after``: one cache
    freshness (seconds) for every resource instead of the catalogue's.
    """

    def __init__(
        self,
        profile: Any,
        *,
        cache: bool = True,
        session: requests.Session | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        min_interval: float | None = None,
        expire_after: float | None = None,
    ) -> None:
        self.profile = profile
        self.base_url = profile.base_url.rstrip("/")
        self.mode = profile.mode
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts.for_mode(profile.mode)
        self.min_interval = profile.min_interval if min_interval is None else min_interval
        self.request_count = 0
        self._count_lock = threading.Lock()
        self._secrets = (profile.developer_key, profile.customer_key)
        self._owns_session = session is None
        if session is not None:
            self.session = session
        elif cache:
            self.session = cached_session(profile, expire_after=expire_after)
        else:
            self.session = requests.Session()
        self.adapter = PacingAdapter(key_id(profile.developer_key, profile.customer_key), self.min_interval,
                                     self._count)
        try:
            prefix = f"{urlsplit(self.base_url).scheme}://{urlsplit(self.base_url).netloc}"
            self.session.mount(prefix, self.adapter)
        except AttributeError:  # a session-like object without mount(): used as is, unpaced
            log.debug("injected session has no mount(); requests are not paced")

    def _count(self) -> None:
        with self._count_lock:
            self.request_count += 1

    @property
    def headers(self) -> dict[str, str]:
        return {
            "Authorization": f"ODFHIR {self.profile.developer_key}/{self.profile.customer_key}",
            "Content-Type": "application/json",
        }

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def is_cached(self, method: str, path: str, params: Mapping[str, str] | None = None,
                  body: Mapping[str, Any] | None = None) -> bool:
        """True when a fresh cached answer exists for this request (so sending it costs no request)."""
        cache = getattr(self.session, "cache", None)
        if cache is None:
            return False
        try:
            prepared = requests.Request(method, self.url(path), params=params, json=body).prepare()
            cached = cache.get_response(cache.create_key(prepared))
        except Exception:  # any backend trouble: assume it is not cached
            return False
        return cached is not None and not getattr(cached, "is_expired", True)

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        *,
        hint: str = "",
    ) -> Answer:
        """Send with retries; return the decoded JSON of a 200, or raise the explaining :class:`ODError`."""
        url = self.url(path)
        shown = url + ("?" + urlencode(params, safe=" :,") if params else "")
        last: ODError | None = None
        for attempt in range(self.retry.attempts):
            started = time.monotonic()
            response: requests.Response | None = None
            failure: ODError | None = None
            try:
                response = self.session.request(
                    method, url, params=params, json=body, headers=self.headers,
                    timeout=(self.timeouts.connect, self.timeouts.read),
                )
            except requests.HTTPError as exc:  # stale_if_error without a usable stale copy re-raises
                response = exc.response
            except requests.Timeout as exc:
                failure = error_from_response(
                    method, shown, None, None, self.mode, cls=Timeout, secrets=self._secrets,
                    base=self.base_url,
                    detail=f"no answer within {self.timeouts.read:g} s ({type(exc).__name__})")
            except requests.ConnectionError as exc:
                failure = error_from_response(method, shown, None, None, self.mode, cls=ConnectionFailed,
                                              secrets=self._secrets, base=self.base_url,
                                              detail=connection_reason(exc))
            except requests.RequestException as exc:  # body cut off mid-stream, bad encoding...
                failure = error_from_response(
                    method, shown, None, None, self.mode, cls=BadResponse, secrets=self._secrets,
                    base=self.base_url, detail=f"{type(exc).__name__} while reading")
            elapsed = time.monotonic() - started
            retry_after = None
            if response is not None:
                from_cache = bool(getattr(response, "from_cache", False))
                stale = from_cache and bool(getattr(response, "is_expired", False))
                log.info("%s %s -> %s in %.3f s (%s)", method, self._log_path(shown), response.status_code,
                         elapsed, "stale cache" if stale else "cache" if from_cache else "network")
                if response.status_code == 200:
                    try:
                        data = json.loads(response.content) if response.content.strip() else []
                    except ValueError as exc:
                        self._forget(response)
                        detail, snippet = unreadable(response.content, exc)
                        failure = error_from_response(
                            method, shown, None, snippet, self.mode, cls=BadResponse,
                            secrets=self._secrets, base=self.base_url, detail=detail)
                    else:
                        if stale:
                            self._warn_stale(shown)
                        return Answer(data, from_cache, stale)
                else:
                    retry_after = _retry_after(response)
                    failure = error_from_response(
                        method, shown, response.status_code, response.text, self.mode,
                        retry_after=retry_after, secrets=self._secrets, hint=hint, base=self.base_url)
                    if response.status_code not in RETRY_STATUSES:
                        raise failure
            else:
                log.info("%s %s -> %s after %.3f s", method, self._log_path(shown), type(failure).__name__,
                         elapsed)
            last = failure
            if attempt + 1 < self.retry.attempts:
                pause = self.retry.delay(attempt)
                if retry_after is not None:
                    pause = max(pause, min(retry_after, MAX_RETRY_AFTER))
                log.info("retrying %s %s in %.2f s (%s, attempt %d of %d)", method, self._log_path(shown),
                         pause, type(failure).__name__, attempt + 2, self.retry.attempts)
                time.sleep(pause)
        assert last is not None
        raise last

    def _log_path(self, shown: str) -> str:
        return shown[len(self.base_url):] if shown.startswith(self.base_url) else urlsplit(shown).path

    def _forget(self, response: requests.Response) -> None:
        """Drop a cached copy of an unreadable answer so the retry goes to the network."""
        cache = getattr(self.session, "cache", None)
        key = getattr(response, "cache_key", None)
        if cache is not None and key:
            try:
                cache.delete(key)
            except Exception:  # pragma: no cover - best effort
                log.debug("could not drop cache entry")

    def _warn_stale(self, shown: str) -> None:
        text = (f"odnb: the server failed, so a cached answer past its freshness was used for "
                f"{self._log_path(shown)}; figures may be out of date. Rerun later for fresh data.")
        log.warning(text)
        warnings.warn(text, StaleDataWarning, stacklevel=4)
