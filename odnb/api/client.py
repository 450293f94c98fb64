"""The client analysts use: ``od = odnb.connect("myoffice")`` then ``od.appointments(start, end)``.

Every call checks the resource and its filters *before* any request (unknown names are refused with the
valid ones listed), pages through every result, and returns a typed pandas DataFrame de-duplicated by
primary key, with the same columns whether or not it is empty. Requests are cached per practice, paced
per customer key in Remote mode, retried with backoff, and failures raise an :class:`odnb.api.errors.ODError`
that says what happened and how to fix it.

Keys are read only from the environment, the config file, the OS keyring or explicit Python arguments of
:func:`connect` — never pass them as papermill / notebook parameters (those are saved into the executed
notebook).

Example:
    >>> import odnb
    >>> od = odnb.connect("demo")                                       # doctest: +SKIP
    >>> visits = od.appointments("2026-01-01", "2026-03-31")            # doctest: +SKIP
    >>> fees = od.procedures(ProcStatus="C")["ProcFee"].sum()           # doctest: +SKIP
    >>> od.query("SELECT ProvNum, COUNT(*) AS n FROM procedurelog GROUP BY ProvNum")  # doctest: +SKIP
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import sys
from collections.abc import Iterable, Iterator, Mapping
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
import requests

from odnb import periods
from odnb.api import catalogue
from odnb.api.catalogue import Resource, validate_params, version_hint
from odnb.api.errors import InvalidParameter, ResumePointMoved
from odnb.api.frames import combine_typed, type_frame, type_query_frame
from odnb.api.paging import KeyedPaging, QueryPaging, dedupe, reapply_filters, warn_ignored_filters
from odnb.api.transport import RetryPolicy, Timeouts, Transport
from odnb.paths import practice_dir, write_private_file

log = logging.getLogger("odnb")

LONG_FETCH_REQUESTS = 10  # announce an estimate above this many paced requests


def connect(
    profile: Any = None,
    *,
    base_url: str | None = None,
    developer_key: str | None = None,
    customer_key: str | None = None,
    cache: bool = True,
    session: requests.Session | None = None,
    progress: bool | None = None,
    **options: Any,
) -> Client:
    """Open a :class:`Client` for a profile name (``None``: ``$ODNB_PROFILE``, the config default, or
    ``demo``), a :class:`odnb.api.profiles.Profile`, or an ad-hoc ``base_url`` + keys.

    ``options``: ``tier`` / ``mode`` overrides for the profile; ``retry`` (:class:`RetryPolicy`),
    ``timeouts`` (:class:`Timeouts`), ``min_interval`` (seconds between requests, overriding the tier),
    ``expire_after`` (one cache freshness in seconds for every resource), ``max_stale`` (seconds a cached
    copy may stand in past its freshness when the server fails; default 24 h), ``max_retry_after`` (the
    longest Retry-After waited, default 60 s). ``progress``: estimates and
    progress bars; None means on unless ``$ODNB_PROGRESS`` is ``0`` (``odnb report`` runs set it).

    >>> od = connect("demo")          # doctest: +SKIP
    """
    from odnb.api.profiles import load_profile

    profile_options = {k: options.pop(k) for k in ("tier", "mode") if k in options}
    prof = load_profile(profile, base_url=base_url, developer_key=developer_key, customer_key=customer_key,
                        **profile_options)
    return Client(prof, cache=cache, session=session, progress=progress, **options)


class Client:
    """Typed, cached, paced access to one Open Dental office. See :func:`connect`."""

    def __init__(
        self,
        profile: Any,
        *,
        cache: bool = True,
        session: requests.Session | None = None,
        progress: bool | None = None,
        retry: RetryPolicy | None = None,
        timeouts: Timeouts | None = None,
        min_interval: float | None = None,
        expire_after: float | None = None,
        max_stale: float | None = None,
        max_retry_after: float | None = None,
    ) -> None:
        self.profile = profile
        self.progress = os.environ.get("ODNB_PROGRESS", "1") != "0" if progress is None else progress
        extra = {} if max_retry_after is None else {"max_retry_after": max_retry_after}
        self._transport = Transport(profile, cache=cache, session=session, retry=retry, timeouts=timeouts,
                                    min_interval=min_interval, expire_after=expire_after, max_stale=max_stale,
                                    **extra)

    # --- basics ---------------------------------------------------------------------------------

    @property
    def request_count(self) -> int:
        """Network requests made so far (cache hits do not count)."""
        return self._transport.request_count

    @property
    def mode(self) -> str:
        return self.profile.mode

    @property
    def stale_age(self) -> float | None:
        """Seconds since the oldest stale cached answer this client served was fetched (None: every
        answer was fresh). Reports show it (``stale: true`` with the age)."""
        return self._transport.stale_age

    def __repr__(self) -> str:
        return (f"<odnb.Client profile={self.profile.name!r} mode={self.profile.mode} "
                f"base_url={self.profile.base_url} requests={self.request_count}>")

    def close(self) -> None:
        """Close the HTTP session (and its cache file)."""
        self._transport.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- generic access -------------------------------------------------------------------------

    def get(self, resource: str, *args: Any, **params: Any) -> pd.DataFrame:
        """Every row of a list resource, typed. ``params`` are the API's filters (see
        ``odnb.api.catalogue.RESOURCES[resource].filters``). Pages are typed as they arrive; the filters
        sent are re-applied to the rows received (an old office ignores filters it does not know).

        >>> od.get("procedurelogs", PatNum=12)      # doctest: +SKIP
        """
        res = catalogue.resource(resource)
        _keywords_only(res.name, f"get({resource!r}, ...)", args)
        query = validate_params(res, params)
        parts: list[pd.DataFrame] = []
        count = 0
        for page in self._pages(res, query):
            count += len(page)
            parts.append(type_frame(res, page))
            del page
        self._remember(res, query, count)
        return self._checked(res, query, combine_typed(res, parts))

    def get_after(self, resource: str, held: int, last: Any, **params: Any) -> pd.DataFrame | None:
        """The rows that follow the first ``held`` rows of a list pull (the server's order), proven complete
        as :meth:`get` proves it, provided the row at position ``held`` - 1 is still the one whose key is
        ``last``: the first request asks from there and must answer that row first. None when it does not
        (rows before it were deleted, or the order changed): then pull the usual way. One request when
        nothing follows. On a server that pages by primary key (see ``odnb.store``) these are the rows
        added since.

        >>> od.get_after("paysplits", held=21274, last=21290)  # doctest: +SKIP
        """
        res = catalogue.resource(resource)
        try:
            parts = list(self.iter_pages(resource, after=(held, last), **params))
        except ResumePointMoved:
            return None
        return combine_typed(res, parts)

    def _checked(self, res: Resource, query: Mapping[str, str], frame: pd.DataFrame) -> pd.DataFrame:
        """``frame`` de-duplicated by primary key and with the sent filters re-applied (logged once)."""
        frame, dropped = reapply_filters(res, query, dedupe(res, frame))
        if dropped:
            warn_ignored_filters(self.profile.base_url, res, query, dropped)
        return frame

    def iter_pages(self, resource: str, *, after: tuple[int, Any] | None = None,
                   **params: Any) -> Iterator[pd.DataFrame]:
        """Typed frames page by page (lazy). Input is checked now, before the first page is asked for.
        Rows repeated across pages are dropped and the sent filters re-applied to each page; the
        iteration ends only once the pull is proven complete, otherwise it raises (the last page may
        already have been yielded: use the pages only when the iteration ends).

        ``after=(held, last)`` continues past ``held`` rows already held, the last with key ``last``
        (see :meth:`get_after`): :class:`odnb.api.errors.ResumePointMoved` is raised, before any page,
        when that row is not there any more.

        >>> for page in od.iter_pages("procedurelogs", after=(300, 1288)): ...  # doctest: +SKIP
        """
        res = catalogue.resource(resource)
        query = validate_params(res, params)
        paging = KeyedPaging.after(res.key, self.profile.page_size, after[0], after[1], name=res.name) \
            if after is not None and after[0] > 0 else None

        def pages() -> Iterator[pd.DataFrame]:
            count = 0
            for page in self._pages(res, query, announce=paging is None, paging=paging):
                count += len(page)
                yield self._checked(res, query, type_frame(res, page))
            if paging is None:
                self._remember(res, query, count)
            elif paging.moved:
                raise ResumePointMoved(
                    f"{res.name}: the row at Offset={after[0] - 1} is not the last one held "  # type: ignore[index]
                    f"({res.key}={after[1]}).",  # type: ignore[index]
                    cause="rows before it were deleted on the server, or its order changed, so the rows "
                    "after that position are not the ones that follow those held",
                    fix="Pull from the start (odnb does so itself when it resumes a store's backfill).",
                )

        return pages()

    def query(self, sql: str) -> pd.DataFrame:
        """Run read-only SQL with ShortQuery (needs the Queries permission), every page (100 rows each).
        Each page after the first starts one row back and must repeat the last row received, so pages
        that overlap or leave gaps raise :class:`odnb.api.errors.UnstableOrder`; a pull costs one
        request more than its pages (the one that confirms the end).

        >>> od.query("SELECT PatNum, SUM(AdjAmt) AS adj FROM adjustment GROUP BY PatNum")  # doctest: +SKIP
        """
        if not isinstance(sql, str) or not sql.strip():
            raise InvalidParameter(
                "query() needs SQL text.", cause="ShortQuery runs one SQL statement",
                fix='Pass a SELECT, e.g. od.query("SELECT COUNT(*) AS n FROM patient").',
            )
        return type_query_frame(self.query_rows(sql))

    def query_rows(self, sql: str) -> list[dict[str, Any]]:
        """:meth:`query`'s rows as the API sent them (JSON records, untyped), every page, proven complete.

        >>> od.query_rows("SELECT PatNum, LName FROM patient ORDER BY PatNum LIMIT 2")  # doctest: +SKIP
        [{'PatNum': 1, 'LName': 'Moore'}, {'PatNum': 2, 'LName': 'Lee'}]
        """
        if not isinstance(sql, str) or not sql.strip():
            raise InvalidParameter(
                "query() needs SQL text.", cause="ShortQuery runs one SQL statement",
                fix='Pass a SELECT, e.g. od.query("SELECT COUNT(*) AS n FROM patient").',
            )
        body = {"SqlCommand": sql.strip()}
        rows: list[dict[str, Any]] = []
        paging = QueryPaging(size=catalogue.SHORTQUERY_PAGE)
        bar = None
        requests_made = 0
        try:
            while not paging.done:
                answer = self._transport.request(
                    "PUT", catalogue.SHORTQUERY_PATH, {"Offset": str(paging.offset)}, body, expect_list=True)
                requests_made += 1
                rows.extend(paging.accept(answer.data))
                if bar is None and requests_made == 1 and len(answer.data) >= catalogue.SHORTQUERY_PAGE \
                        and not answer.from_cache:
                    bar = self._bar("ShortQuery", None)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(rows=len(rows))
        finally:
            if bar is not None:
                bar.close()
        return rows

    # --- named helpers --------------------------------------------------------------------------

    def patients(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """All patients with every field (``patients/Simple``); filters: PatStatus, ClinicNum, PriProv,
        Guarantor, DateTStamp, LName, FName, Birthdate, ... (``od.get("patients")`` is another endpoint:
        the Patient Select list: fewer columns, and not every patient; see its showArchived filter)."""
        _keywords_only("patients/Simple", "patients", args)
        return self.get("patients/Simple", **filters)

    def appointments(self, start: Any = None, end: Any = None, **filters: Any) -> pd.DataFrame:
        """Appointments from ``start`` to ``end`` inclusive (``"YYYY-MM-DD"`` or dates; both or neither), or
        in a relative period: ``od.appointments("last month")``.

        >>> od.appointments("2026-01-01", "2026-03-31", AptStatus="Complete")   # doctest: +SKIP
        """
        return self.get("appointments", **_range("appointments", start, end, filters))

    def procedures(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """Procedures (``procedurelogs``). There is no ProcDate range filter in the API: this pulls every
        matching procedure; filter on ``ProcDate`` afterwards, or use DateTStamp / PatNum / ProcStatus."""
        _keywords_only("procedurelogs", "procedures", args)
        return self.get("procedurelogs", **filters)

    def claimprocs(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """Claim procedures (insurance estimates and payments per procedure)."""
        _keywords_only("claimprocs", "claimprocs", args)
        return self.get("claimprocs", **filters)

    def claims(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """Claims; filters: PatNum, ClaimStatus (U, H, W, S, R, I), SecDateTEdit."""
        _keywords_only("claims", "claims", args)
        return self.get("claims", **filters)

    def payments(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """Patient payments; filters: PatNum, PayType, DateEntry (entered on or after)."""
        _keywords_only("payments", "payments", args)
        return self.get("payments", **filters)

    def paysplits(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """Payment splits (the allocation of payments to providers and procedures)."""
        _keywords_only("paysplits", "paysplits", args)
        return self.get("paysplits", **filters)

    def adjustments(self, PatNum: int | None = None, *args: Any, **filters: Any) -> pd.DataFrame:
        """One patient's adjustments: ``od.adjustments(12)`` or ``od.adjustments(PatNum=12)`` (``pat_num=12``
        is the documented snake_case alias). The API requires PatNum; for the whole practice use
        :meth:`adjustments_all` (one request per patient) or :meth:`query` on the ``adjustment`` table."""
        res = catalogue.resource("adjustments")
        if args or isinstance(PatNum, date) or (isinstance(PatNum, str) and not PatNum.strip().isdigit()):
            _keywords_only("adjustments", "adjustments", (PatNum, *args))
        named = [k for k in filters if res.filter(k) is res.filter("PatNum")]
        if named:
            PatNum = PatNum if PatNum is not None else filters.get(named[0])
            for k in named:
                filters.pop(k)
        if PatNum is None:
            raise InvalidParameter(
                "adjustments() needs a PatNum.",
                cause="Open Dental's Adjustments GET only answers per patient (PatNum is required); a "
                "practice-wide pull costs one request per patient (about 25 minutes per 300 patients on the "
                "free Remote tier)",
                fix="Pass pat_num=..., or use od.adjustments_all(od.patients()['PatNum']) (one call per "
                "patient, with progress), or one ShortQuery: od.query('SELECT * FROM adjustment').",
            )
        return self.get("adjustments", PatNum=PatNum, **filters)

    def adjustments_all(self, pat_nums: Iterable[Any], **filters: Any) -> pd.DataFrame:
        """Adjustments for many patients: one paged request series per PatNum, with a progress bar."""
        res = catalogue.resource("adjustments")
        numbers = [int(n) for n in pd.unique(pd.Series(list(pat_nums)).dropna())]
        queries = [validate_params(res, {**filters, "PatNum": n}) for n in numbers]
        if self.profile.mode == "remote" and self._transport.min_interval > 0:
            self._say(f"adjustments for {len(numbers)} patients: at least {len(numbers)} requests, "
                      f"{_duration(len(numbers) * self._transport.min_interval)} at "
                      f"{_rate(self._transport.min_interval)}")
        parts: list[pd.DataFrame] = []
        count = 0
        bar = self._bar("adjustments", len(queries)) if len(queries) > 1 else None
        try:
            for query in queries:
                pages = [type_frame(res, page) for page in self._pages(res, query, announce=False)]
                parts.append(self._checked(res, query, combine_typed(res, pages)))
                count += len(parts[-1])
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(rows=count)
        finally:
            if bar is not None:
                bar.close()
        return dedupe(res, combine_typed(res, parts))

    def providers(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """Providers (IsSecondary true = hygienist)."""
        _keywords_only("providers", "providers", args)
        return self.get("providers", **filters)

    def operatories(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """Operatories (chairs)."""
        _keywords_only("operatories", "operatories", args)
        return self.get("operatories", **filters)

    def clinics(self, *args: Any) -> pd.DataFrame:
        """Clinics (empty when the office does not use clinics)."""
        _keywords_only("clinics", "clinics", args)
        return self.get("clinics")

    def procedurecodes(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """Procedure codes (CodeNum, ProcCode such as D0120, Descript, ProcCat...)."""
        _keywords_only("procedurecodes", "procedurecodes", args)
        return self.get("procedurecodes", **filters)

    def definitions(self, category: int | str | None = None, **filters: Any) -> pd.DataFrame:
        """Definitions, optionally of one category (a number or a name such as ``"AdjTypes"``)."""
        if isinstance(category, str) and not category.isdigit():
            from odnb.api.enums import DEF_CATEGORY

            match = next((v for k, v in DEF_CATEGORY.items() if k.lower() == category.lower()), None)
            if match is None:
                raise InvalidParameter(
                    f"Unknown definition category {category!r}.",
                    cause="category names map to Open Dental's definition.Category numbers",
                    fix=f"Use a number, or one of: {', '.join(DEF_CATEGORY)}.",
                )
            category = match
        if category is not None:
            filters["Category"] = category
        return self.get("definitions", **filters)

    def recalls(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """Recalls (one per patient and recall type)."""
        _keywords_only("recalls", "recalls", args)
        return self.get("recalls", **filters)

    def schedules(self, start: Any, end: Any, **filters: Any) -> pd.DataFrame:
        """Schedules from ``start`` to ``end`` inclusive (without dates the API returns today only)."""
        return self.get("schedules", **_range("schedules", start, end, filters, required=True))

    def insplans(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """Insurance plans."""
        _keywords_only("insplans", "insplans", args)
        return self.get("insplans", **filters)

    def patplans(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """Patient plans (coverage: which patient has which insurance subscription, and its ordinal)."""
        _keywords_only("patplans", "patplans", args)
        return self.get("patplans", **filters)

    def inssubs(self, *args: Any, **filters: Any) -> pd.DataFrame:
        """Insurance subscriptions (a plan and its subscriber)."""
        _keywords_only("inssubs", "inssubs", args)
        return self.get("inssubs", **filters)

    def carriers(self, *args: Any) -> pd.DataFrame:
        """Insurance carriers."""
        _keywords_only("carriers", "carriers", args)
        return self.get("carriers")

    # --- paging ---------------------------------------------------------------------------------

    def _pages(self, res: Resource, query: Mapping[str, str], announce: bool = True,
               paging: KeyedPaging | None = None) -> Iterator[list[dict]]:
        """Raw pages (lists of new records) by Offset/Limit, until the pull is proven complete (see
        :mod:`odnb.api.paging`): the next Offset is the number of distinct rows received, a short or empty
        page is confirmed by one request one row back (one request per pull), and pages that overlap or
        leave gaps raise :class:`odnb.api.errors.UnstableOrder`. Any page size the server chooses works.
        A page that still fails after retries raises: a fetch never returns silently partial.
        ``paging``: a pull that resumes past rows already held (:meth:`KeyedPaging.after`)."""
        size = self.profile.page_size
        hint = version_hint(res, query)
        expected = self._expected_pages(res, query, size)
        if announce:
            self._announce(res, query, size, expected)
        paging = paging or KeyedPaging(res.key, size, name=res.name)
        total = 0
        network_before = self.request_count
        bar = None
        warned_size = False
        try:
            while not paging.done:
                params = {**query, "Offset": str(paging.offset), "Limit": str(size)}
                answer = self._transport.request("GET", res.path, params, hint=hint, expect_list=True)
                page, from_cache = answer.data, answer.from_cache
                del answer  # hold one decoded page at a time (memory: pages are typed as they arrive)
                first = paging.requests == 0
                if first and announce and expected is None and len(page) >= size and not from_cache:
                    self._unknown_size(res, size)
                fresh = paging.accept(page)
                full = len(page) >= size
                del page
                if paging.paged_by_less and not warned_size:
                    warned_size = True
                    log.warning("%s: the server answers fewer rows than Limit=%d although more follow, so it "
                                "pages by less; following it (is the profile's mode right? Remote pages by "
                                "100)", res.name, size)
                total += len(fresh)
                if bar is None and announce and full and not from_cache:
                    bar = self._bar(res.name, expected, initial=paging.requests - 1)
                if bar is not None:
                    bar.update(1)
                    bar.set_postfix(rows=total)
                if fresh:
                    yield fresh
                del fresh
        finally:
            if bar is not None:
                bar.close()
        log.info("%s: %d rows in %d request(s), %d from the network", res.name, total, paging.requests,
                 self.request_count - network_before)

    # --- progress and estimates ---------------------------------------------------------------

    def _bar(self, name: str, total: int | None, initial: int = 0) -> Any:
        """A tqdm bar of pages (rows as postfix): in Jupyter or on a terminal only; a log file or a pipe
        would get every redraw as text."""
        if not self.progress or not _interactive():
            return None
        from tqdm.auto import tqdm

        return tqdm(total=total, desc=name, unit="page", leave=False, initial=initial)

    def _say(self, text: str) -> None:
        log.info(text)
        if self.progress:
            print(f"odnb: {text}", file=sys.stderr)

    def _estimates_file(self) -> Path | None:
        try:
            return practice_dir(self.profile) / "estimates.json"
        except OSError:
            return None

    def _estimate_key(self, res: Resource, query: Mapping[str, str]) -> str:
        digest = hashlib.sha256(json.dumps(sorted(query.items())).encode()).hexdigest()[:12]
        return f"{res.name}?{digest}"  # the filter values (maybe a name) are hashed, not stored

    def _load_estimates(self) -> dict[str, int]:
        path = self._estimates_file()
        if path is None or not path.exists():
            return {}
        try:
            data = json.loads(path.read_text())
        except (OSError, ValueError):
            return {}
        return data if isinstance(data, dict) else {}

    def _remember(self, res: Resource, query: Mapping[str, str], rows: int) -> None:
        if self.profile.mode != "remote":
            return
        path = self._estimates_file()
        if path is None:
            return
        data = self._load_estimates()
        data[self._estimate_key(res, query)] = rows
        write_private_file(path, json.dumps(data).encode())

    def _expected_pages(self, res: Resource, query: Mapping[str, str], size: int) -> int | None:
        rows = self._load_estimates().get(self._estimate_key(res, query)) if self.profile.mode == "remote" \
            else None
        return rows // size + 1 if isinstance(rows, int) else None

    def _announce(self, res: Resource, query: Mapping[str, str], size: int, pages: int | None) -> None:
        """Before a long paced (Remote) fetch, say how many requests and how long it should take; say
        nothing when the answer is already in the cache."""
        interval = self._transport.min_interval
        if self.profile.mode != "remote" or interval <= 0 or pages is None or pages <= LONG_FETCH_REQUESTS:
            return
        last = {**query, "Offset": str((pages - 1) * size), "Limit": str(size)}
        first = {**query, "Offset": "0", "Limit": str(size)}
        cached = self._transport.is_cached
        if cached("GET", res.path, first) and cached("GET", res.path, last):
            return
        self._say(f"{res.name}: about {pages} requests, about {_duration(pages * interval)} at "
                  f"{_rate(interval)} (less if cached)")

    def _unknown_size(self, res: Resource, size: int) -> None:
        """A first paced pull of a resource with more than one page: its size is not known yet."""
        interval = self._transport.min_interval
        if self.profile.mode == "remote" and interval > 0:
            self._say(f"{res.name}: more than {size} rows, unknown size (first pull); each {size} rows cost "
                      f"one request, {_rate(interval)}")


def _interactive() -> bool:
    """True in a Jupyter kernel or when stderr is a terminal."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None and hasattr(ipython, "get_ipython") else None
    if shell is not None and type(shell).__name__ == "ZMQInteractiveShell":
        return True
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


def _rate(interval: float) -> str:
    return f"1 request / {interval:g} s"


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{math.ceil(seconds)} s"
    if seconds < 90 * 60:
        return f"{math.ceil(seconds / 60)} minutes"
    return f"{seconds / 3600:.1f} hours"


def _keywords_only(resource: str, method: str, args: tuple[Any, ...]) -> None:
    """Refuse positional arguments to a helper whose filters go by name, with the reason: dates (the
    resource has no date filter, and what to do instead) or filter values (name them)."""
    if not args:
        return
    res = catalogue.resource(resource)
    call = method if "(" in method else f"{method}()"
    if any(catalogue.looks_like_date(res, "", a) for a in args):
        explained = catalogue.date_filter_error(res, "")
        raise InvalidParameter(
            f"od.{call} takes no dates: {explained.what}",
            cause=explained.cause, fix=explained.fix,
        )
    example = next((f.name for f in res.filters), None)
    raise InvalidParameter(
        f"od.{call} takes filters by name, not {len(args)} positional value(s).",
        cause=f"{res.name} filters are: " + (", ".join(f.name for f in res.filters) or "none"),
        fix=f"Name them, e.g. od.{method}({example}=...)." if example and "(" not in method
        else "Name each filter as the API spells it.",
    )


def _range(
    name: str, start: Any, end: Any, filters: dict[str, Any], required: bool = False
) -> dict[str, Any]:
    """``dateStart`` / ``dateEnd`` from start/end (both or neither; validated by the catalogue), or from a
    relative period alone (``"last month"``) or on either side (``"last month start"``, ``"today"``)."""
    if end is None and isinstance(start, str) and (span := periods.relative_period(start, date.today())):
        start, end = span
    if (start is None) != (end is None) or (required and start is None):
        raise InvalidParameter(
            f"{name}() needs both a start and an end date.",
            cause="the API's range is dateStart..dateEnd, inclusive of both days"
            + ("; without it schedules returns today only" if name == "schedules" else ""),
            fix=f"Call od.{name}('2026-01-01', '2026-03-31') (ISO dates or datetime.date), or "
                f"od.{name}('last month') (a relative period).",
        )
    if start is not None:
        with contextlib.suppress(periods.PeriodError):
            start, end = periods.check_period(start, end)
        for label, value in (("start", start), ("end", end)):
            if not isinstance(value, (str, date)):
                raise InvalidParameter(
                    f"{name}() {label}={value!r} is not a date.",
                    cause="dates go to Open Dental as yyyy-MM-dd",
                    fix="Pass 'YYYY-MM-DD' text or a datetime.date.",
                )
        filters = {**filters, "dateStart": start, "dateEnd": end}
    return filters
