"""odnb's own ShortQuery SQL on a real MariaDB: the demo practice loaded with Open Dental's column types,
every statement odnb sends run there, and the figures compared with the list-endpoint path to the cent.

The server is private: a data folder and a Unix socket in a temp dir, no TCP port, stopped at the end.
Without MariaDB (Debian's ``mariadb-server``) the module is skipped with the reason -- except in CI
(``CI=true``), where a missing MariaDB is a failure: ``.ci/run`` installs it."""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

import odnb
from odnb import kpis
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY, DEMO_READONLY_CUSTOMER_KEY
from odnb.kpis import sql as kpis_sql

PERIODS = [(date(2026, 1, 1), date(2026, 6, 30)), (date(2025, 3, 1), date(2025, 3, 31))]
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$")
_TIME = re.compile(r"^\d{2}:\d{2}:\d{2}$")


def _binary(name: str) -> str | None:
    return shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/local/sbin:/sbin")


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A connection (pymysql) to a private MariaDB server, started for this module."""
    server, install = _binary("mariadbd"), _binary("mariadb-install-db")
    if not server or not install:
        message = "MariaDB is not installed (Debian: apt-get install mariadb-server): SQL not checked on it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    import pymysql

    root = tmp_path_factory.mktemp("mariadb")
    data, sock = root / "data", root / "sock"
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [install, "--no-defaults", f"--datadir={data}", "--auth-root-authentication-method=normal",
         "--skip-test-db", *as_root],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    proc = subprocess.Popen(
        [server, "--no-defaults", f"--datadir={data}", f"--socket={sock}", "--skip-networking",
         f"--pid-file={root / 'pid'}", f"--log-error={root / 'error.log'}", *as_root],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        con = None
        deadline = time.monotonic() + 60
        while con is None:
            try:
                con = pymysql.connect(unix_socket=str(sock), user="root", autocommit=True)
            except pymysql.err.OperationalError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log = (root / "error.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"MariaDB did not start: {log}") from None
                time.sleep(0.1)
        yield con
        con.close()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _column_type(kind: str, values: list[object]) -> str:
    """Open Dental's MySQL type for a demo column: bigint ids and enums, double money, date, datetime,
    time, varchar text (the type is read off the stored values for the TEXT columns)."""
    if kind == "INTEGER":
        return "bigint NOT NULL DEFAULT 0"
    if kind == "REAL":
        return "double NOT NULL DEFAULT 0"
    texts = [str(v) for v in values if v not in (None, "")]
    for pattern, sql_type in ((_DATE, "date"), (_DATETIME, "datetime"), (_TIME, "time")):
        if texts and all(pattern.match(t) for t in texts):
            return f"{sql_type} NOT NULL"
    return "varchar(255) NOT NULL DEFAULT ''"


@pytest.fixture(scope="module")
def office(mariadb: Any, demo_db: Path) -> Any:
    """The demo practice as an office database ``opendental`` on the MariaDB server."""
    cur = mariadb.cursor()
    cur.execute("CREATE DATABASE opendental CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci")
    cur.execute("USE opendental")
    lite = sqlite3.connect(demo_db)
    try:
        tables = [r[0] for r in lite.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:
            info = lite.execute(f"PRAGMA table_info({table})").fetchall()
            rows = lite.execute(f"SELECT * FROM {table}").fetchall()
            columns = []
            for i, (_, name, kind, *_rest) in enumerate(info):
                columns.append(f"`{name}` {_column_type(kind, [r[i] for r in rows])}")
            pk = next(c[1] for c in info if c[5])
            cur.execute(f"CREATE TABLE `{table}` ({', '.join(columns)}, PRIMARY KEY (`{pk}`))")
            if rows:
                names = ", ".join(f"`{c[1]}`" for c in info)
                marks = ", ".join(["%s"] * len(info))
                cur.executemany(f"INSERT INTO `{table}` ({names}) VALUES ({marks})", rows)
    finally:
        lite.close()
    return mariadb


class OfficeData:
    """What :mod:`odnb.kpis.sql` needs of a PracticeData: ``query(sql)`` -- here on the MariaDB office."""

    def __init__(self, con: Any) -> None:
        self.con = con
        self.sent: list[str] = []

    def query(self, sql: str) -> pd.DataFrame:
        self.sent.append(sql)
        cur = self.con.cursor()
        cur.execute(sql)
        names = [d[0] for d in cur.description]
        return pd.DataFrame(list(cur.fetchall()), columns=names)


def connect(server: Any, key: str = DEMO_READONLY_CUSTOMER_KEY) -> odnb.Client:
    return odnb.connect(
        base_url=server.base_url, developer_key=DEMO_DEVELOPER_KEY, customer_key=key, progress=False
    )


def test_mariadb_types_are_open_dentals(office: Any) -> None:
    cur = office.cursor()
    cur.execute(
        "SELECT TABLE_NAME, COLUMN_NAME, DATA_TYPE FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = "
        "'opendental' AND COLUMN_NAME IN ('ProcDate', 'AptDateTime', 'ProcFee', 'LName', 'ProcStatus') "
        "AND TABLE_NAME IN ('procedurelog', 'appointment', 'patient')"
    )
    assert sorted(cur.fetchall()) == [
        ("appointment", "AptDateTime", "datetime"),
        ("patient", "LName", "varchar"),
        ("procedurelog", "ProcDate", "date"),
        ("procedurelog", "ProcFee", "double"),
        ("procedurelog", "ProcStatus", "bigint"),
    ]


@pytest.fixture(scope="module")
def listed(demo_db: Path) -> Iterator[kpis.PracticeData]:
    """The list path (the free tier's key, no Queries) over one simulator of the demo practice, shared by
    the tests that compare the SQL with it: each table crosses the socket once for all of them."""
    from odnb.demo.server import DemoServer, SimulatorConfig

    server = DemoServer(demo_db, SimulatorConfig(mode="service")).start()
    try:
        yield kpis.PracticeData(connect(server))
    finally:
        server.stop()


@pytest.mark.parametrize("span", PERIODS, ids=["half-year", "one-month"])
def test_scorecard_sql_on_mariadb_equals_the_list_path(
    span: tuple[date, date], office: Any, listed: kpis.PracticeData
) -> None:
    data = OfficeData(office)
    values, reasons = kpis_sql.scorecard_values(data, *span)
    card = kpis.scorecard(listed, *span, use_queries=False, adjustments="per_patient")
    assert card.reasons == {} and reasons == {}
    assert values == card.values
    assert values["gross_production"] and values["collections"] and values["appointments_completed"]


def test_trend_provider_and_aging_sql_on_mariadb(office: Any, make_simulator: Any, demo_db: Path,
                                                listed: kpis.PracticeData) -> None:
    start, end = date(2025, 7, 1), date(2026, 6, 30)
    data = OfficeData(office)
    server = make_simulator()
    trend = kpis_sql.monthly_trend(data, start, end)
    expected = kpis.monthly_trend(listed, start, end, use_queries=False, adjustments="per_patient")
    pd.testing.assert_frame_equal(trend, expected)
    assert trend["gross_production"].sum() > 0
    providers = kpis_sql.provider_production(data, start, end)
    pd.testing.assert_frame_equal(providers, kpis.provider_production(listed, start, end, use_queries=False))
    aging = kpis_sql.ar_aging(data)
    # The simulator's own ShortQuery path (SQLite) and an independent sum give the same buckets.
    pd.testing.assert_frame_equal(aging, kpis.aging(connect(server, DEMO_CUSTOMER_KEY), use_queries=True))
    lite = sqlite3.connect(demo_db)
    total = lite.execute("SELECT ROUND(SUM(BalTotal), 2) FROM patient WHERE Guarantor = PatNum").fetchone()[0]
    lite.close()
    assert round(float(aging["amount"].sum()), 2) == total != 0
    assert len(data.sent) == 3


# The ShortQuery probes that once answered SQLite's way: the simulator must answer each as MariaDB does.
PROBES = [
    "SELECT 5/2 AS x, 7 DIV 2 AS d, 1/0 AS z",
    "SELECT 5 - CASE WHEN 1 <= 0 THEN 0 WHEN 2 < 5 THEN 2 ELSE 5 END AS a, "
    "CASE 2 WHEN 1 THEN 'x' WHEN 2 THEN 'y' END AS b, IF(1 > 0, 'yes', 'no') AS c",
    "SELECT SUM(AptStatus=5)/COUNT(*) AS r FROM appointment",
    "SELECT COUNT(*) AS n FROM patient WHERE LName = 'moore' OR LName = 'SMITH'",
    "SELECT 'abc' = 'ABC' AS same, 'a' < 'B' AS less",
    "SELECT LName || ', ' || FName AS x FROM patient ORDER BY PatNum LIMIT 3",
    "SELECT CAST(ProcDate AS DATE) AS d FROM procedurelog ORDER BY ProcNum LIMIT 3",
    "SELECT DATE_SUB('2024-02-29', INTERVAL 1 YEAR) AS a, DATE_ADD('2026-01-31', INTERVAL 1 MONTH) AS b, "
    "LEFT('Moore', 3) AS c, LAST_DAY('2024-02-10') AS d, STR_TO_DATE('03/15/2026', '%m/%d/%Y') AS e, "
    "TIMESTAMPDIFF(MONTH, '2025-01-15', '2026-03-01') AS f",
    "SELECT GROUP_CONCAT(ProcCode ORDER BY ProcCode DESC SEPARATOR '; ') AS g FROM procedurecode "
    "WHERE ProcCode LIKE 'D01%'",
    "SELECT patnum, lname AS Last, count(*), t.FNAME FROM patient t GROUP BY PatNum ORDER BY PatNum LIMIT 2",
    "SELECT YEAR(ProcDate) AS y, DATE_FORMAT(ProcDate, '%Y-%m') AS ym, IF(ProcStatus = 2, 'C', 'X') AS s, "
    "IFNULL(NULL, 5) AS five, CONCAT('D', CodeNum) AS c FROM procedurelog ORDER BY ProcNum LIMIT 2",
    "SELECT clinic.Description, COUNT(*) AS NumberOfPatients FROM patient,clinic "
    "WHERE patient.ClinicNum=clinic.ClinicNum GROUP BY clinic.ClinicNum",
    "SELECT ProvNum, ROUND(SUM(ProcFee * (UnitQty + BaseUnits)), 2) AS fees FROM procedurelog "
    "WHERE ProcStatus = 2 AND ProcDate BETWEEN '2026-01-01' AND '2026-03-31' "
    "GROUP BY ProvNum ORDER BY ProvNum",
]
REFUSED = [
    "SELECT strftime('%Y', ProcDate) FROM procedurelog",
    "SELECT julianday('2026-01-01')",
    "SELECT IIF(1, 2, 3)",
    "SELECT name FROM sqlite_master",
    "SELEC * FROM patient",
    "SELECT NoSuchColumn FROM procedurelog",
]


def _wire(value: object) -> object:
    """A MariaDB value as the ShortQuery JSON carries it."""
    import datetime as dt
    from decimal import Decimal

    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() and "." not in str(value) else float(value)
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat() + "T00:00:00"
    return value


def _rounded(rows: list[dict]) -> list[dict]:
    """Floats to 9 places: a double's last bits may differ between engines."""
    return [{k: round(v, 9) if isinstance(v, float) else v for k, v in r.items()} for r in rows]


@pytest.mark.parametrize("sql", PROBES)
def test_simulator_short_query_answers_as_mariadb(sql: str, office: Any, make_simulator: Any) -> None:
    import json

    import requests

    from odnb.testing import auth_headers

    cur = office.cursor()
    cur.execute(sql)
    names = [d[0] for d in cur.description]
    expected = [{n: _wire(v) for n, v in zip(names, row, strict=True)} for row in cur.fetchall()]
    server = make_simulator()
    got = requests.put(f"{server.base_url}/queries/ShortQuery", headers=auth_headers(),
                       data=json.dumps({"SqlCommand": sql}))  # fmt: skip
    assert got.status_code == 200, got.text
    assert _rounded(got.json()) == _rounded(expected)


@pytest.mark.parametrize("sql", REFUSED)
def test_what_mariadb_refuses_the_simulator_refuses(sql: str, office: Any, make_simulator: Any) -> None:
    import json

    import pymysql
    import requests

    from odnb.testing import auth_headers

    with pytest.raises(pymysql.err.MySQLError):
        office.cursor().execute(sql)
    server = make_simulator()
    got = requests.put(f"{server.base_url}/queries/ShortQuery", headers=auth_headers(),
                       data=json.dumps({"SqlCommand": sql}))  # fmt: skip
    assert got.status_code == 400, got.text
