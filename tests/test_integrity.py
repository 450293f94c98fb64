"""Pulls that are never silently wrong: every misbehaviour of issue 9's table, through a hostile loopback
proxy (odnb.testing.HostileProxy) in front of the simulator. Each test asserts the exact rows (compared
with the simulator's SQLite) or an explained error that names the cause."""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
import subprocess
import sys
import textwrap
import time
import tracemalloc
import warnings
from pathlib import Path

import pandas as pd
import pytest

import odnb
from odnb.api import errors
from odnb.api.catalogue import RESOURCES
from odnb.api.client import Client
from odnb.api.paging import reapply_filters
from odnb.api.profiles import Profile
from odnb.api.transport import (
    CacheWarning,
    RetryPolicy,
    StaleDataWarning,
    Timeouts,
    cache_file,
    reset_failures,
)
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY
from odnb.testing import HostileProxy, Misbehaviour, refused_url

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.005)
NO_THROTTLE = {"read_all": 0.0, "paid": 0.0, "enterprise": 0.0}


@pytest.fixture(autouse=True)
def _fresh_failures():
    reset_failures()
    yield
    reset_failures()


def client(base_url: str, mode: str = "service", **kw) -> Client:
    profile = Profile(name="t", mode=mode, base_url=base_url, developer_key=DEMO_DEVELOPER_KEY,
                      customer_key=DEMO_CUSTOMER_KEY)
    kw.setdefault("progress", False)
    kw.setdefault("retry", FAST)
    kw.setdefault("min_interval", 0)
    return Client(profile, **kw)


def proc_nums(db: Path, where: str = "1") -> list[int]:
    with sqlite3.connect(db) as con:
        return [r[0] for r in con.execute(f"SELECT ProcNum FROM procedurelog WHERE {where} ORDER BY ProcNum")]


def exact(frame: pd.DataFrame, key: str, expected: list[int]) -> None:
    got = sorted(int(v) for v in frame[key])
    assert len(got) == len(set(got)), "duplicate rows"
    assert got == expected


@pytest.fixture
def hostile(simulator):
    """``hostile(**misbehaviour)`` -> a running HostileProxy in front of the service-mode simulator."""
    started: list[HostileProxy] = []

    def make(**behaviour) -> HostileProxy:
        proxy = HostileProxy(simulator.base_url, Misbehaviour(**behaviour)).start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.stop()


# --- the table: bad bodies ------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["empty_at", "object_at", "null_at", "not_json_at"])
def test_a_bad_200_on_page_3_is_retried_and_the_rows_are_exact(hostile, demo_db, fault) -> None:
    proxy = hostile(**{fault: 2000})
    with client(proxy.base_url) as od:
        df = od.procedures()
    exact(df, "ProcNum", proc_nums(demo_db))
    asked = [q["Offset"] for m, p, q in proxy.requests if p == "procedurelogs"]
    assert asked.count("2000") == 2  # the bad answer, then its retry


@pytest.mark.parametrize(("fault", "named"), [("empty_at", "empty body"), ("object_at", "eConnector busy"),
                                              ("null_at", "null"), ("not_json_at", "not JSON")])
def test_a_page_that_stays_bad_is_an_explained_error_and_nothing_short_is_cached(
        hostile, demo_db, fault, named) -> None:
    proxy = hostile(**{fault: 2000, "times": -1})
    with client(proxy.base_url) as od, pytest.raises(errors.BadResponse) as info:
        od.procedures()
    assert named in str(info.value) and "Offset=2000" in str(info.value)
    proxy.behaviour.__setattr__(fault, None)  # the server recovers: the next pull is complete
    with client(proxy.base_url) as od:
        exact(od.procedures(), "ProcNum", proc_nums(demo_db))


# --- the table: order, offsets and page sizes -----------------------------------------------------


def test_a_different_row_order_on_every_request_is_an_explained_error(hostile) -> None:
    proxy = hostile(shuffle=True)
    with client(proxy.base_url) as od, pytest.raises(errors.UnstableOrder) as info:
        od.procedures()
    assert "order" in info.value.cause and info.value.fix


def test_page_2_starting_10_rows_early_still_gives_the_exact_rows(hostile, demo_db) -> None:
    proxy = hostile(shift_at=1000, shift_by=-10, times=-1)
    with client(proxy.base_url) as od:
        df = od.procedures()
    exact(df, "ProcNum", proc_nums(demo_db))


def test_a_shortquery_page_starting_10_rows_early_is_an_explained_error(hostile) -> None:
    proxy = hostile(shift_at=198, shift_by=-10, times=-1)  # the third page: Offsets 0, 99, 198, ...
    with client(proxy.base_url) as od, pytest.raises(errors.UnstableOrder) as info:
        od.query("SELECT ProcNum, ProcFee FROM procedurelog WHERE ProcNum <= 350 ORDER BY ProcNum")
    assert "Offset=198" in str(info.value) and "ORDER BY" in info.value.fix


def test_shortquery_exact_rows_through_an_honest_proxy(hostile, demo_db) -> None:
    proxy = hostile()
    with client(proxy.base_url) as od:
        df = od.query("SELECT ProcNum, ProcFee FROM procedurelog WHERE ProcNum <= 350 ORDER BY ProcNum")
    exact(df, "ProcNum", proc_nums(demo_db, "ProcNum <= 350"))
    with sqlite3.connect(demo_db) as con:
        fees = con.execute("SELECT SUM(ProcFee) FROM procedurelog WHERE ProcNum <= 350").fetchone()[0]
    assert float(df["ProcFee"].sum()) == pytest.approx(fees)


@pytest.mark.parametrize("cap", [250, 500, 333])
def test_any_page_size_the_server_chooses_gives_the_exact_rows(hostile, demo_db, cap) -> None:
    proxy = hostile(cap=cap)
    with client(proxy.base_url) as od:
        df = od.procedures()
    exact(df, "ProcNum", proc_nums(demo_db))
    n = len(df)
    assert proxy.count("procedurelogs") <= -(-n // (cap - 1)) + 2  # overlapping by one row at most


def test_page_3_seven_rows_short_gives_the_exact_rows(hostile, demo_db) -> None:
    proxy = hostile(short_at=2000, short_by=7, times=-1)
    with client(proxy.base_url) as od:
        df = od.procedures()
    exact(df, "ProcNum", proc_nums(demo_db))


def test_integrity_costs_one_request_per_pull(simulator, demo_db) -> None:
    n = len(proc_nums(demo_db))
    with client(simulator.base_url, cache=False) as od:
        od.procedures()
        assert od.request_count == n // 1000 + 2  # the pages (a full last page: one empty more) + 1
        assert len(od.procedures(PatNum=99_999_999)) == 0  # an empty result: one request
        assert od.request_count == n // 1000 + 3


# --- the table: an office older than a filter -----------------------------------------------------


def test_an_office_ignoring_a_filter_costs_pages_not_correctness(hostile, demo_db, caplog) -> None:
    proxy = hostile(ignore_filters=("Status",))
    with sqlite3.connect(demo_db) as con:
        received = sorted(r[0] for r in con.execute("SELECT ClaimProcNum FROM claimproc WHERE Status = 1"))
        supplemental = sorted(r[0] for r in con.execute(
            "SELECT ClaimProcNum FROM claimproc WHERE Status = 4"))
    assert received
    with caplog.at_level(logging.WARNING, logger="odnb"), client(proxy.base_url) as od:
        got = od.claimprocs(Status="Received")
        again = od.claimprocs(Status="Received")
        sup = od.claimprocs(Status="Supplemental")
    exact(got, "ClaimProcNum", received)
    exact(again, "ClaimProcNum", received)
    exact(sup, "ClaimProcNum", supplemental)
    ignored = [r for r in caplog.records if "ignored the filter Status" in r.getMessage()]
    assert len(ignored) == 1 and "24.4.13" in ignored[0].getMessage()  # logged once


def test_an_office_answering_400_to_a_new_filter_names_it(make_simulator) -> None:
    srv = make_simulator(mode="service", office_version="24.1.1", new_filters="reject")
    with client(srv.base_url) as od, pytest.raises(errors.VersionTooOld) as info:
        od.claimprocs(Status="Received")
    assert "Status needs 24.4.13" in info.value.fix and "24.1.1" in str(info.value)


def test_an_old_office_ignoring_a_new_filter_costs_rows_not_correctness(make_simulator, demo_db) -> None:
    """The simulator's default old office: Status (24.4.13) is silently ignored and every claimproc comes
    back; the client re-applies the filter, so the frame holds exactly the Received rows."""
    import sqlite3

    srv = make_simulator(mode="service", office_version="24.1.1")
    with client(srv.base_url) as od:
        got = od.claimprocs(Status="Received")
    received = {r[0] for r in sqlite3.connect(demo_db).execute(
        "SELECT ClaimProcNum FROM claimproc WHERE Status = 1")}
    assert set(got["ClaimProcNum"].astype(int)) == received
    assert srv.log.count("claimprocs") > len(received) // 1000  # it paged through every claimproc


def test_filters_reapplied_to_an_honest_answer_drop_nothing(simulator) -> None:
    cases = [("claimprocs", {"Status": "Received"}), ("procedurelogs", {"ProcStatus": "C"}),
             ("appointments", {"dateStart": "2026-03-01", "dateEnd": "2026-03-31", "AptStatus": "Complete"}),
             ("patients/Simple", {"PatStatus": "Patient"}), ("claims", {"ClaimStatus": "R"}),
             ("procedurelogs", {"DateTStamp": "2026-06-01 00:00:00"}),
             ("payments", {"DateEntry": "2026-06-01"})]
    with client(simulator.base_url) as od:
        for name, params in cases:
            frame = od.get(name, **params)
            assert len(frame), (name, params)
            kept, dropped = reapply_filters(RESOURCES[name], params, frame)
            assert dropped == {} and len(kept) == len(frame), (name, params)


# --- stale data is visible and bounded ----------------------------------------------------------


def test_stale_answers_are_recorded_and_bounded(make_simulator, demo_db) -> None:
    srv = make_simulator(mode="service")
    url = srv.base_url
    with client(url, expire_after=1, max_stale=3600) as od:
        od.providers()
    srv.stop()
    time.sleep(2.2)
    with client(url, expire_after=1, max_stale=3600) as od, pytest.warns(StaleDataWarning, match="fetched"):
        providers = od.providers()
        assert len(providers) and od.stale_age is not None and od.stale_age >= 2
    reset_failures()
    with client(url, expire_after=1, max_stale=1) as od, pytest.raises(errors.StaleTooOld) as info:
        od.providers()
    assert "fetched" in str(info.value) and "max_stale" in info.value.fix


def test_a_scorecard_and_the_mail_text_say_when_data_is_stale() -> None:
    from odnb.kpis.scorecard import Scorecard, _account
    from odnb.reports.mail import headline_text

    class Data:
        request_count = 3

        class client:
            stale_age = 7200.0

    card = Scorecard(start=pd.Timestamp("2026-10-01").date(), end=pd.Timestamp("2026-10-31").date(),
                     values={})
    _account(card, Data(), 0)
    payload = card.to_dict()
    assert payload["stale"] is True and payload["stale_age_hours"] == 2.0
    text = headline_text({"profile": "demo", "period": payload["period"], "kpis": {}, "stale": True,
                          "stale_age_hours": 2.0}, title="KPIs")
    assert "STALE DATA" in text and "2 hours old" in text


# --- bounded waits ---------------------------------------------------------------------------------


def test_a_trickled_body_fails_on_the_total_deadline(hostile) -> None:
    proxy = hostile(trickle=20)  # 20 bytes a second: providers would take minutes
    started = time.monotonic()
    with client(proxy.base_url, timeouts=Timeouts(connect=1, read=1, total=1.5),
                retry=RetryPolicy(attempts=1)) as od, pytest.raises(errors.Timeout) as info:
        od.providers()
    assert time.monotonic() - started < 6
    assert "1.5 s" in str(info.value)


def test_a_retry_after_of_an_hour_is_an_error_naming_the_wait(hostile, capsys) -> None:
    proxy = hostile(retry_after=3600)
    started = time.monotonic()
    with client(proxy.base_url) as od, pytest.raises(errors.WaitTooLong) as info:
        od.providers()
    assert time.monotonic() - started < 3
    assert "60 minutes" in str(info.value) and "3600" in str(info.value) and info.value.status == 429


def test_a_short_retry_after_is_waited_and_announced(hostile, capsys) -> None:
    proxy = hostile(retry_after=3)
    with client(proxy.base_url, retry=RetryPolicy(attempts=2, base=0.001, cap=0.001)) as od, \
            pytest.raises(errors.RateLimited):
        od.providers()
    assert "retrying GET /providers" in capsys.readouterr().err


def test_connection_refused_fails_fast_and_once_per_run() -> None:
    url = refused_url()
    started = time.monotonic()
    with client(url, cache=False) as od, pytest.raises(errors.ConnectionFailed) as first:
        od.providers()
    assert time.monotonic() - started < 3 and "refused" in str(first.value)
    started = time.monotonic()
    with client(url, cache=False) as od, pytest.raises(errors.ConnectionFailed) as second:
        od.clinics()
    assert time.monotonic() - started < 0.5 and "not tried again" in str(second.value)
    assert od.request_count == 0


# --- secrets and hostile text ------------------------------------------------------------------------


@pytest.mark.parametrize("url", ["http://admin:S3cretPw99@127.0.0.1:30223/api/v1",
                                 "http://127.0.0.1:30223/api/v1?apikey=S3cretPw99",
                                 "http://127.0.0.1:30223/api/v1?customer_key=S3cretPw99"])
def test_credentials_in_a_base_url_are_refused_before_any_request(url) -> None:
    with pytest.raises(errors.ConfigError) as info:
        odnb.connect(base_url=url, developer_key=DEMO_DEVELOPER_KEY, customer_key=DEMO_CUSTOMER_KEY,
                     mode="service")
    text = str(info.value) + repr(info.value) + info.value._repr_html_()
    assert "S3cretPw99" not in text and "http://127.0.0.1:30223/api/v1" in info.value.fix
    profile = Profile(name="t", mode="service", base_url=url, developer_key=DEMO_DEVELOPER_KEY,
                      customer_key=DEMO_CUSTOMER_KEY)
    with pytest.raises(errors.ConfigError):
        Client(profile, progress=False)


def test_hostile_server_text_is_escaped_in_html() -> None:
    body = '{"message": "<img srcset=http://evil.example/x.png onerror=alert(1)><script>x()</script>"}'
    err = errors.error_from_response("GET", "http://h/api/v1/providers", 500, body, "service")
    page = err._repr_html_()
    assert "<img" not in page and "<script" not in page and "&lt;img" in page


# --- caches that heal --------------------------------------------------------------------------------


def _profile(url: str) -> Profile:
    return Profile(name="t", mode="service", base_url=url, developer_key=DEMO_DEVELOPER_KEY,
                   customer_key=DEMO_CUSTOMER_KEY)


@pytest.mark.parametrize("damage", ["garbage", "truncated"])
def test_a_corrupt_cache_is_moved_aside_and_rebuilt(simulator, damage) -> None:
    with client(simulator.base_url) as od:
        expected = od.providers()
    db = cache_file(_profile(simulator.base_url))
    if damage == "garbage":
        db.write_bytes(b"this is not a database at all" * 100)
    else:
        db.write_bytes(db.read_bytes()[:150])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with client(simulator.base_url) as od:
            again = od.providers()
            cached = od.providers()
            assert od.request_count == 2  # rebuilt: fetched once (+ the confirming request), then cached
    pd.testing.assert_frame_equal(again.drop(columns="serverDateTime"),
                                  expected.drop(columns="serverDateTime"))
    assert len(cached) == len(expected)
    assert sum(issubclass(w.category, CacheWarning) for w in caught) == 1
    aside = [p for p in db.parent.iterdir() if ".broken-" in p.name]
    assert aside and all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in aside)


def test_a_read_only_cache_is_bypassed_with_a_warning(simulator, tmp_path) -> None:
    if os.geteuid() != 0:
        pytest.skip("runs the client as 'nobody' (needs root to switch user)")
    import tempfile

    outside = Path(tempfile.mkdtemp(prefix="odnb-ro-"))  # pytest's own tmp folders are 0700 root
    home = outside / "home"
    cache = home / "cache"
    cache.mkdir(parents=True)
    with client(simulator.base_url) as od:
        expected = len(od.providers())
    db = cache_file(_profile(simulator.base_url))
    (cache / "t").mkdir()
    (cache / "t" / db.name).write_bytes(db.read_bytes())  # a cache the user 'nobody' can read, not write
    for path in [outside, home, *cache.rglob("*")]:  # everything readable, nothing writable for nobody
        path.chmod(0o755 if path.is_dir() else 0o644)
    script = textwrap.dedent(f"""
        import warnings
        from odnb.api.client import Client
        from odnb.api.profiles import Profile
        from odnb.api.transport import CacheWarning
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            od = Client(Profile(name="t", mode="service", base_url={simulator.base_url!r},
                                developer_key={DEMO_DEVELOPER_KEY!r}, customer_key={DEMO_CUSTOMER_KEY!r}),
                        progress=False)
            print(len(od.providers()), sum(issubclass(w.category, CacheWarning) for w in caught))
    """)
    env = {**os.environ, "ODNB_CACHE_DIR": str(cache), "HOME": str(home),
           "ODNB_CONFIG": str(home / "none.toml")}
    done = subprocess.run(["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups", sys.executable,
                           "-c", script], capture_output=True, text=True, env=env, timeout=60, cwd=outside)
    if "Permission denied" in done.stderr and "python" in done.stderr.lower() and not done.stdout:
        pytest.skip("the virtualenv is not readable by 'nobody'")
    assert done.returncode == 0, done.stderr[-2000:]
    rows, warned = done.stdout.split()
    assert int(rows) == expected and int(warned) == 1


# --- pacing across processes ---------------------------------------------------------------------------


def test_two_processes_on_one_key_wait_for_each_other(make_simulator, isolated_home) -> None:
    srv = make_simulator(mode="remote", throttle_intervals={"read_all": 0.4, "paid": 0.4, "enterprise": 0.4},
                         throttle_action="reject")
    script = textwrap.dedent(f"""
        import odnb
        from odnb.api.transport import RetryPolicy
        od = odnb.connect(base_url={srv.base_url!r}, developer_key={DEMO_DEVELOPER_KEY!r},
                          customer_key={DEMO_CUSTOMER_KEY!r}, mode="remote", progress=False, cache=False,
                          min_interval=0.4, retry=RetryPolicy(attempts=1))
        for _ in range(3):
            od.clinics()
        print("ok")
    """)
    env = {**os.environ}
    procs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True, env=env) for _ in range(2)]
    outs = [p.communicate(timeout=120) for p in procs]
    for proc, (out, err) in zip(procs, outs, strict=True):
        assert proc.returncode == 0 and out.strip() == "ok", err[-2000:]
    assert srv.log.count(status=429) == 0
    assert srv.log.count("clinics", status=200) == 12  # 2 processes x 3 pulls x (page + confirmation)


# --- memory --------------------------------------------------------------------------------------------


@pytest.mark.slow
def test_a_pull_peaks_under_three_times_its_final_frame(make_simulator, tmp_path) -> None:
    from odnb.testing import tiny_practice

    srv = make_simulator(tiny_practice(tmp_path / "big.sqlite", patients=200, procedures=40_000),
                         mode="service")
    with client(srv.base_url, cache=False) as od:
        od.providers()  # warm imports and the connection
        tracemalloc.start()
        try:
            frame = od.procedures()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    final = int(frame.memory_usage(deep=True).sum())
    print(f"peak {peak / 1e6:.1f} MB, final frame {final / 1e6:.1f} MB, {peak / final:.2f}x")
    assert peak <= 3 * final
