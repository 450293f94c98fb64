"""One consistent CLI (issue 13): ``-p KEY=VALUE`` everywhere, ``--email`` that eats nothing and checks its
addresses, ``odnb query``, ``.xlsx`` wherever there is ``-o``, ``config show|remove|default``, ``config
check`` of ``[mail]``, ``schedule list`` that refuses what cannot run, success messages that say what went
where, and ``--out`` folders left as they are. Real simulator over loopback, real SMTP server, real kernel.
"""

from __future__ import annotations

import sqlite3
import stat
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from odnb import cli
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY

NOTEBOOKS = Path(__file__).parent / "notebooks"
SAMPLE = NOTEBOOKS / "sample_report.ipynb"
BY_PROVIDER = "SELECT ProvNum, COUNT(*) AS n FROM procedurelog GROUP BY ProvNum ORDER BY ProvNum"


def no_reports(home: Path) -> bool:
    return not (home / "reports").exists() or not any((home / "reports").rglob("*.*"))


def write_config(home: Path, text: str) -> Path:
    path = home / "config.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODNB_DEVELOPER_KEY", DEMO_DEVELOPER_KEY)
    monkeypatch.setenv("ODNB_CUSTOMER_KEY", DEMO_CUSTOMER_KEY)


# ------------------------------------------------------------------------------------- odnb report -p


def test_report_takes_key_value_and_explains_the_old_form(isolated_home: Path, capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["report", str(SAMPLE), "--profile", "demo", "-p", "period", "last month"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "-p takes KEY=VALUE" in err and "period=VALUE" in err
    assert cli.main(["report", str(SAMPLE), "--profile", "demo", "-p", "period"]) == 2
    assert "is not KEY=VALUE" in capsys.readouterr().err
    assert no_reports(isolated_home)


def test_email_is_checked_and_eats_no_notebook(isolated_home: Path, capsys) -> None:
    assert cli.main(["report", "--email", "not-an-email", str(SAMPLE), "--profile", "demo"]) == 2
    err = capsys.readouterr().err
    assert "Not an email address: 'not-an-email'" in err
    # the notebook after --email ADDR is the notebook (here refused for the missing [mail], before running)
    assert cli.main(["report", "--email", "a@b", str(SAMPLE), "--profile", "demo"]) == 2
    err = capsys.readouterr().err
    assert "[mail]" in err and "No notebook" not in err
    assert no_reports(isolated_home)


def test_profile_errors_exit_2_before_the_kernel_starts(isolated_home: Path, capsys) -> None:
    write_config(isolated_home, '[profiles.office]\nmode = "service"\nbase_url = "http://127.0.0.1:9/api/v1"\n'
                                'customer_key_env = "OFFICE_CUSTOMER_KEY"\n')
    assert cli.main(["report", str(SAMPLE), "--profile", "office"]) == 2
    err = capsys.readouterr().err
    assert "Profile 'office' cannot be used" in err and "developer key" in err
    assert "Traceback" not in err and no_reports(isolated_home)


@pytest.mark.slow
def test_success_says_what_was_sent_where_and_leaves_out_folder_alone(
        isolated_home: Path, smtp_inbox: tuple[Any, int], tmp_path: Path, capsys) -> None:
    inbox, port = smtp_inbox
    write_config(isolated_home, f'[mail]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\n'
                                'sender = "reports@example.com"\n')
    out = tmp_path / "shared"
    out.mkdir()
    out.chmod(0o755)
    code = cli.main(["report", "--email", "owner@example.com,office@example.com", str(SAMPLE),
                     "--profile", "demo", "-p", "period=last month", "--out", str(out)])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert stat.S_IMODE(out.stat().st_mode) == 0o755  # an existing folder is not chmodded
    html = Path(captured.out.strip().splitlines()[-1])
    assert html.parent == out and stat.S_IMODE(html.stat().st_mode) == 0o600
    assert f"written to {out}" in captured.err
    assert (f"mailed the report to owner@example.com, office@example.com via 127.0.0.1:{port}"
            in captured.err)
    assert len(inbox.messages) == 1


# ------------------------------------------------------------------------------------------- odnb query


def test_query_prints_a_table(simulator: Any, keys: None, demo_db: Path, capsys) -> None:
    assert cli.main(["query", BY_PROVIDER, "--base-url", simulator.base_url]) == 0
    out = capsys.readouterr().out
    with sqlite3.connect(demo_db) as con:
        rows = con.execute(BY_PROVIDER).fetchall()
    assert out.splitlines()[0].startswith(f"query: {len(rows)} rows x 2 columns")
    for prov, n in rows:
        assert any(line.split()[1:] == [str(prov), str(n)] for line in out.splitlines()[2:]), (prov, n)


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx", ".json"])
def test_query_writes_every_format(simulator: Any, keys: None, demo_db: Path, tmp_path: Path, capsys,
                                   suffix: str) -> None:
    target = tmp_path / f"by_provider{suffix}"
    assert cli.main(["query", BY_PROVIDER, "--base-url", simulator.base_url, "-o", str(target)]) == 0
    assert f"-> {target}" in capsys.readouterr().out
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    read = {".csv": pd.read_csv, ".parquet": pd.read_parquet, ".xlsx": pd.read_excel,
            ".json": pd.read_json}[suffix]
    got = read(target)
    with sqlite3.connect(demo_db) as con:
        expected = con.execute(BY_PROVIDER).fetchall()
    assert [tuple(int(v) for v in row) for row in got[["ProvNum", "n"]].itertuples(index=False)] == expected


def test_query_refuses_bad_input_before_a_request(simulator: Any, keys: None, tmp_path: Path, capsys) -> None:
    assert cli.main(["query", "  ", "--base-url", simulator.base_url]) == 2
    assert "needs SQL" in capsys.readouterr().err
    assert cli.main(["query", BY_PROVIDER, "--base-url", simulator.base_url, "-o",
                     str(tmp_path / "x.docx")]) == 2
    assert ".xlsx" in capsys.readouterr().err
    assert simulator.log.count() == 0
    assert cli.main(["query", "DELETE FROM patient", "--base-url", simulator.base_url]) == 1
    assert "read-only" in capsys.readouterr().err


def test_get_writes_xlsx(simulator: Any, keys: None, demo_db: Path, tmp_path: Path, capsys) -> None:
    target = tmp_path / "appointments.xlsx"
    assert cli.main(["get", "appointments", "--base-url", simulator.base_url, "-p", "dateStart=2026-10-01",
                     "-p", "dateEnd=2026-10-31", "-o", str(target)]) == 0
    frame = pd.read_excel(target)
    with sqlite3.connect(demo_db) as con:
        expected = sorted(n for (n,) in con.execute(
            "SELECT AptNum FROM appointment WHERE date(AptDateTime) BETWEEN '2026-10-01' AND '2026-10-31'"))
    assert sorted(frame["AptNum"]) == expected and len(expected) > 0
    assert frame["AptDateTime"].dtype.kind == "M"  # dates stay dates in Excel
    assert "appointments.xlsx" in capsys.readouterr().out


# ------------------------------------------------------------------------------------------ odnb config


def test_config_show_default_remove(isolated_home: Path, monkeypatch: pytest.MonkeyPatch, capsys) -> None:
    monkeypatch.setenv("OFFICE_KEY", "very-secret-key-987")
    assert cli.main(["config", "add", "office", "--mode", "service", "--base-url",
                     "http://127.0.0.1:9/api/v1", "--developer-key-env", "OFFICE_KEY",
                     "--customer-key-env", "OFFICE_KEY"]) == 0
    capsys.readouterr()
    assert cli.main(["config", "show", "office"]) == 0
    out = capsys.readouterr().out
    assert "http://127.0.0.1:9/api/v1" in out and "from env OFFICE_KEY" in out
    assert "very-secret-key-987" not in out
    assert cli.main(["config", "default"]) == 0
    assert "Default profile: demo" in capsys.readouterr().out
    assert cli.main(["config", "default", "office"]) == 0
    capsys.readouterr()
    assert cli.main(["config", "default"]) == 0 and "Default profile: office" in capsys.readouterr().out
    assert cli.main(["config", "show"]) == 0 and "office (the default)" in capsys.readouterr().out
    assert cli.main(["config", "remove", "office"]) == 0
    assert "It was the default" in capsys.readouterr().out
    text = (isolated_home / "config.toml").read_text()
    assert "office" not in text
    assert cli.main(["config", "remove", "office"]) == 2
    assert "No profile named 'office'" in capsys.readouterr().err
    assert cli.main(["config", "remove", "demo"]) == 2
    assert cli.main(["config", "default", "nowhere"]) == 2


@pytest.mark.parametrize(("mail", "problem"), [
    ('host = "smtp.example.com"\nuser = "me"\n', "has no password"),
    ('host = "smtp.example.com"\nsender = "reports"\n', "not an email address"),
    ('host = "smtp.example.com"\nsecurity = "tls13"\n', "not known"),
    ('sender = "r@example.com"\n', "no host"),
])
def test_config_check_validates_mail(isolated_home: Path, capsys, mail: str, problem: str) -> None:
    write_config(isolated_home, "[mail]\n" + mail)
    assert cli.main(["config", "check"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  [mail]" in out and problem in out and "All good" not in out


def test_config_check_passes_a_good_mail_section(isolated_home: Path, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ODNB_SMTP_PASSWORD", "pw-123456")
    write_config(isolated_home, '[mail]\nhost = "smtp.example.com"\nuser = "me@example.com"\n')
    assert cli.main(["config", "check"]) == 0
    out = capsys.readouterr().out
    assert "ok    [mail]: smtp.example.com:587 starttls as me@example.com" in out and "pw-123456" not in out


# ---------------------------------------------------------------------------------------- odnb schedule


def jobs_file(tmp_path: Path, **fields: str) -> Path:
    values = {"name": '"weekly"', "notebook": '"practice_kpis"', "profile": '"demo"', "cron": '"0 7 * * MON"',
              **fields}
    path = tmp_path / "jobs.toml"
    path.write_text("[[job]]\n" + "".join(f"{k} = {v}\n" for k, v in values.items()))
    return path


@pytest.mark.parametrize(("fields", "message"), [
    ({"profile": '"nowhere"'}, "no profile named 'nowhere'"),
    ({"cron": '"0 7 30 2 *"'}, "can never fire"),
    ({"notebook": '"no_such_notebook"'}, "No notebook 'no_such_notebook'"),
    ({"email": '["owner@example.com"]'}, "no [mail] section"),
    ({"email": '["not-an-email"]'}, "not: 'not-an-email'"),
])
def test_schedule_list_refuses_what_cannot_run(tmp_path: Path, capsys, fields: dict, message: str) -> None:
    path = jobs_file(tmp_path, **fields)
    assert cli.main(["schedule", "list", "--jobs", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and "CroniterBadDateError" not in err


def test_schedule_list_accepts_a_runnable_job(tmp_path: Path, capsys) -> None:
    assert cli.main(["schedule", "list", "--jobs", str(jobs_file(tmp_path))]) == 0
    assert "weekly: practice_kpis for demo" in capsys.readouterr().out


def test_schedule_help_has_no_rst(capsys) -> None:
    with pytest.raises(SystemExit):
        cli.main(["schedule", "--help"])
    out = capsys.readouterr().out
    assert "jobs.toml" in out and "``" not in out and ":func:" not in out and "::" not in out


def test_folders_named_by_the_user_keep_their_permissions(tmp_path: Path) -> None:
    from odnb.paths import given_dir

    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o755)
    assert given_dir(shared) == shared and stat.S_IMODE(shared.stat().st_mode) == 0o755
    made = given_dir(tmp_path / "new" / "reports")
    assert made.is_dir() and stat.S_IMODE(made.stat().st_mode) == 0o700


def test_get_explains_a_key_value_split_in_two(capsys) -> None:
    with pytest.raises(SystemExit) as stopped:
        cli.main(["get", "procedurelogs", "-p", "ProcStatus", "C"])
    assert stopped.value.code == 2
    assert "-p takes KEY=VALUE: write -p ProcStatus=C" in capsys.readouterr().err
