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
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

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


__all__ = [
    "STAMP_ORIGIN",
    "ApiKey",
    "DemoServer",
    "Faults",
    "SimulatorConfig",
    "auth_headers",
    "default_keys",
    "simulator",
    "tiny_practice",
]
