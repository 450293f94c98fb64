"""Shared fixtures: a small deterministic demo practice, simulators on real loopback sockets, and an
isolated config/cache/report location per test so nothing touches the user's real files."""

from __future__ import annotations

import socket
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


def isolate(monkeypatch: pytest.MonkeyPatch, home: Path) -> Path:
    """Point every odnb location (config, caches, reports) at ``home``; null keyring, no key variables.
    For module-wide fixtures: ``with pytest.MonkeyPatch.context() as mp: isolate(mp, home)``."""
    monkeypatch.setenv("ODNB_CONFIG", str(home / "config.toml"))
    monkeypatch.setenv("ODNB_CACHE_DIR", str(home / "cache"))
    monkeypatch.setenv("ODNB_REPORTS_DIR", str(home / "reports"))
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.null.Keyring")
    for name in ("ODNB_PROFILE", "ODNB_BASE_URL", "ODNB_DEVELOPER_KEY", "ODNB_CUSTOMER_KEY"):
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


# Notebooks under tests/notebooks are inputs of the report tests (one fails on purpose), not nbval tests.
collect_ignore_glob = ["notebooks/*.ipynb"]
