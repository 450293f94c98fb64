"""``odnb get``: pull one resource (all pages) into a CSV / Parquet / Excel / JSON file, or print its first
rows.

Example:
    $ odnb get procedurelogs --profile demo -p ProcStatus=C -o procs.parquet
    procedurelogs: 41,233 rows x 27 columns, 42 requests -> procs.parquet
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from odnb.failures import ODError
from odnb.paths import replacing_privately

if TYPE_CHECKING:
    import pandas as pd


def _write_csv(df: pd.DataFrame, path: Path) -> None:
    df.to_csv(path, index=False)


def _write_parquet(df: pd.DataFrame, path: Path) -> None:
    df.to_parquet(path, index=False)


def _write_json(df: pd.DataFrame, path: Path) -> None:
    df.to_json(path, orient="records", date_format="iso", indent=1)


def _write_xlsx(df: pd.DataFrame, path: Path) -> None:
    """One sheet (openpyxl). Excel has no time zones: aware timestamps are written as UTC wall time."""
    out = df.copy()
    for name in out.columns:
        if getattr(out[name].dtype, "tz", None) is not None:
            out[name] = out[name].dt.tz_convert("UTC").dt.tz_localize(None)
    out.to_excel(path, index=False, engine="openpyxl", sheet_name="odnb")


# Output file suffix -> writer. Anything else is refused before a request is made.
WRITERS: dict[str, Callable[[pd.DataFrame, Path], None]] = {
    ".csv": _write_csv,
    ".parquet": _write_parquet,
    ".json": _write_json,
    ".xlsx": _write_xlsx,
}
OUTPUT_HELP = "write to FILE (.csv, .parquet, .xlsx or .json), mode 0600"


class UsageError(ODError, ValueError):
    """Bad command-line input, reported before any request."""


def parse_params(pairs: list[str]) -> dict[str, str]:
    """``["PatNum=12", "ProcStatus=C"]`` -> ``{"PatNum": "12", "ProcStatus": "C"}``.

    Example:
        >>> parse_params(["PatNum=12", "date=2026-01-02"])
        {'PatNum': '12', 'date': '2026-01-02'}
    """
    params: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise UsageError(f"-p {pair!r} is not key=value (e.g. -p PatNum=12).")
        params[key.strip()] = value.strip()
    return params


def explain_extra(extra: list[str], args: argparse.Namespace) -> str | None:
    """Why argparse found words it did not expect after ``-p``: ``-p NAME VALUE`` instead of KEY=VALUE."""
    old = [p for p in (getattr(args, "param", None) or []) if "=" not in p]
    if old:
        return f"-p takes KEY=VALUE: write -p {old[0]}={extra[0]} (one word, no space around =)"
    return None


def check_output(path: str) -> Path:
    """The output path, checked before fetching: known suffix, existing folder."""
    out = Path(path).expanduser()
    if out.suffix.lower() not in WRITERS:
        raise UsageError(f"Cannot write {out.name!r}: unknown file type {out.suffix or '(none)'!r}. "
                         f"Use one of: {', '.join(WRITERS)}.")
    if not out.parent.is_dir():
        raise UsageError(f"The folder {out.parent} does not exist; create it first or pick another path.")
    return out


def write_frame(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` atomically (temp file in the same folder, then rename), mode 0600."""
    with replacing_privately(path) as tmp:
        WRITERS[path.suffix.lower()](df, tmp)


def report_error(exc: BaseException) -> None:
    """Print an odnb error as its explanation and fix (never a traceback, never a key)."""
    message = str(exc)
    print(f"error: {message}", file=sys.stderr)
    fix = getattr(exc, "fix", None)
    if fix and fix not in message:
        print(f"fix: {fix}", file=sys.stderr)


def add_connection_options(parser: argparse.ArgumentParser) -> None:
    """``--profile``, ``--base-url`` and ``--no-cache``: what :func:`connect_from_args` reads."""
    parser.add_argument("--profile", help="profile name (default: ODNB_PROFILE, the config default, or demo)")
    parser.add_argument("--base-url", help="override the profile's base URL")
    parser.add_argument("--no-cache", action="store_true", help="do not read or write the response cache")


def connect_from_args(args: argparse.Namespace) -> Any:
    """The client a command's ``--profile``, ``--base-url`` and ``--no-cache`` options ask for (progress bars
    only on a terminal). Example: ``client = connect_from_args(args)``."""
    import odnb

    options: dict[str, Any] = {"cache": not args.no_cache, "progress": sys.stderr.isatty()}
    if args.base_url:
        options["base_url"] = args.base_url
    return odnb.connect(args.profile, **options)


def _cmd_get(args: argparse.Namespace) -> int:
    from odnb.api import catalogue
    from odnb.api.errors import InputError, ODError

    try:
        params = parse_params(args.param or [])
        out = check_output(args.output) if args.output else None
        # Resource and filters first: a typo costs nothing (not even starting the demo simulator).
        catalogue.validate_params(catalogue.resource(args.resource), params)
        client = connect_from_args(args)
    except (InputError, UsageError) as exc:  # bad input: nothing was requested
        report_error(exc)
        return 2
    try:
        df = client.get(args.resource, **params)
    except InputError as exc:  # unknown resource / filter, bad value: raised before any request
        report_error(exc)
        return 2
    except ODError as exc:
        report_error(exc)
        return 1
    finally:
        client.close()
    shape = f"{len(df):,} rows x {len(df.columns)} columns, {client.request_count} request(s)"
    return deliver_frame(df, out, args.resource, shape, args.head)


def deliver_frame(df: pd.DataFrame, out: Path | None, label: str, shape: str, head: int) -> int:
    """Print ``label: shape`` and the first ``head`` rows, or write ``df`` to ``out`` and say so; the exit
    code (1 when the file cannot be written)."""
    if out is None:
        try:
            print(f"{label}: {shape}")
            if len(df):
                print(df.head(head).to_string(max_colwidth=40))
                if len(df) > head:
                    print(f"(the first {head} of {len(df):,} rows: --head N for more, -o FILE for all)")
            sys.stdout.flush()
        except BrokenPipeError:  # `odnb get ... | head`: the reader left; not an error
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    try:
        write_frame(df, out)
    except OSError as exc:
        print(f"error: could not write {out}: {exc.strerror or exc}", file=sys.stderr)
        print("fix: pick a folder you can write to, with enough free space (-o FILE)", file=sys.stderr)
        return 1
    print(f"{label}: {shape} -> {out}")
    return 0


def register(subparsers: Any) -> None:
    """Add ``odnb get RESOURCE [-p key=value ...] [-o out.csv|out.parquet|out.xlsx|out.json]``."""
    parser = subparsers.add_parser(
        "get", help="pull one resource into a file (csv, parquet, xlsx, json) or print its head",
        description="Fetch every page of one Open Dental resource with odnb's cached, paced client.",
        epilog="Example: odnb get procedurelogs -p ProcStatus=C -o procs.parquet",
    )
    parser.add_argument("resource", help="e.g. procedurelogs, appointments, patients/Simple")
    parser.add_argument("-p", "--param", action="append", metavar="KEY=VALUE",
                        help="a filter, e.g. -p PatNum=12 (repeatable)")
    parser.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    add_connection_options(parser)
    parser.add_argument("--head", type=int, default=10, metavar="N",
                        help="rows to print without -o (default 10)")
    parser.set_defaults(func=_cmd_get, explain_extra=explain_extra)
