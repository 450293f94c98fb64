"""Keys and patient rows never leave where they belong: a full report run with email, errors and logs,
scanned byte for byte."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import nbformat
import pytest

import odnb
from odnb import cli
from odnb.api.errors import ODError
from odnb.demo.server import ApiKey

DEV = "devKEY-7f3a9c1e5b"
CUST = "custKEY-2d8e4b6a0c"


@pytest.fixture(params=[frozenset({"ReadAll", "Queries"})])
def office(request, isolated_home: Path, make_simulator, smtp_inbox, monkeypatch: pytest.MonkeyPatch):
    """A profile whose keys come from environment variables, against a simulator that knows only them
    (with the permissions of ``request.param``)."""
    key = ApiKey(DEV, CUST, request.param, "paid")
    server = make_simulator(mode="service", keys=[key])
    monkeypatch.setenv("OFFICE_DEV_KEY", DEV)
    monkeypatch.setenv("OFFICE_CUST_KEY", CUST)
    _, port = smtp_inbox
    config = isolated_home / "config.toml"
    config.write_text(
        f'[profiles.office]\nmode = "service"\nbase_url = "{server.base_url}"\ntier = "paid"\n'
        'developer_key_env = "OFFICE_DEV_KEY"\ncustomer_key_env = "OFFICE_CUST_KEY"\n\n'
        f'[mail]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "none"\nsender = "reports@example.com"\n'
    )
    config.chmod(0o600)
    return server


def files_under(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_no_key_in_any_file_mail_log_or_message(isolated_home: Path, office, smtp_inbox, demo_db: Path,
                                                caplog: pytest.LogCaptureFixture, capfd) -> None:
    caplog.set_level(logging.DEBUG)
    code = cli.main(["report", "practice_kpis", "--profile", "office", "-p", "start=2026-09-01",
                     "-p", "end=2026-09-30", "--email", "owner@example.com"])
    out, err = capfd.readouterr()
    assert code == 0, err[-2000:]

    # errors raised on the way: a server failure after retries, and bad input
    od = odnb.connect("office", progress=False, cache=False)
    office.faults.script.extend([503] * 10)
    with pytest.raises(ODError) as failure:
        od.providers()
    messages = [str(failure.value), repr(failure.value), failure.value._repr_html_(), repr(od)]

    reports = files_under(isolated_home / "reports")
    caches = files_under(isolated_home / "cache")
    assert {p.suffix for p in reports} >= {".ipynb", ".html", ".json"}
    assert any(p.suffix == ".sqlite" for p in caches), "the run should have cached its answers"
    assert smtp_inbox[0].messages, "the report should have been mailed"

    places = {str(p): p.read_bytes() for p in reports + caches}
    places.update({f"mail {i}": m for i, m in enumerate(smtp_inbox[0].messages)})
    places.update({"stdout": out.encode(), "stderr": err.encode(), "log": caplog.text.encode()})
    places.update({f"message {i}": m.encode() for i, m in enumerate(messages)})
    for where, content in places.items():
        for key in (DEV, CUST):
            assert key.encode() not in content, f"a key leaked into {where}"

    for path in reports + caches:
        assert path.stat().st_mode & 0o777 == 0o600, path
    for folder in {p.parent for p in reports + caches}:
        assert folder.stat().st_mode & 0o777 == 0o700, folder


def test_kpi_report_holds_no_patient_names(isolated_home: Path, office, demo_db: Path) -> None:
    assert cli.main(["report", "practice_kpis", "--profile", "office", "-p", "start=2026-09-01",
                     "-p", "end=2026-09-30"]) == 0
    (html,) = (isolated_home / "reports" / "office").glob("*.html")
    text = html.read_text()
    with sqlite3.connect(demo_db) as con:
        people = con.execute("SELECT FName, LName, Email FROM patient").fetchall()
    assert len(people) >= 300
    names = [f"{first} {last}" for first, last, _ in people]
    leaked = [n for n in names if n in text] + [email for *_, email in people if email and email in text]
    assert not leaked, f"patient identifiers in the KPI report: {leaked[:5]}"
    assert "Gross production" in text  # the report did render its aggregates


@pytest.mark.parametrize("office", [frozenset({"ReadAll"})], indirect=True)
def test_report_runs_show_no_progress_bars(isolated_home: Path, office) -> None:
    """Without Queries the scorecard pages through procedurelogs: a bar in Jupyter, but not in a report."""
    assert cli.main(["report", "practice_kpis", "--profile", "office", "-p", "start=2026-09-01",
                     "-p", "end=2026-09-30"]) == 0
    assert office.log.count(path="procedurelogs") > 2  # several pages were fetched
    (executed,) = (isolated_home / "reports" / "office").glob("*.ipynb")
    nb = nbformat.read(executed, as_version=4)
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if "application/vnd.jupyter.widget-view+json" in o.get("data", {})]
    stderr = "".join(o.get("text", "") for o in outputs if o.get("name") == "stderr")
    assert "%|" not in stderr and "IProgress" not in stderr, stderr[:300]
