"""The scorecard: every KPI of ``docs/kpis.md`` for a period, fetched from a client with the fewest
requests the key allows — one ShortQuery (:mod:`odnb.kpis.sql`) when the key holds Queries, else the list
endpoints — and computed by the pure functions of :mod:`odnb.kpis.frames`. A KPI that cannot be computed
from complete data is null, with the reason beside it.

Example:
    >>> import odnb
    >>> card = scorecard(odnb.connect("demo"), "2026-10-01", "2026-10-31")   # doctest: +SKIP
    >>> card.values["collection_ratio"]                                      # doctest: +SKIP
    0.973
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

import numpy as np
import pandas as pd

from odnb.kpis import frames_v2
from odnb.kpis.catalog import KINDS, KPI_KEYS, LABELS, TIMING, format_kpi
from odnb.kpis.frames import (
    _WRITEOFF_RULES,
    AGING_BUCKETS,
    BENCHMARKS,
    Denominator,
    Frames,
    KPIInputError,
    WriteoffMode,
    _check_choice,
    _options,
    ar_aging,
    compute_from_frames,
    period,
    production_by_month,
    production_by_provider,
)

# --------------------------------------------------------------------------------------------------------
# Scorecard
# --------------------------------------------------------------------------------------------------------


class UnknownKPI(KPIInputError, KeyError, AttributeError):
    """A KPI key the catalogue does not know (also a KeyError and an AttributeError, as Python expects).

    >>> str(UnknownKPI("net_prod")).startswith("Unknown KPI 'net_prod': did you mean 'net_production'")
    True
    """

    title = "Unknown KPI"

    def __init__(self, key: object) -> None:
        import difflib

        close = difflib.get_close_matches(str(key), KPI_KEYS, n=3, cutoff=0.5)
        near = f": did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
        super().__init__(f"Unknown KPI {key!r}{near}",
                         fix="Use a key of odnb.kpis.KPI_KEYS, e.g. card.net_production or "
                             "card['collection_ratio'].")
        self.key = key


@dataclass
class Scorecard:
    """Every KPI of the contract for one period: value or None with the reason, and where it came from.

    ``values``/``reasons``/``sources`` are keyed by :data:`KPI_KEYS`; ``requests`` counts the network
    requests made for it; ``notes`` says what the fetch cost or skipped. ``stale_age``: seconds since the
    oldest stale cached answer behind it was fetched (the server failed), None when all data was fresh.
    """

    start: date
    end: date
    values: dict[str, float | int | None]
    reasons: dict[str, str] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    notes: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    as_of: date | None = None  # the date snapshot KPIs describe (default: end)
    clinic: int | None = None  # None: the whole practice
    stale_age: float | None = None

    @property
    def stale(self) -> bool:
        """True when some figures rest on cached data the server could not refresh."""
        return self.stale_age is not None

    def __getitem__(self, key: str) -> float | int | None:
        """``card["net_production"]``; an unknown key raises :class:`UnknownKPI` with suggestions."""
        if key not in KPI_KEYS and key not in self.values:
            raise UnknownKPI(key)
        return self.values.get(key)

    def __getattr__(self, name: str) -> float | int | None:
        """``card.net_production``: any KPI key as an attribute (called only for names not found)."""
        if name.startswith("_") or name in ("values", "reasons", "sources"):
            raise AttributeError(name)  # copy/pickle probe before __init__: no suggestion, no recursion
        return self[name]

    def __dir__(self) -> list[str]:
        return sorted(set(super().__dir__()) | set(KPI_KEYS))

    def __repr__(self) -> str:
        nulls = sum(self.values.get(k) is None for k in KPI_KEYS)
        where = "" if self.clinic is None else f" clinic={self.clinic}"
        return (f"<Scorecard {self.start}..{self.end}{where}: {len(KPI_KEYS) - nulls} KPIs, {nulls} null, "
                f"{self.requests} request{'s' if self.requests != 1 else ''}"
                f"{', stale' if self.stale else ''}>")

    def _repr_html_(self) -> str:
        """Jupyter's display: a small table of label and formatted value (why, for a null), escaped."""
        e = html.escape
        rows = []
        for key in KPI_KEYS:
            value = self.values.get(key)
            shown = format_kpi(key, value) if value is not None else "n/a"
            why = self.reasons.get(key, "") if value is None else ""
            rows.append(f"<tr><td style='text-align:left'>{e(LABELS[key])}</td>"
                        f"<td style='text-align:right'>{e(shown)}</td>"
                        f"<td style='text-align:left;color:#666'>{e(why)}</td></tr>")
        where = "" if self.clinic is None else f", clinic {self.clinic}"
        stale = " — <b>stale data</b>" if self.stale else ""
        return (f"<div><b>Scorecard {e(str(self.start))} to {e(str(self.end))}{e(where)}</b> "
                f"({self.requests} request{'s' if self.requests != 1 else ''}){stale}"
                "<table><thead><tr><th style='text-align:left'>KPI</th><th style='text-align:right'>Value"
                "</th><th></th></tr></thead><tbody>" + "".join(rows) + "</tbody></table></div>")

    def to_frame(self) -> pd.DataFrame:
        """One row per KPI: kpi, label, value, display, reason, source (contract order)."""
        rows = [
            {
                "kpi": k,
                "label": LABELS[k],
                "value": self.values.get(k),
                "display": format_kpi(k, self.values.get(k)),
                "reason": self.reasons.get(k, ""),
                "source": self.sources.get(k, ""),
            }
            for k in KPI_KEYS
        ]
        frame = pd.DataFrame(rows)
        frame["value"] = pd.array([r["value"] for r in rows], dtype="Float64")
        return frame

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: period, values (None = null), reasons, sources, requests, options."""
        return {
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "as_of": (self.as_of or self.end).isoformat(),
            "clinic": self.clinic,
            "kinds": {k: TIMING[k] for k in KPI_KEYS},
            "values": {k: self.values.get(k) for k in KPI_KEYS},
            "reasons": dict(self.reasons),
            "sources": dict(self.sources),
            "requests": self.requests,
            "options": dict(self.options),
            "stale": self.stale,
            "stale_age_hours": None if self.stale_age is None else round(self.stale_age / 3600, 2),
        }


def _one_line(exc: BaseException) -> str:
    cause = getattr(exc, "cause", None)
    text = str(cause) if cause else str(exc)
    text = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    return text


class PracticeData:
    """Fetch-once bundle over a client: every table (and ShortQuery) is fetched at most once and shared
    by :func:`scorecard`, :func:`monthly_trend`, :func:`provider_production` and :func:`aging`.

    A failed fetch is remembered too (the same error is not retried within the bundle).

    Example:
        >>> data = PracticeData(odnb.connect("demo"))               # doctest: +SKIP
        >>> card = scorecard(data, "2026-01-01", "2026-03-31")      # doctest: +SKIP
        >>> trend = monthly_trend(data, "2026-01-01", "2026-03-31")  # doctest: +SKIP
    """

    def __init__(self, client: Any) -> None:
        if isinstance(client, PracticeData):
            raise KPIInputError("PracticeData wraps a Client, not another PracticeData")
        if not hasattr(client, "get"):
            raise KPIInputError(f"expected an odnb Client (odnb.connect(...)), not {type(client).__name__}")
        self.client = client
        self._frames: dict[tuple[Any, ...], pd.DataFrame | BaseException] = {}
        self.queries_allowed: bool | None = None  # learnt from the first ShortQuery
        self.queries_reason: str = ""

    @property
    def request_count(self) -> int:
        return int(getattr(self.client, "request_count", 0))

    def _memo(self, key: tuple[Any, ...], fetch: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        if key not in self._frames:
            try:
                self._frames[key] = fetch()
            except Exception as exc:  # any failure: remembered, re-raised to the caller who explains it
                self._frames[key] = exc
        got = self._frames[key]
        if isinstance(got, BaseException):
            raise got
        return got

    def get(self, resource: str, **params: Any) -> pd.DataFrame:
        """``client.get(resource, **params)``, at most once per (resource, params)."""
        key = ("get", resource, tuple(sorted((k, str(v)) for k, v in params.items())))
        return self._memo(key, lambda: self.client.get(resource, **params))

    def query(self, sql: str) -> pd.DataFrame:
        """``client.query(sql)`` (ShortQuery), at most once per SQL text; learns the Queries permission."""
        from odnb.api.errors import PermissionDenied

        try:
            frame = self._memo(("query", sql), lambda: self.client.query(sql))
        except PermissionDenied as exc:
            self.queries_allowed = False
            self.queries_reason = _one_line(exc)
            raise
        self.queries_allowed = True
        return frame

    def adjustments_for(self, pat_nums: Iterable[int]) -> pd.DataFrame:
        """Adjustments of every patient in ``pat_nums``: one request per patient (PatNum is required)."""
        pats = [int(p) for p in pat_nums]
        key = ("adjustments", len(pats), hash(tuple(pats)))

        def fetch() -> pd.DataFrame:
            bulk = getattr(self.client, "adjustments_all", None)
            if callable(bulk):
                return bulk(pats)
            parts = [self.client.get("adjustments", PatNum=p) for p in pats]
            parts = [p for p in parts if len(p)]
            if not parts:
                return pd.DataFrame({"AdjNum": [], "PatNum": [], "AdjAmt": [], "AdjDate": []})
            return combined("adjustments", parts)

        return self._memo(key, fetch)


def combined(resource: str, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Frames of one resource stacked, each primary key once (frames from several filtered pulls)."""
    from odnb.api.catalogue import RESOURCES
    from odnb.api.paging import dedupe

    return dedupe(RESOURCES[resource], pd.concat(parts, ignore_index=True))


def _as_data(source: Any) -> PracticeData:
    return source if isinstance(source, PracticeData) else PracticeData(source)


# The list path: which endpoints, with which filters. Appointments reach far ahead so that later
# reappointments are seen (the contract puts no limit on "after the visit").
APPOINTMENTS_HORIZON = date(2999, 12, 31)


def _fetch_frames(
    data: PracticeData, start: date, end: date, writeoff_mode: str, adjustments: str, notes: list[str]
) -> Frames:
    frames: Frames = {}

    def grab(name: str, resource: str, **params: Any) -> None:
        try:
            frames[name] = data.get(resource, **params)
        except Exception as exc:
            label = resource + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")
            frames[name] = f"{label} could not be fetched: {_one_line(exc)}"

    grab("procedures", "procedurelogs", ProcStatus="C")
    notes.append("procedurelogs has no date filter: every completed procedure was fetched (ProcStatus=C)")
    grab("procedures_tp", "procedurelogs", ProcStatus="TP")
    procs = frames["procedures"]
    if not (isinstance(procs, pd.DataFrame) and "procCode" in procs.columns):
        grab("procedurecodes", "procedurecodes")
    statuses = ["Received", "Supplemental", "NotReceived"]  # NotReceived: write-offs by procedure date, and
    # the insurance still expected on the A/R
    parts = []
    for status in statuses:
        grab("_cp", "claimprocs", Status=status)
        parts.append(frames.pop("_cp"))
    bad = [p for p in parts if isinstance(p, str)]
    frames["claimprocs"] = bad[0] if bad else combined("claimprocs", parts)
    grab("paysplits", "paysplits")
    notes.append("paysplits has no date filter: every pay split was fetched")
    grab(
        "appointments", "appointments", dateStart=start.isoformat(), dateEnd=APPOINTMENTS_HORIZON.isoformat()
    )
    grab("appointments_scheduled", "appointments", AptStatus="Scheduled")
    frames["appointments_scheduled"] = _reapply_status(frames["appointments_scheduled"], "Scheduled")
    grab("patients", "patients/Simple")
    grab("providers", "providers")
    grab("claims", "claims")
    notes.append("claims has no date filter: every claim was fetched")
    frames["adjustments"] = _list_adjustments(data, frames.get("patients"), adjustments, notes)
    return frames


def _list_adjustments(data: PracticeData, patients: Any, mode: str, notes: list[str]) -> pd.DataFrame | str:
    if mode == "skip":
        return "skipped (adjustments='skip')"
    if not isinstance(patients, pd.DataFrame):
        return f"adjustments need one request per patient and the patient list is unavailable ({patients})"
    pats = pd.to_numeric(patients["PatNum"], errors="coerce").dropna().astype(np.int64).unique()
    n = len(pats)
    if mode == "auto":
        return adjustments_cost(data.client, n)
    started = time.monotonic()
    try:
        frame = data.adjustments_for(pats)
    except Exception as exc:
        return f"adjustments (one request per patient) failed: {_one_line(exc)}"
    notes.append(f"adjustments: {n} per-patient requests in {time.monotonic() - started:.1f} s")
    return frame


def adjustments_cost(client: Any, patients: int) -> str:
    """The reason given when adjustments are not fetched: what a per-patient pull would cost."""
    profile = getattr(client, "profile", None)
    interval = getattr(profile, "min_interval", None)
    mode = getattr(profile, "mode", None)
    if interval:
        minutes = patients * float(interval) / 60.0
        pace = f"≈ {minutes:,.0f} minutes at this key's tier ({float(interval):g} s per request)"
    elif interval == 0:
        pace = f"no throttle in {mode} mode, so mostly network time"
    else:
        pace = "time depends on the key's tier (1 request / 5 s on the free Remote tier)"
    return (
        f"not fetched: the adjustments endpoint needs a PatNum, so one request per patient: {patients:,} "
        f"patients ≈ {patients:,} requests, {pace}; the Queries permission computes it in one request. "
        "Pass adjustments='per_patient' to fetch them anyway."
    )


STORE_MAX_AGE_HOURS = 26.0  # source="auto" reads the store when its last complete sync is this recent


def data_source(client: Any, source: Literal["auto", "store", "api"] = "auto",
                max_age_hours: float = STORE_MAX_AGE_HOURS) -> Any:
    """What the KPIs read: the client (API) or a reader over its practice's local store.

    ``"store"`` insists on the store (an error if it was never synced); ``"auto"`` uses it when its last
    complete sync is at most ``max_age_hours`` old, else the API.

    >>> data = data_source(odnb.connect("north"), "auto")       # doctest: +SKIP
    """
    _check_choice("source", source, ("auto", "store", "api"))
    if source == "api" or isinstance(client, PracticeData) or not hasattr(client, "profile"):
        return client
    from datetime import datetime, timedelta

    from odnb.store.reader import StoreReader
    from odnb.store.store import StoreError, open_store

    try:
        store = open_store(client.profile, read_only=True)
        as_of = store.as_of
    except StoreError:
        if source == "store":
            raise
        return client
    if as_of is None and source == "store":
        raise KPIInputError("the local store has not finished its first sync: run `odnb sync` first")
    if source == "store" or (as_of is not None and datetime.now() - as_of <= timedelta(hours=max_age_hours)):
        return StoreReader(store)
    store.close()
    return client


def scorecard(
    client: Any,
    start: object,
    end: object = None,
    *,
    source: Literal["auto", "store", "api"] = "auto",
    writeoff_mode: WriteoffMode = "payment_date",
    ratio_denominator: Denominator = "net",
    active_months: int = 18,
    adjustments: Literal["auto", "per_patient", "skip"] = "auto",
    use_queries: Literal["auto"] | bool = "auto",
    clinic: int | None = None,
    as_of: object = None,
) -> Scorecard:
    """Every KPI of the contract (v1 and v2) for [start, end], fetched with the fewest requests the key
    allows. ``start``/``end`` are dates (``yyyy-mm-dd``, ``date``), or a relative period alone, as the CLI
    takes them: ``scorecard(od, "last month")``, ``scorecard(od, "month to date")``. ``clinic`` (a
    ClinicNum) restricts every KPI to one clinic, ``as_of`` is the date the snapshot
    KPIs describe (default ``end``).

    * With the Queries permission (``use_queries="auto"`` tries it; True insists): one ShortQuery
      computes every KPI in SQL (:mod:`odnb.kpis.sql`), adjustments included.
    * Otherwise the list endpoints, with their filters: procedurelogs?ProcStatus=C and ?ProcStatus=TP (no
      date filter exists: full pulls), procedurecodes (only if procCode is absent), claimprocs?Status=
      Received / Supplemental (+ NotReceived for write-offs by procedure date), paysplits (full pull),
      appointments from ``start`` onwards (to see reappointments), patients/Simple. Adjustments need a
      PatNum: ``adjustments="auto"`` leaves them null with the cost as the reason, "per_patient" fetches
      them (one request per patient), "skip" leaves them null. (With Queries they are always computed:
      it costs nothing more.)

    ``client`` is an odnb Client, or a :class:`PracticeData` to share fetched tables with other calls.
    A KPI whose data could not be fetched is None with the one-line cause in ``reasons``.

    ``source``: ``"auto"`` (the default) computes from the practice's local store when its last sync is
    fresh (:func:`data_source`, at most 26 hours old) and asks the server otherwise (or when there is no
    store); ``"store"`` insists on the store (``odnb sync``; adjustments included, no request); ``"api"``
    always asks the server. The card's notes say the store's as-of time.
    """
    client = data_source(client, source)
    inner = client.client if isinstance(client, PracticeData) else client
    if type(inner).__name__ == "StoreReader":
        use_queries, adjustments = False, "per_patient"  # every table is local: nothing costs a request
    s, e = period(start, end)
    _options(writeoff_mode, ratio_denominator, active_months)
    _check_choice("adjustments", adjustments, ("auto", "per_patient", "skip"))
    if use_queries not in ("auto", True, False):
        raise KPIInputError(f"use_queries={use_queries!r} is not one of 'auto', True, False")
    clinic = frames_v2.check_clinic(clinic)
    snap = e if as_of is None else period(as_of, as_of)[1]  # "last month" as_of: its last day
    data = _as_data(client)
    before = data.request_count
    options = {
        "writeoff_mode": writeoff_mode,
        "ratio_denominator": ratio_denominator,
        "active_months": active_months,
        "adjustments": adjustments,
        "use_queries": use_queries,
        "clinic": clinic,
        "as_of": snap.isoformat(),
    }
    card = Scorecard(start=s, end=e, values={}, options=options, as_of=snap, clinic=clinic)
    stored_at = getattr(data.client, "as_of", None)
    if type(data.client).__name__ == "StoreReader":
        card.notes.append(f"from the local store, as of {stored_at:%Y-%m-%d %H:%M}" if stored_at else
                          "from the local store")

    if _use_sql(data, use_queries):
        from odnb.kpis import sql

        try:
            values, reasons = sql.scorecard_values(
                data,
                s,
                e,
                writeoff_mode=writeoff_mode,
                ratio_denominator=ratio_denominator,
                active_months=active_months,
                clinic=clinic,
                as_of=snap,
            )
        except Exception as exc:
            why = _one_line(exc)
            if use_queries is True:
                card.values = dict.fromkeys(KPI_KEYS)
                card.reasons = {k: f"ShortQuery failed: {why}" for k in KPI_KEYS}
                card.sources = dict.fromkeys(KPI_KEYS, "ShortQuery")
                _account(card, data, before)
                return card
            card.notes.append(f"ShortQuery not used ({why}); falling back to the list endpoints")
        else:
            card.values, card.reasons = values, reasons
            card.sources = dict.fromkeys(KPI_KEYS, "ShortQuery")
            _account(card, data, before)
            return card

    frames = _fetch_frames(data, s, e, writeoff_mode, adjustments, card.notes)
    card.values, card.reasons = _compute_list(
        frames, s, e, snap, clinic, writeoff_mode=writeoff_mode, ratio_denominator=ratio_denominator,
        active_months=active_months,
    )
    card.sources = {k: _list_source(k, adjustments) for k in KPI_KEYS}
    _account(card, data, before)
    return card


def _reapply_status(frame: Any, status: str) -> Any:
    """A server-side filter is a hint: keep only the rows that really have ``status``."""
    if not isinstance(frame, pd.DataFrame) or "AptStatus" not in frame.columns:
        return frame
    from odnb.api.enums import APT_STATUS
    from odnb.kpis.frames import _status_is

    return frame[_status_is(frame["AptStatus"], APT_STATUS, [status])]


def _compute_list(
    frames: Frames, s: date, e: date, as_of: date, clinic: int | None, **options: Any
) -> tuple[dict[str, Any], dict[str, str]]:
    """v1 and v2 KPIs from the list pulls, restricted to ``clinic``."""
    from odnb.kpis.frames import _apt_count, _gross_cents

    here = frames_v2.restrict_to_clinic(frames, clinic)
    values, reasons = compute_from_frames(here, s, e, **options)
    if clinic is not None:
        _clinic_patients(frames, values, reasons, s, e, clinic)
    procs, apts = here.get("procedures"), here.get("appointments")
    gross = _gross_cents(procs, s, e) if isinstance(procs, pd.DataFrame) else None
    visits = _apt_count(apts, s, e, "Complete", "visits") if isinstance(apts, pd.DataFrame) else None
    v2_values, v2_reasons, _ = frames_v2.compute_v2(
        here, s, e, as_of, gross_cents=gross, visits=visits, active_months=options["active_months"]
    )
    values.update(v2_values)
    reasons.update(v2_reasons)
    return {k: values.get(k) for k in KPI_KEYS}, {k: reasons[k] for k in KPI_KEYS if k in reasons}


def _clinic_patients(
    frames: Frames, values: dict[str, Any], reasons: dict[str, str], s: date, e: date, clinic: int
) -> None:
    """New patients and today's A/R of one clinic (they need the whole practice's tables)."""
    from odnb.kpis.frames import _ar_cents, _dollars

    procs, codes, patients = frames.get("procedures"), frames.get("procedurecodes"), frames.get("patients")
    if isinstance(procs, pd.DataFrame) and "new_patients" not in reasons:
        values["new_patients"] = frames_v2.new_patients_at_clinic(
            procs, codes if isinstance(codes, pd.DataFrame) else None, clinic, s, e
        )
    if isinstance(patients, pd.DataFrame) and "accounts_receivable" not in reasons:
        values["accounts_receivable"] = _dollars(_ar_cents(frames_v2.at_clinic(patients, clinic)))

def _account(card: Scorecard, data: PracticeData, before: int) -> None:
    """Record what the card cost (requests) and whether it rests on stale cached data."""
    card.requests = data.request_count - before
    age = getattr(data.client, "stale_age", None)
    card.stale_age = age if isinstance(age, (int, float)) else None
    if card.stale_age is not None:
        card.notes.append(f"STALE: the server failed and cached data up to {card.stale_age / 3600:.1f} hours "
                          "old was used")


def _list_source(key: str, adjustments: str) -> str:
    ledger = frames_v2.V2_SNAPSHOT_GROUPS["ar_aging"]
    uses_adj = key in ("adjustments", "net_production", "collection_ratio", *ledger)
    if uses_adj and adjustments == "per_patient":
        return "API list + per-patient adjustments"
    return "API list"


def _use_sql(data: PracticeData, use_queries: Any) -> bool:
    """True insists on ShortQuery; "auto" tries it unless this bundle already learnt it is refused."""
    return use_queries is True or (use_queries == "auto" and data.queries_allowed is not False)


def monthly_trend(
    client: Any,
    start: object,
    end: object = None,
    *,
    writeoff_mode: WriteoffMode = "payment_date",
    adjustments: Literal["auto", "per_patient", "skip"] = "auto",
    use_queries: Literal["auto"] | bool = "auto",
) -> pd.DataFrame:
    """Client-level :func:`production_by_month` (month, gross_production ... collections).

    ShortQuery (one GROUP BY query) when the key holds Queries, else the same list pulls as
    :func:`scorecard` (shared through a :class:`PracticeData`). Adjustments without Queries follow
    ``adjustments`` ("auto"/"skip": the adjustments and net_production columns are <NA>).
    """
    s, e = period(start, end)
    _check_choice("writeoff_mode", writeoff_mode, tuple(_WRITEOFF_RULES))
    data = _as_data(client)
    if _use_sql(data, use_queries):
        from odnb.kpis import sql

        try:
            return sql.monthly_trend(data, s, e, writeoff_mode=writeoff_mode)
        except Exception:
            if use_queries is True:
                raise
    notes: list[str] = []
    frames = _fetch_frames(data, s, e, writeoff_mode, adjustments, notes)
    for table in ("procedures", "claimprocs"):
        if isinstance(frames[table], str):
            raise KPIInputError(f"monthly trend unavailable: {frames[table]}")
    adj = frames["adjustments"] if isinstance(frames["adjustments"], pd.DataFrame) else None
    pays = frames["paysplits"] if isinstance(frames["paysplits"], pd.DataFrame) else None
    return production_by_month(
        frames["procedures"],
        adj,
        frames["claimprocs"],
        s,
        e,
        pays,
        writeoff_mode=writeoff_mode,  # type: ignore[arg-type]
    )


def provider_production(
    client: Any, start: object, end: object = None, *, use_queries: Literal["auto"] | bool = "auto"
) -> pd.DataFrame:
    """Client-level :func:`production_by_provider` (ProvNum, Abbr, gross_production, share)."""
    s, e = period(start, end)
    data = _as_data(client)
    if _use_sql(data, use_queries):
        from odnb.kpis import sql

        try:
            return sql.provider_production(data, s, e)
        except Exception:
            if use_queries is True:
                raise
    procs = data.get("procedurelogs", ProcStatus="C")
    try:
        providers = data.get("providers")
    except Exception:
        providers = None
    return production_by_provider(procs, providers, s, e)


def aging(client: Any, *, use_queries: Literal["auto"] | bool = "auto") -> pd.DataFrame:
    """Client-level :func:`ar_aging` (bucket, label, amount) over guarantors.

    The aging buckets are patient-table columns that patients/Simple does not return, so without the
    Queries permission the amounts are <NA> and ``frame.attrs["reason"]`` says why.
    """
    data = _as_data(client)
    why = ""
    if _use_sql(data, use_queries):
        from odnb.kpis import sql

        try:
            return sql.ar_aging(data)
        except Exception as exc:
            if use_queries is True:
                raise
            why = f" (ShortQuery: {_one_line(exc)})"
    patients = data.get("patients/Simple")
    if set(AGING_BUCKETS) <= set(patients.columns):
        return ar_aging(patients)
    frame = ar_aging(patients.iloc[0:0])
    frame["amount"] = pd.array([pd.NA] * len(frame), dtype="Float64")
    frame.attrs["reason"] = (
        "patients/Simple has no aging buckets (Bal_0_30 ... BalOver90); the Queries permission computes "
        f"them in one request{why}"
    )
    return frame


def _change(key: str, now: float | int | None, before: float | int | None) -> str:
    if now is None or before is None:
        return ""
    if KINDS.get(key) == "ratio":
        return f"{(now - before) * 100:+.1f} pts"
    if before == 0:
        return ""
    return f"{(now - before) / abs(before) * 100:+.1f}%"


def comparison_table(card: Scorecard, previous: Scorecard) -> pd.DataFrame:
    """The scorecard beside the previous period and the benchmarks, as a report shows it.

    Columns: KPI, This period, Previous, Change (percent, or points for ratios), Benchmark, Status
    ("on target" / "below target" / ""), Note (why a value is n/a).
    """
    rows = []
    for key in KPI_KEYS:
        now, before = card.values.get(key), previous.values.get(key)
        bench = BENCHMARKS.get(key)
        met = bench.met(now) if bench else None
        rows.append({
            "KPI": LABELS[key],
            "This period": format_kpi(key, now),
            "Previous": format_kpi(key, before),
            "Change": _change(key, now, before),
            "Benchmark": bench.text if bench else "",
            "Status": {True: "on target", False: "below target", None: ""}[met],
            "Note": card.reasons.get(key, ""),
        })
    return pd.DataFrame(rows)
