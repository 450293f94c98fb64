"""With the Queries permission, a refresh is ONE ShortQuery: every stored table's changed rows at once.

Each Open Dental table stamps its rows on insert and update (``DateTStamp`` or ``SecDateTEdit``: the
catalogue's ``Sync.query_change``). One ``UNION ALL`` query asks every table for the rows stamped since its
mark (the latest stamp stored, minus the overlap window for clock skew); the small tables without a stamp
(operatory, clinic, definition, carrier) come whole, schedules by the same date window as the list pull.
The rows of all tables share one layout (``odnb_table``, then ``c0`` = the primary key, ``c1`` ...), padded
with NULL, ordered by table and key so ShortQuery's pages line up (:class:`odnb.api.paging.QueryPaging`
proves the answer complete, as for any query).

Each row is then put in the list endpoint's shape and typed by :func:`odnb.api.frames.type_frame` as a
list pull's rows are: enum integers become the API's text (:data:`odnb.api.catalogue.ENUM_CODES`), the
columns the endpoint looks up in another table are looked up the same way in SQL
(:data:`odnb.api.catalogue.QUERY_LOOKUPS`), and date columns (and datetimes the endpoint sends as dates)
are cut to the date. Columns the list endpoint sends but the office's table lacks stay empty, and enums
the catalogue has no codes for keep the stored integer (as text).

Which columns each table has is asked once (one ``SELECT * ... LIMIT 1`` per table, at the backfill and
at each reconcile; kept in the store's ``_meta``), so the query names only columns that exist.

Deletions are invisible to stamps, as to change filters: the full reconcile still finds them.

Example:
    >>> sql, _ = combined_sql([("adjustments", ["AdjNum", "AdjAmt"], "t.AdjAmt < 0"),
    ...                        ("definitions", ["DefNum"], None)])
    >>> print(sql)
    SELECT 'adjustment' AS odnb_table, t.AdjNum AS c0, t.AdjAmt AS c1 FROM adjustment t WHERE t.AdjAmt < 0
    UNION ALL SELECT 'definition', t.DefNum, NULL FROM definition t
    ORDER BY odnb_table, c0
"""

from __future__ import annotations

import json
import logging
from typing import Any

import pandas as pd

from odnb.api import catalogue
from odnb.api.catalogue import ENUM_CODES, QUERY_LOOKUPS, Resource
from odnb.api.frames import type_frame

log = logging.getLogger("odnb")

COLUMNS_META = "query_columns"  # _meta: {"table": [columns of the office's table], ...}


def learn_columns(client: Any) -> dict[str, list[str]]:
    """The columns of each stored table at this office (empty tables are left out: they are pulled by the
    list endpoint until they have a row). One ShortQuery per table."""
    found: dict[str, list[str]] = {}
    for name in catalogue.SYNCED:
        res = catalogue.RESOURCES[name]
        table = res.sync.table  # type: ignore[union-attr]
        rows = client.query_rows(f"SELECT * FROM {table} ORDER BY {res.key} DESC LIMIT 1")
        if rows:
            found[table] = list(rows[0])
    return found


def known_columns(store: Any) -> dict[str, list[str]] | None:
    text = store.meta(COLUMNS_META)
    return json.loads(text) if text else None


def select_list(res: Resource, have: list[str]) -> list[str]:
    """The API columns of ``res`` the query can give: the key first, then the office table's columns the
    endpoint sends, then the looked-up ones."""
    present = set(have)  # spelled exactly: the API's lower-case twins (``category``) are other columns
    lookups = QUERY_LOOKUPS.get(res.name, {})
    cols = [res.key] + [c for c in res.columns if c != res.key and c in present and c not in lookups]
    return cols + [c for c, (_, _, _, fk) in lookups.items() if fk in present]


def _expression(res: Resource, column: str) -> str:
    lookup = QUERY_LOOKUPS.get(res.name, {}).get(column)
    if lookup is None:
        return f"t.{column}"
    table, value, key, fk = lookup
    return f"COALESCE((SELECT l.{value} FROM {table} l WHERE l.{key} = t.{fk}), '')"


def combined_sql(parts: list[tuple[str, list[str], str | None]]) -> tuple[str, dict[str, list[str]]]:
    """(SQL, layout) for ``parts`` = [(resource, API columns, WHERE condition or None), ...]; ``layout``
    maps each table to the API column held in c0, c1, ..."""
    width = max(len(cols) for _, cols, _ in parts)
    selects, layout = [], {}
    for name, cols, where in parts:
        res = catalogue.RESOURCES[name]
        table = res.sync.table  # type: ignore[union-attr]
        layout[table] = cols
        values = [_expression(res, c) for c in cols] + ["NULL"] * (width - len(cols))
        if not selects:
            values = [f"{v} AS c{i}" for i, v in enumerate(values)]
            head = f"'{table}' AS odnb_table"
        else:
            head = f"'{table}'"
        condition = f" WHERE {where}" if where else ""
        selects.append(f"SELECT {head}, {', '.join(values)} FROM {table} t{condition}")
    return "\nUNION ALL ".join(selects) + "\nORDER BY odnb_table, c0", layout


def split_rows(rows: list[dict[str, Any]], layout: dict[str, list[str]]) -> dict[str, pd.DataFrame]:
    """The combined answer as one typed frame per resource (only tables in ``layout``)."""
    by_table: dict[str, list[dict[str, Any]]] = {t: [] for t in layout}
    for row in rows:
        table = str(row.get("odnb_table"))
        cols = layout.get(table)
        if cols is None:
            continue
        by_table[table].append({c: row.get(f"c{i}") for i, c in enumerate(cols)})
    frames = {}
    for res in catalogue.RESOURCES.values():
        if res.sync is None or res.sync.table not in by_table:
            continue
        records = [api_record(res, r) for r in by_table[res.sync.table]]
        frames[res.name] = type_frame(res, records)[list(res.columns)]
    return frames


def api_record(res: Resource, row: dict[str, Any]) -> dict[str, Any]:
    """One ShortQuery row in the list endpoint's shape: enum integers as text, date-only columns cut."""
    out = dict(row)
    for col, value in row.items():
        if value is None:
            continue
        codes = ENUM_CODES.get(col) if res.columns.get(col) == "enum" else None
        if codes is not None:
            text = str(value).strip()
            if text.lstrip("-").isdigit():
                number = int(text)
                out[col] = next((name for name, code in codes.items() if code == number), text)
        elif res.columns.get(col) == "date" or col in res.sync.query_dates:  # type: ignore[union-attr]
            out[col] = str(value)[:10]  # the endpoint sends the date alone
    return out


__all__ = ["COLUMNS_META", "api_record", "combined_sql", "known_columns", "learn_columns", "select_list",
           "split_rows"]
