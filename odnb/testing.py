"""Helpers for testing code that talks to Open Dental, against the odnb simulator on a real loopback socket
(the idea of ``pyairtable.testing``: no mocks, a real HTTP server that behaves like Open Dental's API).

Example:
    from odnb.testing import simulator, auth_headers

    def test_my_report():
        with simulator(mode="remote", throttle_intervals={"paid": 0.01}) as server:
            rows = requests.get(server.base_url + "/procedurelogs", headers=auth_headers()).json()
            server.faults.script.append(503)      # the next request fails with 503
            assert server.log.count(path="procedurelogs") == 1

``tiny_practice(path, procedures=100)`` writes a hand-sized practice with exact row counts, for paging edge
cases (exactly 100 or 1000 rows) without the full generator.

``HostileProxy(server.base_url, Misbehaviour(...))`` is a loopback proxy in front of a simulator that
misbehaves the ways real servers and proxies do (an empty 200, an object or null where the list belongs,
a different row order per request, a shifted, shortened or capped page, an ignored filter, a trickled
body, a long Retry-After), to prove a client is never silently wrong:

    with simulator() as server, HostileProxy(server.base_url, Misbehaviour(empty_at=2000)) as proxy:
        od = odnb.connect(base_url=proxy.base_url, ...)
        od.procedures()                      # the empty page is retried, the frame is exact
        proxy.requests                       # what the client asked, (method, path, query) per request
"""

from __future__ import annotations

import json
import random
import socket
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY, DEMO_READONLY_CUSTOMER_KEY
from odnb.demo.schema import NO_DATE, NO_DATETIME, create_schema
from odnb.demo.server import ApiKey, DemoServer, Faults, SimulatorConfig, default_keys

# The small practice ``simulator()`` serves by default (same shape as the project's own test practice).
SMALL_PRACTICE: dict[str, Any] = {"seed": 7, "patients": 300, "years": 2}

# The first moment of tiny_practice's change stamps; row i is stamped STAMP_ORIGIN + i minutes.
STAMP_ORIGIN = datetime(2024, 1, 1, 8, 0, 0)


def auth_headers(readonly: bool = False) -> dict[str, str]:
    """Headers for the demo keys: every permission, or (``readonly=True``) the free Read All key."""
    customer = DEMO_READONLY_CUSTOMER_KEY if readonly else DEMO_CUSTOMER_KEY
    return {"Authorization": f"ODFHIR {DEMO_DEVELOPER_KEY}/{customer}", "Content-Type": "application/json"}


@contextmanager
def simulator(db: str | Path | None = None, **config: Any) -> Iterator[DemoServer]:
    """A running simulator for the duration of a ``with`` block.

    ``db`` defaults to a small generated practice (built once, cached); keyword arguments go to
    :class:`~odnb.demo.server.SimulatorConfig` (``mode``, ``faults``, ``throttle_intervals``, ...), plus
    ``host`` and ``port``.
    """
    host = config.pop("host", "127.0.0.1")
    port = config.pop("port", 0)
    if db is None:
        from odnb.demo.practice import PracticeSpec, demo_database

        db = demo_database(PracticeSpec(**SMALL_PRACTICE))
    server = DemoServer(db, SimulatorConfig(**config), host=host, port=port).start()
    try:
        yield server
    finally:
        server.stop()


def tiny_practice(
    path: str | Path,
    *,
    patients: int = 3,
    procedures: int = 0,
    appointments: int = 0,
    adjustments: int = 0,
) -> Path:
    """Write a minimal practice with exactly the given row counts and return its path.

    Rows are deterministic: patient ``i`` (1-based) has PatStatus Patient, procedures go round-robin over
    patients with ProcStatus C / TP alternating, ProcFee 100 + i, and row ``i`` of each table is stamped
    ``STAMP_ORIGIN + i`` minutes (DateTStamp / SecDateTEdit).

    >>> import tempfile, os
    >>> p = tiny_practice(os.path.join(tempfile.mkdtemp(), "t.sqlite"), procedures=5)
    >>> sqlite3.connect(p).execute("SELECT COUNT(*) FROM procedurelog").fetchone()[0]
    5
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.exists():
        path.unlink()

    def stamp(i: int) -> str:
        return (STAMP_ORIGIN + timedelta(minutes=i)).strftime("%Y-%m-%d %H:%M:%S")

    con = sqlite3.connect(path)
    try:
        create_schema(con)
        con.executemany(
            "INSERT INTO provider (ProvNum, Abbr, LName, FName, IsSecondary, IsHidden, ProvStatus, "
            "DateTStamp) VALUES (?, ?, ?, ?, ?, 0, 0, ?)",
            [(1, "DOC1", "Albert", "Brian", 0, stamp(1)), (2, "HYG1", "Jones", "Tina", 1, stamp(2))],
        )
        con.executemany(
            "INSERT INTO definition (DefNum, Category, ItemOrder, ItemName, ItemValue, IsHidden) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [
                (1, 1, 0, "Discount", "-", 0),
                (2, 1, 1, "Finance Charge", "+", 0),
                (3, 4, 0, "Standard Account", "", 0),
                (4, 2, 0, "Not Called", "", 0),
                (5, 1, 2, "Old Type", "-", 1),
            ],
        )
        con.executemany(
            "INSERT INTO procedurecode (CodeNum, ProcCode, Descript, AbbrDesc, ProcTime, ProcCat, TreatArea, "
            "IsHygiene, DefaultFee, DateTStamp) VALUES (?, ?, ?, ?, '/X/', 0, 3, ?, ?, ?)",
            [
                (1, "D0120", "periodic oral evaluation - established patient", "PerEx", 0, 65.0, stamp(1)),
                (2, "D1110", "prophylaxis - adult", "Pro", 1, 120.0, stamp(2)),
            ],
        )
        con.executemany(
            "INSERT INTO operatory (OperatoryNum, OpName, Abbrev, ItemOrder, IsHidden, ProvDentist, "
            "ProvHygienist, IsHygiene, ClinicNum, SetProspective) VALUES (?, ?, ?, ?, 0, ?, ?, ?, 0, 0)",
            [(1, "Op 1", "OP1", 0, 1, 0, 0), (2, "Hyg 1", "HYG", 1, 0, 2, 1)],
        )
        con.executemany(
            "INSERT INTO patient (PatNum, LName, FName, MiddleI, Preferred, PatStatus, Gender, "
            "Position, Birthdate, Zip, Guarantor, PriProv, SecProv, BillingType, ClinicNum, DateFirstVisit, "
            "EstBalance, BalTotal, SecDateEntry, DateTStamp) "
            "VALUES (?, ?, ?, '', '', 0, ?, 0, ?, '97301', ?, 1, 0, 3, 0, ?, 0, 0, ?, ?)",
            [
                (
                    i,
                    f"Last{i:04d}",
                    f"First{i:04d}",
                    i % 2,
                    NO_DATE if i == 1 else f"19{50 + i % 50:02d}-05-24",
                    i,
                    NO_DATE if i == 1 else "2024-01-02",
                    stamp(i)[:10],
                    stamp(i),
                )
                for i in range(1, patients + 1)
            ],
        )
        con.executemany(
            "INSERT INTO procedurelog (ProcNum, PatNum, AptNum, PlannedAptNum, ProcDate, ProcFee, Surf, "
            "ToothNum, ToothRange, Priority, ProcStatus, ProvNum, Dx, ClinicNum, CodeNum, UnitQty, "
            "BaseUnits, DateTP, DateEntryC, DateComplete, Discount, SecDateEntry, DateTStamp) "
            "VALUES (?, ?, 0, 0, ?, ?, '', '', '', 0, ?, 1, 0, 0, ?, 1, 0, ?, ?, ?, 0, ?, ?)",
            [
                (
                    i,
                    (i - 1) % max(patients, 1) + 1,
                    "2024-02-01",
                    100.0 + i,
                    2 if i % 2 else 1,
                    1 + i % 2,
                    "2024-01-15",
                    "2024-02-01" if i % 2 else NO_DATE,
                    "2024-02-01" if i % 2 else NO_DATE,
                    stamp(i),
                    stamp(i),
                )
                for i in range(1, procedures + 1)
            ],
        )
        con.executemany(
            "INSERT INTO appointment (AptNum, PatNum, AptStatus, Pattern, Confirmed, Op, Note, ProvNum, "
            "ProvHyg, AptDateTime, NextAptNum, UnschedStatus, IsNewPatient, ProcDescript, ClinicNum, "
            "IsHygiene, DateTimeArrived, DateTimeSeated, DateTimeDismissed, Priority, SecDateTEntry, "
            "DateTStamp) "
            "VALUES (?, ?, ?, '//XX//', 4, 1, '', 1, 0, ?, 0, 0, ?, 'Ex', 0, 0, ?, ?, ?, 0, ?, ?)",
            [
                (
                    i,
                    (i - 1) % max(patients, 1) + 1,
                    2 if i % 2 else 1,
                    (STAMP_ORIGIN + timedelta(days=i)).strftime("%Y-%m-%d 09:00:00"),
                    1 if i == 1 else 0,
                    NO_DATETIME,
                    NO_DATETIME,
                    NO_DATETIME,
                    stamp(i),
                    stamp(i),
                )
                for i in range(1, appointments + 1)
            ],
        )
        con.executemany(
            "INSERT INTO adjustment (AdjNum, AdjDate, AdjAmt, PatNum, AdjType, ProvNum, AdjNote, ProcDate, "
            "ProcNum, DateEntry, ClinicNum, SecDateTEdit) VALUES (?, '2024-03-01', ?, ?, ?, 1, '', "
            "'2024-03-01', 0, '2024-03-01', 0, ?)",
            [
                (
                    i,
                    -10.0 * i if i % 2 else 5.0 * i,
                    (i - 1) % max(patients, 1) + 1,
                    1 if i % 2 else 2,
                    stamp(i),
                )
                for i in range(1, adjustments + 1)
            ],
        )
        con.commit()
    finally:
        con.close()
    return path


# --- a misbehaving server ------------------------------------------------------------------------------


@dataclass
class Misbehaviour:
    """What :class:`HostileProxy` does to the simulator's answers (change it while the proxy runs).

    ``*_at`` faults hit the request whose ``Offset`` is that number, ``times`` times (``-1``: always),
    then the real answer goes through. ``shuffle``: every list answer is cut from the whole result in a
    new random order (an unstable server order). ``shift_at``/``shift_by``: that page starts
    ``shift_by`` rows off (negative: early). ``short_at``/``short_by``: that page loses its last rows.
    ``cap``: no page longer than this. ``ignore_filters``: query parameters dropped before forwarding (an
    office too old to know them). ``trickle``: send bodies at this many bytes per second.
    ``retry_after``: answer every request 429 with this Retry-After (seconds).
    """

    empty_at: int | None = None
    object_at: int | None = None
    null_at: int | None = None
    not_json_at: int | None = None
    times: int = 1
    shuffle: bool = False
    shift_at: int | None = None
    shift_by: int = -10
    short_at: int | None = None
    short_by: int = 7
    cap: int | None = None
    ignore_filters: tuple[str, ...] = ()
    trickle: float | None = None
    retry_after: float | None = None
    _used: dict[str, int] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def hit(self, fault: str, offset: int) -> bool:
        """True when ``fault`` applies to this Offset now (and count it)."""
        if getattr(self, fault) != offset:
            return False
        with self._lock:
            used = self._used.get(fault, 0)
            if self.times >= 0 and used >= self.times:
                return False
            self._used[fault] = used + 1
            return True


class HostileProxy:
    """A loopback HTTP proxy in front of ``upstream`` (a simulator's ``base_url``) that misbehaves as
    :class:`Misbehaviour` says. ``base_url`` is what a client should use; ``requests`` lists
    ``(method, path, query)`` of every request it received."""

    def __init__(self, upstream: str, behaviour: Misbehaviour | None = None) -> None:
        self.upstream = upstream.rstrip("/")
        self.behaviour = behaviour or Misbehaviour()
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self._rng = random.Random(11)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                proxy._serve(self)

            def do_PUT(self) -> None:
                proxy._serve(self)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/api/v1"

    def start(self) -> HostileProxy:
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name="odnb-hostile-proxy")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> HostileProxy:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def count(self, path: str) -> int:
        """Requests received for ``path`` (e.g. ``"procedurelogs"``)."""
        return sum(1 for _, p, _ in self.requests if p == path)

    # the upstream
    def _forward(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                 body: bytes) -> tuple[int, bytes, dict[str, str]]:
        import requests

        r = requests.request(method, f"{self.upstream}/{path}", params=query, headers=headers,
                             data=body or None, timeout=30)
        keep = {k: v for k, v in r.headers.items() if k.lower() in ("retry-after", "content-type")}
        return r.status_code, r.content, keep

    def _everything(self, method: str, path: str, query: dict[str, str], headers: dict[str, str],
                    body: bytes) -> tuple[int, list[Any] | bytes, dict[str, str]]:
        """The whole result, paged upstream (for ``shuffle``)."""
        rows: list[Any] = []
        offset = 0
        while True:
            q = {k: v for k, v in query.items() if k.lower() not in ("offset", "limit")}
            q["Offset"] = str(offset)
            status, content, hdrs = self._forward(method, path, q, headers, body)
            if status != 200:
                return status, content, hdrs
            page = json.loads(content)
            rows.extend(page)
            if not page:
                return 200, rows, hdrs
            offset += len(page)

    def _serve(self, h: BaseHTTPRequestHandler) -> None:
        b = self.behaviour
        split = urlsplit(h.path)
        path = split.path.split("/api/v1/", 1)[-1].strip("/")
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        self.requests.append((h.command, path, dict(query)))
        length = int(h.headers.get("Content-Length") or 0)
        body = h.rfile.read(length) if length else b""
        headers = {k: v for k, v in h.headers.items() if k.lower() in ("authorization", "content-type")}
        offset = int(query.get("Offset") or 0)
        if b.retry_after is not None:
            wait = {"Retry-After": f"{b.retry_after:g}"}
            self._send(h, 429, json.dumps("Too many requests.").encode(), wait)
            return
        if b.hit("empty_at", offset):
            self._send(h, 200, b"")
            return
        if b.hit("object_at", offset):
            self._send(h, 200, json.dumps({"message": "eConnector busy"}).encode())
            return
        if b.hit("null_at", offset):
            self._send(h, 200, b"null")
            return
        if b.hit("not_json_at", offset):
            self._send(h, 200, b"<html><body>Proxy error: upstream busy</body></html>", ctype="text/html")
            return
        forwarded = {k: v for k, v in query.items() if k not in b.ignore_filters}
        limit = int(query["Limit"]) if query.get("Limit") else None
        if b.cap is not None:
            limit = min(limit or b.cap, b.cap)
            if "Limit" in forwarded or h.command == "GET":
                forwarded["Limit"] = str(limit)
        if b.shift_at is not None and b.hit("shift_at", offset):
            forwarded["Offset"] = str(max(0, offset + b.shift_by))
        if b.shuffle:
            status, rows, hdrs = self._everything(h.command, path, forwarded, headers, body)
            if status != 200 or not isinstance(rows, list):
                self._send(h, status, rows if isinstance(rows, bytes) else b"", hdrs)
                return
            self._rng.shuffle(rows)
            size = limit or (100 if "ShortQuery" in path else 1000)
            self._send(h, 200, json.dumps(rows[offset:offset + size]).encode())
            return
        status, content, hdrs = self._forward(h.command, path, forwarded, headers, body)
        if status == 200 and b.cap is not None and h.command == "PUT":
            content = json.dumps(json.loads(content)[: b.cap]).encode()
        if status == 200 and b.short_at is not None and b.hit("short_at", offset):
            rows = json.loads(content)
            content = json.dumps(rows[: max(0, len(rows) - b.short_by)]).encode()
        self._send(h, status, content, {k: v for k, v in hdrs.items() if k.lower() != "content-type"})

    def _send(self, h: BaseHTTPRequestHandler, status: int, body: bytes,
              headers: dict[str, str] | None = None, ctype: str = "application/json; charset=utf-8") -> None:
        try:
            h.send_response(status)
            h.send_header("Content-Type", ctype)
            h.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                h.send_header(name, value)
            h.end_headers()
            rate = self.behaviour.trickle
            if rate:
                for i in range(len(body)):
                    h.wfile.write(body[i:i + 1])
                    h.wfile.flush()
                    time.sleep(1 / rate)
            else:
                h.wfile.write(body)
        except OSError:  # the client gave up (a deadline): fine
            pass


def refused_url() -> str:
    """A loopback base URL where nothing listens (connections are refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v1"


__all__ = [
    "STAMP_ORIGIN",
    "ApiKey",
    "DemoServer",
    "Faults",
    "HostileProxy",
    "Misbehaviour",
    "SimulatorConfig",
    "auth_headers",
    "default_keys",
    "refused_url",
    "simulator",
    "tiny_practice",
]
