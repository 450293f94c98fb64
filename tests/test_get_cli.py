"""`odnb get` over a real socket: exact row counts in csv / parquet / json, and bad input refused before
any request reaches the server."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Callable
from pathlib import Path

import pandas as pd
import pytest

from odnb.api.enums import PROC_STATUS
from odnb.cli import main
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY


@pytest.fixture
def server(make_simulator: Callable[..., object], monkeypatch: pytest.MonkeyPatch) -> object:
    monkeypatch.setenv("ODNB_DEVELOPER_KEY", DEMO_DEVELOPER_KEY)
    monkeypatch.setenv("ODNB_CUSTOMER_KEY", DEMO_CUSTOMER_KEY)
    return make_simulator(mode="service")


def count(db: Path, sql: str, *args: object) -> int:
    with sqlite3.connect(db) as con:
        return con.execute(sql, args).fetchone()[0]


def test_csv_has_every_procedure(server: object, demo_db: Path, tmp_path: Path,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "procs.csv"
    assert main(["get", "procedurelogs", "--base-url", server.base_url, "-o", str(out)]) == 0
    expected = count(demo_db, "SELECT COUNT(*) FROM procedurelog")
    frame = pd.read_csv(out)
    assert len(frame) == expected and frame["ProcNum"].is_unique
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert f"{expected:,} rows" in capsys.readouterr().out
    assert [p.name for p in tmp_path.iterdir()] == ["procs.csv"]  # no temp file left behind


def test_parquet_with_a_filter(server: object, demo_db: Path, tmp_path: Path) -> None:
    out = tmp_path / "done.parquet"
    assert main(["get", "procedurelogs", "--base-url", server.base_url, "-p", "ProcStatus=C",
                 "-o", str(out), "--no-cache"]) == 0
    frame = pd.read_parquet(out)
    expected = count(demo_db, "SELECT COUNT(*) FROM procedurelog WHERE ProcStatus = ?", PROC_STATUS["C"])
    assert len(frame) == expected
    assert set(frame["ProcStatus"].astype(str)) == {"C"}


def test_json_and_head(
    server: object, demo_db: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "ops.json"
    assert main(["get", "operatories", "--base-url", server.base_url, "-o", str(out)]) == 0
    rows = json.loads(out.read_text())
    assert len(rows) == count(demo_db, "SELECT COUNT(*) FROM operatory")
    capsys.readouterr()
    assert main(["get", "operatories", "--base-url", server.base_url, "--head", "2"]) == 0
    printed = capsys.readouterr().out
    assert f"operatories: {len(rows)} rows" in printed and "OperatoryNum" in printed


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["procedurelogs", "-o", "procs.docx"], "unknown file type '.docx'"),
        (["procedurelogs", "-o", "missing-folder/procs.csv"], "does not exist"),
        (["procedurelogz"], "procedurelogz"),
        (["procedurelogs", "-p", "Color=blue"], "Color"),
        (["procedurelogs", "-p", "nonsense"], "not key=value"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    server: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
    argv: list[str], message: str,
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["get", *argv, "--base-url", server.base_url]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert len(server.log) == 0
    assert list(tmp_path.iterdir()) == []


def test_api_error_is_explained_with_exit_1(
    server: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("ODNB_CUSTOMER_KEY", "notTheRightKey-123")
    out = tmp_path / "x.csv"
    assert main(["get", "providers", "--base-url", server.base_url, "-o", str(out)]) == 1
    err = capsys.readouterr().err
    assert "Setup > Advanced Setup > API" in err and "notTheRightKey-123" not in err
    assert not out.exists()


def test_a_typo_in_the_resource_is_named_before_keys_are_looked_up(
    server: object, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # No keys anywhere: the resource typo is still what the user is told about (it is checked first).
    monkeypatch.delenv("ODNB_DEVELOPER_KEY")
    monkeypatch.delenv("ODNB_CUSTOMER_KEY")
    assert main(["get", "procedurelog", "--base-url", server.base_url]) == 2
    err = capsys.readouterr().err
    assert "Did you mean 'procedurelogs'" in err and "key" not in err.split("Fix:")[0].lower()
    assert len(server.log) == 0


def test_a_reader_that_stops_early_is_not_an_error(server: object, isolated_home: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "ODNB_DEVELOPER_KEY": DEMO_DEVELOPER_KEY, "ODNB_CUSTOMER_KEY": DEMO_CUSTOMER_KEY}
    argv = [sys.executable, "-m", "odnb", "get", "procedurelogs", "--base-url", server.base_url,
            "--head", "5000"]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    assert proc.stdout is not None and proc.stderr is not None
    first = proc.stdout.readline()  # like `| head -1`
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 0
    assert b"procedurelogs:" in first and "Traceback" not in err and "BrokenPipe" not in err
