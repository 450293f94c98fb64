"""``sync(client)``: bring a practice's store up to date with the fewest requests its key allows.

The first run backfills every table (the request count and ETA said up front; each page is committed as
it arrives, so a killed backfill continues after the pages it had committed). Later runs are
incremental, one strategy per resource read from the catalogue (:class:`odnb.api.catalogue.Sync`): change
filters from each table's watermark minus an overlap window; tables without a change filter through their
parents (claimprocs by ClaimNum of changed claims, paysplits added since (read after the stored ones) and by
PayNum of changed older payments, patplans by InsSubNum of changed subscriptions and PatNum of new patients,
recalls by PatNum of changed procedures and appointments, adjustments by PatNum of patients with activity);
small reference tables in full; schedules by a date window. With the Queries permission the whole refresh is
one combined ShortQuery instead (:mod:`odnb.store.query_sync`). A refresh through parents that would cost
more requests than pulling the table whole pulls it whole. Every incremental run writes in ONE transaction:
killed midway, the store keeps its previous consistent state.

Deletions are invisible to change filters: a full reconcile (``full=True``, or when the last one is older
than ``reconcile_days``, default 7) pulls every table whole and replaces it.

All pulls go through the client's public paging (``Client.get`` / ``iter_pages`` / ``query``), so its
completeness checks (server page caps, servers ignoring Offset) apply.

Example:
    >>> import odnb
    >>> result = sync(odnb.connect("myoffice"))                 # doctest: +SKIP
    >>> result.requests, result.tables["procedurelog"]          # doctest: +SKIP
    (37, 44391)
"""

from __future__ import annotations

import json
import logging
import math
import sys
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from odnb.api import catalogue
from odnb.api.catalogue import ACTIVITY, Resource
from odnb.api.errors import ODError, PermissionDenied, ResumePointMoved
from odnb.store import query_sync
from odnb.store.store import Store, open_store

log = logging.getLogger("odnb")

RECONCILE_DAYS = 7.0  # default interval between full reconciles (deletions)
WINDOW_AHEAD_DAYS = 3 * 366  # schedules: how far past the practice's latest activity a full pull reaches
BACKFILL_START = "1990-01-01"  # schedules: where a full pull of a date-range resource starts


@dataclass
class SyncResult:
    """What one practice's sync did. ``to_dict()`` is the ``odnb sync --json`` object."""

    profile: str
    requests: int = 0
    rows_written: int = 0
    store: str = ""
    as_of: str | None = None
    tables: dict[str, int] = field(default_factory=dict)
    kind: str = "incremental"  # backfill | incremental | reconcile
    deleted: int = 0
    seconds: float = 0.0
    requests_by_table: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.error is None:
            data.pop("error")
        return data


def sync(
    client: Any,
    *,
    full: bool = False,
    reconcile_days: float = RECONCILE_DAYS,
    store: Store | None = None,
    use_queries: bool | str = "auto",
) -> SyncResult:
    """Sync the store of ``client``'s practice; see the module doc. ``use_queries``: "auto" uses
    ShortQuery for adjustments when the key holds Queries (learnt once, re-checked at each reconcile)."""
    started = time.monotonic()
    own = store is None
    store = store or open_store(client.profile)
    before = client.request_count
    result = SyncResult(profile=client.profile.name, store=str(store.path))
    try:
        _Run(client, store, result, full=full, reconcile_days=reconcile_days, use_queries=use_queries).go()
    finally:
        result.requests = client.request_count - before
        result.seconds = round(time.monotonic() - started, 3)
        as_of = store.as_of
        result.as_of = as_of.isoformat(timespec="seconds") if as_of else None
        result.tables = {t: int(n) for t, n in store.run('SELECT "table", rows FROM _sync')}
        if own:
            store.close()
    return result


class _Run:
    """One sync of one practice (state shared by the table pulls)."""

    def __init__(self, client: Any, store: Store, result: SyncResult, *, full: bool, reconcile_days: float,
                 use_queries: bool | str) -> None:
        self.client = client
        self.store = store
        self.result = result
        self.full = full
        self.reconcile_days = reconcile_days
        self.use_queries = use_queries
        self.now = datetime.now().replace(microsecond=0)
        self.pulled: dict[str, pd.DataFrame] = {}  # resource -> rows pulled this run
        self.changed: dict[str, pd.DataFrame] = {}  # resource -> of those, the new or changed rows
        self.new: dict[str, set[int]] = {}  # resource -> keys of the pulled rows not stored before
        self.full_pull: set[str] = set()  # resources pulled whole this run
        self.state = {row["resource"]: row for row in store.status().to_dict("records")}

    # --- plan -------------------------------------------------------------------------------------

    def go(self) -> None:
        names = list(catalogue.SYNCED)
        pending = [n for n in names if not self.state[n]["backfilled"]]
        due = self.full or self._reconcile_due()
        if pending:
            self.result.kind = "backfill"
            self._announce(pending)
            self._backfill(names, pending)
            return
        self.result.kind = "reconcile" if due else "incremental"
        plans = None if due else self._query_plans()
        if plans is None:
            plans = {n: self._pull(n, whole=due) for n in names}
        self.store.run("BEGIN TRANSACTION")
        try:
            for name in names:
                self._apply(name, *plans[name], whole=due)
            self.store.run("COMMIT")
        except BaseException:
            self.store.run("ROLLBACK")
            raise
        if due:
            self._learn_columns()

    def _learn_columns(self) -> None:
        """With Queries held: ask which columns each table has, for the combined ShortQuery refresh."""
        if self.use_queries is False or self.store.meta("queries_allowed") != "true":
            return
        try:
            self.store.set_meta(query_sync.COLUMNS_META, json.dumps(query_sync.learn_columns(self.client)))
        except ODError as exc:
            log.warning("could not read the tables' columns by ShortQuery (%s); refreshes use the list "
                        "endpoints", exc)

    def _query_plans(self) -> dict[str, tuple[pd.DataFrame, str | None]] | None:
        """Every table's changes by ONE ShortQuery (see :mod:`odnb.store.query_sync`), or None when the
        key does not hold Queries, the tables' columns are not known yet, or the query fails (the caller
        then uses the list endpoints)."""
        if self.use_queries is False or self.store.meta("queries_allowed") != "true":
            return None
        have = query_sync.known_columns(self.store)
        if not have:
            return None
        parts: list[tuple[str, list[str], str | None]] = []
        replace: dict[str, str | None] = {}
        by_list: list[str] = []
        for name in catalogue.SYNCED:
            res = catalogue.RESOURCES[name]
            rule = res.sync
            assert rule is not None
            cols = have.get(rule.table)
            if cols is None:
                by_list.append(name)  # empty at the last look: its list endpoint says when it has rows
                continue
            lower = {c.lower() for c in cols}
            where: str | None = None
            if rule.strategy == "window" and rule.window_column:
                latest = self._latest_activity()
                start = (latest - timedelta(days=rule.window_days)).date().isoformat()
                end = (latest + timedelta(days=rule.window_ahead_days)).date().isoformat()
                col = rule.window_column
                where = f"t.{col} >= '{start}' AND t.{col} <= '{end} 23:59:59'"
                replace[name] = f"(\"{col}\" >= TIMESTAMP '{start}' AND \"{col}\" <= TIMESTAMP '{end}')"
            elif rule.query_change and rule.query_change.lower() in lower:
                mark = self.store.run(f'SELECT MAX("{rule.query_change}") FROM "{rule.table}"')[0][0]
                if mark is None:
                    replace[name] = "true"
                else:
                    since = pd.Timestamp(mark).to_pydatetime() - timedelta(minutes=rule.overlap_minutes)
                    where = f"t.{rule.query_change} >= '{since:%Y-%m-%d %H:%M:%S}'"
                    replace[name] = None
            else:
                replace[name] = "true"  # a small table without a stamp: whole (sees edits and deletions)
            parts.append((name, query_sync.select_list(res, cols), where))
        if not parts:
            return None
        sql, layout = query_sync.combined_sql(parts)
        before = self.client.request_count
        rows = self._short_query(self.client.query_rows, sql, "the combined ShortQuery refresh",
                                 "using the list endpoints")
        if rows is None:
            return None
        self.result.requests_by_table["(one ShortQuery)"] = self.client.request_count - before
        frames = query_sync.split_rows(rows, layout)
        plans: dict[str, tuple[pd.DataFrame, str | None]] = {}
        for name in catalogue.SYNCED:
            if name in by_list:
                plans[name] = self._pull(name, whole=False)
                continue
            frame = frames[name]
            self.pulled[name] = self.changed[name] = frame
            if replace[name] == "true":
                self.full_pull.add(name)
            plans[name] = (frame, replace[name])
        return plans

    def _reconcile_due(self) -> bool:
        last = [row["last_full"] for row in self.state.values()]
        if any(pd.isna(t) for t in last):
            return True
        oldest = min(pd.Timestamp(t) for t in last).to_pydatetime()
        return self.now - oldest >= timedelta(days=self.reconcile_days)

    def _backfill(self, names: list[str], pending: list[str]) -> None:
        """Tables not yet backfilled are pulled whole, the big ones page by page, each page committed as
        it arrives (a killed backfill continues after the committed pages: :meth:`_backfill_in_pages`);
        the others are brought up to date incrementally in the same run, so parents are current."""
        for name in names:
            whole = name in pending
            rule = catalogue.RESOURCES[name].sync
            assert rule is not None
            if whole and rule.strategy in ("changed", "via") and name != "adjustments":
                self._backfill_in_pages(name)
                continue
            plan = self._pull(name, whole=whole)
            self.store.run("BEGIN TRANSACTION")
            try:
                self._apply(name, *plan, whole=whole)
                self.store.run("COMMIT")
            except BaseException:
                self.store.run("ROLLBACK")
                raise
        self._learn_columns()

    def _backfill_in_pages(self, name: str) -> None:
        """Pull one table whole, committing each page as it arrives. Rows committed by an interrupted
        backfill are kept: the pull continues after them (``Client.iter_pages(after=...)``, from one row
        back, which must be the last committed row; otherwise it starts over), then the rows committed
        before that changed in the meantime are read again as a refresh would read them (change filter
        from their latest stamp, or through the parents that changed). The table counts as backfilled
        only when its pull is proven complete."""
        res = catalogue.RESOURCES[name]
        rule = res.sync
        assert rule is not None
        before = self.client.request_count
        held, last = self.store.run(f'SELECT COUNT(*), MAX("{res.key}") FROM "{rule.table}"')[0]
        resumed = bool(held) and self.store.meta(f"key_order:{name}") == "ascending"
        if resumed:
            self._say(f"{rule.table}: continuing the interrupted backfill after its {held} committed rows")
            try:
                self._commit_pages(res, (int(held), int(last)))
            except ResumePointMoved:
                log.info("%s: the committed rows are not the server's first %d any more; starting over",
                         rule.table, held)
                resumed = False
        if not resumed:
            self._commit_pages(res, None)
        self.full_pull.add(name)
        frame = self.store.frame(name)
        self.pulled[name] = self.changed[name] = frame
        catch_up, replace = pd.DataFrame(columns=list(res.columns)), None
        if resumed:  # committed rows may have changed since: refresh them as an incremental sync would
            column = res.change_filter
            if column and column in frame.columns:
                self.state[name] = {**self.state[name], "watermark": frame[column].max()}
            self.full_pull.discard(name)
            catch_up, replace = self._fetch(res, whole=False)
            self.full_pull.add(name)
        self.result.requests_by_table[rule.table] = self.client.request_count - before
        self.store.run("BEGIN TRANSACTION")
        try:
            self._apply(name, catch_up, replace, whole=True)
            self.store.run("COMMIT")
        except BaseException:
            self.store.run("ROLLBACK")
            raise

    def _commit_pages(self, res: Resource, after: tuple[int, int] | None) -> None:
        """Upsert each page of a whole pull of ``res`` in its own transaction; keep whether the rows came
        in primary-key order (what resuming after them relies on)."""
        rule = res.sync
        assert rule is not None
        if after is None:
            self.store.run(f'DELETE FROM "{rule.table}"')  # a start over: no rows of an earlier try
        previous = after[1] if after else None
        ascending = True
        for page in self.client.iter_pages(res.name, after=after):
            keys = page[res.key].dropna().astype("int64")
            if len(keys):
                ascending = ascending and keys.is_monotonic_increasing and keys.is_unique and (
                    previous is None or int(keys.iloc[0]) > previous)
                previous = int(keys.iloc[-1])
            self.store.run("BEGIN TRANSACTION")
            try:
                written, _ = self.store.write(res, page)
                self.store.set_meta(f"key_order:{res.name}", "ascending" if ascending else "other")
                self.store.run("COMMIT")
            except BaseException:
                self.store.run("ROLLBACK")
                raise
            self.result.rows_written += written

    def _announce(self, pending: list[str]) -> None:
        """Say the backfill's cost before it starts: requests from the last known row counts (or at least
        one page per table) and the time at this key's pace."""
        size = self.client.profile.page_size
        interval = getattr(self.client._transport, "min_interval", 0.0)
        pages = sum(self._pages_of(n, size) for n in pending)
        eta = f", about {_duration(pages * interval)} at 1 request / {interval:g} s" if interval else ""
        self._say(f"backfill of {len(pending)} tables: at least {pages} requests{eta}; resumable "
                  "(pages already committed are kept if it is interrupted)")

    def _pages_of(self, name: str, size: int) -> int:
        rows = self.client._load_estimates() if hasattr(self.client, "_load_estimates") else {}
        known = [v for k, v in rows.items() if k.startswith(name + "?") and isinstance(v, int)]
        if name == "adjustments":
            return max(1, int(self.state["patients/Simple"]["rows"] or 0))
        return (max(known) // size + 1) if known else 1

    def _say(self, text: str) -> None:
        log.info("%s: %s", self.client.profile.name, text)
        if getattr(self.client, "progress", False):
            print(f"odnb sync {self.client.profile.name}: {text}", file=sys.stderr)

    # --- pulls ------------------------------------------------------------------------------------

    def _pull(self, name: str, *, whole: bool) -> tuple[pd.DataFrame, str | None]:
        """(rows, replace condition) for one resource; ``replace`` deletes the stored part the pull covers."""
        res = catalogue.RESOURCES[name]
        rule = res.sync
        assert rule is not None
        before = self.client.request_count
        frame, replace = self._fetch(res, whole)
        if rule.appended and name in self.full_pull and rule.strategy != "window":
            self._note_key_order(res, frame)
        self.pulled[name] = frame
        # Children and activity follow only rows that are new or differ from the stored ones (a whole pull
        # of an unchanged table names no patient with activity).
        self.changed[name] = self._really_changed(res, frame)
        self.result.requests_by_table[rule.table] = self.client.request_count - before
        return frame, replace

    def _fetch(self, res: Resource, whole: bool) -> tuple[pd.DataFrame, str | None]:
        rule = res.sync
        assert rule is not None
        if rule.strategy == "window":
            return self._window(res, whole)
        if whole or rule.strategy == "full":
            self.full_pull.add(res.name)
            return self._everything(res), "true"
        if rule.strategy == "changed":
            return self._changed(res), None
        return self._via(res)

    def _really_changed(self, res: Resource, frame: pd.DataFrame) -> pd.DataFrame:
        """The pulled rows that are new or differ from the stored ones (an overlap window re-sends rows
        already stored: their children need no refresh)."""
        if frame.empty or not self.state[res.name]["backfilled"]:
            return frame
        keys = [int(k) for k in frame[res.key].dropna()]
        if not keys:
            return frame
        stored = self.store.frame(res.name) if len(keys) > 1000 else \
            self.store.frame(res.name, f'"{res.key}" IN ({",".join(map(str, keys))})')
        self.new[res.name] = set(keys) - {int(k) for k in stored[res.key].dropna()}
        if stored.empty:
            return frame
        cols = [c for c in res.columns if c != "serverDateTime"]  # the answer's time, not the row's
        mine = frame[cols].astype(str).set_index(frame[res.key].astype("Int64"))
        theirs = stored[cols].astype(str).set_index(stored[res.key].astype("Int64"))
        theirs = theirs.reindex(mine.index)
        same = (theirs.eq(mine) | (theirs.isna() & mine.isna())).all(axis=1)
        return frame[~same.to_numpy()].reset_index(drop=True)

    def _everything(self, res: Resource) -> pd.DataFrame:
        if res.name == "adjustments":
            frame = self._adjustments_query(None)
            if frame is not None:
                return frame
            return self.client.adjustments_all(self._all_patnums())
        return self.client.get(res.name)

    def _all_patnums(self) -> list[int]:
        pats = self.pulled.get("patients/Simple")
        if pats is not None and "patients/Simple" in self.full_pull:
            return [int(p) for p in pats["PatNum"].dropna()]
        return [int(p) for p in self.store.sql("SELECT PatNum FROM patient")["PatNum"]]

    def _changed(self, res: Resource) -> pd.DataFrame:
        rule, column = res.sync, res.change_filter
        assert rule is not None and column is not None
        mark = self.state[res.name]["watermark"]
        if pd.isna(mark):
            self.full_pull.add(res.name)
            return self.client.get(res.name)
        flt = res.filter(column)
        by_date = flt is not None and flt.type == "date"  # a date filter re-reads the watermark's whole day
        mark = pd.Timestamp(mark).to_pydatetime()
        if not by_date:  # rows changed since the last sync are stamped after the practice's clock then
            mark = max(mark, self._previous_clock())
        since = mark - timedelta(minutes=0 if by_date else rule.overlap_minutes)
        value: Any = since.date() if by_date else since
        frame = self.client.get(res.name, **{column: value})
        if column in frame.columns and len(frame):
            floor = pd.Timestamp(since.date() if by_date else since)
            older = int((frame[column] < floor).sum())
            if older:
                log.warning("%s: the server sent %d rows changed before %s=%s: it seems to ignore the filter "
                            "(an older Open Dental?), so refreshes cost a full pull", res.name, older, column,
                            value)
        return frame

    def _previous_clock(self) -> datetime:
        """The practice's clock at the last sync: its latest change stamp then (server time, any table).
        A table that has not changed for years is asked from there, not from its own old watermark."""
        stamps = [pd.Timestamp(r["watermark"]).to_pydatetime() for r in self.state.values()
                  if not pd.isna(r["watermark"])]
        return max(stamps) if stamps else datetime.min

    def _via(self, res: Resource) -> tuple[pd.DataFrame, str | None]:
        rule = res.sync
        assert rule is not None
        if rule.query_change and res.name == "adjustments":
            mark = self.store.sql(f'SELECT MAX("{rule.query_change}") AS m FROM "{rule.table}"')["m"].iloc[0]
            if not pd.isna(mark):
                since = pd.Timestamp(mark).to_pydatetime() - timedelta(minutes=rule.overlap_minutes)
                frame = self._adjustments_query(since)
                if frame is not None:
                    return frame, None
        if any(v.parent in self.full_pull for v in rule.via if v.parent != ACTIVITY):
            self.full_pull.add(res.name)
            return self.client.get(res.name), "true"  # a parent pulled whole: so is the child
        tail = self._added_rows(res) if rule.appended else None
        wanted: list[tuple[str, str, list[int]]] = []  # (param, parent column, keys) in rule order
        for via in rule.via:
            if via.parent != ACTIVITY and via.parent not in catalogue.RESOURCES:
                continue  # a parent this catalogue does not know
            keys = self._activity() if via.parent == ACTIVITY else self._keys(via.parent, via.column,
                                                                               via.new_only)
            if tail is not None and via.parent != ACTIVITY and via.param in tail.columns:
                # a new parent's children are new rows: they came with the tail
                came = {int(k) for k in tail[via.param].dropna()} & set(self._keys(via.parent, via.column,
                                                                                   new_only=True))
                keys = [k for k in keys if k not in came]
            wanted.append((via.param, via.column, [k for k in keys if k > 0]))
        params = list(dict.fromkeys((p, k) for p, _, keys in wanted for k in keys))
        size = self.client.profile.page_size
        whole_cost = self._pages_of(res.name, size)
        stored = int(self.state[res.name]["rows"] or 0)
        whole_cost = max(whole_cost, stored // size + 1)
        # a parent's pull costs its page and the request confirming it: two for most parents
        if 2 * len(params) > whole_cost + 1 and res.name != "adjustments":
            self.full_pull.add(res.name)
            return self.client.get(res.name), "true"  # cheaper whole (and it sees deletions)
        if not params:
            return (tail if tail is not None else pd.DataFrame(columns=list(res.columns))), None
        if res.name == "adjustments":
            return self.client.adjustments_all([k for _, k in params]), None
        parts: list[pd.DataFrame] = [] if tail is None else [tail]
        outstanding = self._outstanding(res, wanted)
        if outstanding is not None:
            parts.append(outstanding)
        visited: list[tuple[str, int]] = []
        for param, _, keys in wanted:
            # a parent whose children already came (with the outstanding rows, or through an earlier
            # parent: the claimprocs of a claim paid by a new check) is not asked again; an older parent
            # is asked even when the tail brought one new child of it
            done = {int(k) for part in parts if part is not tail and param in part.columns
                    for k in part[param].dropna()}
            for key in keys:
                if key in done or (param, key) in visited:
                    continue
                visited.append((param, key))
                parts.append(self.client.get(res.name, **{param: key}))
        parts = [p for p in parts if len(p)]
        frame = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=list(res.columns))
        frame = frame.drop_duplicates(subset=[res.key], keep="last").reset_index(drop=True) if len(frame) \
            else frame
        # A parent's key pulled completely: its stored children that are gone were deleted.
        replace = " OR ".join(f'"{p}" = {int(k)}' for p, k in visited) if 0 < len(visited) <= 500 else None
        return frame, replace

    def _note_key_order(self, res: Resource, frame: pd.DataFrame) -> None:
        """Keep whether a whole pull came in primary-key order (what :meth:`_added_rows` relies on)."""
        keys = frame[res.key].dropna().astype("int64") if res.key in frame.columns else pd.Series([])
        ascending = len(keys) > 0 and keys.is_monotonic_increasing and keys.is_unique
        self.store.set_meta(f"key_order:{res.name}", "ascending" if ascending else "other")

    def _added_rows(self, res: Resource) -> pd.DataFrame | None:
        """The rows added since the last sync (``Sync.appended``): those after the stored rows, read from
        one row back. None when that proves nothing: the server was not seen to page by primary key at the
        last whole pull, the row there is not the last stored one (a row before it was deleted: the
        reconcile will see it), or a row came that is not above every stored key."""
        rule = res.sync
        assert rule is not None
        if self.store.meta(f"key_order:{res.name}") != "ascending":
            return None
        held, last = self.store.run(f'SELECT COUNT(*), MAX("{res.key}") FROM "{rule.table}"')[0]
        if not held:
            return None
        frame = self.client.get_after(res.name, int(held), int(last))
        if frame is None:
            log.info("%s: the stored rows are not the server's first %d any more (a deletion?); asking the "
                     "parents", res.name, held)
            return None
        keys = frame[res.key].dropna().astype("int64")
        if len(keys) and (int(keys.min()) <= int(last) or not keys.is_monotonic_increasing):
            self.store.set_meta(f"key_order:{res.name}", "other")
            log.warning("%s: rows after the stored ones are not in primary-key order; asking the parents "
                        "from now on (until the next reconcile)", res.name)
            return None
        return frame

    def _outstanding(self, res: Resource, wanted: list[tuple[str, str, list[int]]]) -> pd.DataFrame | None:
        """The rows that can still change, by one filter (``Sync.outstanding``: claimprocs not yet received,
        ``Status=NotReceived``), when that costs fewer requests than asking each changed parent; None
        otherwise, or when the office ignores the filter (older than the filter's version: then the first
        pages are not what was asked for, the pull is stopped and the parents are asked from now on)."""
        rule = res.sync
        assert rule is not None
        if rule.outstanding is None or self.store.meta(f"ignores:{res.name}.{rule.outstanding[0]}") == "true":
            return None
        column, value = rule.outstanding
        size = self.client.profile.page_size
        stored = int(self.store.run(f'SELECT COUNT(*) FROM "{rule.table}" WHERE "{column}" = ?',
                                    [value])[0][0])
        cost = stored // size + 2
        parents = sum(len(keys) for param, _, keys in wanted if param == rule.outstanding_parent)
        if 2 * parents <= cost:
            return None
        parts: list[pd.DataFrame] = []
        short = False
        pages = self.client.iter_pages(res.name, **{column: value})
        for page in pages:
            if short:  # a page came back short (rows not matching dropped) and still more follow
                pages.close()  # type: ignore[attr-defined]
                self.store.set_meta(f"ignores:{res.name}.{column}", "true")
                log.warning("%s: the office ignores the %s filter (an older Open Dental); refreshing through "
                            "parents instead", res.name, column)
                return None
            short = len(page) < size - 1
            parts.append(page)
        frame = pd.concat([p for p in parts if len(p)], ignore_index=True) if any(len(p) for p in parts) \
            else pd.DataFrame(columns=list(res.columns))
        return frame

    def _keys(self, parent: str, column: str, new_only: bool = False) -> list[int]:
        frame = self.changed.get(parent)
        if frame is None or column not in frame.columns:
            return []
        if new_only:
            key = catalogue.RESOURCES[parent].key
            fresh = self.new.get(parent, set())
            frame = frame[frame[key].isin(list(fresh))]
        return sorted({int(k) for k in frame[column].dropna()})

    def _activity(self) -> list[int]:
        pats: set[int] = set()
        for frame in self.changed.values():
            if "PatNum" in frame.columns and len(frame):
                pats.update(int(p) for p in frame["PatNum"].dropna())
        return sorted(pats)

    def _queries_allowed(self) -> bool:
        if self.use_queries is False:
            return False
        known = self.store.meta("queries_allowed")
        return known != "false" or self.use_queries is True or self.result.kind != "incremental"

    def _short_query(self, run: Any, sql: str, what: str, instead: str) -> Any:
        """``run(sql)`` (a ShortQuery), or None when it cannot be used: a key without the Queries
        permission (remembered in the store) or a query that failed (logged: the caller falls back)."""
        try:
            return run(sql)
        except PermissionDenied:
            self.store.set_meta("queries_allowed", "false")
            return None
        except ODError as exc:
            log.warning("%s failed (%s); %s", what, exc, instead)
            return None

    def _adjustments_query(self, since: datetime | None) -> pd.DataFrame | None:
        """Adjustments by one ShortQuery (Queries permission), or None when the key does not hold it."""
        if not self._queries_allowed():
            return None
        from odnb.api.frames import type_frame

        res = catalogue.RESOURCES["adjustments"]
        where = f" WHERE a.SecDateTEdit >= '{since:%Y-%m-%d %H:%M:%S}'" if since else ""
        sql = ("SELECT a.*, d.ItemName AS adjType FROM adjustment a "
               f"LEFT JOIN definition d ON d.DefNum = a.AdjType{where} ORDER BY a.AdjNum")
        rows = self._short_query(self.client.query, sql, "adjustments by ShortQuery",
                                 "falling back to the list endpoint")
        if rows is None:
            return None
        self.store.set_meta("queries_allowed", "true")
        raw = rows.astype(object).where(rows.notna(), None)
        for col in raw.columns:  # ShortQuery dates come back as datetimes: give the API's text
            if pd.api.types.is_datetime64_any_dtype(rows[col]):
                raw[col] = rows[col].dt.strftime("%Y-%m-%d %H:%M:%S").where(rows[col].notna(), "0001-01-01")
        frame = type_frame(res, raw.to_dict("records"))
        return frame[list(res.columns)]

    def _window(self, res: Resource, whole: bool) -> tuple[pd.DataFrame, str]:
        rule = res.sync
        assert rule is not None and res.date_range is not None and rule.window_column
        start_name, end_name = res.date_range
        latest = self._latest_activity()
        if whole or not self.state[res.name]["backfilled"]:
            start = BACKFILL_START
            end = (latest + timedelta(days=WINDOW_AHEAD_DAYS)).date().isoformat()
            self.full_pull.add(res.name)
        else:
            start = (latest - timedelta(days=rule.window_days)).date().isoformat()
            end = (latest + timedelta(days=rule.window_ahead_days)).date().isoformat()
        frame = self.client.get(res.name, **{start_name: start, end_name: end})
        col = rule.window_column
        return frame, f"(\"{col}\" >= TIMESTAMP '{start}' AND \"{col}\" <= TIMESTAMP '{end}')" + (
            ' OR true' if start == BACKFILL_START else "")

    def _latest_activity(self) -> datetime:
        """The practice's clock, read from its data: the latest change stamp pulled or stored."""
        stamps = []
        for name, frame in self.pulled.items():
            col = catalogue.RESOURCES[name].change_filter
            if col and col in frame.columns and frame[col].notna().any():
                stamps.append(pd.Timestamp(frame[col].max()).to_pydatetime())
        stamps += [pd.Timestamp(r["watermark"]).to_pydatetime() for r in self.state.values()
                   if not pd.isna(r["watermark"])]
        return max(stamps) if stamps else self.now

    # --- writing ----------------------------------------------------------------------------------

    def _apply(self, name: str, frame: pd.DataFrame, replace: str | None, *, whole: bool) -> None:
        res = catalogue.RESOURCES[name]
        rule = res.sync
        assert rule is not None
        store = self.store
        written, gone = store.write(res, frame, replace=replace)
        after = int(store.run(f'SELECT COUNT(*) FROM "{rule.table}"')[0][0])
        if gone:
            self.result.deleted += gone
            log.info("%s: %d rows no longer on the server were removed", rule.table, gone)
        self.result.rows_written += written
        column = res.change_filter
        mark = None
        if column:
            mark = store.run(f'SELECT MAX("{column}") FROM "{rule.table}"')[0][0]
        pulled_whole = name in self.full_pull
        store.run(
            'UPDATE _sync SET watermark = ?, last_sync = ?, rows = ?, backfilled = true, '
            'last_full = CASE WHEN ? THEN ? ELSE last_full END WHERE "table" = ?',
            [mark, self.now, after, pulled_whole or whole, self.now, rule.table])


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{math.ceil(seconds)} s"
    if seconds < 90 * 60:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"
