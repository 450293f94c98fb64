"""`odnb doctor` over real sockets: passes on the demo, and each fault fails its own line with its fix."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import free_port

from odnb.api.doctor import Check, run_checks
from odnb.api.profiles import load_profile
from odnb.cli import main
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY, DEMO_READONLY_CUSTOMER_KEY
from odnb.paths import practice_dir

WRONG_KEY = "wrongCustomerKey-0042"


def by_name(checks: list[Check]) -> dict[str, Check]:
    return {c.name: c for c in checks}


@pytest.fixture
def demo_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ODNB_DEVELOPER_KEY", DEMO_DEVELOPER_KEY)
    monkeypatch.setenv("ODNB_CUSTOMER_KEY", DEMO_CUSTOMER_KEY)


def test_doctor_passes_on_the_demo_profile(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["doctor", "--profile", "demo"]) == 0
    out = capsys.readouterr().out
    for name in ("config file", "keys present", "host reachable", "keys accepted", "permission: Read All",
                 "permission: Queries", "throttle", "latency", "cache folder"):
        assert any(line.startswith("PASS") and name in line for line in out.splitlines()), name
    assert "FAIL" not in out and "0 failed" in out
    assert "no throttle (service mode)" in out
    assert DEMO_CUSTOMER_KEY not in out and DEMO_DEVELOPER_KEY not in out


def test_doctor_json_and_a_loose_cache_file(capsys: pytest.CaptureFixture[str]) -> None:
    loose = practice_dir(load_profile("demo")) / "http_cache.sqlite"
    loose.write_text("x")
    loose.chmod(0o644)
    assert main(["doctor", "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert report["ok"] is False
    cache = next(c for c in report["checks"] if c["name"] == "cache folder")
    assert cache["ok"] is False and "http_cache.sqlite" in cache["detail"]
    assert "chmod -R go-rwx" in cache["fix"]


def test_econnector_down_fails_with_its_fix(
    make_simulator: Callable[..., object], demo_keys: None, capsys: pytest.CaptureFixture[str]
) -> None:
    server = make_simulator(mode="remote")
    server.faults.econnector_down = True
    assert main(["doctor", "--base-url", server.base_url, "--mode", "remote"]) == 1
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "eConnector " in line and line.startswith("FAIL"))
    assert "eConnector" in line
    assert "eConnector Service" in out and "Running" in out  # the fix: start the service at the office
    checks = by_name(run_checks(base_url=server.base_url, mode="remote"))
    assert checks["eConnector"].ok is False and checks["keys accepted"].ok is None
    assert checks["permission: Queries"].ok is None  # skipped, not guessed


def test_wrong_customer_key_fails_keys_accepted(
    make_simulator: Callable[..., object], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    server = make_simulator(mode="service")
    monkeypatch.setenv("ODNB_DEVELOPER_KEY", DEMO_DEVELOPER_KEY)
    monkeypatch.setenv("ODNB_CUSTOMER_KEY", WRONG_KEY)
    assert main(["doctor", "--base-url", server.base_url]) == 1
    out = capsys.readouterr().out
    assert "FAIL  keys accepted" in out and "Setup > Advanced Setup > API" in out and "HTTP 401" in out
    assert WRONG_KEY not in out and DEMO_DEVELOPER_KEY not in out
    assert "SKIP  permission: Queries" in out


def test_read_only_key_lacks_queries(
    make_simulator: Callable[..., object], monkeypatch: pytest.MonkeyPatch
) -> None:
    server = make_simulator(mode="service")
    monkeypatch.setenv("ODNB_DEVELOPER_KEY", DEMO_DEVELOPER_KEY)
    monkeypatch.setenv("ODNB_CUSTOMER_KEY", DEMO_READONLY_CUSTOMER_KEY)
    paid = by_name(run_checks(base_url=server.base_url, tier="paid"))
    assert paid["keys accepted"].ok is True and paid["permission: Read All"].ok is True
    assert paid["permission: Queries"].ok is False
    queries = paid["permission: Queries"]
    assert "Queries" in queries.fix and "Developer Portal" in queries.fix
    # On the free tier the missing Queries permission is expected: reported, not a failure.
    free = by_name(run_checks(base_url=server.base_url, tier="read_all"))
    assert free["permission: Queries"].ok is None
    assert "free Read All tier" in free["permission: Queries"].detail
    assert all(c.ok is not False for c in free.values())
    assert server.log.count(path="queries/ShortQuery", status=401) == 2


def test_unreachable_port_fails_and_skips_the_rest(
    demo_keys: None, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"http://127.0.0.1:{free_port()}/api/v1"
    assert main(["doctor", "--base-url", url]) == 1
    out = capsys.readouterr().out
    assert "FAIL  host reachable" in out and "port 30223" in out
    assert "SKIP  keys accepted" in out and "SKIP  throttle" in out


def test_missing_keys_fail_before_any_request(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(os.environ["ODNB_CONFIG"]).write_text('[profiles.office]\nmode = "service"\n'
                                               'base_url = "http://127.0.0.1:9/api/v1"\n')
    assert main(["doctor", "--profile", "office"]) == 1
    out = capsys.readouterr().out
    assert "FAIL  keys present" in out and "developer key" in out and "keyring" in out


@pytest.mark.slow
def test_remote_throttle_observed_and_tier_too_fast(
    make_simulator: Callable[..., object], demo_keys: None
) -> None:
    # The demo key is on the simulator's paid plan: 1 request / s, extra requests held back.
    server = make_simulator(mode="remote")
    ok = by_name(run_checks(base_url=server.base_url, mode="remote", tier="paid"))
    assert ok["throttle"].ok is True and "observed" in ok["throttle"].detail
    assert ok["eConnector"].ok is True
    # A profile claiming Enterprise (0.5 s) on a paid key: the paced request is still throttled.
    fast = by_name(run_checks(base_url=server.base_url, mode="remote", tier="enterprise"))
    assert fast["throttle"].ok is False and '--tier paid' in fast["throttle"].fix


@pytest.mark.slow
def test_remote_throttle_by_429(make_simulator: Callable[..., object], demo_keys: None) -> None:
    server = make_simulator(mode="remote", throttle_action="reject")
    checks = by_name(run_checks(base_url=server.base_url, mode="remote", tier="paid"))
    assert checks["throttle"].ok is True and "429" in checks["throttle"].detail
    assert server.log.count(status=429) == 1
