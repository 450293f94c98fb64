"""Benchmark: what the morning huddle costs, request by request, against the simulator in remote mode
(100-row pages, like the Remote API), with the throttle off so the run is quick; the free tier's cost is
printed as requests x 5 s.

Baseline, measured in the same run: the previous working day's figures from the whole scorecard (one
27-component ShortQuery) against the huddle's five-sum ShortQuery (``odnb.kpis.sql.day_totals``). Requests
are counted from the simulator's own log (exact); seconds are wall time; peak memory is a separate pass
under ``tracemalloc``. Nothing about time is asserted.

Usage:
    .venv/bin/python bench/huddle.py                       # 300 patients, 2 years
    .venv/bin/python bench/huddle.py --patients 1500 --years 3
"""

from __future__ import annotations

import argparse
import collections
import functools
import tempfile
import time
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

print = functools.partial(print, flush=True)  # figures appear as they are measured

FREE_TIER_SECONDS = 5.0
NO_THROTTLE = {"read_all": 0.0, "paid": 0.0, "enterprise": 0.0}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("Usage:")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--patients", type=int, default=300)
    parser.add_argument("--years", type=int, default=2)
    args = parser.parse_args()

    from odnb.api.client import Client
    from odnb.api.profiles import Profile
    from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY
    from odnb.demo.practice import PracticeSpec, build_practice
    from odnb.demo.server import DemoServer, SimulatorConfig
    from odnb.kpis import sql
    from odnb.kpis.huddle import day_huddle
    from odnb.kpis.scorecard import scorecard

    today = date.today()
    day = today
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        db = build_practice(Path(tmp) / "practice.sqlite",
                            PracticeSpec(patients=args.patients, years=args.years, today=today))
        print(f"practice: {args.patients} patients, {args.years} years, built in "
              f"{time.perf_counter() - t0:.1f} s; huddle day {day}")
        server = DemoServer(db, SimulatorConfig(mode="remote", throttle_intervals=NO_THROTTLE)).start()
        try:
            def client() -> Client:
                profile = Profile(name="bench", mode="remote", base_url=server.base_url,
                                  developer_key=DEMO_DEVELOPER_KEY, customer_key=DEMO_CUSTOMER_KEY)
                return Client(profile, cache=False, progress=False, min_interval=0)

            before = len(server.log)
            t0 = time.perf_counter()
            huddle = day_huddle(client(), day)
            seconds = time.perf_counter() - t0
            entries = server.log.entries[before:]
            by_path = collections.Counter(e.path.removeprefix("/api/v1/") for e in entries)
            print(f"huddle: {len(entries)} requests in {seconds:.2f} s; {len(huddle.schedule)} appointments, "
                  f"{huddle.open_minutes} open chair minutes, {len(huddle.recalls)} recalls due")
            for path, n in sorted(by_path.items(), key=lambda kv: -kv[1]):
                print(f"  {n:5d}  {path}")
            print(f"  free tier (1 request / {FREE_TIER_SECONDS:g} s): about "
                  f"{len(entries) * FREE_TIER_SECONDS / 60:.1f} minutes")

            tracemalloc.start()
            day_huddle(client(), day)
            peak = tracemalloc.get_traced_memory()[1] / 2**20
            tracemalloc.stop()
            print(f"  peak memory (tracemalloc, second pass): {peak:.1f} MiB")

            previous = huddle.previous_day
            od = client()
            t0 = time.perf_counter()
            card = scorecard(od, previous, previous)
            full_s, full_n = time.perf_counter() - t0, od.request_count
            od = client()
            t0 = time.perf_counter()
            small = sql.day_totals(od, previous, previous)
            small_s, small_n = time.perf_counter() - t0, od.request_count
            same = all(round(card.values[k] or 0, 2) == round(small[k], 2) for k in small)
            print(f"last working day {previous}: whole scorecard {full_n} requests {full_s:.2f} s; "
                  f"day_totals {small_n} requests {small_s:.2f} s; ratio {full_s / max(small_s, 1e-9):.0f}x; "
                  f"same figures: {same}")
            return 0 if same else 1
        finally:
            server.stop()


if __name__ == "__main__":
    raise SystemExit(main())
