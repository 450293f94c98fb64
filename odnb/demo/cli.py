"""``odnb demo``: run the Open Dental API simulator over the demo practice, or build the practice.

Example:
    $ odnb demo serve --port 30223 --mode remote --throttle reject
    $ odnb demo build --patients 500 --years 2
"""

from __future__ import annotations

import argparse
import sys

DEFAULT_PORT = 30223  # the API Service's port


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``odnb demo serve`` and ``odnb demo build``."""
    demo = subparsers.add_parser("demo", help="the embedded demo practice and Open Dental API simulator")
    sub = demo.add_subparsers(dest="demo_command", metavar="ACTION")
    demo.set_defaults(func=lambda args: (demo.print_help(), 2)[1])

    serve = sub.add_parser("serve", help="serve the demo practice over an Open Dental-like REST API")
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default loopback: the data is PHI-like)"
    )
    serve.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 = any)"
    )
    serve.add_argument("--mode", choices=("service", "remote", "local"), default="service")
    serve.add_argument(
        "--tier",
        choices=("read_all", "paid", "enterprise"),
        default="paid",
        help="throttle tier of the all-permission demo key (remote mode)",
    )
    serve.add_argument(
        "--throttle", choices=("delay", "reject"), default="delay", help="answer to over-fast requests"
    )
    serve.add_argument(
        "--latency", type=float, default=0.0, metavar="S", help="seconds added to every request"
    )
    serve.add_argument(
        "--error-rate", type=float, default=0.0, metavar="R", help="share answered 500/502/503/504"
    )
    serve.add_argument(
        "--drop-rate", type=float, default=0.0, metavar="R", help="share of dropped connections"
    )
    serve.add_argument(
        "--malformed-rate", type=float, default=0.0, metavar="R", help="share of broken JSON bodies"
    )
    serve.add_argument(
        "--econnector-down", action="store_true", help="answer every request 400 eConnector down"
    )
    serve.add_argument(
        "--office-version", default=None, metavar="V", help="Open Dental version the office runs"
    )
    serve.add_argument(
        "--new-filters",
        choices=("ignore", "reject"),
        default="ignore",
        help="a filter newer than --office-version: ignored (every row, as live offices do) or 400",
    )
    _practice_args(serve)
    serve.set_defaults(func=_serve)

    build = sub.add_parser("build", help="build (or reuse) the cached demo practice and print its row counts")
    _practice_args(build)
    build.add_argument("--json", action="store_true", help="print the path and row counts as one JSON object")
    build.set_defaults(func=_build)

    advance = sub.add_parser("advance", help="move the cached demo practice forward by N days of activity")
    advance.add_argument("--days", type=int, default=1, metavar="N", help="days to simulate (default 1)")
    advance.add_argument("--json", action="store_true", help="print what was written as one JSON object")
    _practice_args(advance)
    advance.set_defaults(func=_advance)


def _practice_args(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--patients", type=int, default=None, metavar="N", help="patients (default 1500)")
    parser.add_argument("--years", type=int, default=None, metavar="N", help="years of history (default 3)")
    parser.add_argument("--clinics", type=int, default=None, metavar="N", help="clinics (default 1)")
    parser.add_argument("--seed", type=int, default=None, metavar="N", help="random seed (default 42)")


def _spec(args: argparse.Namespace) -> object:
    from odnb.demo.practice import PracticeSpec

    given = {
        k: getattr(args, k) for k in ("patients", "years", "clinics", "seed") if getattr(args, k) is not None
    }
    for name, value in given.items():
        if value < (0 if name == "seed" else 1):
            raise SystemExit(
                f"odnb demo: --{name} must be at least {0 if name == 'seed' else 1}, got {value}"
            )
    return PracticeSpec(**given)


def _check_rate(name: str, value: float) -> None:
    if not 0.0 <= value <= 1.0:
        raise SystemExit(f"odnb demo serve: --{name} must be between 0 and 1, got {value}")


def _serve(args: argparse.Namespace) -> int:
    import signal
    import threading

    from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY, OFFICE_VERSION
    from odnb.demo.practice import demo_database
    from odnb.demo.server import DemoServer, Faults, SimulatorConfig, default_keys

    for name in ("error_rate", "drop_rate", "malformed_rate"):
        _check_rate(name.replace("_", "-"), getattr(args, name))
    if args.latency < 0:
        raise SystemExit(f"odnb demo serve: --latency must be 0 or more seconds, got {args.latency}")
    if not 0 <= args.port <= 65535:
        raise SystemExit(f"odnb demo serve: --port must be 0-65535, got {args.port}")
    faults = Faults(
        latency=args.latency,
        econnector_down=args.econnector_down,
        error_rate=args.error_rate,
        drop_rate=args.drop_rate,
        malformed_rate=args.malformed_rate,
    )
    try:
        config = SimulatorConfig(
            mode=args.mode,
            keys=default_keys(args.tier),
            throttle_action=args.throttle,
            office_version=args.office_version or OFFICE_VERSION,
            new_filters=args.new_filters,
            faults=faults,
        )
    except ValueError as exc:
        raise SystemExit(f"odnb demo serve: {exc}") from None
    db = demo_database(_spec(args))  # type: ignore[arg-type]
    try:
        server = DemoServer(db, config, host=args.host, port=args.port).start()
    except OSError as exc:
        raise SystemExit(
            f"odnb demo serve: cannot listen on {args.host}:{args.port} ({exc.strerror or exc}). "
            "Pick another --port, or --port 0 for any free one."
        ) from None
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print(f"WARNING: listening on {args.host}, reachable beyond this machine.", file=sys.stderr)
    print(f"Open Dental API simulator ({args.mode} mode) over {db}")
    print(f"Base URL: {server.base_url}")
    print("Try (demo keys; they open only this synthetic practice):")
    print(
        f'  curl -H "Authorization: ODFHIR {DEMO_DEVELOPER_KEY}/{DEMO_CUSTOMER_KEY}" '
        f'-H "Content-Type: application/json" "{server.base_url}/procedurelogs?Limit=2"'
    )
    print("Ctrl-C stops.", flush=True)
    # Ctrl-C and a service manager's SIGTERM both stop it cleanly, even when started from a shell that
    # ignores SIGINT for background jobs (Python then installs no KeyboardInterrupt handler of its own).
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, signal.default_int_handler)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("Stopping.", file=sys.stderr)
    finally:
        server.stop()
    return 0


def _build(args: argparse.Namespace) -> int:
    import sqlite3

    from odnb.demo.practice import demo_database
    from odnb.demo.schema import table_names

    path = demo_database(_spec(args))  # type: ignore[arg-type]
    con = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True)
    try:
        counts = {t: con.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0] for t in table_names(con)}
    finally:
        con.close()
    if getattr(args, "json", False):
        import json

        print(json.dumps({"database": str(path), "tables": counts}))
        return 0
    print(path)
    for table, count in counts.items():
        print(f"  {table:<16} {count:>9,}")
    return 0


def _advance(args: argparse.Namespace) -> int:
    import json

    from odnb.demo.advance import advance_demo

    if not 1 <= args.days <= 366:
        raise SystemExit(f"odnb demo advance: --days must be 1-366, got {args.days}")
    result = advance_demo(args.days, _spec(args))
    if args.json:
        print(json.dumps(result.to_dict()))
        return 0
    changed = lambda c: ", ".join(f"{t} {n}" for t, n in sorted(c.items())) or "none"  # noqa: E731
    print(f"{result.path}: {result.first_day} to {result.last_day}")
    print(f"  inserted: {changed(result.inserted)}")
    print(f"  updated:  {changed(result.updated)}")
    print(f"  deleted:  {changed(result.deleted)}")
    return 0
