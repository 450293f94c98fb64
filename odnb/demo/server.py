"""An HTTP simulator of Open Dental's REST API over the demo practice's SQLite file.

It answers ``/api/v1/...`` like the real service does: ``ODFHIR dev/cust`` keys with permission groups,
Offset/Limit paging capped per mode, bare JSON arrays, the wire quirks (``"true"``/``"false"``,
``"0001-01-01"``, some money and ids as strings), DateTStamp / SecDateTEdit change filters, version checks,
``PUT /queries/ShortQuery``, Remote-mode throttling, and injectable faults. Everything is read-only.

Example:
    >>> from odnb.demo.server import SimulatorConfig, Faults
    >>> SimulatorConfig(mode="remote", faults=Faults(script=[503])).mode
    'remote'

    with DemoServer("practice.sqlite").start() as server:
        requests.get(server.base_url + "/procedurelogs", headers={"Authorization": "ODFHIR d/c"})
"""

from __future__ import annotations

import contextlib
import hashlib
import ipaddress
import json
import math
import random
import re
import socket
import sqlite3
import threading
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from odnb.demo import (
    DEMO_CUSTOMER_KEY,
    DEMO_DEVELOPER_KEY,
    DEMO_READONLY_CUSTOMER_KEY,
    OFFICE_VERSION,
    aging,
    shortquery,
)
from odnb.demo.routes import (
    DEPRECATED,
    JOINS,
    PERMISSION_GROUPS,
    ROUTES_CI,
    SHORT_QUERY,
    SHORT_QUERY_PAGE,
    SHORT_QUERY_SINCE,
    WRITE_PERMISSIONS,
    Field,
    Filter,
    Route,
    page_limit,
    version_tuple,
)

Mode = Literal["service", "remote", "local"]
Tier = Literal["read_all", "paid", "enterprise"]
API_PREFIX = "/api/v1/"
NO_DATE = "0001-01-01"
NO_DATETIME = "0001-01-01 00:00:00"

# Texts of the errors the simulator sends. Open Dental documents the status codes and a few messages
# ("PatNum is required", "DateTStamp format must be yyyy-MM-dd HH:mm:ss", "Patient not found.", "Query is
# not read-only"); the rest are worded in the same plain style.
MESSAGES = {
    "no_auth": "Authorization header is missing. Use: Authorization: ODFHIR {DeveloperKey}/{CustomerKey}",
    "bad_scheme": "Invalid Authorization header. The format is: ODFHIR {DeveloperKey}/{CustomerKey}",
    "bad_key": "Invalid credentials. The developer key or customer key is invalid, unassigned or disabled.",
    "permission": "The API key does not have the {group} permission needed for this method.",
    "econnector": "The office's eConnector is not running or could not be reached. "
    "Start the eConnector at the dental office and try again.",
    "version": "The office is running Open Dental version {office}. {what} requires version {need} or later.",
    "unknown": "The requested API resource does not exist: {method} {path}",
    "content_type": "Content-Type must be application/json.",
    "throttle": "Too many requests. This customer key may make one request every {interval:g} seconds.",
    "timeout": "The request did not complete within the {limit:g} second time limit.",
    "read_only": "The demo simulator is read-only: {method} /api/v1/{path} is not supported.",
    "not_read_only": "Query is not read-only.",
    500: "An unexpected error occurred on the server.",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
    429: "Too many requests.",
}


@dataclass(frozen=True)
class ApiKey:
    """A developer/customer key pair the simulator accepts, its permission groups and throttle tier.
    The keys never appear in repr(); ``label`` names the customer in the request log."""

    developer: str = field(repr=False)
    customer: str = field(repr=False)
    permissions: frozenset[str] = frozenset({"ReadAll"})
    tier: Tier = "read_all"
    label: str = ""

    @property
    def name(self) -> str:
        """The log label: ``label`` or a short hash of the customer key (never the key)."""
        return self.label or "key-" + hashlib.sha256(self.customer.encode()).hexdigest()[:8]


def default_keys(tier: Tier = "paid") -> list[ApiKey]:
    """The demo keys: every permission group (tier ``tier``), and Read All only (tier read_all)."""
    return [
        ApiKey(DEMO_DEVELOPER_KEY, DEMO_CUSTOMER_KEY, PERMISSION_GROUPS, tier, "demo"),
        ApiKey(DEMO_DEVELOPER_KEY, DEMO_READONLY_CUSTOMER_KEY, frozenset({"ReadAll"}), "read_all", "demo-ro"),
    ]


@dataclass
class Faults:
    """Faults to inject; mutable while the server runs. ``script`` is a queue: each entry applies to the
    next request that passes authentication and is then consumed: an int status (500, 503, 429, ...),
    ``"drop"`` (close the socket, no response), ``"malformed"``, ``"truncate"``, ``"econnector"``."""

    latency: float = 0.0
    econnector_down: bool = False
    error_rate: float = 0.0
    error_statuses: tuple[int, ...] = (500, 502, 503, 504)
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    truncated_rate: float = 0.0
    error_body: Literal["text", "json_string", "json_object"] = "json_string"
    seed: int | None = None
    script: list[int | str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _rng: random.Random | None = field(default=None, repr=False, compare=False)

    def take(self) -> int | str | None:
        """The fault for the request being served (scripted first, then random), or None."""
        with self._lock:
            if self.script:
                return self.script.pop(0)
            if self._rng is None:
                self._rng = random.Random(self.seed)
            rng = self._rng
            if self.drop_rate and rng.random() < self.drop_rate:
                return "drop"
            if self.error_rate and rng.random() < self.error_rate:
                return rng.choice(self.error_statuses)
            if self.econnector_down:
                return "econnector"
            if self.malformed_rate and rng.random() < self.malformed_rate:
                return "malformed"
            if self.truncated_rate and rng.random() < self.truncated_rate:
                return "truncate"
        return None

    def reset(self) -> None:
        """Back to no faults (keeps ``error_body`` and ``seed``; restarts the random sequence)."""
        with self._lock:
            self.latency = 0.0
            self.econnector_down = False
            self.error_rate = self.drop_rate = self.malformed_rate = self.truncated_rate = 0.0
            self.script.clear()
            self._rng = None


@dataclass
class SimulatorConfig:
    """How the simulated office behaves. ``mode`` sets the page size and whether requests are throttled."""

    mode: Mode = "service"
    keys: list[ApiKey] = field(default_factory=default_keys)
    throttle_intervals: dict[str, float] = field(
        default_factory=lambda: {"read_all": 5.0, "paid": 1.0, "enterprise": 0.5}
    )
    throttle_action: Literal["delay", "reject"] = "delay"
    office_version: str = OFFICE_VERSION
    # A filter newer than office_version: "ignore" (a live office silently drops it and returns every
    # row, as a third-party client reports) or "reject" (400, as other reports show).
    new_filters: Literal["ignore", "reject"] = "ignore"
    remote_timeout: float = 60.0
    faults: Faults = field(default_factory=Faults)
    now: Callable[[], datetime] | None = None

    def __post_init__(self) -> None:
        if self.mode not in ("service", "remote", "local"):
            raise ValueError(f"mode must be 'service', 'remote' or 'local', not {self.mode!r}")
        if self.new_filters not in ("ignore", "reject"):
            raise ValueError(f"new_filters must be 'ignore' or 'reject', not {self.new_filters!r}")
        if self.throttle_action not in ("delay", "reject"):
            raise ValueError(f"throttle_action must be 'delay' or 'reject', not {self.throttle_action!r}")
        if not version_tuple(self.office_version):
            raise ValueError(f"office_version must look like '25.3.18', not {self.office_version!r}")
        for key in self.keys:
            unknown = set(key.permissions) - PERMISSION_GROUPS
            if unknown:
                raise ValueError(
                    f"unknown permission groups {sorted(unknown)}; known: {sorted(PERMISSION_GROUPS)}"
                )
            if key.tier not in self.throttle_intervals:
                raise ValueError(f"tier {key.tier!r} has no entry in throttle_intervals")

    def current_time(self) -> datetime:
        return self.now() if self.now else datetime.now()


@dataclass(frozen=True)
class LogEntry:
    """One request the simulator answered. ``status`` 0 means the connection was dropped.
    ``received`` and ``started`` are ``time.monotonic()`` values: arrival, and admission after any
    throttle delay. ``customer`` is the key's label, never the key."""

    method: str
    path: str
    query: dict[str, str]
    status: int
    duration: float
    customer: str
    received: float
    started: float


class RequestLog:
    """Thread-safe list of :class:`LogEntry`; ``count(path="procedurelogs", status=200)``."""

    def __init__(self) -> None:
        self._entries: list[LogEntry] = []
        self._lock = threading.Lock()

    def append(self, entry: LogEntry) -> None:
        with self._lock:
            self._entries.append(entry)

    @property
    def entries(self) -> list[LogEntry]:
        with self._lock:
            return list(self._entries)

    def count(self, path: str | None = None, status: int | None = None, method: str | None = None) -> int:
        """Requests matching ``path`` ("procedurelogs" or "/api/v1/procedurelogs"), status and method."""
        want = None if path is None else _api_path(path)
        return sum(
            1
            for e in self.entries
            if (want is None or _api_path(e.path) == want)
            and (status is None or e.status == status)
            and (method is None or e.method == method.upper())
        )

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)

    def __iter__(self) -> Iterator[LogEntry]:
        return iter(self.entries)

    def __getitem__(self, index: int) -> LogEntry:
        return self.entries[index]


def _api_path(path: str) -> str:
    path = path.split("?", 1)[0]
    if path.startswith(API_PREFIX):
        path = path[len(API_PREFIX) :]
    return path.strip("/").lower()


class ApiError(Exception):
    """An error answer: status, message (sent in the configured error-body format), extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str = "application/json; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False


# --- wire formatting -----------------------------------------------------------------------------------

_KIND_DEFAULTS: dict[str, object] = {
    "int": 0,
    "int_str": 0,
    "float": 0.0,
    "num_g": 0.0,
    "money2": 0.0,
    "money_g": 0.0,
    "text": "",
    "bool": 0,
    "Bool": 0,
    "date": NO_DATE,
    "datetime": NO_DATETIME,
    "time": "00:00:00",
    "enum": 0,
    "zip_num": "",
    "us_date": NO_DATE,
    "us_datetime": NO_DATETIME,
    "age": NO_DATE,
}


def _truthy(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true")
    return bool(value)


def _money_g(value: float) -> str:
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _time(value: object) -> str:
    text = str(value).strip()
    if " " in text:
        text = text.split(" ", 1)[1]
    if len(text) == 5:
        text += ":00"
    return text or "00:00:00"


def _age(value: object, today: date) -> str:
    text = str(value)[:10]
    if not text or text == NO_DATE:
        return ""
    born = date.fromisoformat(text)
    return str(today.year - born.year - ((today.month, today.day) < (born.month, born.day)))


def _formatter(fld: Field, today: Callable[[], date]) -> Callable[[object], object]:
    """A function turning the stored value into the wire value for ``fld``."""
    kind = fld.kind
    fallback = fld.default if fld.default is not None else _KIND_DEFAULTS[kind]
    reverse = {v: k for k, v in (fld.enum or {}).items()}

    def fmt(value: object) -> object:
        if value is None or (value == "" and kind not in ("text", "zip_num")):
            value = fallback
        if kind == "int":
            return int(value)  # type: ignore[call-overload]
        if kind == "int_str":
            return str(int(value))  # type: ignore[call-overload]
        if kind == "float":
            return float(value)  # type: ignore[arg-type]
        if kind == "num_g":
            number = round(float(value), 2)  # type: ignore[arg-type]
            return int(number) if number.is_integer() else number
        if kind == "money2":
            return f"{float(value):.2f}"  # type: ignore[arg-type]
        if kind == "money_g":
            return _money_g(value)  # type: ignore[arg-type]
        if kind == "text":
            return str(value)
        if kind == "bool":
            return "true" if _truthy(value) else "false"
        if kind == "Bool":
            return "True" if _truthy(value) else "False"
        if kind == "date":
            return str(value)[:10] or NO_DATE
        if kind == "datetime":
            text = str(value)
            return text + " 00:00:00" if len(text) == 10 else text
        if kind == "time":
            return _time(value)
        if kind == "enum":
            return reverse.get(int(value), str(value))  # type: ignore[call-overload]
        if kind == "zip_num":
            text = str(value)
            return int(text) if text.isdigit() else text
        if kind == "us_date":
            text = str(value)[:10]
            if text == NO_DATE:
                return ""
            d = date.fromisoformat(text)
            return f"{d.month}/{d.day}/{d.year}"
        if kind == "us_datetime":  # securitylogs: "7/6/2023 11:48:55 AM"
            moment = datetime.fromisoformat(str(value))
            hour = moment.hour % 12 or 12
            return (f"{moment.month}/{moment.day}/{moment.year} {hour}:{moment:%M:%S} "
                    f"{'AM' if moment.hour < 12 else 'PM'}")  # fmt: skip
        if kind == "age":
            return _age(value, today())
        raise ValueError(f"unknown field kind {kind!r}")

    return fmt


@dataclass
class _Compiled:
    """A route bound to the actual database: SELECT list and per-field formatters."""

    route: Route
    select: str
    names: list[str]
    formats: list[Callable[[object], object]]
    single_select: str
    single_names: list[str]
    single_formats: list[Callable[[object], object]]
    filter_columns: dict[str, tuple[str, ...]]


_PLAIN_COLUMN = re.compile(r"^t\.(\w+)$")


def _compile(route: Route, columns: set[str], today: Callable[[], date]) -> _Compiled:
    def build(fields: tuple[Field, ...]) -> tuple[str, list[str], list[Callable[[object], object]]]:
        exprs = []
        for fld in fields:
            if fld.sql:
                exprs.append(fld.sql)
            elif fld.name in columns:
                exprs.append(f't."{fld.name}"')
            else:
                exprs.append("NULL")
        return ", ".join(exprs), [f.name for f in fields], [_formatter(f, today) for f in fields]

    def column(expr: str, kind: str) -> str:
        # A filter on a column this database lacks compares with the value every row would have (0, "").
        match = _PLAIN_COLUMN.match(expr)
        if match and match.group(1) not in columns:
            return "''" if kind == "like" else "0"
        return expr

    select, names, formats = build(route.fields)
    single_select, single_names, single_formats = build(route.single_fields or route.fields)
    filter_columns = {f.name: tuple(column(c, f.kind) for c in f.columns) for f in route.filters}
    return _Compiled(
        route, select, names, formats, single_select, single_names, single_formats, filter_columns
    )


# --- parameter parsing ---------------------------------------------------------------------------------

_AUTH_RE = re.compile(r"ODFHIR ([^\s/]+)/([^\s/]+)")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME_RE = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}$")


def _parse_date(name: str, value: str) -> str:
    try:
        if _DATE_RE.match(value):
            date.fromisoformat(value)
            return value
    except ValueError:
        pass
    raise ApiError(400, f"{name} format must be yyyy-MM-dd")


def _parse_stamp(name: str, value: str) -> str:
    """``yyyy-MM-dd HH:mm:ss`` (a bare date means midnight, as the docs' appointments example uses)."""
    try:
        if _DATETIME_RE.match(value):
            return datetime.fromisoformat(value.replace("T", " ")).strftime("%Y-%m-%d %H:%M:%S")
        if _DATE_RE.match(value):
            return date.fromisoformat(value).isoformat() + " 00:00:00"
    except ValueError:
        pass
    raise ApiError(400, f"{name} format must be yyyy-MM-dd HH:mm:ss")


def _parse_int(name: str, value: str) -> int:
    try:
        return int(value)
    except ValueError:
        raise ApiError(400, f"{name} is invalid. It must be a whole number.") from None


def _parse_flag(name: str, value: str) -> bool:
    if value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise ApiError(400, f'{name} must be either "true" or "false".')


def _parse_enum(flt: Filter, value: str) -> object:
    mapping = flt.enum or {}
    for text, stored in mapping.items():
        if text.lower() == value.lower():
            return stored
    choices = ", ".join(f'"{t}"' for t in mapping)
    raise ApiError(400, f"{flt.name} is invalid. It must be one of: {choices}.")


# --- ShortQuery ------------------------------------------------------------------------------------------

def is_read_only(sql: str) -> bool:
    """True unless the SQL writes: SELECTs (and temporary tables) only, as Open Dental screens ShortQuery.

    >>> is_read_only("SELECT * FROM patient; ")
    True
    >>> is_read_only("DELETE FROM patient")
    False
    """
    if not sql.strip():
        return False
    try:
        shortquery.plan(sql, set())
    except shortquery.QueryError as err:
        return err.status != 401
    return True


_READ_ACTIONS = {
    sqlite3.SQLITE_SELECT,
    sqlite3.SQLITE_READ,
    sqlite3.SQLITE_FUNCTION,
    sqlite3.SQLITE_RECURSIVE,
}


_TEMP_ACTIONS = {
    sqlite3.SQLITE_CREATE_TEMP_TABLE,
    sqlite3.SQLITE_DROP_TEMP_TABLE,
    sqlite3.SQLITE_INSERT,
    sqlite3.SQLITE_DELETE,
    sqlite3.SQLITE_UPDATE,
}


def _authorizer(action: int, _arg1: object, _arg2: object, database: object, *_: object) -> int:
    """Reads anywhere; writes only to temporary tables (the office's MySQL user may create them)."""
    if action in _READ_ACTIONS or (action in _TEMP_ACTIONS and database == "temp"):
        return sqlite3.SQLITE_OK
    return sqlite3.SQLITE_DENY


# --- the HTTP server -----------------------------------------------------------------------------------


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections end after this
    disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall
    server: _HTTPServer

    def do_GET(self) -> None:
        self.server.app._handle(self)

    do_PUT = do_POST = do_DELETE = do_PATCH = do_GET

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: the RequestLog records requests (without their keys)."""


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    app: DemoServer

    def __init__(self, address: tuple[str, int], app: DemoServer) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.app = app
        self.open_sockets: set[socket.socket] = set()
        self.sockets_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.sockets_lock:
            self.open_sockets.discard(request)
        super().shutdown_request(request)


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class DemoServer:
    """The simulator: a ThreadingHTTPServer in a daemon thread over a read-only SQLite file.
    Binds to loopback by default; ``port=0`` picks a free port (see ``base_url`` after ``start()``)."""

    def __init__(
        self,
        db_path: str | Path,
        config: SimulatorConfig | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.db_path = Path(db_path).resolve()
        if not self.db_path.is_file():
            raise FileNotFoundError(
                f"demo database {self.db_path} does not exist; build one with `odnb demo build` "
                "or odnb.demo.practice.build_practice(path, spec)"
            )
        self.config = config or SimulatorConfig()
        self.host = host
        self.port = port
        self.log = RequestLog()
        self._uri = self.db_path.as_uri() + "?mode=ro"
        self._local = threading.local()
        self._throttle: dict[str, float] = {}  # customer key -> earliest start of its next request
        self._in_flight: dict[str, int] = {}  # customer key -> requests admitted and not yet answered
        self._throttle_lock = threading.Condition()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._compiled = self._compile_routes()
        self._tables = self._table_names()
        self._numeric = self._numeric_columns()

    # lifecycle
    def start(self) -> DemoServer:
        """Bind and serve in a background thread; returns self."""
        if self._httpd is not None:
            return self
        if not _is_loopback(self.host):
            warnings.warn(
                f"The Open Dental simulator is listening on {self.host}, not loopback: anyone who can reach "
                "this address can read the demo practice. Real practice data is PHI: never serve it so.",
                stacklevel=2,
            )
        self._httpd = _HTTPServer((self.host, self.port), self)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="odnb-demo", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close every open connection."""
        httpd, self._httpd = self._httpd, None
        if httpd is None:
            return
        httpd.shutdown()
        with httpd.sockets_lock:
            for sock in list(httpd.open_sockets):
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> DemoServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}/api/v1"

    @property
    def faults(self) -> Faults:
        return self.config.faults

    def reset(self) -> None:
        """Clear the request log, the faults and the throttle state."""
        self.log.clear()
        self.config.faults.reset()
        with self._throttle_lock:
            self._throttle.clear()
            self._throttle_lock.notify_all()

    def __repr__(self) -> str:
        state = self.base_url if self.running else "stopped"
        return f"DemoServer({self.db_path.name!r}, mode={self.config.mode!r}, {state})"

    # database
    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self._uri, uri=True, check_same_thread=False)
        con.execute("PRAGMA query_only = ON")
        return con

    def _data(self) -> sqlite3.Connection:
        con = getattr(self._local, "data", None)
        if con is None:
            con = self._local.data = self._connect()
        return con

    def _query_connection(self) -> sqlite3.Connection:
        """The ShortQuery connection: the file read-only, temporary tables allowed, MySQL's functions."""
        con = getattr(self._local, "query", None)
        if con is None:
            con = sqlite3.connect(self._uri, uri=True, check_same_thread=False, isolation_level=None)
            shortquery.register(con, self.config.current_time)
            con.set_authorizer(_authorizer)
            self._local.query = con
        return con

    def _numeric_columns(self) -> frozenset[str]:
        con = self._connect()
        try:
            return shortquery.numeric_columns(con)
        finally:
            con.close()

    def _table_names(self) -> set[str]:
        con = self._connect()
        try:
            sql = "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')"
            return {r[0] for r in con.execute(sql)}
        finally:
            con.close()

    def _compile_routes(self) -> dict[str, _Compiled]:
        con = self._connect()
        try:
            compiled = {}
            for key, route in ROUTES_CI.items():
                columns = {row[1] for row in con.execute(f"PRAGMA table_info({route.table})")}
                if not columns:
                    raise ValueError(
                        f"{self.db_path} has no table {route.table!r}: not an odnb demo practice"
                    )
                compiled[key] = _compile(route, columns, lambda: self.config.current_time().date())
            return compiled
        finally:
            con.close()

    # request handling
    def _handle(self, h: _Handler) -> None:
        received = time.monotonic()
        split = urlsplit(h.path)
        path = unquote(split.path)
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length > 0 else b""
        state: dict[str, object] = {"customer": "", "started": received, "admitted": None}
        try:
            response = self._respond(h, path, query, body, state)
        except ApiError as err:
            response = self._error(err.status, err.message, err.headers)
        except Exception as exc:  # a simulator bug: answer 500 rather than hang the client
            response = self._error(500, f"{MESSAGES[500]} ({type(exc).__name__}: {exc})")
        finally:
            if isinstance(state["admitted"], ApiKey):
                self._release(state["admitted"])
        # Log before answering, so a client that has its answer also finds it in the log.
        self.log.append(
            LogEntry(
                method=h.command,
                path=path,
                query=query,
                status=0 if response.drop else response.status,
                duration=time.monotonic() - received,
                customer=str(state["customer"]),
                received=received,
                started=float(state["started"]),
            )
        )
        if response.drop:
            h.close_connection = True
            return
        h.send_response(response.status)
        h.send_header("Content-Type", response.content_type)
        h.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            h.send_header(name, value)
        h.end_headers()
        h.wfile.write(response.body)

    def _error(self, status: int, message: str, headers: dict[str, str] | None = None) -> _Response:
        style = self.config.faults.error_body
        if style == "text":
            body, ctype = message.encode(), "text/plain; charset=utf-8"
        elif style == "json_object":
            body, ctype = json.dumps({"message": message}).encode(), "application/json; charset=utf-8"
        else:
            body, ctype = json.dumps(message).encode(), "application/json; charset=utf-8"
        return _Response(status, body, ctype, dict(headers or {}))

    def _respond(
        self, h: _Handler, path: str, query: dict[str, str], body: bytes, state: dict[str, object]
    ) -> _Response:
        cfg = self.config
        if not path.startswith(API_PREFIX):
            raise ApiError(404, MESSAGES["unknown"].format(method=h.command, path=path))
        key = self._authenticate(h.headers.get("Authorization"))
        state["customer"] = key.name
        state["started"] = self._admit(key)
        state["admitted"] = key
        # Latency is execution time at the office: inside the throttle window, as the docs say it counts.
        latency = cfg.faults.latency
        if latency > 0:
            if cfg.mode == "remote" and latency >= cfg.remote_timeout:
                time.sleep(cfg.remote_timeout)
                raise ApiError(504, MESSAGES["timeout"].format(limit=cfg.remote_timeout))
            time.sleep(latency)
        # "All API requests require a Content-Type header of application/json" (API Implementation page),
        # GETs included; a missing or wrong one is a 400 ("invalid Content-Types").
        self._check_content_type(h)
        fault = cfg.faults.take()
        if fault == "drop":
            return _Response(0, b"", drop=True)
        if isinstance(fault, int):
            headers = {"Retry-After": "1"} if fault == 429 else {}
            raise ApiError(fault, str(MESSAGES.get(fault, f"HTTP {fault}")), headers)
        if fault == "econnector":
            raise ApiError(400, MESSAGES["econnector"])
        response = self._dispatch(h.command, path[len(API_PREFIX) :].strip("/"), query, body, key, h)
        if fault == "malformed" and response.status == 200:
            response.body = b"[{" + response.body[1:]
        elif fault == "truncate" and response.status == 200:
            response.body = response.body[: max(1, len(response.body) // 2)]
        return response

    def _authenticate(self, header: str | None) -> ApiKey:
        """Exactly ``ODFHIR {DeveloperKey}/{CustomerKey}``: the scheme in capitals, one space, one slash.
        Doubled spaces, tabs, a lower-case scheme or spaces inside the keys are refused (the real server
        compares the key strings as sent; it does not tidy them up)."""
        if not header:
            raise ApiError(401, MESSAGES["no_auth"])
        match = _AUTH_RE.fullmatch(header.strip(" \t"))  # only the OWS HTTP itself drops
        if match is None:
            raise ApiError(401, MESSAGES["bad_scheme"])
        developer, customer = match.groups()
        for key in self.config.keys:
            if key.developer == developer and key.customer == customer:
                return key
        raise ApiError(401, MESSAGES["bad_key"])

    def _admit(self, key: ApiKey) -> float:
        """Remote-mode throttle per customer key. Returns the admission time.

        "This time includes the execution of the request itself": a request starts no sooner than
        ``interval`` after the previous one started AND not before the previous one was answered, so
        requests of one customer key never overlap and a slow request pushes the next one back."""
        now = time.monotonic()
        if self.config.mode != "remote":
            return now
        interval = self.config.throttle_intervals[key.tier]
        if key.tier == "read_all" and key.permissions - {"ReadAll"}:  # any paid permission: 1 s
            interval = min(interval, self.config.throttle_intervals["paid"])
        customer = key.customer
        with self._throttle_lock:
            while True:
                now = time.monotonic()
                slot = self._throttle.get(customer, now)
                busy = self._in_flight.get(customer, 0) > 0
                if slot <= now and not busy:
                    break
                if self.config.throttle_action == "reject":
                    wait = max(slot - now, interval if busy else 0.0)
                    raise ApiError(
                        429,
                        MESSAGES["throttle"].format(interval=interval),
                        {"Retry-After": str(max(1, math.ceil(wait)))},
                    )
                self._throttle_lock.wait(timeout=None if busy else slot - now)
            self._throttle[customer] = now + interval
            self._in_flight[customer] = self._in_flight.get(customer, 0) + 1
        return now

    def _release(self, key: ApiKey) -> None:
        """The request admitted by :meth:`_admit` has been answered: the next one may start."""
        with self._throttle_lock:
            self._in_flight[key.customer] = max(0, self._in_flight.get(key.customer, 0) - 1)
            self._throttle_lock.notify_all()

    def _too_new(self, need: str) -> bool:
        return version_tuple(self.config.office_version) < version_tuple(need)

    def _check_version(self, need: str, what: str) -> None:
        office = self.config.office_version
        if version_tuple(office) < version_tuple(need):
            raise ApiError(400, MESSAGES["version"].format(office=office, what=what, need=need))

    @staticmethod
    def _require(key: ApiKey, group: str) -> None:
        if group not in key.permissions:
            raise ApiError(401, MESSAGES["permission"].format(group=group))

    def _dispatch(
        self, method: str, path: str, query: dict[str, str], body: bytes, key: ApiKey, h: _Handler
    ) -> _Response:
        lower = path.lower()
        resource = lower.split("/", 1)[0]
        if (method, lower) in DEPRECATED:
            raise ApiError(410, DEPRECATED[(method, lower)])
        params = {k.lower(): v for k, v in query.items()}
        if lower == SHORT_QUERY.lower() and method == "PUT":
            self._require(key, "Queries")
            self._check_version(SHORT_QUERY_SINCE, "Queries PUT ShortQuery")
            return self._short_query(body, params)
        if lower == "reports/aging" and method == "GET":
            self._require(key, "ReadAll")
            self._check_version(aging.AGING_SINCE, "Reports GET Aging")
            return self._json(self._aging(params, key))
        compiled, record_id = self._find(lower)
        if compiled is None:
            raise ApiError(404, MESSAGES["unknown"].format(method=method, path=API_PREFIX + path))
        route = compiled.route
        if method != "GET":
            self._require(key, WRITE_PERMISSIONS.get(resource, route.write_permission))
            raise ApiError(400, MESSAGES["read_only"].format(method=method, path=path))
        self._require(key, route.permission)
        if record_id is not None:
            title = route.path.split("/")[0].capitalize()
            self._check_version(route.single_since or "0", f"{title} GET (single)")
            return self._json(self._single(compiled, record_id))
        self._check_version(route.since, f"{route.path} GET")
        return self._json(self._list(compiled, params, key))

    def _check_content_type(self, h: _Handler) -> None:
        ctype = (h.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if ctype != "application/json":
            raise ApiError(400, MESSAGES["content_type"])

    def _find(self, lower: str) -> tuple[_Compiled | None, int | None]:
        if lower in self._compiled:
            return self._compiled[lower], None
        prefix, _, last = lower.rpartition("/")
        compiled = self._compiled.get(prefix)
        if compiled and compiled.route.single_since and last.isdigit():
            return compiled, int(last)
        return None, None

    @staticmethod
    def _json(payload: object) -> _Response:
        return _Response(200, json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())

    def _server_time(self) -> str:
        return self.config.current_time().strftime("%Y-%m-%d %H:%M:%S")

    def _row(self, names: list[str], formats: list[Callable[[object], object]], row: tuple) -> dict:
        return {name: fmt(value) for name, fmt, value in zip(names, formats, row, strict=True)}

    def _with_server_time(self, route: Route, rows: list[dict], stamp: str) -> list[dict]:
        if route.server_time == "first":
            return [{"serverDateTime": stamp, **row} for row in rows]
        if route.server_time == "last":
            for row in rows:
                row["serverDateTime"] = stamp
        return rows

    def _single(self, compiled: _Compiled, record_id: int) -> dict:
        route = compiled.route
        sql = f"SELECT {compiled.single_select} FROM {route.table} t WHERE t.{route.pk} = ?"
        if route.with_sql:
            sql = f"WITH {route.with_sql} {sql}"
        row = self._data().execute(sql, (record_id,)).fetchone()
        if row is None:
            raise ApiError(404, route.not_found)
        record = self._row(compiled.single_names, compiled.single_formats, row)
        if route.single_fields is not None:  # patients/{PatNum}: no serverDateTime, as documented
            return record
        return self._with_server_time(route, [record], self._server_time())[0]

    def _list(self, compiled: _Compiled, params: dict[str, str], key: ApiKey) -> list[dict]:
        route = compiled.route
        max_limit = page_limit(self.config.mode, key.tier)
        offset = max(0, _parse_int("Offset", params["offset"])) if params.get("offset") else 0
        limit = _parse_int("Limit", params["limit"]) if params.get("limit") else max_limit
        limit = max_limit if limit < 1 else min(limit, max_limit)
        for name in route.required:
            if not params.get(name.lower()):
                raise ApiError(400, f"{name} is required.")
        if route.required_any and not any(params.get(n.lower()) for n in route.required_any):
            raise ApiError(400, f"{' or '.join(route.required_any)} is required.")
        if route.required_before:
            optional_since, names = route.required_before
            office = version_tuple(self.config.office_version)
            if office < version_tuple(optional_since) and not any(params.get(n.lower()) for n in names):
                raise ApiError(400, f"{' or '.join(names)} is required.")
        if route.date_window:
            first, last, back, ahead = route.date_window
            today = self.config.current_time().date()
            params = {
                first.lower(): (today - timedelta(days=back)).isoformat(),
                last.lower(): (today + timedelta(days=ahead)).isoformat(),
                **{k: v for k, v in params.items() if v},
            }
        if route.today_unless and not any(params.get(n.lower()) for n in route.today_unless):
            params = {**params, route.today_unless[0].lower(): self.config.current_time().date().isoformat()}
        where = [route.base_where] if route.base_where else []
        args: list[object] = []
        blank_time = False
        for flt in route.filters:
            raw = params.get(flt.name.lower(), flt.default)
            if raw is None or raw == "":
                continue
            if flt.name.lower() in params and self._too_new(flt.since):
                if self.config.new_filters == "ignore":
                    continue
                self._check_version(flt.since, f"The {flt.name} parameter of {route.path} GET")
            clause, values = self._filter_sql(flt, compiled.filter_columns[flt.name], raw)
            if clause:
                where.append(clause)
                args.extend(values)
            blank_time = blank_time or flt.blank_server_time
        sql = f"SELECT {compiled.select} FROM {route.table} t {JOINS.get(route.path, '')}"
        if route.with_sql:
            sql = f"WITH {route.with_sql} {sql}"
        if where:
            sql += " WHERE " + " AND ".join(f"({w})" for w in where)
        sql += f" ORDER BY {route.order_by or 't.' + route.pk} LIMIT ? OFFSET ?"
        rows = self._data().execute(sql, (*args, limit, offset)).fetchall()
        records = [self._row(compiled.names, compiled.formats, row) for row in rows]
        return self._with_server_time(route, records, "" if blank_time else self._server_time())

    def _aging(self, params: dict[str, str], key: ApiKey) -> list[dict]:
        """reports/Aging?DateAsOf=&ClinicNum= (paged by Offset/Limit like every list)."""
        as_of = self.config.current_time().date()
        if params.get("dateasof"):
            as_of = date.fromisoformat(_parse_date("DateAsOf", params["dateasof"]))
        clinic = None
        if params.get("clinicnum"):
            if not self._too_new(aging.CLINIC_SINCE):
                clinic = _parse_int("ClinicNum", params["clinicnum"])
                self._must_exist(("clinic", "ClinicNum", "Clinic not found"), clinic)
            elif self.config.new_filters == "reject":
                self._check_version(aging.CLINIC_SINCE, "The ClinicNum parameter of reports/Aging GET")
        max_limit = page_limit(self.config.mode, key.tier)
        offset = max(0, _parse_int("Offset", params["offset"])) if params.get("offset") else 0
        limit = _parse_int("Limit", params["limit"]) if params.get("limit") else max_limit
        limit = max_limit if limit < 1 else min(limit, max_limit)
        return aging.aging_rows(self._data(), as_of, clinic)[offset : offset + limit]

    def _filter_sql(self, flt: Filter, cols: tuple[str, ...], raw: str) -> tuple[str, list[object]]:
        kind = flt.kind
        if kind == "int":
            value = _parse_int(flt.name, raw)
            if flt.exists:
                self._must_exist(flt.exists, value)
            return " OR ".join(f"{c} = ?" for c in cols), [value] * len(cols)
        if kind == "enum":
            return f"{cols[0]} = ?", [_parse_enum(flt, raw)]
        if kind == "text":
            return f"{cols[0]} = ? COLLATE NOCASE", [raw]
        if kind == "like":
            pattern = "%" + raw.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
            return " OR ".join(f"{c} LIKE ? ESCAPE '\\'" for c in cols), [pattern] * len(cols)
        if kind in ("date", "date_from", "date_to"):
            op = {"date": "=", "date_from": ">=", "date_to": "<="}[kind]
            return f"substr({cols[0]}, 1, 10) {op} ?", [_parse_date(flt.name, raw)]
        if kind == "stamp":
            return f"{cols[0]} >= ?", [_parse_stamp(flt.name, raw)]
        if kind == "int_list":
            values = [_parse_int(flt.name, part) for part in raw.split(",") if part.strip()]
            if not values:
                return "", []
            return f"{cols[0]} IN ({','.join('?' * len(values))})", list(values)
        if kind == "flag":
            clause = flt.sql_true if _parse_flag(flt.name, raw) else flt.sql_false
            return clause, []
        if kind == "exists_only":
            value = _parse_int(flt.name, raw)
            if flt.exists:
                self._must_exist(flt.exists, value)
            return flt.sql_true, []
        raise ValueError(f"unknown filter kind {kind!r}")

    def _must_exist(self, check: tuple[str, str, str], value: int) -> None:
        table, column, message = check
        if self._data().execute(f"SELECT 1 FROM {table} WHERE {column} = ?", (value,)).fetchone() is None:
            raise ApiError(404, message)

    def _short_query(self, body: bytes, params: dict[str, str]) -> _Response:
        try:
            payload = json.loads(body or b"null")
        except ValueError:
            raise ApiError(400, "The request body is not valid JSON.") from None
        sql = None
        if isinstance(payload, dict):
            sql = next((v for k, v in payload.items() if k.lower() == "sqlcommand"), None)
        if not isinstance(sql, str) or not sql.strip():
            raise ApiError(400, "SqlCommand is required.")
        offset = max(0, _parse_int("Offset", params["offset"])) if params.get("offset") else 0
        limit_s = self.config.remote_timeout
        deadline = time.monotonic() + limit_s
        con = self._query_connection()
        con.set_progress_handler(lambda: 1 if time.monotonic() > deadline else 0, 10_000)
        try:
            columns, rows = shortquery.run(
                con, sql, self._tables, offset=offset, limit=SHORT_QUERY_PAGE, numeric=self._numeric
            )
        except shortquery.QueryError as err:
            raise ApiError(err.status, err.message) from None
        except sqlite3.DatabaseError as exc:
            text = str(exc)
            if "interrupted" in text:
                status = 504 if self.config.mode == "remote" else 400
                raise ApiError(status, MESSAGES["timeout"].format(limit=limit_s)) from None
            if "not authorized" in text or "readonly" in text or "read-only" in text:
                raise ApiError(401, MESSAGES["not_read_only"]) from None
            raise ApiError(400, shortquery.mysql_message(exc)) from None
        finally:
            con.set_progress_handler(None, 0)
        records = [dict(zip(columns, row, strict=True)) for row in rows]
        return self._json(records)


__all__ = [
    "ApiError",
    "ApiKey",
    "DemoServer",
    "Faults",
    "LogEntry",
    "RequestLog",
    "SimulatorConfig",
    "default_keys",
    "is_read_only",
]
