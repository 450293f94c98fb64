"""Export practice stores as Hive-partitioned Parquet, for a group's roll-up over many practices on
DuckDB, Spark or Trino: ``DIR/practice=<profile>/table=<name>/data.parquet``.

Example:
    >>> export_parquet(Path("exports"), ["north", "south"])          # doctest: +SKIP
    >>> duckdb.sql("SELECT practice, SUM(ProcFee) FROM read_parquet("
    ...            "'exports/*/table=procedurelog/*.parquet', hive_partitioning=true) "
    ...            "GROUP BY practice")                              # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

from odnb.paths import cache_root, given_dir, private_dir, replacing_privately
from odnb.store.store import STORE_FILE, Store, StoreError, store_columns


def stored_profiles() -> list[str]:
    """Profiles that have a store under the cache root."""
    root = cache_root()
    return sorted(p.parent.name for p in root.glob(f"*/{STORE_FILE}")) if root.is_dir() else []


def export_parquet(folder: Path, profiles: list[str] | None = None) -> dict[str, dict[str, int]]:
    """Write every table of every store (or of ``profiles``); returns {profile: {table: rows}}.

    Files are written 0600 in 0700 folders (the data is PHI), each replaced atomically; ``folder`` itself
    keeps its permissions when it exists (:func:`odnb.paths.given_dir`).
    """
    names = profiles or stored_profiles()
    if not names:
        raise StoreError("no practice store to export: run `odnb sync --profile P` first")
    out: dict[str, dict[str, int]] = {}
    for name in names:
        from odnb.store.store import open_store

        store: Store = open_store(name, read_only=True)
        try:
            tables: dict[str, int] = {}
            for table in store.tables():
                res = store.resource(table)
                cols = ", ".join(f'"{c}"' for c in store_columns(res).values())
                target = private_dir(private_dir(given_dir(folder) / f"practice={name}") / f"table={table}")
                with replacing_privately(target / "data.parquet") as tmp:
                    store.run(f"""COPY (SELECT {cols} FROM "{table}") TO '{tmp}' (FORMAT parquet)""")
                tables[table] = int(store.run(f'SELECT COUNT(*) FROM "{table}"')[0][0])
            out[name] = tables
        finally:
            store.close()
    return out
