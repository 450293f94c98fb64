"""Benchmark: a full pull of ``procedurelogs`` from the simulator with injected latency — a plain
``requests`` loop versus odnb (cold, cache on) versus odnb again from its cache (warm: zero requests).

Requests are counted from the simulator's own log (exact). Seconds are wall time; peak memory is measured
in a second, separate pass under ``tracemalloc`` (so tracing does not slow the timed pass) and compared
with the final frame's own size (``memory_usage(deep=True)``; target: peak <= 3x the frame). The extra
requests odnb's completeness proof costs over the plain loop are printed (target: at most one per pull).
Nothing about time is asserted: the script exits non-zero only if the warm run made a request or the row
counts differ.

Usage:
    .venv/bin/python bench/fetch.py                              # 1500 patients, 3 years, 20 ms latency
    .venv/bin/python bench/fetch.py --patients 300 --latency 0.05
    .venv/bin/python bench/fetch.py --mode remote --patients 100  # 100-row pages, 1 request / s (slow!)
"""

from __future__ import annotations

import argparse
import gc
import os
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

RESOURCE = "procedurelogs"


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    rows: int
    peak_mb: float = float("nan")
    frame_mb: float = float("nan")

    @property
    def rows_per_second(self) -> float:
        return self.rows / self.seconds if self.seconds > 0 else float("inf")


def plain_requests_pull(base_url: str, developer_key: str, customer_key: str, page_size: int) -> Any:
    """What one writes without odnb: page with Offset/Limit until a short page, rows into a DataFrame."""
    import pandas as pd
    import requests

    headers = {"Authorization": f"ODFHIR {developer_key}/{customer_key}", "Content-Type": "application/json"}
    rows: list[dict[str, Any]] = []
    offset = 0
    with requests.Session() as session:
        while True:
            response = session.get(f"{base_url}/{RESOURCE}", params={"Offset": offset, "Limit": page_size},
                                   headers=headers, timeout=70)
            response.raise_for_status()
            page = response.json()
            rows.extend(page)
            if len(page) < page_size:
                break
            offset += page_size
    return pd.DataFrame(rows)


def odnb_pull(base_url: str, developer_key: str, customer_key: str, mode: str, cache_root: Path) -> Any:
    """odnb's full pull with its cache under ``cache_root``."""
    import odnb

    os.environ["ODNB_CACHE_DIR"] = str(cache_root)
    client = odnb.connect(base_url=base_url, developer_key=developer_key, customer_key=customer_key,
                          mode=mode, tier="paid", cache=True, progress=False)
    try:
        return client.get(RESOURCE)
    finally:
        close = getattr(client, "close", None)
        if close:
            close()


def measure(name: str, server: Any, pull: Callable[[], Any], memory_pull: Callable[[], Any] | None) -> Result:
    """Time ``pull`` (requests counted on the server), then measure peak memory of ``memory_pull``."""
    gc.collect()
    before = len(server.log)
    start = time.perf_counter()
    frame = pull()
    seconds = time.perf_counter() - start
    result = Result(name, len(server.log) - before, seconds, len(frame))
    del frame
    if memory_pull is not None:
        gc.collect()
        tracemalloc.start()
        again = memory_pull()
        result.peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
        tracemalloc.stop()
        result.frame_mb = float(again.memory_usage(deep=True).sum()) / 1e6
        del again
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1500)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--latency", type=float, default=0.02, help="seconds added to every response")
    parser.add_argument("--mode", choices=("service", "remote"), default="service")
    args = parser.parse_args(argv)

    from odnb.api.profiles import PAGE_SIZE
    from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY
    from odnb.demo.practice import PracticeSpec, demo_database
    from odnb.demo.server import DemoServer, Faults, SimulatorConfig

    built = time.perf_counter()
    db = demo_database(PracticeSpec(patients=args.patients, years=args.years))
    with sqlite3.connect(db) as con:
        in_db = con.execute("SELECT COUNT(*) FROM procedurelog").fetchone()[0]
    print(f"practice: {db} ({args.patients} patients, {args.years} years, {in_db:,} procedures; "
          f"ready in {time.perf_counter() - built:.1f} s)")

    page_size = PAGE_SIZE[args.mode]
    config = SimulatorConfig(mode=args.mode, faults=Faults(latency=args.latency))
    keys = (DEMO_DEVELOPER_KEY, DEMO_CUSTOMER_KEY)
    with tempfile.TemporaryDirectory(prefix="odnb-bench-") as tmp, DemoServer(db, config).start() as server:
        url = server.base_url
        print(f"simulator: {args.mode} mode, {page_size}-row pages, {args.latency * 1000:g} ms latency")
        cold_cache, memory_cache = Path(tmp) / "cold", Path(tmp) / "memory"
        results = [
            measure("requests loop", server, lambda: plain_requests_pull(url, *keys, page_size),
                    lambda: plain_requests_pull(url, *keys, page_size)),
            measure("odnb cold", server, lambda: odnb_pull(url, *keys, args.mode, cold_cache),
                    lambda: odnb_pull(url, *keys, args.mode, memory_cache)),
            measure("odnb warm (cache)", server, lambda: odnb_pull(url, *keys, args.mode, cold_cache),
                    lambda: odnb_pull(url, *keys, args.mode, cold_cache)),
        ]

    base = results[0]
    print()
    print(f"{'run':<18} {'requests':>8} {'seconds':>8} {'rows':>8} {'rows/s':>10} {'peak MB':>8} "
          f"{'frame MB':>8} {'peak/frame':>10} {'time vs loop':>12}")
    for r in results:
        ratio = r.seconds / base.seconds if base.seconds else float("nan")
        print(f"{r.name:<18} {r.requests:>8} {r.seconds:>8.2f} {r.rows:>8,} {r.rows_per_second:>10,.0f} "
              f"{r.peak_mb:>8.1f} {r.frame_mb:>8.1f} {r.peak_mb / r.frame_mb:>9.2f}x {ratio:>11.2f}x")
    extra = results[1].requests - base.requests
    print()
    print(f"integrity: odnb cold made {extra:+d} request(s) over the plain loop for one pull "
          f"(target: at most +1: the request one row back that proves the end)")
    odnb_cold = results[1]
    print(f"memory: odnb's peak is {odnb_cold.peak_mb / odnb_cold.frame_mb:.2f}x its final frame "
          f"(target: <= 3x; the plain loop: {base.peak_mb / base.frame_mb:.2f}x its untyped frame)")

    problems = []
    if results[2].requests != 0:
        problems.append(f"the warm run made {results[2].requests} request(s); expected 0")
    if len({r.rows for r in results} | {in_db}) != 1:
        problems.append(f"row counts differ: {[r.rows for r in results]} vs {in_db} in the database")
    for problem in problems:
        print(f"FAIL: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
