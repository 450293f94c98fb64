"""Schedules: jobs-file parsing, relative dates, next runs, catch-up once, no overlap, installers and
roll-ups."""

from __future__ import annotations

import csv
import json
from datetime import date, datetime, timedelta
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from odnb import cli
from odnb.periods import PeriodError, expand_parameters, relative_period
from odnb.reports.schedule import (
    Job,
    ScheduleError,
    due_time,
    job_lock,
    load_jobs,
    read_state,
    run_due,
    run_job,
    update_state,
)

NOTEBOOKS = Path(__file__).parent / "notebooks"
SAMPLE = NOTEBOOKS / "sample_report.ipynb"
TODAY = date(2026, 11, 24)  # a Tuesday


@pytest.mark.parametrize(("phrase", "first", "last"), [
    ("today", "2026-11-24", "2026-11-24"),
    ("yesterday", "2026-11-23", "2026-11-23"),
    ("3 days ago", "2026-11-21", "2026-11-21"),
    ("last 7 days", "2026-11-17", "2026-11-23"),
    ("last week", "2026-11-16", "2026-11-22"),
    ("week to date", "2026-11-23", "2026-11-24"),
    ("last month", "2026-10-01", "2026-10-31"),
    ("Month to date", "2026-11-01", "2026-11-24"),
    ("last year", "2025-01-01", "2025-12-31"),
    ("year to date", "2026-01-01", "2026-11-24"),
])
def test_relative_dates_for_a_fixed_today(phrase: str, first: str, last: str) -> None:
    assert relative_period(phrase, TODAY) == (date.fromisoformat(first), date.fromisoformat(last))


def test_last_month_across_a_year_and_a_leap_february() -> None:
    assert relative_period("last month", date(2027, 1, 5)) == (date(2026, 12, 1), date(2026, 12, 31))
    assert relative_period("last month", date(2028, 3, 1)) == (date(2028, 2, 1), date(2028, 2, 29))


def test_expand_parameters() -> None:
    assert expand_parameters({"period": "last month", "top": 5}, TODAY) == {
        "top": 5, "start": "2026-10-01", "end": "2026-10-31"}
    assert expand_parameters({"start": "last month", "end": "yesterday"}, TODAY) == {
        "start": "2026-10-01", "end": "2026-11-23"}
    assert expand_parameters({"start": "last week start", "end": "last week end"}, TODAY) == {
        "start": "2026-11-16", "end": "2026-11-22"}
    assert expand_parameters({"as_of_date": "2026-01-02", "provider": "Dr A"}, TODAY) == {
        "as_of_date": "2026-01-02", "provider": "Dr A"}


@pytest.mark.parametrize(("params", "message"), [
    ({"start": "last fortnight"}, "relative date"),
    ({"period": "someday"}, "not a known period"),
    ({"as_of": "last month"}, "say which day"),
    ({"start": "today", "end": "last month"}, "after end"),
])
def test_bad_relative_dates(params: dict, message: str) -> None:
    with pytest.raises(PeriodError, match=message):
        expand_parameters(params, TODAY)


def write_jobs(path: Path, body: str) -> Path:
    path.write_text(body)
    return path


GOOD = """
[[job]]
name = "weekly-kpis"
notebook = "practice_kpis"
profiles = ["north", "south"]
cron = "0 7 * * MON"
email = ["owner@example.com"]
[job.parameters]
period = "last month"

[[job]]
name = "daily"
notebook = "morning_huddle"
profile = "demo"
cron = "30 6 * * 1-5"
"""


def test_jobs_file_parses(tmp_path: Path) -> None:
    jobs = load_jobs(write_jobs(tmp_path / "jobs.toml", GOOD))
    assert [j.name for j in jobs] == ["weekly-kpis", "daily"]
    weekly, daily = jobs
    assert weekly.profiles == ("north", "south") and daily.profiles == ("demo",)
    assert weekly.email == ("owner@example.com",) and daily.email == ()
    assert weekly.parameters == {"period": "last month"}


def test_next_runs_from_croniter(tmp_path: Path) -> None:
    weekly, daily = load_jobs(write_jobs(tmp_path / "jobs.toml", GOOD))
    after = datetime(2026, 11, 24, 12, 0)
    assert weekly.next_runs(after) == [datetime(2026, 11, 30, 7), datetime(2026, 12, 7, 7),
                                       datetime(2026, 12, 14, 7)]
    assert daily.next_runs(after) == [datetime(2026, 11, 25, 6, 30), datetime(2026, 11, 26, 6, 30),
                                      datetime(2026, 11, 27, 6, 30)]
    assert weekly.last_due(datetime(2026, 11, 30, 7, 0)) == datetime(2026, 11, 30, 7)  # at the minute itself


@pytest.mark.parametrize(("body", "message"), [
    ('[[job]]\nname = "a"\nnotebook = "n"\ncron = "0 7 * * MON"\n', "exactly one of profile"),
    ('[[job]]\nname = "a"\nnotebook = "n"\nprofile = "p"\ncron = "every monday"\n', "5-field cron"),
    ('[[job]]\nname = "a"\nnotebook = "n"\nprofile = "p"\ncron = "0 0 7 * * MON"\n', "5-field cron"),
    ('[[job]]\nname = "a"\nnotebook = "n"\nprofile = "p"\ncron = "0 7 * * *"\nrecipients = []\n',
     "unknown key"),
    ('[[job]]\nname = "a"\nnotebook = "n"\nprofile = "p"\ncron = "0 7 * * *"\n[job.parameters]\n'
     'smtp_password = "x"\n', "looks like a secret"),
    ('[[job]]\nname = "a"\nnotebook = "n"\nprofile = "p"\ncron = "0 7 * * *"\n[job.parameters]\n'
     'start = "last fortnight"\n', "relative date"),
    ('[[job]]\nname = "a"\nnotebook = "n"\nprofile = "p"\ncron = "0 7 * * *"\n'
     '[[job]]\nname = "a"\nnotebook = "n"\nprofile = "p"\ncron = "0 8 * * *"\n', "used twice"),
    ('[[job]]\nname = "a"\nnotebook = "n"\nprofile = "p"\ncron = "0 7 * * *"\nemail = "nobody"\n', "email"),
    ("[[job]\n", "not valid TOML"),
    ("title = 'x'\n", "expected one or more"),
])
def test_bad_jobs_files(tmp_path: Path, body: str, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        load_jobs(write_jobs(tmp_path / "jobs.toml", body))


def test_missing_jobs_file_cli(tmp_path: Path, capsys) -> None:
    assert cli.main(["schedule", "list", "--jobs", str(tmp_path / "none.toml")]) == 2
    assert "No jobs file" in capsys.readouterr().err


def test_schedule_list_shows_next_three_runs(tmp_path: Path, capsys, isolated_home: Path) -> None:
    write_config(isolated_home, "http://127.0.0.1:9/api/v1", 25, ("north", "south"))  # list checks them
    path = write_jobs(tmp_path / "jobs.toml", GOOD)
    assert cli.main(["schedule", "list", "--jobs", str(path)]) == 0
    out = capsys.readouterr().out
    weekly_line = out.splitlines()[1]
    assert "next:" in weekly_line and weekly_line.count("Mon ") == 3
    assert "weekly-kpis" in out and "daily" in out and "never run" in out


def test_install_outputs_absolute_paths(tmp_path: Path, capsys, isolated_home: Path) -> None:
    write_config(isolated_home, "http://127.0.0.1:9/api/v1", 25, ("north", "south"))
    path = write_jobs(tmp_path / "jobs.toml", GOOD)
    assert cli.main(["schedule", "install", "--cron", "--jobs", str(path)]) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith("* * * * * ")
    assert f"--jobs {path}" in line and "schedule run --once" in line
    command = line.split("ODNB_REPORTS_DIR=", 1)[1].split(" ", 2)[1]
    assert Path(command).is_absolute() and Path(command).exists()
    assert f"ODNB_CONFIG={isolated_home / 'config.toml'}" in line

    assert cli.main(["schedule", "install", "--systemd", "--jobs", str(path)]) == 0
    out = capsys.readouterr().out
    exec_line = next(ln for ln in out.splitlines() if ln.startswith("ExecStart="))
    assert Path(exec_line.split("=", 1)[1].split()[0]).is_absolute()
    assert exec_line.endswith(f"schedule run --once --jobs {path}")
    assert "OnCalendar=" in out and "WantedBy=timers.target" in out and "Type=oneshot" in out


# ---------------------------------------------------------------------------------------------------------
# Running: state, catch-up once, no overlap


def sample_job(**kw) -> Job:
    base = {"name": "sample", "notebook": str(SAMPLE), "profiles": ("demo",), "cron": "0 7 * * MON",
            "parameters": {"period": "last month"}}
    return Job(**{**base, **kw})


def test_new_job_waits_for_its_next_time() -> None:
    job = sample_job()
    now = datetime(2026, 11, 24, 12, 0)
    assert due_time(job, now, read_state()) is None
    assert read_state()["sample"]["last_due"] == "2026-11-23T07:00:00"  # baseline: the last Monday 7:00
    assert due_time(job, now, read_state()) is None
    assert due_time(job, datetime(2026, 11, 30, 7, 0), read_state()) == datetime(2026, 11, 30, 7)


@pytest.mark.slow
def test_missed_runs_are_caught_up_once(isolated_home: Path) -> None:
    job = sample_job()
    update_state("sample", last_due="2026-10-05T07:00:00")  # down for seven Mondays
    now = datetime(2026, 11, 24, 12, 0)
    runs = run_due([job], now, log=lambda *_: None)
    assert len(runs) == 1 and runs[0].due == datetime(2026, 11, 23, 7)
    assert [r.ok for r in runs[0].results] == [True]
    kpis = json.loads(runs[0].results[0].kpis_path.read_text())
    assert kpis["period"] == {"start": "2026-10-01", "end": "2026-10-31"}  # relative to the due date
    state = read_state()["sample"]
    assert state["last_due"] == "2026-11-23T07:00:00" and state["last_ok"] is True
    assert run_due([job], now, log=lambda *_: None) == []  # caught up: nothing more until next Monday
    assert len(list((isolated_home / "reports" / "demo").glob("sample_report-*.html"))) == 1


def test_a_running_job_is_not_started_again() -> None:
    job = sample_job()
    update_state("sample", last_due="2026-11-16T07:00:00")
    messages: list[str] = []
    with job_lock("sample") as locked:
        assert locked
        run = run_job(job, datetime(2026, 11, 23, 7), log=messages.append)
    assert run.skipped and "still running" in messages[0]
    assert run.results == []
    assert read_state()["sample"]["last_due"] == "2026-11-16T07:00:00"  # untouched: it runs when free
    with job_lock("sample") as locked_again:
        assert locked_again  # the skipped run did not leave a lock behind


# ---------------------------------------------------------------------------------------------------------
# Many practices, delivered by `odnb schedule run --once` to a real SMTP server


def write_config(home: Path, base_url: str, smtp_port: int, profiles: tuple[str, ...]) -> None:
    from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY

    text = "".join(f'[profiles.{p}]\nmode = "service"\nbase_url = "{base_url}"\n'
                   f'developer_key = "{DEMO_DEVELOPER_KEY}"\ncustomer_key = "{DEMO_CUSTOMER_KEY}"\n\n'
                   for p in profiles)
    text += f'[mail]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\nsender = "r@example.com"\n'
    path = home / "config.toml"
    path.write_text(text)
    path.chmod(0o600)


def run_once_for_two_practices(home: Path, notebook: Path, base_url: str, smtp_port: int, capsys) -> list:
    write_config(home, base_url, smtp_port, ("north", "south"))
    jobs = write_jobs(home / "jobs.toml", f"""
[[job]]
name = "weekly"
notebook = "{notebook}"
profiles = ["north", "south"]
cron = "0 7 * * MON"
email = ["consultant@example.com"]
[job.parameters]
period = "last month"
""")
    update_state("weekly", last_due=(datetime.now() - timedelta(days=30)).isoformat(timespec="seconds"))
    code = cli.main(["schedule", "run", "--once", "--jobs", str(jobs)])
    out = capsys.readouterr()
    assert code == 0, out.err + out.out
    rollups = sorted((home / "reports" / "_rollups").glob("weekly-*.csv"))
    assert len(rollups) == 1 and (rollups[0].stat().st_mode & 0o777) == 0o600
    html = rollups[0].with_suffix(".html")
    assert html.is_file() and (html.stat().st_mode & 0o777) == 0o600 and "<script" not in html.read_text()
    with rollups[0].open() as fh:
        rows = list(csv.DictReader(fh))
    assert [r["profile"] for r in rows] == ["north", "south"] and {r["status"] for r in rows} == {"ok"}
    for row in rows:
        (kpis_path,) = (home / "reports" / row["profile"]).glob("*.kpis.json")
        kpis = json.loads(kpis_path.read_text())
        assert (row["start"], row["end"]) == (kpis["period"]["start"], kpis["period"]["end"])
        for key, value in kpis["kpis"].items():
            assert row[key] == ("" if value is None else str(value))
    assert "nothing due" not in out.out
    assert out.out.count("(mailed to 1 recipient(s) via 127.0.0.1:") == 2, out.out  # each practice's report
    assert "weekly: roll-up mailed to 1 recipient(s)" in out.out
    assert cli.main(["schedule", "run", "--once", "--jobs", str(jobs)]) == 0
    assert "nothing due" in capsys.readouterr().out
    return rows


@pytest.mark.slow
def test_many_practices_roll_up_and_mail(isolated_home: Path, smtp_inbox, capsys) -> None:
    handler, port = smtp_inbox
    run_once_for_two_practices(isolated_home, SAMPLE, "http://127.0.0.1:9/api/v1", port, capsys)
    subjects = sorted(message_from_bytes(m, policy=policy.default)["Subject"] for m in handler.messages)
    assert len(subjects) == 3  # one report per practice, plus the roll-up
    rollups = [s for s in subjects if s.startswith("odnb roll-up: weekly — 2 of 2 practices")]
    reports = [s for s in subjects if s.startswith("Sample practice report — ")]  # the notebook's heading
    assert len(rollups) == 1 and len(reports) == 2
    assert any("north" in s for s in reports) and any("south" in s for s in reports)
    rollup = next(message_from_bytes(m, policy=policy.default) for m in handler.messages
                  if b"roll-up" in m.split(b"\n\n", 1)[0])
    assert rollup.get_body(("plain",)).get_content().count("(ok)") == 2


@pytest.mark.slow
def test_many_practices_against_the_simulator(isolated_home: Path, smtp_inbox, simulator, capsys) -> None:
    pytest.importorskip("odnb.api.client", reason="odnb.api.client is not in the tree yet")
    _, port = smtp_inbox
    rows = run_once_for_two_practices(isolated_home, NOTEBOOKS / "practice_appointments.ipynb",
                                      simulator.base_url, port, capsys)
    assert rows[0]["appointments_completed"] == rows[1]["appointments_completed"] != ""  # same practice


# ---------------------------------------------------------------------------------------------------------
# Review fixes


def test_last_due_is_never_ahead_of_now() -> None:
    """A pass just before the minute (xx:59.5) must not run the job due at the next minute early."""
    job = sample_job(cron="* * * * *")
    assert job.last_due(datetime(2026, 11, 24, 21, 36, 59, 500000)) == datetime(2026, 11, 24, 21, 36)
    assert job.last_due(datetime(2026, 11, 24, 21, 37, 0)) == datetime(2026, 11, 24, 21, 37)
    assert sample_job().last_due(datetime(2026, 11, 30, 6, 59, 59, 900000)) == datetime(2026, 11, 23, 7)


def test_a_time_another_runner_already_did_is_not_run_again() -> None:
    """Two `run --once` passes that both saw the job due: the one that gets the lock second must not
    run it again after the first has finished and released the lock."""
    job = sample_job(notebook=str(NOTEBOOKS / "no_such_notebook.ipynb"))
    update_state("sample", last_due="2026-11-23T07:00:00")  # the first runner's record for this time
    messages: list[str] = []
    run = run_job(job, datetime(2026, 11, 23, 7), log=messages.append)
    assert run.skipped and "already ran" in messages[0]
    assert run.results == [] and run.exit_code == 0


def test_patient_listing_notebook_cannot_be_mailed_by_a_job(tmp_path: Path) -> None:
    path = write_jobs(tmp_path / "jobs.toml", """
[[job]]
name = "huddle"
notebook = "morning_huddle"
profile = "demo"
cron = "30 7 * * MON-FRI"
email = ["frontdesk@example.com"]
""")
    with pytest.raises(ScheduleError, match="lists patients"):
        load_jobs(path)


def test_installers_quote_paths_with_spaces(tmp_path: Path, capsys, monkeypatch, isolated_home: Path) -> None:
    import shlex

    write_config(isolated_home, "http://127.0.0.1:9/api/v1", 25, ("north", "south"))
    folder = tmp_path / "my jobs"
    folder.mkdir()
    path = write_jobs(folder / "jobs.toml", GOOD)
    monkeypatch.setenv("ODNB_REPORTS_DIR", str(tmp_path / "my reports"))
    assert cli.main(["schedule", "install", "--cron", "--jobs", str(path)]) == 0
    line = capsys.readouterr().out.strip()
    words = shlex.split(line.split(" ", 5)[5].split(" >> ")[0])
    assert f"ODNB_REPORTS_DIR={tmp_path / 'my reports'}" in words
    assert words[-2:] == ["--jobs", str(path)]
    assert cli.main(["schedule", "install", "--systemd", "--jobs", str(path)]) == 0
    out = capsys.readouterr().out
    exec_line = next(ln for ln in out.splitlines() if ln.startswith("ExecStart="))
    assert shlex.split(exec_line.split("=", 1)[1])[-2:] == ["--jobs", str(path)]
    assert f'Environment="ODNB_REPORTS_DIR={tmp_path / "my reports"}"' in out
