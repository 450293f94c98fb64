"""Evidence that a pull is complete, and server filters treated as hints, not truth.

Open Dental pages with Offset/Limit and documents no row order. A pull here ends only on evidence:

* the next Offset is the number of *distinct* rows (by primary key) received so far, so a page the server
  shortened, capped (250, 500, any size) or shifted is followed from where the rows really end;
* a short or empty page is confirmed by one more request that starts one row back (``Offset = rows - 1``)
  and must answer exactly the last row already held: that proves the server's positions line up with
  ours and that nothing follows (the cost: one request per pull);
* rows seen twice are counted; more than a page's worth of them, a confirming row that is not the last
  row, or a page of nothing new means the server's order is not stable and :class:`UnstableOrder` is
  raised — the frame is never returned.

ShortQuery has no primary key, so :class:`QueryPaging` always overlaps one row and compares whole rows.

After a pull, :func:`reapply_filters` applies the filters that were sent to the rows received (an office
older than a filter's "Version Added" ignores it silently) and :func:`dedupe` drops repeated primary keys
wherever frames are combined.

Example:
    >>> from odnb.api.catalogue import RESOURCES
    >>> res = RESOURCES["claimprocs"]
    >>> rows = pd.DataFrame({"ClaimProcNum": [1, 2, 2], "Status": ["NotReceived", "NotReceived", "Received"]})
    >>> kept, dropped = reapply_filters(res, {"Status": "Received"}, dedupe(res, rows))
    >>> kept["ClaimProcNum"].tolist(), dropped
    ([2], {'Status': 1})
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from odnb.api.catalogue import Resource
from odnb.api.errors import UnstableOrder

log = logging.getLogger("odnb")

_warned: set[tuple[str, str, str]] = set()
_warned_lock = threading.Lock()


# --- filters are hints --------------------------------------------------------------------------


def dedupe(res: Resource, frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with each primary key once (the last copy wins: it is the most recently fetched).

    >>> from odnb.api.catalogue import RESOURCES
    >>> len(dedupe(RESOURCES["providers"], pd.DataFrame({"ProvNum": [1, 1, 2]})))
    2
    """
    if res.key not in frame.columns or frame.empty:
        return frame
    keyed = frame[res.key].notna()
    if not frame.loc[keyed, res.key].duplicated().any():
        return frame
    repeated = frame[res.key].duplicated(keep="last") & keyed
    return frame[~repeated].reset_index(drop=True)


def _mask(res: Resource, name: str, value: str, frame: pd.DataFrame) -> pd.Series | None:
    """Rows of ``frame`` that satisfy the filter ``name=value`` as Open Dental applies it, or None when
    the rows cannot tell (text search filters, flags, filters on a column the answer does not carry)."""
    flt = res.filter(name)
    if flt is None:
        return None
    column = name
    op = "="
    if res.date_range and name in (*res.date_range, "date") and res.range_column:
        column = res.range_column
        op = {res.date_range[0]: ">=", res.date_range[1]: "<=", "date": "="}[name]
    elif flt.type == "datetime" or name == res.change_filter:
        op = ">="
    if column not in frame.columns:
        return None
    s = frame[column]
    if flt.type == "int":
        return (s.astype("Float64") == float(value)).fillna(False).astype(bool)
    if flt.type == "enum":
        return (s.astype("string").str.lower() == value.lower()).fillna(False).astype(bool)
    if flt.type in ("date", "datetime"):
        if not pd.api.types.is_datetime64_any_dtype(s):
            return None
        bound = pd.Timestamp(value)
        if flt.type == "date":
            s = s.dt.normalize()
        result = s >= bound if op == ">=" else s <= bound if op == "<=" else s == bound
        return result.fillna(False).astype(bool)
    return None


def reapply_filters(
    res: Resource, sent: Mapping[str, str], frame: pd.DataFrame
) -> tuple[pd.DataFrame, dict[str, int]]:
    """Apply the filters that were sent (``sent``: name -> the value as sent) to the rows received.
    Returns the kept rows and, per filter, how many rows it dropped (only filters that dropped rows)."""
    dropped: dict[str, int] = {}
    if frame.empty:
        return frame, dropped
    keep = pd.Series(True, index=frame.index)
    for name, value in sent.items():
        mask = _mask(res, name, value, frame)
        if mask is None:
            continue
        misses = int((keep & ~mask).sum())
        if misses:
            dropped[name] = misses
        keep &= mask
    if not dropped:
        return frame, dropped
    return frame[keep].reset_index(drop=True), dropped


def warn_ignored_filters(office: str, res: Resource, sent: Mapping[str, str],
                         dropped: Mapping[str, int]) -> None:
    """Log once per office, resource and filter that the office ignored a filter (odnb re-applied it)."""
    for name, count in dropped.items():
        key = (office, res.name, name)
        with _warned_lock:
            if key in _warned:
                continue
            _warned.add(key)
        flt = res.filter(name)
        since = f" (added in Open Dental {flt.added}; the office may run an older version)" \
            if flt is not None and flt.added else ""
        log.warning("%s: the server ignored the filter %s=%s%s and sent %d row(s) that do not match; odnb "
                    "applied the filter itself, so the frame is right but the pull cost more pages",
                    res.name, name, sent.get(name), since, count)


# --- completeness ---------------------------------------------------------------------------------


@dataclass
class KeyedPaging:
    """The state of one list pull: which Offset to ask next, and when the pull is proven complete.

    ``accept(page)`` takes the rows of the request at ``offset`` and returns the rows that are new;
    then ``done`` says whether the pull ended on evidence and ``offset`` is the next Offset to ask.

    >>> p = KeyedPaging("ProcNum", size=3)
    >>> p.accept([{"ProcNum": 1}, {"ProcNum": 2}, {"ProcNum": 3}]), p.offset
    ([{'ProcNum': 1}, {'ProcNum': 2}, {'ProcNum': 3}], 3)
    >>> p.accept([{"ProcNum": 4}, {"ProcNum": 5}]), p.offset  # short: confirm one row back
    ([{'ProcNum': 4}, {'ProcNum': 5}], 4)
    >>> p.accept([{"ProcNum": 5}]), p.done                    # exactly the last row: complete
    ([], True)

    :meth:`after` continues a pull past rows already held (the store's), from one row back:

    >>> p = KeyedPaging.after("ProcNum", size=3, held=5, last=5)
    >>> p.offset, p.accept([{"ProcNum": 5}, {"ProcNum": 6}]), p.offset
    (4, [{'ProcNum': 6}], 5)
    >>> p.accept([{"ProcNum": 6}]), p.done, p.moved
    ([], True, False)
    """

    key: str
    size: int
    name: str = "rows"
    offset: int = 0
    done: bool = False
    requests: int = 0
    repeated: int = 0
    seen: set[str] = field(default_factory=set)
    last: str | None = None
    confirming: bool = False
    sent_everything: bool = False  # the first page was longer than the Limit: the server ignores paging
    paged_by_less: bool = False  # a short page was followed by more rows: the server pages by less
    confirm_empty: bool = False  # the confirmation asks one row past the end (expects nothing)
    base: int = 0  # rows before the first one held here (a pull resumed after rows already stored)
    resuming: bool = False  # the next answer is the resume point: it must start with the last row held
    moved: bool = False  # resumed, and the row at the resume point was not the last one held: rows before
    # it were deleted or the order changed, so the rows after it are not the new ones (pull the usual way)

    @classmethod
    def after(cls, key: str, size: int, held: int, last: Any, name: str = "rows") -> KeyedPaging:
        """A pull that continues past ``held`` rows already held, the last of which has key ``last``: its
        first request asks one row back (``Offset = held - 1``) and must answer that row first, the same
        evidence that confirms a short page; otherwise the pull ends at once with ``moved``."""
        paging = cls(key, size, name=name, base=held - 1, offset=held - 1, confirming=True, resuming=True)
        paging.last = str(last).strip()
        paging.seen.add(paging.last)
        return paging

    def _id(self, row: Mapping[str, Any]) -> str | None:
        value = row.get(self.key)
        return None if value is None else str(value).strip()

    def _unstable(self, what: str) -> UnstableOrder:
        return UnstableOrder(
            f"{self.name}: {what}.",
            cause="the server's row order changed between requests (or rows were added or deleted while "
            "paging), so Offset/Limit pages overlap or leave gaps; the frame would be silently wrong",
            fix="Rerun in a few minutes. If it persists, check for a proxy or load balancer in front of the "
            "API that serves different copies, pull with a narrower filter (PatNum, DateTStamp), or use "
            "od.query(sql) with ORDER BY on the primary key.",
        )

    def accept(self, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        self.requests += 1
        expected = self.size
        if self.confirming and self.confirm_empty:  # one new row only: one row back is the same request
            self.confirming = self.confirm_empty = False
            if not page:
                self.done = True
                return []
        elif self.confirming:
            self.confirming = False
            resumed, self.resuming = self.resuming, False
            if resumed and (not page or self._id(page[0]) != self.last):
                self.moved = self.done = True
                return []
            if not page:
                raise self._unstable(f"the server has no row at Offset={self.offset} although it sent one "
                                     "there before")
            if self._id(page[0]) != self.last:
                raise self._unstable(f"the row at Offset={self.offset} is not the one received there before")
            if len(page) == 1:
                self.done = True  # exactly the last row and nothing after it: complete
                return []
            page, expected = page[1:], self.size - 1  # more rows: the short page was not the end
            self.paged_by_less = self.paged_by_less or not resumed
        elif self.requests == 1:
            self.sent_everything = len(page) > self.size
        fresh = self._take(page)
        if page and not fresh:
            if self.sent_everything:  # no paging at all: the first answer held everything
                self.done = True
                return []
            raise self._unstable(f"the server sent only rows already received for Offset={self.offset}")
        if self.repeated > self.size:
            raise self._unstable(f"{self.repeated} rows arrived twice")
        if not page and not self.seen:
            self.done = True  # an empty first page: there is nothing
        elif len(page) < expected:
            self.confirming = True  # a short or empty page: confirm one row back
            held = self.base + len(self.seen)
            if held - 1 == self.offset:  # ... which is this very request (it would be cached):
                self.confirm_empty = True  # ask at the end instead, expecting nothing
                self.offset = held
            else:
                self.offset = held - 1
        else:
            self.offset = self.base + len(self.seen)
        return fresh

    def _take(self, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        fresh = []
        for row in page:
            ident = self._id(row)
            if ident is None:
                fresh.append(row)
                self.seen.add(f"\0{len(self.seen)}")
            elif ident in self.seen:
                self.repeated += 1
            else:
                self.seen.add(ident)
                self.last = ident
                fresh.append(row)
        return fresh


@dataclass
class QueryPaging:
    """ShortQuery paging (rows have no key): every request after the first starts one row back and must
    repeat the last row held; the pull ends when a request answers that row alone.

    >>> q = QueryPaging(size=2)
    >>> q.accept([{"n": 1}, {"n": 2}]), q.offset
    ([{'n': 1}, {'n': 2}], 1)
    >>> q.accept([{"n": 2}]), q.done
    ([], True)
    """

    size: int = 100
    offset: int = 0
    rows: int = 0
    done: bool = False
    last: dict[str, Any] | None = None

    past_end: bool = False  # the next request asks one row past the end and must answer nothing new

    def accept(self, page: list[dict[str, Any]]) -> list[dict[str, Any]]:
        if self.past_end:
            self.past_end = False
            if not page:
                self.done = True
                return []
            return self._advance(page)
        if self.last is None:
            fresh = page
        else:
            if not page or page[0] != self.last:
                raise UnstableOrder(
                    f"ShortQuery pages do not line up at Offset={self.offset}.",
                    cause="the row at that offset is not the one the previous page ended with, so the "
                    "result's order changes between requests (SQL without ORDER BY, or a proxy) and pages "
                    "would overlap or leave gaps",
                    fix="Add ORDER BY on a unique column (e.g. ORDER BY ProcNum) to the SQL, or aggregate "
                    "(GROUP BY) so the result fits in one page of 100 rows.",
                )
            fresh = page[1:]
        if not fresh:  # an empty first page, or the last row alone: complete
            self.done = True
            return []
        return self._advance(fresh)

    def _advance(self, fresh: list[dict[str, Any]]) -> list[dict[str, Any]]:
        previous = self.offset
        self.rows += len(fresh)
        self.last = fresh[-1]
        self.offset = self.rows - 1
        if self.offset == previous:  # one row back is this very request (cached): ask past the end
            self.offset = self.rows
            self.past_end = True
        return fresh
