"""Transport over a real loopback simulator: the private cache (modes, no key bytes, only 200s, stale with
a warning), retries that neither lose nor duplicate rows, Retry-After, pacing per customer key, timeouts,
an injected session, and log lines without keys."""

from __future__ import annotations

import itertools
import logging
import sqlite3
import stat
import time
import warnings
from pathlib import Path

import pytest
import requests

from odnb.api import errors
from odnb.api.client import Client
from odnb.api.profiles import Profile
from odnb.api.transport import RetryPolicy, StaleDataWarning, Timeouts, Transport, expire_rules
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY

FAST = RetryPolicy(attempts=6, base=0.001, cap=0.005)
NO_THROTTLE = {"read_all": 0.0, "paid": 0.0, "enterprise": 0.0}
KEYS = (DEMO_DEVELOPER_KEY, DEMO_CUSTOMER_KEY)


def profile_for(srv, mode: str | None = None, name: str = "t") -> Profile:
    return Profile(name=name, mode=mode or srv.config.mode, base_url=srv.base_url,
                   developer_key=DEMO_DEVELOPER_KEY, customer_key=DEMO_CUSTOMER_KEY)


def client_for(srv, **kw) -> Client:
    kw.setdefault("progress", False)
    kw.setdefault("retry", FAST)
    return Client(profile_for(srv), **kw)


def sql(db: Path, query: str) -> tuple:
    with sqlite3.connect(db) as con:
        return con.execute(query).fetchone()


def test_cache_files_are_private_and_hold_no_key(simulator, isolated_home) -> None:
    with client_for(simulator) as od:
        od.providers()
        od.procedures()
        od.query("SELECT COUNT(*) AS n FROM patient")
    folder = isolated_home / "cache" / "t"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = [p for p in folder.rglob("*") if p.is_file()]
    assert any(p.suffix == ".sqlite" for p in files)
    for path in files:
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
        data = path.read_bytes()
        for key in KEYS:
            assert key.encode() not in data, f"key bytes in {path.name}"
        assert b"ODFHIR" not in data


def test_repeated_call_makes_no_request(simulator) -> None:
    with client_for(simulator) as od:
        first = od.procedures(PatNum=5)
        seen = len(simulator.log)
        count = od.request_count
        again = od.procedures(PatNum=5)
    assert len(simulator.log) == seen and od.request_count == count
    assert first.equals(again)


def test_a_new_client_reuses_the_practice_cache(simulator) -> None:
    with client_for(simulator) as od:
        od.appointments("2026-01-01", "2026-03-31")
    seen = len(simulator.log)
    with client_for(simulator) as od2:
        od2.appointments("2026-01-01", "2026-03-31")
        assert od2.request_count == 0
    assert len(simulator.log) == seen


def test_only_200s_are_cached(simulator) -> None:
    with client_for(simulator) as od:
        for _ in range(2):
            with pytest.raises(errors.NotFound):
                od.adjustments(99_999_999)
    assert simulator.log.count("adjustments", status=404) == 2


def test_stale_copy_is_served_on_error_with_a_warning(simulator, caplog) -> None:
    with client_for(simulator, expire_after=1, retry=RetryPolicy(attempts=1, base=0.001, cap=0.001)) as od:
        fresh = od.operatories()
        time.sleep(1.2)  # let the cached copy expire
        simulator.faults.script = [503]
        with warnings.catch_warnings(record=True) as caught, caplog.at_level(logging.WARNING, "odnb"):
            warnings.simplefilter("always")
            stale = od.operatories()
    assert stale.equals(fresh)
    assert any(issubclass(w.category, StaleDataWarning) for w in caught)
    assert any("out of date" in r.getMessage() for r in caplog.records)
    assert simulator.log.count("operatories", status=503) == 1


def test_expiry_rules_per_resource() -> None:
    rules = expire_rules("https://api.opendental.com/api/v1")
    assert rules["api.opendental.com/api/v1/definitions"] >= 12 * 3600
    assert rules["api.opendental.com/api/v1/appointments"] <= 15 * 60
    keys = list(rules)
    host = "api.opendental.com/api/v1/"
    assert keys.index(host + "patients/Simple") < keys.index(host + "patients")


@pytest.mark.parametrize("mode", ["service", "remote"])
def test_injected_faults_are_retried_without_lost_or_duplicated_rows(make_simulator, demo_db, mode) -> None:
    srv = make_simulator(mode=mode, throttle_intervals=NO_THROTTLE)
    srv.faults.script = [503, 502, "drop", 500, "truncate", "malformed", 504, 429]
    patient = RetryPolicy(attempts=9, base=0.001, cap=0.005)
    with client_for(srv, cache=False, min_interval=0, retry=patient) as od:
        df = od.procedures()
    n, total = sql(demo_db, "SELECT COUNT(*), ROUND(SUM(ProcFee), 2) FROM procedurelog")
    assert len(df) == n and df["ProcNum"].is_unique
    assert round(float(df["ProcFee"].sum()), 2) == total
    assert srv.faults.script == []  # every scripted fault was met and survived


def test_retry_after_is_honoured(make_simulator) -> None:
    srv = make_simulator(mode="service")
    srv.faults.script = [429]  # the simulator sends Retry-After: 1
    with client_for(srv, cache=False) as od:
        od.clinics()
    first, second = srv.log.entries[:2]
    assert first.status == 429 and second.status == 200
    assert second.received - first.received >= 0.95


def test_pacing_holds_the_interval_per_customer_key(make_simulator) -> None:
    interval = 0.2
    srv = make_simulator(mode="remote", throttle_action="reject",
                         throttle_intervals={"read_all": interval, "paid": interval, "enterprise": interval})
    with client_for(srv, cache=False, min_interval=interval, retry=RetryPolicy(attempts=1)) as od:
        od.get("patients/Simple")  # 300 patients: 3 or 4 pages of 100
        od.providers()
    entries = srv.log.entries
    assert len(entries) >= 4 and all(e.status == 200 for e in entries)  # never throttled by the server
    gaps = [b.received - a.received for a, b in itertools.pairwise(entries)]
    assert min(gaps) >= interval - 0.01
    assert od.request_count == len(entries)


def test_cache_hits_cost_no_pacing_or_quota(make_simulator) -> None:
    srv = make_simulator(mode="remote", throttle_intervals=NO_THROTTLE)
    with client_for(srv, min_interval=0.3) as od:
        od.providers()
        before = od.request_count
        for _ in range(5):
            od.providers()
    assert od.request_count == before == len(srv.log)


def test_every_request_has_a_timeout(make_simulator) -> None:
    srv = make_simulator(mode="service")
    srv.faults.latency = 1.0
    timeouts = Timeouts(connect=1.0, read=0.2)
    with client_for(srv, cache=False, timeouts=timeouts, retry=RetryPolicy(attempts=1)) as od, \
            pytest.raises(errors.Timeout) as info:
        od.clinics()
    assert info.value.status is None and info.value.fix


def test_remote_read_timeout_outlasts_the_60_second_cut() -> None:
    assert Timeouts.for_mode("remote").read > 60


def test_injected_session_is_used_as_is_and_paced(simulator) -> None:
    session = requests.Session()
    with client_for(simulator, session=session) as od:
        od.clinics()
        od.clinics()
    # a plain session does not cache: each pull is its page plus the request that confirms the end
    assert od.request_count == 4 == simulator.log.count("clinics")
    assert od._transport.session is session


def test_logs_and_messages_never_carry_keys(make_simulator, caplog) -> None:
    srv = make_simulator(mode="remote", throttle_intervals=NO_THROTTLE)
    srv.faults.script = [503, "drop"]
    with caplog.at_level(logging.DEBUG):
        with client_for(srv, min_interval=0) as od:
            od.providers()
            od.providers()
            with pytest.raises(errors.NotFound) as missing:
                od.adjustments(99_999_999)
        bad = Profile(name="t", mode="remote", base_url=srv.base_url, developer_key=DEMO_DEVELOPER_KEY,
                      customer_key="wrongCustomerKey77")
        with Client(bad, progress=False, retry=FAST, min_interval=0) as od_bad, \
                pytest.raises(errors.AuthError) as denied:
            od_bad.providers()
        transport = Transport(profile_for(srv), cache=False, retry=FAST, min_interval=0)
        transport.request("GET", "clinics")
        transport.close()
    texts = [r.getMessage() for r in caplog.records]
    texts += [str(missing.value), repr(missing.value), str(denied.value), denied.value._repr_html_()]
    texts.append(repr(od))
    assert any("providers" in t for t in texts)
    for text in texts:
        for key in (*KEYS, "wrongCustomerKey77"):
            assert key not in text
