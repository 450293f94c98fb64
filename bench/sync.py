"""Benchmark of the practice store (issue 11): what a backfill and a next-day refresh cost in requests.

Prints, for the demo practice (default 1500 patients, 3 years) behind the simulator in Remote mode (100
rows per page; the throttle is replaced by arithmetic, so figures are exact request counts and
free-tier minutes = requests x 5 s):
  * the cold one-month KPI report without Queries (the baseline, measured in the same run);
  * the backfill: requests vs the page floor (sum of ceil(rows / 100) per table, + one request per patient
    for adjustments without Queries), and its peak Python memory (tracemalloc);
  * the next-day refresh after ``demo advance --days 1``, without Queries (target <= baseline / 15) and with
    Queries (target <= 10);
  * 3 practices synced concurrently vs one (distinct customer keys, a real throttle of 0.3 s per request and
    key so that pacing, not CPU, dominates, on a small practice; target <= 1.3x).

    $ .venv/bin/python bench/sync.py [--patients 1500] [--years 3] [--throttle 0.3] [--only-concurrency]
"""

from __future__ import annotations

import argparse
import math
import os
import shutil
import sqlite3
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

os.environ.setdefault("ODNB_PROGRESS", "0")
os.environ["ODNB_CACHE_DIR"] = tempfile.mkdtemp(prefix="odnb-bench-")

import odnb
from odnb.api.catalogue import RESOURCES, SYNCED
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY, DEMO_READONLY_CUSTOMER_KEY
from odnb.demo.advance import advance
from odnb.demo.practice import PracticeSpec, build_practice
from odnb.demo.server import PERMISSION_GROUPS, ApiKey, DemoServer, SimulatorConfig
from odnb.kpis.scorecard import scorecard
from odnb.store import sync
from odnb.store.many import sync_clients

FREE_TIER_S = 5.0
NO_THROTTLE = {"read_all": 0.0, "paid": 0.0, "enterprise": 0.0}


def client(server: DemoServer, customer: str, interval: float = 0.0) -> odnb.Client:
    return odnb.connect(
        base_url=server.base_url,
        developer_key=DEMO_DEVELOPER_KEY,
        customer_key=customer,
        mode="remote",
        cache=False,
        min_interval=interval,
        progress=False,
    )


def minutes(requests: int) -> str:
    return f"{requests * FREE_TIER_S / 60:,.1f} free-tier minutes"


def page_floor(db: Path, with_queries: bool) -> int:
    con = sqlite3.connect(db)
    total = 0
    for name in SYNCED:
        table = RESOURCES[name].sync.table  # type: ignore[union-attr]
        rows = con.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
        if name == "adjustments" and not with_queries:
            total += con.execute("SELECT COUNT(*) FROM patient").fetchone()[0]
        else:
            total += max(1, math.ceil(rows / 100))
    con.close()
    return total


def copy(db: Path, name: str) -> Path:
    return Path(shutil.copy(db, db.parent / f"{name}.sqlite"))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--patients", type=int, default=1500)
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--throttle", type=float, default=0.3,
                    help="seconds per request per key in the concurrency measure (default 0.3)")
    ap.add_argument("--small-patients", type=int, default=120,
                    help="patients of each practice in the concurrency measure (default 120)")
    ap.add_argument("--only-concurrency", action="store_true", help="run only the concurrency measure")
    args = ap.parse_args()
    if args.only_concurrency:
        concurrency(args.throttle, args.small_patients)
        return
    spec = PracticeSpec(patients=args.patients, years=args.years, today=date(2026, 11, 24))
    folder = Path(tempfile.mkdtemp(prefix="odnb-bench-db-"))
    t0 = time.perf_counter()
    base = build_practice(folder / "base.sqlite", spec)
    print(
        f"demo practice: {args.patients} patients, {args.years} years, "
        f"built in {time.perf_counter() - t0:.0f} s"
    )
    end = spec.today
    start = end.replace(day=1) - timedelta(days=1)
    start = start.replace(day=1)

    # the cold report, without Queries (baseline)
    free_db = copy(base, "free")
    with DemoServer(free_db, SimulatorConfig(mode="remote", throttle_intervals=NO_THROTTLE)) as server:
        cold = client(server, DEMO_READONLY_CUSTOMER_KEY)
        card = scorecard(cold, start, end.replace(day=1) - timedelta(days=1))
        baseline = cold.request_count
        cold.close()
        print(
            f"cold one-month report, no Queries: {baseline} requests ({minutes(baseline)}); "
            f"net production {'n/a' if card.values['net_production'] is None else 'computed'}"
        )

        od = client(server, DEMO_READONLY_CUSTOMER_KEY)
        tracemalloc.start()
        t0 = time.perf_counter()
        backfill = sync(od)
        seconds = time.perf_counter() - t0
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        floor = page_floor(free_db, with_queries=False)
        print(
            f"backfill, no Queries: {backfill.requests} requests vs page floor {floor} "
            f"({backfill.requests / floor:.2f}x), {minutes(backfill.requests)}, "
            f"{sum(backfill.tables.values()):,} rows in {seconds:.1f} s, peak memory {peak / 2**20:.0f} MiB"
        )
        advance(free_db, days=1, seed=11)
        server.log.clear()
        refresh = sync(od)
        paging = ("Offset", "Limit")
        pulls = len({(e.path, tuple(sorted((k, v) for k, v in e.query.items() if k not in paging)))
                     for e in server.log.entries})
        print(
            f"next-day refresh, no Queries: {refresh.requests} requests ({minutes(refresh.requests)}); "
            f"baseline / 15 = {baseline / 15:.1f} -> "
            f"{'MET' if refresh.requests <= baseline / 15 else 'NOT MET'}"
            f"; ratio to the cold report 1/{baseline / max(refresh.requests, 1):.1f}"
        )
        print("  by table: " + ", ".join(f"{t} {n}" for t, n in refresh.requests_by_table.items() if n))
        print(
            f"  {pulls} pulls (distinct filters); the other {refresh.requests - pulls} requests are further "
            "pages and the one request per pull that proves a short page is the end (odnb.api.paging)"
        )
        od.close()

    paid_db = copy(base, "paid")
    with DemoServer(paid_db, SimulatorConfig(mode="remote", throttle_intervals=NO_THROTTLE)) as server:
        od = client(server, DEMO_CUSTOMER_KEY)
        backfill = sync(od)
        print(
            f"backfill, with Queries: {backfill.requests} requests vs page floor "
            f"{page_floor(paid_db, with_queries=True)}"
        )
        advance(paid_db, days=1, seed=11)
        refresh = sync(od)
        print(
            f"next-day refresh, with Queries: {refresh.requests} requests -> "
            f"{'MET' if refresh.requests <= 10 else 'NOT MET'} (target <= 10)"
        )
        od.close()

    concurrency(args.throttle, args.small_patients)


def concurrency(interval: float, patients: int) -> None:
    """3 practices synced at once vs one, each with its own customer key and a real throttle large enough
    that the API's pacing, not CPU, sets the time (the free tier's 5 s scaled down): the ratio shows
    whether practices with different keys really overlap."""
    spec = PracticeSpec(patients=patients, years=1, today=date(2026, 11, 24))
    folder = Path(tempfile.mkdtemp(prefix="odnb-bench-small-"))
    small = build_practice(folder / "small.sqlite", spec)
    keys = [
        ApiKey(DEMO_DEVELOPER_KEY, f"benchCustomer{i}", PERMISSION_GROUPS, "paid", f"c{i}") for i in range(4)
    ]
    servers = [
        DemoServer(
            copy(small, f"multi{i}"),
            SimulatorConfig(
                mode="remote",
                keys=[keys[i]],
                throttle_intervals={"read_all": interval, "paid": interval, "enterprise": interval},
            ),
        ).start()
        for i in range(4)
    ]
    try:
        one = client(servers[3], keys[3].customer, interval)
        t0 = time.perf_counter()
        alone = sync(one)
        single = time.perf_counter() - t0
        one.close()
        clients = [client(s, k.customer, interval) for s, k in zip(servers[:3], keys[:3], strict=True)]
        t0 = time.perf_counter()
        results = sync_clients(clients)
        together = time.perf_counter() - t0
        for c in clients:
            c.close()
        assert not any(r.error for r in results), [r.error for r in results]
        floor = alone.requests * interval
        print(
            f"3 practices concurrently ({patients} patients each, {interval:g} s/request throttle per key, "
            f"{alone.requests} requests each): {together:.1f} s vs one practice {single:.1f} s "
            f"(pacing floor {floor:.1f} s) = {together / single:.2f}x "
            f"-> {'MET' if together / single <= 1.3 else 'NOT MET'} (target <= 1.3x)"
        )
    finally:
        for s in servers:
            s.stop()


if __name__ == "__main__":
    main()
