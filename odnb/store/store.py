"""The local practice store: one embedded DuckDB file per practice, in its private folder (mode 0600).

One table per Open Dental table, named as Open Dental names them (``procedurelog``, ``claimproc``,
``patient``...), columns as the API names them and typed as the client types them; ``_sync`` records each
table's watermark, last sync, last full reconcile and row count. ``odnb sync`` fills it
(:mod:`odnb.store.sync`); analysts read it with SQL or as typed frames.

Example:
    >>> import odnb
    >>> od = odnb.connect("demo")                                          # doctest: +SKIP
    >>> od_store = open_store(od.profile)                                  # doctest: +SKIP
    >>> od_store.sql("SELECT ProvNum, SUM(ProcFee) AS fees FROM procedurelog "
    ...              "GROUP BY ProvNum")                                      # doctest: +SKIP
    >>> procs = od_store.frame("procedurelog")                             # doctest: +SKIP
"""

from __future__ import annotations

import os
import threading
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from odnb.api import catalogue
from odnb.api.catalogue import Resource
from odnb.api.errors import InputError
from odnb.api.frames import convert
from odnb.paths import practice_dir

STORE_FILE = "store.duckdb"

# Catalogue column kind -> DuckDB type. Dates are TIMESTAMP so they read back as the client's datetime64.
SQL_TYPES: dict[str, str] = {
    "id": "BIGINT",
    "int": "BIGINT",
    "money": "DOUBLE",
    "float": "DOUBLE",
    "bool": "BOOLEAN",
    "date": "TIMESTAMP",
    "datetime": "TIMESTAMP",
    "time": "INTERVAL",
    "enum": "VARCHAR",
    "cat": "VARCHAR",
    "str": "VARCHAR",
}

SYNC_DDL = """
CREATE TABLE IF NOT EXISTS _sync (
    "table" VARCHAR PRIMARY KEY,   -- the store table (an Open Dental table name)
    resource VARCHAR,              -- the API resource it is pulled from
    strategy VARCHAR,              -- changed | via | full | window (odnb.api.catalogue.Sync)
    watermark TIMESTAMP,           -- latest change stamp stored (change-filtered tables)
    last_sync TIMESTAMP,           -- when the table was last brought up to date (local clock)
    last_full TIMESTAMP,           -- last full pull (backfill or reconcile): deletions are seen then
    rows BIGINT,                   -- rows stored
    backfilled BOOLEAN             -- the first full pull has completed
);
CREATE TABLE IF NOT EXISTS _meta (name VARCHAR PRIMARY KEY, value VARCHAR);
"""


class StoreError(InputError):
    """The store cannot answer (no store yet, unknown table, bad SQL)."""


def stored_resources() -> dict[str, Resource]:
    """Store table name -> catalogue resource, in sync order."""
    out = {}
    for name in catalogue.SYNCED:
        res = catalogue.RESOURCES[name]
        out[res.sync.table] = res  # type: ignore[union-attr]
    return out


def store_columns(res: Resource) -> dict[str, str]:
    """API column -> store column. DuckDB names are case-insensitive, so the API's lower-case text twin of
    an id column (``confirmed`` beside ``Confirmed``, ``adjType`` beside ``AdjType``) is stored as
    ``<name>_text``; every other column keeps the API's name.

    >>> store_columns(catalogue.RESOURCES["adjustments"])["adjType"]
    'adjType_text'
    """
    out: dict[str, str] = {}
    seen: set[str] = set()
    for col in res.columns:
        name = col if col.lower() not in seen else f"{col}_text"
        seen.add(name.lower())
        out[col] = name
    return out


def store_path(profile: Any) -> Path:
    """The store file of a profile (or profile name): ``<practice folder>/store.duckdb``."""
    return practice_dir(profile) / STORE_FILE


def open_store(profile: Any, *, read_only: bool = False) -> Store:
    """The :class:`Store` of a profile, a profile name, or a Client (created empty if missing, unless
    ``read_only``)."""
    profile = getattr(profile, "profile", profile)  # a Client
    name = profile if isinstance(profile, str) else profile.name
    return Store(store_path(profile), name=name, read_only=read_only)


class Store:
    """One practice's DuckDB store. Thread-safe for one writer (``odnb sync``) at a time.

    >>> s = Store(Path(tempfile.mkdtemp()) / "store.duckdb")       # doctest: +SKIP
    >>> s.sql("SELECT COUNT(*) AS n FROM procedurelog")             # doctest: +SKIP
    """

    def __init__(self, path: str | Path, *, name: str = "", read_only: bool = False) -> None:
        self.path = Path(path)
        self.name = name or self.path.parent.name
        self.read_only = read_only
        self._con: Any = None
        self._lock = threading.RLock()

    # --- connection -----------------------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return self.path.is_file()

    @property
    def con(self) -> Any:
        """The DuckDB connection (opened on first use; tables created if the store is writable)."""
        if self._con is None:
            import duckdb

            if self.read_only and not self.exists:
                raise StoreError(
                    f"There is no store for {self.name!r} yet.",
                    cause="the local store is filled by odnb sync",
                    fix=f"Run `odnb sync --profile {self.name}` first (the first run backfills).",
                )
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fresh = not self.exists
            old_umask = os.umask(0o077)  # DuckDB creates the file (and its WAL) with the process umask
            try:
                self._con = duckdb.connect(str(self.path), read_only=self.read_only)
            finally:
                os.umask(old_umask)
            if os.name == "posix" and self.exists:
                os.chmod(self.path, 0o600)
            if not self.read_only:
                self._create(fresh)
        return self._con

    def _create(self, fresh: bool) -> None:
        self._con.execute(SYNC_DDL)
        for table, res in stored_resources().items():
            names = store_columns(res)
            cols = ", ".join(f'"{names[c]}" {SQL_TYPES[k]}' for c, k in res.columns.items())
            self._con.execute(f'CREATE TABLE IF NOT EXISTS "{table}" ({cols})')
            self._add_missing_columns(table, res)
            self._con.execute(
                'INSERT INTO _sync ("table", resource, strategy, rows, backfilled) '
                "VALUES (?, ?, ?, 0, false) ON CONFLICT DO NOTHING", [table, res.name, res.sync.strategy])  # type: ignore[union-attr]

    def _add_missing_columns(self, table: str, res: Resource) -> None:
        """A catalogue that learnt new columns adds them to an existing store (empty until re-pulled)."""
        have = {r[0].lower() for r in self._con.execute(f'DESCRIBE "{table}"').fetchall()}
        for col, name in store_columns(res).items():
            if name.lower() not in have:
                kind = SQL_TYPES[res.columns[col]]
                self._con.execute(f'ALTER TABLE "{table}" ADD COLUMN "{name}" {kind}')

    def close(self) -> None:
        with self._lock:
            if self._con is not None:
                self._con.close()
                self._con = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<odnb.Store {self.name!r} {self.path.name}>"

    # --- reading ----------------------------------------------------------------------------------

    def sql(self, query: str, params: list[Any] | None = None) -> pd.DataFrame:
        """Run SQL (DuckDB dialect) over the store; the answer as a DataFrame.

        >>> store.sql("SELECT COUNT(*) AS n FROM patient WHERE PatStatus = 'Patient'")  # doctest: +SKIP
        """
        if not isinstance(query, str) or not query.strip():
            raise StoreError("sql() needs SQL text.", cause="the store runs one SQL statement",
                             fix='Pass a SELECT, e.g. store.sql("SELECT COUNT(*) AS n FROM patient").')
        import duckdb

        with self._lock:
            try:
                return self.con.execute(query, params or []).df()
            except duckdb.Error as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise StoreError(
                    f"The store could not run that SQL: {first}",
                    cause="the store is DuckDB; its tables are named as Open Dental names them",
                    fix="Check table and column names with store.tables() and store.sql('DESCRIBE patient').",
                ) from None

    def tables(self) -> list[str]:
        """The Open Dental tables the store holds."""
        return list(stored_resources())

    def resource(self, name: str) -> Resource:
        """The catalogue resource of a store table or resource name (``procedurelog``, ``procedurelogs``)."""
        tables = stored_resources()
        if name in tables:
            return tables[name]
        for res in tables.values():
            if res.name.lower() == str(name).strip("/").lower():
                return res
        raise StoreError(
            f"The store has no table {name!r}.",
            cause="the store holds one table per synced Open Dental table",
            fix="Use one of: " + ", ".join(tables) + ".",
        )

    def frame(self, name: str, where: str = "", params: list[Any] | None = None) -> pd.DataFrame:
        """A stored table as the client would type it (same columns and dtypes as ``od.get(...)``).

        >>> store.frame("procedurelog", "ProcStatus = ?", ["C"])   # doctest: +SKIP
        """
        res = self.resource(name)
        table = res.sync.table  # type: ignore[union-attr]
        names = store_columns(res)
        cols = ", ".join(f'"{s}"' for s in names.values())
        sql = f'SELECT {cols} FROM "{table}"' + (f" WHERE {where}" if where else "")
        sql += f' ORDER BY "{res.key}"'
        got = self.sql(sql, params)
        got.columns = list(names)  # DuckDB names are case-insensitive: API names come back in pandas
        return retype(res, got)

    def status(self) -> pd.DataFrame:
        """One row per table: resource, strategy, watermark, last_sync, last_full, rows, backfilled."""
        return self.sql('SELECT * FROM _sync ORDER BY "table"')

    @property
    def as_of(self) -> datetime | None:
        """When the store was last complete: the oldest ``last_sync`` over its tables (None: never)."""
        if not self.exists:
            return None
        got = self.sql("SELECT MIN(last_sync) AS t, BOOL_AND(backfilled) AS done FROM _sync")
        if got.empty or not bool(got["done"].iloc[0]) or pd.isna(got["t"].iloc[0]):
            return None
        return pd.Timestamp(got["t"].iloc[0]).to_pydatetime()

    def run(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        """Execute one statement and fetch its whole answer (DuckDB wants results finished)."""
        with self._lock:
            return self.con.execute(sql, params or []).fetchall()

    def meta(self, name: str) -> str | None:
        got = self.run("SELECT value FROM _meta WHERE name = ?", [name])
        return got[0][0] if got else None

    def set_meta(self, name: str, value: str) -> None:
        self.run("INSERT OR REPLACE INTO _meta VALUES (?, ?)", [name, value])

    # --- writing (odnb.store.sync) ------------------------------------------------------------------

    def write(
        self, res: Resource, frame: pd.DataFrame | None, *, replace: str | None = None
    ) -> tuple[int, int]:
        """Upsert ``frame`` (a typed frame of ``res``) by primary key: ``(rows written, rows deleted)``.

        ``replace``: a SQL condition (``"true"``: the whole table) covering the part of the table the pull
        saw completely; stored rows there that the pull did not bring are deleted (the server no longer has
        them). Runs inside the caller's transaction.
        """
        table = res.sync.table  # type: ignore[union-attr]
        cols = list(res.columns)
        names = store_columns(res)
        data = frame if frame is not None else pd.DataFrame(columns=cols)
        data = data.drop_duplicates(subset=[res.key], keep="last") if len(data) else data
        if len(data):
            data = data[data[res.key].notna()]
        staged = pd.DataFrame({f"c{i}": _plain(data[c], res.columns[c]) if c in data.columns and len(data)
                               else pd.Series([None] * len(data), dtype=object) for i, c in enumerate(cols)})
        key = f"c{cols.index(res.key)}"
        if len(staged):
            staged[key] = pd.array(data[res.key], dtype="Int64")
        else:
            staged[key] = pd.Series([], dtype="Int64")
        self.con.register("_incoming", staged)
        try:
            deleted = 0
            if replace:
                gone = f'({replace}) AND "{res.key}" NOT IN (SELECT {key} FROM _incoming)'
                deleted = int(self.run(f'SELECT COUNT(*) FROM "{table}" WHERE {gone}')[0][0])
                if deleted:
                    self.run(f'DELETE FROM "{table}" WHERE {gone}')
            if not len(staged):
                return 0, deleted
            self.run(f'DELETE FROM "{table}" WHERE "{res.key}" IN (SELECT {key} FROM _incoming)')
            select = ", ".join(f'CAST(c{i} AS {SQL_TYPES[res.columns[c]]})' for i, c in enumerate(cols))
            targets = ", ".join(f'"{names[c]}"' for c in cols)
            self.run(f'INSERT INTO "{table}" ({targets}) SELECT {select} FROM _incoming')
        finally:
            self.con.unregister("_incoming")
        return len(staged), deleted


def _plain(s: pd.Series, kind: str) -> pd.Series:
    """A typed column in a shape DuckDB reads directly (categories and text as object strings)."""
    if kind in ("enum", "cat", "str"):
        return s.astype(object).where(s.notna(), None)
    return s


def retype(res: Resource, frame: pd.DataFrame) -> pd.DataFrame:
    """Stored rows back to the client's dtypes (Int64, Float64, boolean, datetime64[ns], category...)."""
    out: dict[str, pd.Series] = {}
    for col, kind in res.columns.items():
        s = frame[col] if col in frame.columns else pd.Series([None] * len(frame), index=frame.index)
        if kind in ("enum", "cat"):
            out[col] = convert(s.astype(object), kind, res.enum_values.get(col, ()))
        elif kind in ("date", "datetime"):
            out[col] = pd.to_datetime(s).astype("datetime64[ns]")
        elif kind == "time":
            out[col] = pd.to_timedelta(s).astype("timedelta64[ns]")
        elif kind == "str":
            out[col] = s.astype(object).where(s.notna(), None).astype("str") if len(s) else s.astype("str")
        else:
            out[col] = s.astype(catalogue.DTYPES[kind])
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)
