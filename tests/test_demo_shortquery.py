"""ShortQuery answers as an office's MySQL does: each probe below once answered differently on SQLite.

Every expected value is MySQL's documented result (or the docs' own example), computed independently of
the simulator where it depends on the data (plain SQL on the SQLite file)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import pytest
import requests

from odnb.testing import auth_headers

ALL = auth_headers()
NOW = datetime(2026, 11, 24, 10, 30, 0)


def query(server: object, sql: str, **params: object) -> requests.Response:
    return requests.put(
        f"{server.base_url}/queries/ShortQuery",  # type: ignore[attr-defined]
        headers=ALL,
        params=params,
        data=json.dumps({"SqlCommand": sql}),
    )


def rows(server: object, sql: str) -> list[dict]:
    response = query(server, sql)
    assert response.status_code == 200, response.text
    return response.json()


def one(db: Path, sql: str) -> object:
    con = sqlite3.connect(db)
    try:
        return con.execute(sql).fetchone()[0]
    finally:
        con.close()


@pytest.fixture
def server(make_simulator: Callable) -> object:
    return make_simulator(now=lambda: NOW)


def test_division_is_decimal(server: object, demo_db: Path) -> None:
    assert rows(server, "SELECT 5/2 AS x, 7 DIV 2 AS d, 1/0 AS z") == [{"x": 2.5, "d": 3, "z": None}]
    broken = one(demo_db, "SELECT SUM(AptStatus = 5) FROM appointment")
    total = one(demo_db, "SELECT COUNT(*) FROM appointment")
    rate = rows(server, "SELECT SUM(AptStatus=5)/COUNT(*) AS r FROM appointment")[0]["r"]
    # MySQL: exact operands get 4 more decimals (div_precision_increment), rounded half up.
    assert broken and rate == round(broken / total, 4) and 0 < rate < 1


def test_text_compares_case_insensitively(server: object, demo_db: Path) -> None:
    name = one(demo_db, "SELECT LName FROM patient ORDER BY PatNum LIMIT 1")
    expected = one(demo_db, f"SELECT COUNT(*) FROM patient WHERE LName = '{name}'")
    sql = f"SELECT COUNT(*) AS n FROM patient WHERE LName = '{str(name).lower()}'"
    assert rows(server, sql) == [{"n": expected}] and expected > 0
    assert rows(server, f"SELECT COUNT(*) AS n FROM patient WHERE LName IN ('{str(name).upper()}')") == [
        {"n": expected}
    ]
    assert rows(server, "SELECT 'abc' = 'ABC' AS same, 'a' < 'B' AS less") == [{"same": 1, "less": 1}]


def test_pipes_are_logical_or_and_cast_as_date_is_a_date(server: object) -> None:
    got = rows(server, "SELECT LName || ', ' || FName AS x, CAST(ProcDate AS DATE) AS d "
                       "FROM procedurelog JOIN patient USING (PatNum) WHERE ProcNum = 1")  # fmt: skip
    assert got[0]["x"] == 0
    assert len(got[0]["d"]) == 19 and got[0]["d"].endswith("T00:00:00")


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT strftime('%Y', ProcDate) FROM procedurelog",
        "SELECT julianday('now')",
        "SELECT IIF(1, 2, 3)",
        "SELECT name FROM sqlite_master",
        "SELECT * FROM information_schema.nosuch",
    ],
)
def test_sqlite_only_sql_is_refused_with_400(server: object, sql: str) -> None:
    response = query(server, sql)
    assert response.status_code == 400
    assert "does not exist" in response.json() or "doesn't exist" in response.json()


def test_case_expressions_and_if(server: object) -> None:
    got = rows(server, "SELECT 5 - CASE WHEN 1 <= 0 THEN 0 WHEN 2 < 5 THEN 2 ELSE 5 END AS a, "
                       "CASE 2 WHEN 1 THEN 'x' WHEN 2 THEN 'y' END AS b, IF(1 > 0, 'yes', 'no') AS c")
    assert got == [{"a": 3, "b": "y", "c": "yes"}]


def test_mysql_functions(server: object) -> None:
    got = rows(
        server,
        "SELECT DATE_SUB('2024-02-29', INTERVAL 1 YEAR) AS a, DATE_ADD('2026-01-31', INTERVAL 1 MONTH) AS b, "
        "LEFT('Moore', 3) AS c, LAST_DAY('2024-02-10') AS d, STR_TO_DATE('03/15/2026', '%m/%d/%Y') AS e, "
        "TIMESTAMPDIFF(MONTH, '2025-01-15', '2026-03-01') AS f, RIGHT('Moore', 2) AS g, "
        "CURDATE() - INTERVAL 1 DAY AS h, EXTRACT(YEAR FROM '2026-05-04') AS i, CURRENT_DATE AS j",
    )
    assert got == [
        {
            "a": "2023-02-28",  # a string in, a string out (as MySQL types it)
            "b": "2026-02-28",
            "c": "Moo",
            "d": "2024-02-29T00:00:00",
            "e": "2026-03-15T00:00:00",
            "f": 13,
            "g": "re",
            "h": "2026-11-23T00:00:00",
            "i": 2026,
            "j": "2026-11-24T00:00:00",
        }
    ]


def test_round_is_half_away_from_zero_and_keeps_nulls(server: object) -> None:
    """MySQL's ROUND: halves away from zero, negative places round left of the point, NULL stays NULL, an
    integer stays an integer (the scorecard's money sums round every row through it)."""
    got = rows(
        server,
        "SELECT ROUND(2.5) AS a, ROUND(-2.5) AS b, ROUND(1.2345, 2) AS c, ROUND(NULL) AS d, ROUND(7) AS e, "
        "ROUND(1250, -2) AS f, ROUND(-0.125, 2) AS g, ROUND(2.5, NULL) AS h, ROUND(19.99 * 100) AS i",
    )
    assert got == [{"a": 3, "b": -3, "c": 1.23, "d": None, "e": 7, "f": 1300, "g": -0.13, "h": None,
                    "i": 1999}]


def test_group_concat_separator(server: object, demo_db: Path) -> None:
    codes = [r[0] for r in sqlite3.connect(demo_db).execute(
        "SELECT ProcCode FROM procedurecode WHERE ProcCode LIKE 'D01%' ORDER BY ProcCode DESC")]  # fmt: skip
    got = rows(server, "SELECT GROUP_CONCAT(ProcCode ORDER BY ProcCode DESC SEPARATOR '; ') AS g "
                       "FROM procedurecode WHERE ProcCode LIKE 'D01%'")  # fmt: skip
    assert got == [{"g": "; ".join(codes)}] and len(codes) > 1


def test_temporary_tables_are_allowed(server: object, demo_db: Path) -> None:
    sql = (
        "CREATE TEMPORARY TABLE tmp_fees AS SELECT PatNum, SUM(ProcFee) AS fees FROM procedurelog "
        "WHERE ProcStatus = 2 GROUP BY PatNum; SELECT COUNT(*) AS n FROM tmp_fees; "
        "DROP TEMPORARY TABLE tmp_fees"
    )
    expected = one(demo_db, "SELECT COUNT(DISTINCT PatNum) FROM procedurelog WHERE ProcStatus = 2")
    assert rows(server, sql) == [{"n": expected}]
    assert rows(server, sql) == [{"n": expected}]  # gone after each request: no "already exists"
    assert query(server, "SELECT * FROM tmp_fees").status_code == 400


def test_syntax_errors_are_400_in_mysql_words(server: object) -> None:
    response = query(server, "SELEC * FROM patient")
    assert response.status_code == 400
    assert response.json() == (
        "Error executing query: You have an error in your SQL syntax; check the manual that corresponds to "
        "your MySQL server version for the right syntax to use near 'SELEC * FROM patient' at line 1"
    )
    assert query(server, "UPDATE patient SET LName = 'x'").status_code == 401


def test_keys_are_spelled_as_in_the_select(server: object) -> None:
    got = rows(server, "SELECT patnum, lname AS Last, count(*), t.FNAME FROM patient t GROUP BY PatNum "
                       "ORDER BY PatNum LIMIT 1")  # fmt: skip
    assert list(got[0]) == ["patnum", "Last", "count(*)", "FNAME"]
    star = rows(server, "SELECT * FROM payperiod LIMIT 1")
    assert list(star[0]) == ["PayPeriodNum", "DateStart", "DateStop", "DatePaycheck"]


def test_the_docs_examples_run(server: object, demo_db: Path) -> None:
    phones = rows(
        server,
        "SELECT LName, FName, HmPhone, WkPhone, WirelessPhone, Email\n FROM patient\n "
        "WHERE PatNum IN(876,2456,3892,5713,1234,6987,4321,7542,1890,5678,9012,3456)",
    )
    assert all(set(r) == {"LName", "FName", "HmPhone", "WkPhone", "WirelessPhone", "Email"} for r in phones)
    clinics = rows(
        server,
        "SELECT clinic.Description, COUNT(*) AS NumberOfPatients\n FROM patient,clinic\n "
        "WHERE patient.ClinicNum=clinic.ClinicNum\n GROUP BY clinic.ClinicNum",
    )
    assert sum(r["NumberOfPatients"] for r in clinics) == one(demo_db, "SELECT COUNT(*) FROM patient")
    periods = rows(server, "SELECT * FROM payperiod")
    assert periods and periods[0]["DateStart"].endswith("-01T00:00:00")
    assert rows(server, "SELECT COUNT(*) AS n FROM InsSub WHERE DateTerm < '2021-01-01'")[0]["n"] >= 0
