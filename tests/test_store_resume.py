"""The practice store when a sync is interrupted or the server's rows move: a killed backfill continues
after its committed pages, a killed incremental sync leaves the previous store, new paysplits are read after
the stored ones. Split from test_store.py so the two files run in parallel workers."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from test_store import NO_THROTTLE, assert_store_equals_db, client_for

import odnb
from odnb.demo.advance import advance
from odnb.store import open_store, sync


def test_new_paysplits_are_read_after_the_stored_ones_unless_rows_before_moved(make_simulator: object,
                                                                              practice: Path) -> None:
    """Sync.appended: a backfill sees the server page paysplits by primary key, so the day's new splits are
    the rows after the stored ones, read from one row back (which must be the last stored row). A split
    deleted on the server moves that row: the sync notices and asks the new payments by PayNum instead."""
    server = make_simulator(practice, mode="remote", throttle_intervals=NO_THROTTLE)  # type: ignore[operator]
    od = client_for(server, readonly=True)
    sync(od)
    store = open_store(od.profile)
    assert store.meta("key_order:paysplits") == "ascending"
    held, last = store.run("SELECT COUNT(*), MAX(SplitNum) FROM paysplit")[0]
    before = od.request_count
    nothing = od.get_after("paysplits", held=held, last=last)
    assert nothing is not None and nothing.empty and od.request_count == before + 1  # the last row alone
    assert od.get_after("paysplits", held=held, last=last - 1) is None  # not the row there: moved

    changes = advance(practice, days=1, seed=4)
    assert changes.inserted["paysplit"] >= 2
    refresh = sync(od, store=store)
    assert refresh.requests_by_table["paysplit"] == 2
    assert_store_equals_db(store, practice, deleted_ok=True)

    con = sqlite3.connect(practice)
    con.execute("DELETE FROM paysplit WHERE SplitNum = (SELECT MIN(SplitNum) FROM paysplit)")
    con.commit()
    con.close()
    changes = advance(practice, days=1, seed=6)
    refresh = sync(od, store=store)
    # the tail's one request, then each new payment by PayNum (its page and the confirming request)
    assert refresh.requests_by_table["paysplit"] == 1 + 2 * changes.inserted["payment"]
    assert_store_equals_db(store, practice, deleted_ok=True)
    store.close()


def kill_after_pages(od: odnb.Client, resource: str, pages: int) -> None:
    """Make ``od``'s next whole pull of ``resource`` die (KeyboardInterrupt) after ``pages`` pages."""
    original = od.iter_pages

    def iter_pages(name: str, **options: object) -> object:
        got = original(name, **options)  # type: ignore[arg-type]
        if name != resource or options.get("after"):
            return got

        def dying() -> object:
            for i, page in enumerate(got):
                if i == pages:
                    raise KeyboardInterrupt
                yield page
        return dying()

    od.iter_pages = iter_pages  # type: ignore[method-assign]


def later_stamp(db: Path) -> str:
    con = sqlite3.connect(db)
    latest = max(con.execute(f"SELECT MAX(DateTStamp) FROM {t}").fetchone()[0]
                 for t in ("patient", "appointment", "procedurelog"))
    con.close()
    return (pd.Timestamp(latest) + pd.Timedelta(minutes=1)).strftime("%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("deleted_before", [False, True], ids=["continues", "starts-over"])
def test_killed_backfill_continues_after_its_committed_pages(make_simulator: object, practice: Path,
                                                             deleted_before: bool) -> None:
    """Each backfill page is committed as it arrives: killed after 3 pages of procedurelog, the next run
    asks from one row back of them (the last committed row must be there) to the end, then re-reads the
    committed rows that changed meanwhile by the change filter. A committed row deleted meanwhile moves
    that row: the table starts over. Either way the store ends equal to the database."""
    server = make_simulator(practice, mode="remote", throttle_intervals=NO_THROTTLE)  # type: ignore[operator]
    od = client_for(server, readonly=True)
    store = open_store(od.profile)
    kill_after_pages(od, "procedurelogs", 3)
    with pytest.raises(KeyboardInterrupt):
        sync(od, store=store)
    status = store.status().set_index("table")
    assert store.run("SELECT COUNT(*) FROM procedurelog")[0][0] == 300
    assert not status.loc["procedurelog", "backfilled"] and status.loc["patient", "backfilled"]
    del od.iter_pages  # the instance's wrapper: back to the class's method

    con = sqlite3.connect(practice)
    first = con.execute("SELECT MIN(ProcNum) FROM procedurelog").fetchone()[0]
    if deleted_before:
        con.execute("DELETE FROM procedurelog WHERE ProcNum = ?", (first,))
    else:  # a committed row edited meanwhile, as Open Dental stamps an edit
        con.execute("UPDATE procedurelog SET ProcFee = ProcFee + 7, DateTStamp = ? WHERE ProcNum = ?",
                    (later_stamp(practice), first))
    con.commit()
    total = con.execute("SELECT COUNT(*) FROM procedurelog").fetchone()[0]
    con.close()

    again = sync(od, store=store)
    assert again.kind == "backfill"
    pages_left = (total - 300) // 100 + 1
    if deleted_before:  # the request that found the resume point moved, then every page and the confirmation
        assert again.requests_by_table["procedurelog"] == 1 + (total // 100 + 1) + 1
    else:  # the rest (from one row back) and its confirmation, then the change-filter pull (page + confirm)
        assert again.requests_by_table["procedurelog"] == pages_left + 1 + 2
    assert_store_equals_db(store, practice)
    assert store.status().set_index("table").loc["procedurelog", "backfilled"]
    store.close()


def test_killed_incremental_sync_leaves_the_previous_store(make_simulator: object, practice: Path) -> None:
    server = make_simulator(practice, mode="service")  # type: ignore[operator]
    od = client_for(server, readonly=True)  # the list endpoints: many pulls, killed after some of them
    sync(od)
    store = open_store(od.profile)
    before = store.sql("SELECT COUNT(*) AS n FROM procedurelog")["n"].iloc[0]
    advance(practice, days=2, seed=3)
    server.faults.script.extend([404] * 3)  # type: ignore[attr-defined]  # a pull fails midway
    server.faults.script.clear()  # type: ignore[attr-defined]
    calls = {"n": 0}
    original = od.get

    def failing_get(resource: str, **params: object) -> pd.DataFrame:
        calls["n"] += 1
        if resource == "recalls":
            raise KeyboardInterrupt  # the sync is killed after the first tables were pulled
        return original(resource, **params)

    od.get = failing_get  # type: ignore[method-assign]
    with pytest.raises(KeyboardInterrupt):
        sync(od, store=store)
    assert calls["n"] > 5
    assert store.sql("SELECT COUNT(*) AS n FROM procedurelog")["n"].iloc[0] == before
    od.get = original  # type: ignore[method-assign]
    assert sync(od, store=store).kind == "incremental"
    assert store.sql("SELECT COUNT(*) AS n FROM procedurelog")["n"].iloc[0] > before
    store.close()
