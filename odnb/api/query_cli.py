"""``odnb query "SQL"``: one read-only SQL statement through ShortQuery (every page), printed as a table or
written to a CSV / Parquet / Excel / JSON file.

Example:
    $ odnb query "SELECT ProvNum, COUNT(*) AS n FROM procedurelog GROUP BY ProvNum" -o by_provider.xlsx
    query: 4 rows x 2 columns, 2 request(s) -> by_provider.xlsx
"""

from __future__ import annotations

import argparse
from typing import Any

from odnb.api.get import (
    OUTPUT_HELP,
    UsageError,
    add_connection_options,
    check_output,
    connect_from_args,
    deliver_frame,
    report_error,
)


def _cmd_query(args: argparse.Namespace) -> int:
    from odnb.api.errors import InputError, ODError

    try:
        sql = (args.sql or "").strip()
        if not sql:
            raise UsageError('odnb query needs SQL text, e.g. odnb query "SELECT COUNT(*) AS n FROM '
                             'patient".')
        out = check_output(args.output) if args.output else None
        client = connect_from_args(args)
    except (InputError, UsageError) as exc:  # bad input: nothing was requested
        report_error(exc)
        return 2
    try:
        df = client.query(sql)
    except InputError as exc:
        report_error(exc)
        return 2
    except ODError as exc:  # refused (no Queries permission, not read-only), unreachable ...
        report_error(exc)
        return 1
    finally:
        client.close()
    shape = f"{len(df):,} rows x {len(df.columns)} columns, {client.request_count} request(s)"
    return deliver_frame(df, out, "query", shape, args.head)


def register(subparsers: Any) -> None:
    """Add ``odnb query "SQL" [-o out.csv|out.parquet|out.xlsx|out.json]``."""
    parser = subparsers.add_parser(
        "query", help="run read-only SQL (ShortQuery) into a file or print it as a table",
        description="Run one read-only SQL statement on the office's database with Open Dental's ShortQuery "
                    "(needs the key's Queries permission), every page of 100 rows.",
        epilog='Example: odnb query "SELECT ProvNum, COUNT(*) AS n FROM procedurelog GROUP BY ProvNum" '
               "-o by_provider.xlsx",
    )
    parser.add_argument("sql", help="one SELECT statement (quote it)")
    parser.add_argument("-o", "--output", metavar="FILE", help=OUTPUT_HELP)
    add_connection_options(parser)
    parser.add_argument("--head", type=int, default=50, metavar="N",
                        help="rows to print without -o (default 50)")
    parser.set_defaults(func=_cmd_query)
