"""HTTP for one practice: a private on-disk cache, pacing per customer key, retries, timeouts, logging.

* Cache: a ``requests_cache.CachedSession`` whose SQLite file lives in the practice folder (dir 0700, file
  0600). Only 200s are stored; the Authorization header is neither stored nor part of the cache key; each
  resource has its own freshness (:data:`odnb.api.catalogue.EXPIRY`). ShortQuery PUTs are cached too (the SQL
  body is part of the key). When a refresh fails and an expired copy exists, the stale copy is served
  with a visible warning.
  A stale copy is served only up to ``max_stale`` seconds past its freshness (24 h by default,
  ``$ODNB_MAX_STALE_HOURS``); every stale answer is recorded (:attr:`Transport.stale`) so reports can say
  so. A corrupt cache file is moved aside (kept 0600) and rebuilt; a read-only one is bypassed; both warn.
* Pacing: :class:`PacingAdapter` sits *under* the cache, so only real network requests wait and count;
  two requests with the same customer key start at least ``min_interval`` apart and never overlap,
  across processes too (a lock file per key under the cache root, ``<cache root>/pacing/<key id>.lock``,
  shared by every profile and process that uses the key).
* Bounded waits: a total deadline per request (headers *and* body, so a trickling body fails), one quick
  retry on connection refused / DNS and then :class:`ConnectionFailed` for the rest of the run (per
  host), ``Retry-After`` above ``max_retry_after`` is an error naming the wait, and every wait of
  :data:`ANNOUNCE_WAIT` seconds or more is announced (log warning and stderr).
* Retries: exponential backoff with full jitter on 429 (honouring Retry-After), 5xx, connection errors,
  timeouts and unreadable 200 bodies (empty, not JSON, or not the list of records a list GET owes);
  never on 400/401/404/410.

Example:
    >>> policy = RetryPolicy(attempts=3, base=0.01, cap=0.05)
    >>> 0 <= policy.delay(2) <= 0.05
    True
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import random
import sqlite3
import sys
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from requests.adapters import HTTPAdapter

from odnb.api import catalogue
from odnb.api.errors import (
    BadResponse,
    ConnectionFailed,
    ODError,
    StaleTooOld,
    Timeout,
    WaitTooLong,
    error_from_response,
    message_of,
)
from odnb.paths import cache_root, practice_dir, private_dir

log = logging.getLogger("odnb")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_RETRY_AFTER = 60.0  # a longer Retry-After is an error naming the wait (override: max_retry_after=)
MAX_STALE = 24 * 3600.0  # serve a cached copy at most this long past its freshness when the server fails
ANNOUNCE_WAIT = 3.0  # waits this long or longer are announced
DOWN_FOR = 300.0  # after refused/DNS, fail fast for this long (the rest of a run) without trying again
QUICK_RETRY = 0.5  # the one quick retry after a refused connection or an unknown host


def max_stale_default() -> float:
    """``$ODNB_MAX_STALE_HOURS`` in seconds, else :data:`MAX_STALE` (for scheduled reports)."""
    text = os.environ.get("ODNB_MAX_STALE_HOURS", "").strip()
    try:
        return float(text) * 3600 if text else MAX_STALE
    except ValueError:
        log.warning("ODNB_MAX_STALE_HOURS=%r is not a number; using %g h", text, MAX_STALE / 3600)
        return MAX_STALE


def announce(text: str) -> None:
    """Say a long wait out loud: a log warning and a line on stderr."""
    log.warning(text)
    print(f"odnb: {text}", file=sys.stderr)


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
    """(connect, read) seconds per socket operation, and ``total``: the most one request may take from
    sending to the last byte of its body. Remote read must exceed Open Dental's 60 s cut so we see its 504.

    >>> Timeouts.for_mode("remote").total
    90.0
    """

    connect: float = 10.0
    read: float = 120.0
    total: float = 150.0

    @classmethod
    def for_mode(cls, mode: str) -> Timeouts:
        return cls(10.0, 75.0, 90.0) if mode == "remote" else cls(10.0, 120.0, 150.0)


# --- pacing -------------------------------------------------------------------------------------


class Pacer:
    """Start-to-start spacing of requests per key id, shared by every session in the process and, with a
    ``lock_file``, by every process: the lock is held from the wait until the answer is in, so requests
    of one key never overlap (Open Dental counts a request's execution in its throttle window)."""

    def __init__(self) -> None:
        self._guard = threading.Lock()
        self._locks: dict[str, threading.Lock] = {}
        self._last: dict[str, float] = {}

    def wait(self, key_id: str, interval: float) -> float:
        """Sleep until ``interval`` seconds have passed since the last start for ``key_id``; return the
        seconds slept."""
        with self.slot(key_id, interval) as slept:
            return slept

    @contextlib.contextmanager
    def slot(self, key_id: str, interval: float, lock_file: Path | None = None) -> Iterator[float]:
        """Wait for this key's turn, then hold it while the body of the ``with`` runs (yields the seconds
        waited, lock included)."""
        with self._guard:
            lock = self._locks.setdefault(key_id, threading.Lock())
        began = time.monotonic()
        with lock:
            fd = _lock(lock_file) if lock_file is not None and interval > 0 else None
            try:
                now = time.monotonic()
                pause = 0.0
                last = self._last.get(key_id)
                if interval > 0 and last is not None:
                    pause = max(pause, interval - (now - last))
                if fd is not None:
                    shared = _read_stamp(fd)
                    if shared is not None:
                        pause = max(pause, interval - (time.time() - shared))
                if pause > 0:
                    time.sleep(min(pause, interval))
                self._last[key_id] = time.monotonic()
                if fd is not None:
                    _write_stamp(fd, time.time())
                yield time.monotonic() - began
            finally:
                if fd is not None:
                    _unlock(fd)


def _lock(path: Path) -> int | None:
    """Open ``path`` (0600) and take an exclusive lock on it; None when locking is not possible."""
    try:
        import fcntl

        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except (ImportError, OSError) as exc:
        log.debug("no cross-process pacing lock (%s)", type(exc).__name__)
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
    except OSError:
        os.close(fd)
        return None
    return fd


def _unlock(fd: int) -> None:
    import fcntl

    with contextlib.suppress(OSError):
        fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)


def _read_stamp(fd: int) -> float | None:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 64).decode().strip()
        return float(text) if text else None
    except (OSError, ValueError):
        return None


def _write_stamp(fd: int, when: float) -> None:
    with contextlib.suppress(OSError):
        os.lseek(fd, 0, os.SEEK_SET)
        os.ftruncate(fd, 0)
        os.write(fd, f"{when:.6f}".encode())


PACER = Pacer()


def pacing_margin(interval: float) -> float:
    """Safety added to the tier interval: the server measures arrival, we measure sending, and connection
    set-up makes the two differ by a few milliseconds (5 s -> 5.15 s; 0.2 s -> 0.254 s; 0 stays 0)."""
    return min(0.05, 0.25 * interval) + 0.02 * interval if interval > 0 else 0.0


def pacing_lock_file(ident: str) -> Path | None:
    """The lock + timestamp file every process pacing key ``ident`` shares (0600, in a 0700 folder under
    the cache root): two profiles or two ``odnb sync`` processes on one customer key share one throttle.
    None when the folder cannot be made (pacing is then per process)."""
    try:
        return private_dir(cache_root() / "pacing") / f"{ident}.lock"
    except OSError as exc:
        log.debug("no shared pacing folder (%s)", type(exc).__name__)
        return None


def key_id(developer_key: str, customer_key: str) -> str:
    """A short one-way id for a key pair (safe to use in file names and dict keys)."""
    return hashlib.sha256(f"{developer_key}/{customer_key}".encode()).hexdigest()[:16]


class PacingAdapter(HTTPAdapter):
    """Transport adapter that paces and counts real network requests (cache hits never reach it), and
    reads every body against a total deadline (``total`` seconds from sending), so a server that trickles
    its answer cannot hold a request open for ever."""

    def __init__(self, key: str, interval: float, on_send: Callable[[], None] | None = None,
                 pacer: Pacer = PACER, total: float | None = None, lock_file: Path | None = None) -> None:
        super().__init__()
        self.key = key
        self.interval = interval
        self.on_send = on_send
        self.pacer = pacer
        self.total = total
        self.lock_file = lock_file

    def send(self, request: requests.PreparedRequest, stream: bool = False, timeout: Any = None,
             verify: Any = True, cert: Any = None, proxies: Any = None) -> requests.Response:
        interval = self.interval + pacing_margin(self.interval)
        with self.pacer.slot(self.key, interval, self.lock_file) as slept:
            path = urlsplit(request.url or "").path
            if slept >= max(ANNOUNCE_WAIT, interval + 1.0):
                announce(f"waited {slept:.0f} s for this key's turn (another notebook or process uses the "
                         f"same customer key) before {path}")
            elif slept > 0.05:
                log.debug("paced %.2f s before %s", slept, path)
            if self.on_send:
                self.on_send()
            started = time.monotonic()
            response = super().send(request, stream=True, timeout=timeout, verify=verify, cert=cert,
                                    proxies=proxies)
            if not stream:
                _read_body(response, started + self.total if self.total else None, self.total)
        return response


def _read_body(response: requests.Response, deadline: float | None, total: float | None) -> None:
    """Read the whole body now, failing with ``ReadTimeout`` once ``deadline`` (monotonic) has passed."""
    from urllib3.exceptions import DecodeError, ProtocolError, ReadTimeoutError

    chunks: list[bytes] = []
    try:
        while True:
            if deadline is not None and time.monotonic() > deadline:
                response.close()
                raise requests.exceptions.ReadTimeout(
                    f"the answer was still arriving after {total:g} s in all (a total deadline per request)")
            chunk = response.raw.read1(1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    except ReadTimeoutError as exc:
        response.close()
        raise requests.exceptions.ReadTimeout(exc) from exc
    except ProtocolError as exc:
        response.close()
        raise requests.exceptions.ChunkedEncodingError(exc) from exc
    except DecodeError as exc:
        response.close()
        raise requests.exceptions.ContentDecodingError(exc) from exc
    response._content = b"".join(chunks)
    response._content_consumed = True
    with contextlib.suppress(Exception):
        response.raw.release_conn()


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


def cache_file(profile: Any, directory: Path | None = None) -> Path:
    """The SQLite cache file of ``profile`` (named by a one-way id of its keys)."""
    folder = directory or practice_dir(profile)
    return folder / f"http-{key_id(profile.developer_key, profile.customer_key)}.sqlite"


def move_aside(db: Path, reason: str) -> Path | None:
    """Move a broken cache file (and its journals) aside, kept 0600 for inspection; warn once. Returns
    the new name of the main file (None if it could not be moved)."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = db.with_name(f"{db.name}.broken-{stamp}")
    moved = None
    for path in sorted(db.parent.glob(db.name + "*")):
        if ".broken-" in path.name:
            continue
        dest = target.with_name(target.name + path.name[len(db.name):])
        try:
            os.replace(path, dest)
            os.chmod(dest, 0o600)
        except OSError:
            continue
        moved = dest if path == db else moved
    text = (f"odnb: the HTTP cache {db.name} could not be read ({reason}); it was moved aside to "
            f"{target.name} (kept 0600 for inspection) and a new cache was started.")
    log.warning(text)
    warnings.warn(text, CacheWarning, stacklevel=3)
    return moved


class CacheWarning(UserWarning):
    """The HTTP cache was unreadable (moved aside and rebuilt) or read-only (bypassed)."""


def _open_cache(db: Path, profile: Any, expire_after: float | None, max_stale: float) -> Any:
    import requests_cache

    session = requests_cache.CachedSession(
        cache_name=str(db),
        backend="sqlite",
        allowable_codes=(200,),
        allowable_methods=("GET", "PUT"),
        ignored_parameters=["Authorization"],
        match_headers=False,
        expire_after=catalogue.EXPIRY["records"] if expire_after is None else expire_after,
        urls_expire_after=expire_rules(profile.base_url) if expire_after is None else {},
        stale_if_error=max(1, int(max_stale)) if max_stale > 0 else False,
    )
    with contextlib.closing(sqlite3.connect(f"file:{db}?mode=ro", uri=True)) as probe:
        probe.execute("SELECT count(*) FROM sqlite_master").fetchone()
    return session


def cached_session(profile: Any, directory: Path | None = None,
                   expire_after: float | None = None, max_stale: float = MAX_STALE) -> requests.Session:
    """A private ``CachedSession`` for ``profile``: SQLite file 0600 in the practice folder (0700).
    ``expire_after`` (seconds) replaces the per-resource freshness for every URL; ``max_stale`` bounds how
    long past its freshness a copy may be served when the server fails. A corrupt file is moved aside and
    rebuilt; a cache that cannot be written is bypassed (a plain session), both with a warning."""
    db = cache_file(profile, directory)
    try:
        _private_file(db)
    except OSError as exc:
        return _bypass(db, f"{type(exc).__name__}: {exc.strerror or exc}")
    if not os.access(db, os.W_OK) or not os.access(db.parent, os.W_OK):
        return _bypass(db, "the file or its folder is read-only")
    try:
        session = _open_cache(db, profile, expire_after, max_stale)
    except sqlite3.DatabaseError as exc:
        if _read_only_error(exc):
            return _bypass(db, str(exc))
        move_aside(db, str(exc))
        _private_file(db)
        session = _open_cache(db, profile, expire_after, max_stale)
    for path in db.parent.glob(db.name + "*"):
        if ".broken-" not in path.name:
            with contextlib.suppress(OSError):
                os.chmod(path, 0o600)
    return session


def _read_only_error(exc: BaseException) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


def _bypass(db: Path, reason: str) -> requests.Session:
    text = (f"odnb: the HTTP cache {db.name} cannot be written ({reason}); this session runs without a "
            "cache (every call goes to the server). Fix the folder's permissions to cache again.")
    log.warning(text)
    warnings.warn(text, CacheWarning, stacklevel=3)
    return requests.Session()


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


# Hosts that refused connections or do not resolve, per process: {netloc: (when, error)}.
_DOWN: dict[str, tuple[float, ODError]] = {}
_DOWN_LOCK = threading.Lock()


def reset_failures() -> None:
    """Forget hosts marked unreachable, so the next request tries them again (e.g. after a fix)."""
    with _DOWN_LOCK:
        _DOWN.clear()


@dataclass
class StaleAnswer:
    """A cached answer past its freshness, served because the server failed."""

    path: str
    age: float  # seconds since the copy was fetched
    fetched: datetime | None = None


@dataclass
class _Cached:
    data: Any
    age: float
    expired_for: float
    fetched: datetime | None = field(default=None)


def _list_problem(data: Any) -> str | None:
    """Why ``data`` is not the list of records a list GET owes, or None when it is."""
    if isinstance(data, list):
        bad = next((type(r).__name__ for r in data if not isinstance(r, dict)), None)
        return None if bad is None else f"a JSON array holding a {bad}, not only records"
    if data is None:
        return "JSON null where a list of records belongs"
    if isinstance(data, dict):
        said = message_of(json.dumps(data)) if any(k in data for k in ("message", "Message", "error")) else ""
        return ("a JSON object where a list of records belongs"
                + (f" (it says: {said[:200]})" if said else f" ({len(data)} field(s))"))
    return f"a JSON {type(data).__name__} where a list of records belongs"


class Transport:
    """Send requests for one profile: headers, cache, pacing, retries, errors, logging.

    ``session``: inject your own ``requests.Session`` (used as is; only the pacing adapter is mounted).
    ``min_interval``: override the tier's pacing (tests use tiny values). ``expire_after``: one cache
    freshness (seconds) for every resource instead of the catalogue's. ``max_stale``: how long past its
    freshness a cached copy may stand in when the server fails (default 24 h, ``$ODNB_MAX_STALE_HOURS``).
    ``max_retry_after``: the longest Retry-After odnb waits (default 60 s); a longer one is an error.
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
        max_stale: float | None = None,
        max_retry_after: float = MAX_RETRY_AFTER,
    ) -> None:
        from odnb.api.profiles import refuse_secret_url

        refuse_secret_url(profile.base_url, "base URL")
        self.profile = profile
        self.base_url = profile.base_url.rstrip("/")
        self.mode = profile.mode
        self.retry = retry or RetryPolicy()
        self.timeouts = timeouts or Timeouts.for_mode(profile.mode)
        self.min_interval = profile.min_interval if min_interval is None else min_interval
        self.max_stale = max_stale_default() if max_stale is None else max_stale
        self.max_retry_after = max_retry_after
        self.expire_after = expire_after
        self.request_count = 0
        self.stale: list[StaleAnswer] = []
        self._count_lock = threading.Lock()
        self._secrets = (profile.developer_key, profile.customer_key)
        self._owns_session = session is None
        self._folder: Path | None = None
        folder_problem = ""
        try:
            self._folder = practice_dir(profile)
        except OSError as exc:
            folder_problem = f"its folder cannot be used: {exc.strerror or type(exc).__name__}"
        if session is not None:
            self.session = session
        elif cache and self._folder is not None:
            self.session = cached_session(profile, self._folder, expire_after=expire_after,
                                          max_stale=self.max_stale)
        elif cache:
            self.session = _bypass(Path("http-cache.sqlite"), folder_problem)
        else:
            self.session = requests.Session()
        ident = key_id(profile.developer_key, profile.customer_key)
        lock_file = pacing_lock_file(ident) if self._folder is not None else None
        self.adapter = PacingAdapter(ident, self.min_interval, self._count, total=self.timeouts.total,
                                     lock_file=lock_file)
        self._mount()

    def _mount(self) -> None:
        try:
            parts = urlsplit(self.base_url)
            self.session.mount(f"{parts.scheme}://{parts.netloc}", self.adapter)
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

    @property
    def stale_age(self) -> float | None:
        """Seconds since the oldest stale answer served by this transport was fetched (None: none)."""
        return max((s.age for s in self.stale), default=None)

    def close(self) -> None:
        if self._owns_session:
            self.session.close()

    def url(self, path: str) -> str:
        return f"{self.base_url}/{path.lstrip('/')}"

    def _cached(self, method: str, path: str, params: Mapping[str, str] | None,
                body: Mapping[str, Any] | None) -> _Cached | None:
        """The cached copy of this request, fresh or not (None when there is none or it is unreadable)."""
        cache = getattr(self.session, "cache", None)
        if cache is None:
            return None
        try:
            prepared = requests.Request(method, self.url(path), params=params, json=body).prepare()
            cached = cache.get_response(cache.create_key(prepared))
            if cached is None:
                return None
            data = json.loads(cached.content)
        except Exception:  # any backend trouble or a bad body: as if not cached
            return None
        now = datetime.now(UTC)

        def utc(value: Any) -> datetime | None:
            if not isinstance(value, datetime):
                return None
            return value if value.tzinfo else value.replace(tzinfo=UTC)

        fetched, expires = utc(getattr(cached, "created_at", None)), utc(getattr(cached, "expires", None))
        age = (now - fetched).total_seconds() if fetched else 0.0
        expired_for = (now - expires).total_seconds() if expires else -1.0
        return _Cached(data, age, expired_for, fetched)

    def is_cached(self, method: str, path: str, params: Mapping[str, str] | None = None,
                  body: Mapping[str, Any] | None = None) -> bool:
        """True when a fresh cached answer exists for this request (so sending it costs no request)."""
        copy = self._cached(method, path, params, body)
        return copy is not None and copy.expired_for < 0

    def request(
        self,
        method: str,
        path: str,
        params: Mapping[str, str] | None = None,
        body: Mapping[str, Any] | None = None,
        *,
        hint: str = "",
        expect_list: bool = False,
    ) -> Answer:
        """Send with retries; return the decoded JSON of a 200, or raise the explaining :class:`ODError`.
        ``expect_list``: the answer must be a JSON array of objects (anything else is retried, never
        taken as an empty or one-row page)."""
        url = self.url(path)
        shown = url + ("?" + urlencode(params, safe=" :,") if params else "")
        host = urlsplit(self.base_url).netloc
        down = self._down(host, method, path, params, body, shown)
        if down is not None:
            return down
        last: ODError | None = None
        quick_retry_used = False
        attempt = 0
        healed = False
        while attempt < self.retry.attempts:
            started = time.monotonic()
            response: requests.Response | None = None
            failure: ODError | None = None
            refused = False
            try:
                response = self.session.request(
                    method, url, params=params, json=body, headers=self.headers,
                    timeout=(self.timeouts.connect, min(self.timeouts.read, self.timeouts.total)),
                )
            except requests.HTTPError as exc:  # stale_if_error without a usable stale copy re-raises
                response = exc.response
            except requests.ConnectTimeout as exc:
                refused = True
                failure = self._error(
                    method, shown, ConnectionFailed,
                    f"no connection within {self.timeouts.connect:g} s ({type(exc).__name__})")
            except requests.Timeout as exc:
                failure = self._error(method, shown, Timeout,
                                      f"no complete answer within the time allowed ({exc})"
                                      if "total deadline" in str(exc) else
                                      f"no answer within {self.timeouts.read:g} s ({type(exc).__name__})")
            except requests.ConnectionError as exc:
                reason = connection_reason(exc)
                refused = reason in ("connection refused", "host name not found")
                failure = self._error(method, shown, ConnectionFailed, reason)
            except requests.RequestException as exc:  # body cut off mid-stream, bad encoding...
                failure = self._error(method, shown, BadResponse, f"{type(exc).__name__} while reading")
            except sqlite3.Error as exc:  # the cache file broke or turned read-only under us
                if healed:
                    raise
                healed = True
                self._heal(exc)
                continue
            elapsed = time.monotonic() - started
            retry_after = None
            if response is not None:
                from_cache = bool(getattr(response, "from_cache", False))
                stale = from_cache and bool(getattr(response, "is_expired", False))
                log.info("%s %s -> %s in %.3f s (%s)", method, self._log_path(shown), response.status_code,
                         elapsed, "stale cache" if stale else "cache" if from_cache else "network")
                if response.status_code == 200:
                    failure = self._decode(response, method, shown, expect_list)
                    if not isinstance(failure, ODError):
                        if stale:
                            self._note_stale(method, path, params, body, shown)
                        return Answer(failure, from_cache, stale)
                else:
                    retry_after = _retry_after(response)
                    failure = error_from_response(
                        method, shown, response.status_code, response.text, self.mode,
                        retry_after=retry_after, secrets=self._secrets, hint=hint, base=self.base_url)
                    if response.status_code not in RETRY_STATUSES:
                        raise failure
                    if retry_after is not None and retry_after > self.max_retry_after:
                        raise WaitTooLong(
                            f"{failure.title}: the server asked to wait {_human(retry_after)} "
                            f"(Retry-After: {retry_after:g} s) before {method} {self._log_path(shown)}.",
                            cause=f"that is longer than odnb's cap of {_human(self.max_retry_after)} per "
                            "wait, so odnb did not wait (a scheduled report would hang)",
                            fix=f"Rerun after {_human(retry_after)}; do not run several notebooks on the "
                            "same key at once; or pass max_retry_after= (seconds) to odnb.connect to wait "
                            "longer.",
                            status=response.status_code, method=method, url=shown, mode=self.mode,
                            retry_after=retry_after, secrets=self._secrets)
            else:
                log.info("%s %s -> %s after %.3f s", method, self._log_path(shown), type(failure).__name__,
                         elapsed)
            assert failure is not None
            last = failure
            if refused:
                if quick_retry_used:
                    break
                quick_retry_used = True
                log.info("retrying %s %s once in %.1f s (%s)", method, self._log_path(shown), QUICK_RETRY,
                         failure.cause or type(failure).__name__)
                time.sleep(QUICK_RETRY)
                continue
            attempt += 1
            if attempt < self.retry.attempts:
                pause = self.retry.delay(attempt - 1)
                if retry_after is not None:
                    pause = max(pause, retry_after)
                text = (f"retrying {method} {self._log_path(shown)} in {pause:.1f} s "
                        f"({type(failure).__name__}{', the server asked for it' if retry_after else ''}, "
                        f"attempt {attempt + 1} of {self.retry.attempts})")
                if pause >= ANNOUNCE_WAIT:
                    announce(text)
                else:
                    log.info(text)
                time.sleep(pause)
        assert last is not None
        if isinstance(last, ConnectionFailed) and quick_retry_used:
            with _DOWN_LOCK:
                _DOWN[host] = (time.monotonic(), last)
        raise self._too_old(last, method, path, params, body)

    def _error(self, method: str, shown: str, cls: type[ODError], detail: str) -> ODError:
        return error_from_response(method, shown, None, None, self.mode, cls=cls, secrets=self._secrets,
                                   base=self.base_url, detail=detail)

    def _decode(self, response: requests.Response, method: str, shown: str, expect_list: bool) -> Any:
        """The JSON of a 200, or the :class:`BadResponse` to retry (the cached copy is dropped)."""
        content = response.content
        problem: str | None = None
        snippet: bytes | None = None
        if not content.strip():
            problem = "an empty body (0 bytes) where JSON belongs"
        else:
            try:
                data = json.loads(content)
            except ValueError as exc:
                problem, snippet = unreadable(content, exc)
            else:
                problem = _list_problem(data) if expect_list else None
                if problem is None:
                    return data
        self._forget(response)
        return error_from_response(method, shown, None, snippet, self.mode, cls=BadResponse,
                                   secrets=self._secrets, base=self.base_url, detail=problem)

    def _down(self, host: str, method: str, path: str, params: Mapping[str, str] | None,
              body: Mapping[str, Any] | None, shown: str) -> Answer | None:
        """Fail fast (or serve a bounded stale copy) when ``host`` was found unreachable this run."""
        with _DOWN_LOCK:
            entry = _DOWN.get(host)
            if entry is not None and time.monotonic() - entry[0] > DOWN_FOR:
                del _DOWN[host]
                entry = None
        if entry is None:
            return None
        copy = self._cached(method, path, params, body)
        if copy is not None and copy.expired_for < 0:
            return None  # a fresh cache hit needs no network
        if copy is not None and copy.expired_for <= self.max_stale:
            self._record_stale(path, copy, shown)
            return Answer(copy.data, True, True)
        first = entry[1]
        raise ConnectionFailed(
            f"{first.what} (found unreachable {time.monotonic() - entry[0]:.0f} s ago in this run; "
            "not tried again)",
            cause=first.cause, fix=first.fix + " Then rerun, or call odnb.api.transport.reset_failures() "
            "in this kernel.", method=method, url=shown, mode=self.mode, secrets=self._secrets)

    def _too_old(self, error: ODError, method: str, path: str, params: Mapping[str, str] | None,
                 body: Mapping[str, Any] | None) -> ODError:
        """Name a cached copy that exists but is past ``max_stale`` (so the user knows why it was unused)."""
        copy = self._cached(method, path, params, body)
        if copy is None or copy.expired_for <= self.max_stale:
            return error
        return StaleTooOld(
            f"{error.what}; a cached copy exists but it was fetched {_human(copy.age)} ago",
            cause=f"odnb serves a cached answer at most {_human(self.max_stale)} past its freshness when the "
            "server fails, so figures cannot silently be days old",
            fix=f"{error.fix} Or allow older data: max_stale= (seconds) in odnb.connect, or "
            "ODNB_MAX_STALE_HOURS for reports.".strip(),
            method=error.method, url=error.url, mode=self.mode, secrets=self._secrets)

    def _note_stale(self, method: str, path: str, params: Mapping[str, str] | None,
                    body: Mapping[str, Any] | None, shown: str) -> None:
        copy = self._cached(method, path, params, body)
        self._record_stale(path, copy or _Cached(None, 0.0, 0.0), shown)

    def _record_stale(self, path: str, copy: _Cached, shown: str) -> None:
        self.stale.append(StaleAnswer(path, copy.age, copy.fetched))
        text = (f"odnb: the server failed, so a cached answer fetched {_human(copy.age)} ago (past its "
                f"freshness) was used for {self._log_path(shown)}; figures may be out of date. Rerun later "
                "for fresh data.")
        log.warning(text)
        warnings.warn(text, StaleDataWarning, stacklevel=4)

    def _heal(self, exc: sqlite3.Error) -> None:
        """The cache broke mid-run: move a corrupt file aside and rebuild, or bypass a read-only one."""
        db = cache_file(self.profile, self._folder)
        if self._folder is not None and not _read_only_error(exc) and self._owns_session:
            with contextlib.suppress(Exception):
                self.session.close()
            move_aside(db, str(exc))
            self.session = cached_session(self.profile, self._folder, expire_after=self.expire_after,
                                          max_stale=self.max_stale)
        else:
            self.session = _bypass(db, str(exc))
        self._mount()

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


def _human(seconds: float) -> str:
    """``90`` -> ``'90 s'``, ``3600`` -> ``'60 minutes'``, ``2 days`` -> ``'48.0 hours'``."""
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 2 * 3600:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"
