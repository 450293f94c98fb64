"""The client against a real simulator: typed frames that agree with the SQLite rows, paging counts,
ShortQuery, named helpers, bad input refused before any request, and the long-fetch estimate."""

from __future__ import annotations

import sqlite3
import stat
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

import odnb
from odnb.api import errors
from odnb.api.catalogue import RESOURCES
from odnb.api.client import Client
from odnb.api.frames import empty_frame, type_frame
from odnb.api.profiles import Profile
from odnb.api.transport import RetryPolicy
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY

FAST = RetryPolicy(attempts=3, base=0.001, cap=0.005)
NO_THROTTLE = {"read_all": 0.0, "paid": 0.0, "enterprise": 0.0}


def client_for(srv, mode: str | None = None, **kw) -> Client:
    profile = Profile(name="t", mode=mode or srv.config.mode, base_url=srv.base_url,
                      developer_key=DEMO_DEVELOPER_KEY, customer_key=DEMO_CUSTOMER_KEY)
    kw.setdefault("progress", False)
    kw.setdefault("retry", FAST)
    kw.setdefault("min_interval", 0)
    return Client(profile, **kw)


def sql(db: Path, query: str, *args: object) -> tuple:
    with sqlite3.connect(db) as con:
        return con.execute(query, args).fetchone()


def test_connect_with_base_url_and_keys(simulator) -> None:
    od = odnb.connect(base_url=simulator.base_url, developer_key=DEMO_DEVELOPER_KEY,
                      customer_key=DEMO_CUSTOMER_KEY, progress=False)
    with od:
        assert len(od.providers()) > 0
        text = repr(od)
    assert simulator.base_url in text and "mode=service" in text
    assert DEMO_CUSTOMER_KEY not in text and DEMO_DEVELOPER_KEY not in text


def test_procedures_are_typed_and_match_sqlite(simulator, demo_db) -> None:
    with client_for(simulator) as od:
        df = od.procedures()
    n, fees, completed = sql(demo_db, "SELECT COUNT(*), ROUND(SUM(ProcFee), 2), SUM(ProcStatus = 2) "
                                      "FROM procedurelog")
    assert len(df) == n and df["ProcNum"].is_unique
    assert round(float(df["ProcFee"].sum()), 2) == fees
    assert int((df["ProcStatus"] == "C").sum()) == completed
    dtypes = df.dtypes.astype(str)
    assert dtypes["ProcNum"] == "Int64" and dtypes["PatNum"] == "Int64"
    assert dtypes["ProcFee"] == "Float64"  # sent as "255.00" strings by the API
    assert dtypes["ProcDate"] == "datetime64[ns]" and dtypes["DateTStamp"] == "datetime64[ns]"
    assert dtypes["ProcStatus"] == "category" and dtypes["IsLocked"] == "boolean"
    assert df["DateOriginalProsth"].isna().all()  # always "0001-01-01" on the wire
    no_date = sql(demo_db, "SELECT COUNT(*) FROM procedurelog "
                           "WHERE DateTP LIKE '0001-01-01%' OR DateTP IS NULL")[0]
    assert int(df["DateTP"].isna().sum()) == no_date


def test_money_from_strings_and_numbers_and_0001_as_nat() -> None:
    res = RESOURCES["payments"]
    df = type_frame(res, [
        {"PayNum": "1", "PayAmt": "339", "PayDate": "2022-06-24", "IsRecurringCC": "True", "ClinicNum": "0"},
        {"PayNum": 2, "PayAmt": 12.5, "PayDate": "0001-01-01", "IsRecurringCC": "false", "ClinicNum": 0},
        {"PayNum": 2, "PayAmt": 12.75, "PayDate": "0001-01-01", "IsRecurringCC": "FALSE", "ClinicNum": 0,
         "Surprise": "kept"},
    ])
    assert list(df["PayAmt"]) == [339.0, 12.75]  # PayNum 2 de-duplicated, last one kept
    assert str(df["PayAmt"].dtype) == "Float64" and str(df["PayNum"].dtype) == "Int64"
    assert pd.isna(df.loc[1, "PayDate"]) and df.loc[0, "PayDate"] == pd.Timestamp("2022-06-24")
    assert list(df["IsRecurringCC"]) == [True, False]
    assert "Surprise" in df.columns  # unknown columns are kept, not dropped


def test_empty_and_full_frames_have_the_same_columns_and_dtypes(simulator) -> None:
    with client_for(simulator) as od:
        full = od.appointments("2026-01-01", "2026-06-30")
        empty = od.appointments("1990-01-01", "1990-01-31")
    assert len(full) > 0 and len(empty) == 0
    assert list(empty.columns) == list(full.columns)
    assert empty.dtypes.astype(str).equals(full.dtypes.astype(str))
    assert list(empty_frame(RESOURCES["appointments"]).columns) == list(RESOURCES["appointments"].columns)


def test_appointments_range_is_inclusive_and_matches_sqlite(simulator, demo_db) -> None:
    with client_for(simulator) as od:
        df = od.appointments(date(2026, 3, 1), "2026-03-31")
    n = sql(demo_db, "SELECT COUNT(*) FROM appointment WHERE substr(AptDateTime, 1, 10) BETWEEN ? AND ?",
            "2026-03-01", "2026-03-31")[0]
    assert len(df) == n > 0
    assert df["AptDateTime"].min() >= pd.Timestamp("2026-03-01")
    assert df["AptDateTime"].max() < pd.Timestamp("2026-04-01")
    assert str(df["AptStatus"].dtype) == "category"


def list_requests(rows: int, size: int) -> int:
    """Requests of a list pull: every page (a full last page is followed by an empty one) plus the one
    that confirms the end one row back; an empty result is one request."""
    return rows // size + 2 if rows else 1


def query_requests(rows: int) -> int:
    """Requests of a ShortQuery: 100 rows, then 99 new rows per page (each starts one row back), then the
    one that answers only the last row."""
    return 1 if rows == 0 else 2 + -(-max(0, rows - 100) // 99)


def test_remote_paging_request_count_is_exact(make_simulator, demo_db) -> None:
    srv = make_simulator(mode="remote", throttle_intervals=NO_THROTTLE)
    n = sql(demo_db, "SELECT COUNT(*) FROM procedurelog")[0]
    with client_for(srv) as od:
        df = od.procedures()
        assert od.request_count == list_requests(n, 100)  # the pages, plus one that confirms the end
    assert len(df) == n
    assert srv.log.count("procedurelogs") == list_requests(n, 100)
    assert {e.query["Limit"] for e in srv.log.entries} == {"100"}


def test_iter_pages_is_lazy_and_typed(make_simulator, demo_db) -> None:
    srv = make_simulator(mode="remote", throttle_intervals=NO_THROTTLE)
    with client_for(srv) as od:
        pages = od.iter_pages("patients/Simple")
        assert len(srv.log) == 0  # nothing asked yet
        first = next(pages)
        assert len(srv.log) == 1 and len(first) == 100
        rest = list(pages)
    total = len(first) + sum(len(p) for p in rest)
    assert total == sql(demo_db, "SELECT COUNT(*) FROM patient")[0]
    assert str(first["PatNum"].dtype) == "Int64"


def test_shortquery_pages_and_types(simulator, demo_db) -> None:
    with client_for(simulator) as od:
        df = od.query("SELECT ProcNum, ProcFee, ProcDate FROM procedurelog WHERE ProcNum <= 1500 "
                      "ORDER BY ProcNum")
        n = sql(demo_db, "SELECT COUNT(*) FROM procedurelog WHERE ProcNum <= 1500")[0]
        assert len(df) == n and df["ProcNum"].is_unique
        assert od.request_count == query_requests(n)
        grouped = od.query("SELECT ProvNum, COUNT(*) AS n FROM procedurelog GROUP BY ProvNum")
    assert int(grouped["n"].sum()) == sql(demo_db, "SELECT COUNT(*) FROM procedurelog")[0]
    assert str(df["ProcNum"].dtype) == "Int64" and str(df["ProcDate"].dtype) == "datetime64[ns]"


def test_adjustments_need_a_patnum_and_adjustments_all_loops(simulator, demo_db) -> None:
    with client_for(simulator) as od:
        with pytest.raises(errors.InvalidParameter) as info:
            od.adjustments()
        assert "PatNum" in str(info.value) and "adjustments_all" in info.value.fix
        assert len(simulator.log) == 0
        pats = [r[0] for r in sqlite3.connect(demo_db).execute(
            "SELECT DISTINCT PatNum FROM adjustment ORDER BY PatNum LIMIT 5")]
        df = od.adjustments_all(pats)
    n, total = sql(demo_db, f"SELECT COUNT(*), ROUND(SUM(AdjAmt), 2) FROM adjustment WHERE PatNum IN "
                            f"({','.join(map(str, pats))})")
    assert len(df) == n and round(float(df["AdjAmt"].sum()), 2) == total


@pytest.mark.parametrize(
    ("call", "cls", "says"),
    [
        (lambda od: od.get("procedurelog"), errors.UnknownResource, "procedurelogs"),
        (lambda od: od.get("procedurelogs", ProcDate="2026-01-01"), errors.UnknownParameter, "DateTStamp"),
        (lambda od: od.get("procedurelogs", Offset=100), errors.UnknownParameter, "iter_pages"),
        (lambda od: od.procedures(ProcStatus="Done"), errors.InvalidParameter, "TP, C"),
        (lambda od: od.procedures(PatNum="abc"), errors.InvalidParameter, "int"),
        (lambda od: od.appointments("2026-03-31", "2026-01-01"), errors.InvalidParameter, "Swap"),
        (lambda od: od.appointments("2026-02-30", "2026-03-01"), errors.InvalidParameter, "YYYY-MM-DD"),
        (lambda od: od.appointments("01/02/2026", "2026-03-01"), errors.InvalidParameter, "YYYY-MM-DD"),
        (lambda od: od.appointments("2026-01-01"), errors.InvalidParameter, "start and an end"),
        (lambda od: od.schedules(None, None), errors.InvalidParameter, "today only"),
        (lambda od: od.get("patients/Simple", DateTStamp="yesterday"), errors.InvalidParameter, "HH:MM:SS"),
        (lambda od: od.definitions("NoSuchCategory"), errors.InvalidParameter, "AdjTypes"),
        (lambda od: od.query("  "), errors.InvalidParameter, "SELECT"),
    ],
)
def test_bad_input_is_refused_before_any_request(simulator, call, cls, says) -> None:
    with client_for(simulator) as od, pytest.raises(cls) as info:
        call(od)
    assert says in str(info.value)
    assert len(simulator.log) == 0 and od.request_count == 0


def test_filter_names_match_case_insensitively_and_enums_take_numbers(simulator, demo_db) -> None:
    with client_for(simulator) as od:
        by_text = od.procedures(procstatus="C", patnum=5)
        by_code = od.procedures(ProcStatus=2, PatNum=5)
    assert by_text.equals(by_code)
    n = sql(demo_db, "SELECT COUNT(*) FROM procedurelog WHERE ProcStatus = 2 AND PatNum = 5")[0]
    assert len(by_text) == n


def test_named_helpers_return_their_resources(simulator) -> None:
    with client_for(simulator) as od:
        helpers = [(od.patients, "patients/Simple"), (od.providers, "providers"),
                   (od.operatories, "operatories"), (od.procedurecodes, "procedurecodes"),
                   (od.claims, "claims"), (od.claimprocs, "claimprocs"), (od.payments, "payments"),
                   (od.paysplits, "paysplits"), (od.recalls, "recalls"), (od.insplans, "insplans"),
                   (od.patplans, "patplans"), (od.inssubs, "inssubs"), (od.carriers, "carriers"),
                   (od.clinics, "clinics")]
        for helper, resource in helpers:
            df = helper()
            key = RESOURCES[resource].key
            assert key in df.columns and str(df[key].dtype) == "Int64", resource
            assert list(df.columns)[: len(RESOURCES[resource].columns)] == list(RESOURCES[resource].columns)
        adj_types = od.definitions("AdjTypes")
        week = od.schedules("2026-11-16", "2026-11-20")
    assert (adj_types["Category"] == 1).all()
    assert week["SchedDate"].between(pd.Timestamp("2026-11-16"), pd.Timestamp("2026-11-20")).all()


def test_remote_fetch_announces_size_and_remembers_it(make_simulator, isolated_home, capsys) -> None:
    srv = make_simulator(mode="remote", throttle_intervals=NO_THROTTLE)
    with client_for(srv, progress=True, min_interval=0.001, cache=False) as od:
        od.procedures()
        first = capsys.readouterr().err
        od.procedures()
        second = capsys.readouterr().err
    assert "unknown size" in first
    assert "about" in second and "requests" in second and "1 request / 0.001 s" in second
    estimates = isolated_home / "cache" / "t" / "estimates.json"
    assert stat.S_IMODE(estimates.stat().st_mode) == 0o600
    assert "PatNum" not in estimates.read_text()


# --- paging edge cases ------------------------------------------------------------------------------


def test_a_server_paging_by_less_than_the_limit_is_followed_not_truncated(make_simulator, demo_db,
                                                                           caplog) -> None:
    # A remote office behind a profile left in service mode: Limit=1000 gets 100 rows a page.
    srv = make_simulator(mode="remote", throttle_intervals=NO_THROTTLE)
    with client_for(srv, mode="service", cache=False) as od:
        df = od.procedures()
    assert len(df) == sql(demo_db, "SELECT COUNT(*) FROM procedurelog")[0]
    assert df["ProcNum"].is_unique
    assert "pages by 100" in caplog.text


def test_a_page_exactly_full_then_an_empty_page_ends_the_fetch(make_simulator, demo_db) -> None:
    srv = make_simulator(mode="remote", throttle_intervals=NO_THROTTLE)
    n = sql(demo_db, "SELECT COUNT(*) FROM procedurelog")[0]
    pat, count = sql(demo_db, "SELECT PatNum, COUNT(*) c FROM procedurelog GROUP BY PatNum "
                              "HAVING c BETWEEN 101 AND 199 LIMIT 1") or (None, 0)
    with client_for(srv, cache=False) as od:
        assert len(od.procedures()) == n
        assert od.request_count == list_requests(n, 100)
        if pat is not None:
            assert len(od.procedures(PatNum=pat)) == count


class _StubApi:
    """A loopback HTTP server that answers every GET with ``answer(offset, limit)`` as JSON."""

    def __init__(self, answer) -> None:
        import json
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qs, urlsplit

        self.requests = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                stub.requests += 1
                self.rfile.read(int(self.headers.get("Content-Length") or 0))  # a PUT's body
                q = parse_qs(urlsplit(self.path).query)
                body = json.dumps(answer(int(q.get("Offset", ["0"])[0]), int(q.get("Limit", ["0"])[0])))
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body.encode())

            do_PUT = do_GET

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base_url = f"http://127.0.0.1:{self.server.server_address[1]}/api/v1"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _stub_client(stub: _StubApi, mode: str) -> Client:
    profile = Profile(name="stub", mode=mode, base_url=stub.base_url, developer_key=DEMO_DEVELOPER_KEY,
                      customer_key=DEMO_CUSTOMER_KEY)
    return Client(profile, progress=False, retry=FAST, min_interval=0, cache=False)


def _providers(first: int, last: int) -> list[dict[str, object]]:
    return [{"ProvNum": n, "Abbr": f"P{n}"} for n in range(first, last)]


@pytest.mark.timeout(60)  # before the fix this looped forever
def test_a_server_ignoring_offset_raises_instead_of_looping_or_truncating() -> None:
    stub = _StubApi(lambda offset, limit: _providers(1, 101))  # always the same first page
    try:
        with _stub_client(stub, "remote") as od, pytest.raises(errors.BadResponse) as info:
            od.providers()
    finally:
        stub.close()
    assert "Offset" in str(info.value) and stub.requests == 2


@pytest.mark.timeout(60)  # before the guard this looped forever: query rows have no key to de-duplicate
def test_a_short_query_server_ignoring_offset_raises_instead_of_looping() -> None:
    stub = _StubApi(lambda offset, limit: [{"PatNum": n} for n in range(100)])  # always a full page
    try:
        with _stub_client(stub, "service") as od, pytest.raises(errors.BadResponse) as info:
            od.query("SELECT PatNum FROM patient")
    finally:
        stub.close()
    assert isinstance(info.value, errors.UnstableOrder) and "Offset=99" in str(info.value)
    assert "ORDER BY" in info.value.fix and stub.requests == 2


@pytest.mark.timeout(60)
def test_a_server_ignoring_limit_and_offset_gives_every_row_once() -> None:
    stub = _StubApi(lambda offset, limit: _providers(1, 251))  # everything, whatever was asked
    try:
        with _stub_client(stub, "remote") as od:
            df = od.providers()
    finally:
        stub.close()
    assert len(df) == 250 and df["ProvNum"].is_unique and stub.requests == 2


def test_a_second_pull_from_the_cache_is_silent(make_simulator, capsys) -> None:
    srv = make_simulator(mode="remote", throttle_intervals=NO_THROTTLE)
    with client_for(srv, progress=True, min_interval=0.001) as od:
        od.procedures()
        first = capsys.readouterr().err
        before = od.request_count
        od.procedures()
        second = capsys.readouterr()
        assert od.request_count == before
    assert "unknown size" in first
    assert second.err == "" and second.out == ""


def test_no_unknown_size_note_for_a_one_page_answer(make_simulator, capsys) -> None:
    srv = make_simulator(mode="remote", throttle_intervals=NO_THROTTLE)
    with client_for(srv, progress=True, min_interval=0.001, cache=False) as od:
        od.providers()
    assert capsys.readouterr().err == ""


def test_no_progress_bar_text_when_stderr_is_not_a_terminal(make_simulator, capsys) -> None:
    srv = make_simulator(mode="service")
    with client_for(srv, progress=True, cache=False) as od:
        od.procedures()
        od.query("SELECT ProcNum FROM procedurelog")
    assert "page" not in capsys.readouterr().err


def test_records_typed_value_by_value_equal_the_vectorised_path(simulator) -> None:
    """type_frame types JSON pages in plain Python (fast); the result must be the very frame the
    vectorised path gives, for every stored resource's real answer and for values an office may send
    differently (numbers as strings, missing keys, blanks, junk)."""
    import random

    import requests

    from odnb.api.catalogue import SYNCED

    rng = random.Random(7)
    headers = {"Authorization": f"ODFHIR {DEMO_DEVELOPER_KEY}/{DEMO_CUSTOMER_KEY}",
               "Content-Type": "application/json"}
    checked = 0
    for name in SYNCED:
        res = RESOURCES[name]
        params = {"PatNum": 5} if "PatNum" in res.required else {}
        if name == "schedules":
            params = {"dateStart": "2025-01-01", "dateEnd": "2027-01-01"}
        rows = requests.get(f"{simulator.base_url}/{res.path}", params=params, headers=headers,
                            timeout=30).json()
        mangled = []
        for row in rows[:60]:
            row = dict(row)
            for key in list(row):
                roll = rng.random()
                if roll < 0.1:
                    row[key] = None if row[key] is None else str(row[key])
                elif roll < 0.14:
                    del row[key]
                elif roll < 0.16:
                    row[key] = ""
                elif roll < 0.17:
                    row[key] = "junk"
            mangled.append(row)
        for records in (rows, rows[:1], mangled):
            if not records:
                continue
            fast = type_frame(res, [dict(r) for r in records])
            slow = type_frame(res, pd.DataFrame.from_records([dict(r) for r in records]))
            pd.testing.assert_frame_equal(fast, slow)
            checked += 1
    assert checked >= 2 * len(SYNCED) - 2
