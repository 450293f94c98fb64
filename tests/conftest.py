"""Shared fixtures: a small deterministic demo practice, simulators on real loopback sockets, and an
isolated config/cache/report location per test so nothing touches the user's real files.

The whole run (nbval's kernels too) points odnb at a private folder of its own, so it never reads or writes
the user's real config, caches or reports, and two test processes (``pytest -n 2``) never share one."""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from odnb.testing import SMALL_PRACTICE

# odnb.testing's small practice, fixed in time, so tests are fast and their answers do not move with the
# calendar.
TEST_TODAY = date(2026, 11, 24)
TEST_SPEC_KW = {**SMALL_PRACTICE, "today": TEST_TODAY}


# Key variables a developer's shell may hold: never seen by a test.
KEY_VARIABLES = ("ODNB_PROFILE", "ODNB_BASE_URL", "ODNB_DEVELOPER_KEY", "ODNB_CUSTOMER_KEY")
_run_home: Path | None = None


def odnb_locations(home: Path) -> dict[str, str]:
    """The variables that put every odnb location (config, caches, reports) under ``home``, null keyring."""
    return {"ODNB_CONFIG": str(home / "config.toml"), "ODNB_CACHE_DIR": str(home / "cache"),
            "ODNB_REPORTS_DIR": str(home / "reports"),
            "PYTHON_KEYRING_BACKEND": "keyring.backends.null.Keyring"}


def pytest_configure(config: pytest.Config) -> None:
    """Before anything runs (nbval starts its kernels from this environment): a private home for the run."""
    global _run_home
    _run_home = Path(tempfile.mkdtemp(prefix="odnb-tests-"))
    os.environ.update(odnb_locations(_run_home))
    for name in KEY_VARIABLES:
        os.environ.pop(name, None)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _run_home is not None:
        shutil.rmtree(_run_home, ignore_errors=True)


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    """Point every odnb location (config, caches, reports) at ``home``; null keyring, no key variables.
    For module-wide fixtures: ``with pytest.MonkeyPatch.context() as mp: isolate(mp, home)``."""
    for name, value in odnb_locations(home).items():
        monkeypatch.setenv(name, value)
    for name in KEY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture(autouse=True)
def isolated_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point every odnb location (config, caches, reports) at a fresh temporary folder."""
    return isolate(monkeypatch, tmp_path_factory.mktemp("home"))


@pytest.fixture(scope="session")
def demo_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small test practice as an SQLite file (built once per test session)."""
    from odnb.demo.practice import PracticeSpec, build_practice

    return build_practice(tmp_path_factory.mktemp("demo") / "practice.sqlite", PracticeSpec(**TEST_SPEC_KW))


def built_demo_practice() -> Path:
    """The built-in demo practice (``odnb.demo.practice.demo_database()``, the full default practice of
    today), generated once per test process into the run's own cache."""
    from odnb.demo.practice import demo_database

    assert _run_home is not None
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ODNB_CACHE_DIR", str(_run_home / "cache"))
        return demo_database()


def seed_demo_practice(home: Path) -> Path:
    """Put a copy of :func:`built_demo_practice` where the ``demo`` profile of ``home`` looks for it, so a
    report on the demo (in a kernel or a subprocess) does not generate it again. Returns the copy."""
    from odnb.paths import private_dir

    built = built_demo_practice()
    target = private_dir(home / "cache" / "demo") / built.name
    shutil.copyfile(built, target)
    target.chmod(0o600)
    return target


@pytest.fixture
def demo_practice(isolated_home: Path) -> Path:
    """The built-in demo practice, already in this test's cache (see :func:`seed_demo_practice`)."""
    return seed_demo_practice(isolated_home)


@pytest.fixture
def practice(demo_db: Path, tmp_path: Path) -> Path:
    """A private copy of the small test practice (``demo advance`` writes into it)."""
    return Path(shutil.copy(demo_db, tmp_path / "practice.sqlite"))


@pytest.fixture
def make_simulator(demo_db: Path) -> Iterator[Callable[..., object]]:
    """Factory: ``make_simulator(mode="remote", ...)`` starts a DemoServer on a free loopback port."""
    from odnb.demo.server import DemoServer, SimulatorConfig

    started: list[DemoServer] = []

    def make(db: Path | None = None, **config: object) -> DemoServer:
        server = DemoServer(db or demo_db, SimulatorConfig(**config)).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@pytest.fixture
def simulator(make_simulator: Callable[..., object]) -> object:
    """A service-mode simulator (1000 rows per page, no throttle) over the small test practice."""
    return make_simulator(mode="service")


class Inbox:
    """What a real SMTP server on loopback received (aiosmtpd handler)."""

    def __init__(self) -> None:
        self.messages: list[bytes] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(envelope.content)  # type: ignore[attr-defined]
        return "250 OK"


def free_port() -> int:
    """A loopback port nothing listens on (aiosmtpd's Controller needs a real number, not 0)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def smtp_server(handler: object, **options: object) -> Iterator[Controller]:
    """A real SMTP server (aiosmtpd) with ``handler`` on a free loopback port while the block runs;
    ``options`` go to the Controller (tls_context, authenticator ...)."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on a free loopback port: ``(inbox, port)``."""
    inbox = Inbox()
    with smtp_server(inbox) as controller:
        yield inbox, controller.port


# The files that take longest, longest first: `make test` runs two workers, each taking whole files
# (pytest -n 2 --dist loadfile --no-loadscope-reorder), and a long file handed out last would keep one
# worker busy long after the other has finished. Files not named here follow in their usual order.
LONGEST_FIRST = (
    "test_store.py", "test_store_resume.py", "test_integrity.py", "test_report.py", "test_report_layout.py",
    "test_privacy.py", "test_packaging.py", "test_schedule.py", "test_client.py", "test_mariadb.py",
    "test_kpis_v2.py", "test_demo_server.py", "test_scorecard.py", "practice_kpis.ipynb", "test_mail.py",
    "test_charts.py", "test_cli_consistent.py", "test_transport.py", "test_doctor.py",
    "morning_huddle.ipynb",
)


# Before those, the quick files that parse source with ``ast``: on Python 3.11 ``ast.parse`` can fail with
# "SystemError: AST constructor recursion depth mismatch" while another thread formats a traceback (which
# parses too; CPython gh-106905), and a simulator thread outliving its test may do just that. Run first, no
# such thread exists yet.
AST_FIRST = ("test_architecture.py", "test_notebooks.py")


def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list) -> None:
    """The ``ast`` files, then the longest files first (a stable sort: each file keeps its own order)."""
    rank = {name: i for i, name in enumerate(AST_FIRST + LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.path.name, len(rank)))


# Notebooks under tests/notebooks are inputs of the report tests (one fails on purpose), not nbval tests.
collect_ignore_glob = ["notebooks/*.ipynb"]
