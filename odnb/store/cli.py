"""``odnb sync`` (bring practice stores up to date) and ``odnb store`` (status, export).

Example:
    $ odnb sync --profile north --profile south --json
    $ odnb sync --all --full
    $ odnb store status --profile north
    $ odnb store export --parquet exports/
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``odnb sync`` and ``odnb store``."""
    p = subparsers.add_parser(
        "sync", help="bring the local store of one or more practices up to date",
        description="The first run backfills every table; later runs fetch only what changed. A full "
        "reconcile (to see deletions) runs when the last one is older than --reconcile-days, or with --full.",
        epilog="Example: odnb sync --profile north --json",
    )
    p.add_argument("--profile", action="append", metavar="P", help="profile to sync (repeatable)")
    p.add_argument("--all", action="store_true", help="every profile in the config file, concurrently")
    p.add_argument("--full", action="store_true", help="pull every table whole (finds deleted rows)")
    p.add_argument("--reconcile-days", type=float, default=None, metavar="D",
                   help="full reconcile when the last is older than D days (default 7)")
    p.add_argument("--workers", type=int, default=None, metavar="N", help="practices at once (default 8)")
    p.add_argument("--json", action="store_true", help="print one JSON object per practice")
    p.set_defaults(func=_cmd_sync)

    store = subparsers.add_parser("store", help="the local practice store: status and export")
    sub = store.add_subparsers(dest="store_command", metavar="ACTION")
    store.set_defaults(func=lambda args: (store.print_help(), 2)[1])
    status = sub.add_parser("status", help="each table's rows, watermark, last sync and last reconcile")
    status.add_argument("--profile", help="profile (default: ODNB_PROFILE, the config default, or demo)")
    status.set_defaults(func=_cmd_status)
    export = sub.add_parser("export", help="write stores as Hive-partitioned Parquet")
    export.add_argument("--parquet", required=True, metavar="DIR",
                        help="folder: DIR/practice=<profile>/table=<name>/data.parquet")
    export.add_argument("--profile", action="append", metavar="P", help="profile (repeatable; default all)")
    export.set_defaults(func=_cmd_export)


def _profiles(args: argparse.Namespace) -> list[str | None] | None:
    from odnb.api.profiles import profile_names

    if args.all and args.profile:
        print("error: give --profile P (repeatable) or --all, not both", file=sys.stderr)
        return None
    if args.all:
        names = profile_names()
        if not names:
            print("error: --all found no profiles in the config file", file=sys.stderr)
            print("fix: add one with `odnb config add NAME ...`, or name one with --profile", file=sys.stderr)
            return None
        return list(names)
    return list(dict.fromkeys(args.profile)) if args.profile else [None]  # None: the default profile


def _cmd_sync(args: argparse.Namespace) -> int:
    from odnb.store.many import MAX_WORKERS, sync_profiles

    if args.workers is not None and args.workers < 1:
        print(f"error: --workers must be at least 1, got {args.workers}", file=sys.stderr)
        return 2
    if args.reconcile_days is not None and args.reconcile_days < 0:
        print(f"error: --reconcile-days must be 0 or more, got {args.reconcile_days}", file=sys.stderr)
        return 2
    names = _profiles(args)
    if names is None:
        return 2
    options: dict[str, Any] = {"full": args.full}
    if args.reconcile_days is not None:
        options["reconcile_days"] = args.reconcile_days
    results = sync_profiles(names, workers=args.workers or MAX_WORKERS, **options)
    for r in results:
        if args.json:
            out = {k: v for k, v in r.to_dict().items()
                   if k in ("profile", "requests", "rows_written", "store", "as_of", "tables", "error")}
            print(json.dumps(out), flush=True)
        elif r.error:
            print(f"{r.profile}: FAILED: {r.error}", file=sys.stderr)
        else:
            rows = sum(r.tables.values())
            print(f"{r.profile}: {r.kind}, {r.requests} requests, {r.rows_written:,} rows written, "
                  f"{r.deleted:,} removed, {rows:,} rows stored, as of {r.as_of} ({r.seconds:.1f} s)")
    return 1 if any(r.error for r in results) else 0


def _cmd_status(args: argparse.Namespace) -> int:
    from odnb.api.errors import ODError
    from odnb.api.profiles import load_profile
    from odnb.store.store import StoreError, open_store

    try:
        name = load_profile(args.profile) if args.profile else load_profile(None)
    except ODError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        with open_store(name, read_only=True) as store:
            print(store.status().to_string(index=False))
    except StoreError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    return 0


def _cmd_export(args: argparse.Namespace) -> int:
    from pathlib import Path

    from odnb.store.export import export_parquet

    try:
        written = export_parquet(Path(args.parquet), args.profile)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for profile, tables in written.items():
        print(f"{profile}: {len(tables)} tables, {sum(tables.values()):,} rows -> {args.parquet}")
    return 0
