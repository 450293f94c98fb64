"""Typed frames from Open Dental's JSON: every documented column converted by its kind in the catalogue.

Column kinds: ``id`` / ``int`` -> nullable ``Int64`` (ids arrive as numbers or strings like ``"0"``),
``money`` / ``float`` -> ``Float64`` (``"255.00"`` or ``255.0``), ``bool`` -> ``boolean`` (``"true"`` /
``"False"``), ``date`` / ``datetime`` -> ``datetime64[ns]`` with ``0001-01-01`` as ``NaT``, ``time`` ->
``timedelta64[ns]``, ``enum`` / ``cat`` -> ``category`` (enums with their known values first), ``str`` ->
``str``. Columns the server sends that the catalogue does not know are kept untouched; documented columns
the server did not send are added empty, so empty and full frames have the same columns.

Example:
    >>> from odnb.api.catalogue import RESOURCES
    >>> typed = type_frame(RESOURCES["procedurelogs"], [{"ProcNum": "7", "ProcFee": "255.00",
    ...                                                  "ProcDate": "0001-01-01", "IsLocked": "False"}])
    >>> str(typed["ProcFee"].dtype), bool(typed["ProcDate"].isna()[0]), bool(typed["IsLocked"][0])
    ('Float64', True, False)
"""

from __future__ import annotations

import logging
import re
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from odnb.api.catalogue import DTYPES, Resource

log = logging.getLogger("odnb")

_NO_DATE = "0001-01-01"
_BOOLS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}


def _text(s: pd.Series) -> pd.Series:
    """Column as strings (missing stays missing)."""
    if s.dtype == object or str(s.dtype) in ("str", "string"):
        return s.where(s.isna(), s.astype(str))
    return s.astype(str).where(s.notna())


def _to_number(s: pd.Series, dtype: str) -> pd.Series:
    if s.dtype == object or str(s.dtype) in ("str", "string"):
        s = _text(s).str.strip().str.replace(",", "", regex=False).replace("", None)
    num = pd.to_numeric(s, errors="coerce")
    if dtype == "Int64":
        num = num.round()
    return num.astype(dtype)


def _to_bool(s: pd.Series) -> pd.Series:
    if s.dtype == bool or str(s.dtype) == "boolean":
        return s.astype("boolean")
    mapped = _text(s).str.strip().str.lower().map(_BOOLS)
    return mapped.astype("boolean")


def _via_unique(s: pd.Series, parse: Any, dtype: str) -> pd.Series:
    """Parse each distinct value once (dates and times repeat a lot), then spread back."""
    codes, uniques = pd.factorize(_text(s).str.strip())
    parsed = pd.Series(parse(pd.Series(uniques, dtype=object)), dtype=dtype).array
    taken = parsed.take(codes, allow_fill=True)
    return pd.Series(taken, index=s.index, dtype=dtype)


def _parse_datetimes(text: pd.Series) -> pd.Series:
    none = text.isna() | (text == "") | text.astype(str).str.startswith(_NO_DATE)
    return pd.to_datetime(text.where(~none), format="ISO8601", errors="coerce")


def _to_datetime(s: pd.Series) -> pd.Series:
    return _via_unique(s, _parse_datetimes, "datetime64[ns]")


def _to_timedelta(s: pd.Series) -> pd.Series:
    return _via_unique(s, lambda t: pd.to_timedelta(t.where(t != ""), errors="coerce"), "timedelta64[ns]")


def _to_category(s: pd.Series, known: tuple[str, ...]) -> pd.Series:
    text = _text(s)
    seen = [v for v in pd.unique(text.dropna()) if v not in known]
    return pd.Series(pd.Categorical(text, categories=[*known, *sorted(seen)]), index=s.index)


def convert(s: pd.Series, kind: str, known: tuple[str, ...] = ()) -> pd.Series:
    """Type one column (vectorised) by catalogue kind."""
    dtype = DTYPES[kind]
    if kind in ("id", "int", "money", "float"):
        return _to_number(s, dtype)
    if kind == "bool":
        return _to_bool(s)
    if kind in ("date", "datetime"):
        return _to_datetime(s)
    if kind == "time":
        return _to_timedelta(s)
    if kind in ("enum", "cat"):
        return _to_category(s, known)
    return _text(s).astype("str")


def empty_frame(res: Resource) -> pd.DataFrame:
    """A typed frame with every documented column and no rows."""
    return type_frame(res, [])


def type_frame(res: Resource, rows: list[dict[str, Any]] | pd.DataFrame) -> pd.DataFrame:
    """Typed, de-duplicated frame from the API's records: documented columns first (catalogue order,
    added empty if absent), then unknown columns as sent. Duplicate primary keys keep the last row.

    Records (a page of JSON) are converted value by value in plain Python, which is many times faster
    than pandas' per-column machinery on pages of 100 rows; a column holding anything the fast path does
    not know for sure (a time, a date in a form ``datetime.fromisoformat`` does not read, a boolean where
    a number belongs) is converted by the vectorised path instead, so both give the same frame."""
    if isinstance(rows, list) and rows and all(isinstance(r, dict) for r in rows):
        return _type_records(res, rows)
    raw = rows if isinstance(rows, pd.DataFrame) else pd.DataFrame.from_records(rows)
    out: dict[str, pd.Series] = {}
    n = len(raw)
    for col, kind in res.columns.items():
        if col in raw.columns:
            out[col] = convert(raw[col], kind, res.enum_values.get(col, ()))
            bad = int((out[col].isna() & raw[col].notna() & (_text(raw[col]).str.strip() != "")).sum()) \
                if kind in ("id", "int", "money", "float", "bool", "time") else 0
            if bad:
                log.warning("%s.%s: %d value(s) could not be read as %s and are missing", res.name, col,
                            bad, kind)
        elif kind in ("enum", "cat"):
            known = list(res.enum_values.get(col, ()))
            out[col] = pd.Series(pd.Categorical([None] * n, categories=known), index=raw.index)
        else:
            out[col] = pd.Series(index=raw.index, dtype=DTYPES[kind])
    for col in raw.columns:
        if col not in out:
            out[col] = raw[col]
    df = pd.DataFrame(out, index=raw.index)
    if res.key in df.columns and len(df):
        df = df.drop_duplicates(subset=[res.key], keep="last")
    return df.reset_index(drop=True)


class _Slow(Exception):
    """A value the fast path does not convert with certainty: use the vectorised path for the column."""


def _missing(v: Any) -> bool:
    return v is None or (isinstance(v, float) and v != v)


def _fast_number(values: list[Any], dtype: str) -> tuple[Any, int]:
    out: list[Any] = []
    bad = 0
    whole = dtype == "Int64"
    for v in values:
        if _missing(v):
            out.append(None)
            continue
        if isinstance(v, bool):
            raise _Slow
        if isinstance(v, int):
            out.append(v if whole else float(v))
            continue
        if isinstance(v, float):
            number = v
        else:
            t = str(v).strip().replace(",", "")
            if t == "":
                out.append(None)
                continue
            try:
                number = float(t)
            except ValueError:
                out.append(None)
                bad += 1
                continue
        if number != number or number in (float("inf"), float("-inf")):
            raise _Slow
        if whole:
            if abs(number) >= 2**53:
                raise _Slow
            out.append(round(number))
        else:
            out.append(number)
    return pd.array(out, dtype=dtype), bad


def _fast_bool(values: list[Any]) -> tuple[Any, int]:
    out: list[Any] = []
    bad = 0
    for v in values:
        if _missing(v):
            out.append(None)
            continue
        flag = _BOOLS.get(str(v).strip().lower())
        if flag is None:
            bad += 1
        out.append(flag)
    return pd.array(out, dtype="boolean"), bad


_FIRST_TS = datetime(1678, 1, 1)
_LAST_TS = datetime(2262, 1, 1)


def _fast_datetime(values: list[Any]) -> Any:
    parsed: dict[str, datetime | None] = {}
    out: list[datetime | None] = []
    for v in values:
        if _missing(v):
            out.append(None)
            continue
        t = str(v).strip()
        when = parsed.get(t, _Slow)
        if when is _Slow:
            if t == "" or t.startswith(_NO_DATE):
                when = None
            else:
                try:
                    when = datetime.fromisoformat(t)
                except ValueError:
                    raise _Slow from None
                if when.tzinfo is not None or not _FIRST_TS <= when < _LAST_TS:
                    raise _Slow
            parsed[t] = when  # type: ignore[assignment]
        out.append(when)  # type: ignore[arg-type]
    return np.array(out, dtype="datetime64[ns]")


def _fast_text(values: list[Any]) -> list[Any]:
    return [None if _missing(v) else v if isinstance(v, str) else str(v) for v in values]


def _fast_convert(values: list[Any], kind: str, known: tuple[str, ...]) -> tuple[pd.Series, int]:
    """(typed column, values that could not be read) for one column of records; raises :class:`_Slow`."""
    dtype = DTYPES[kind]
    if kind in ("id", "int", "money", "float"):
        array, bad = _fast_number(values, dtype)
        return pd.Series(array), bad
    if kind == "bool":
        array, bad = _fast_bool(values)
        return pd.Series(array), bad
    if kind in ("date", "datetime"):
        return pd.Series(_fast_datetime(values)), 0
    if kind in ("enum", "cat"):
        text = _fast_text(values)
        seen = {v for v in text if v is not None and v not in known}
        return pd.Series(pd.Categorical(text, categories=[*known, *sorted(seen)])), 0
    if kind == "str":
        return pd.Series(_fast_text(values), dtype="str"), 0
    raise _Slow


def _type_records(res: Resource, rows: list[dict[str, Any]]) -> pd.DataFrame:
    """:func:`type_frame` of JSON records, column by column in plain Python (see there)."""
    n = len(rows)
    out: dict[str, pd.Series] = {}
    for col, kind in res.columns.items():
        values = [r.get(col) for r in rows]
        if all(v is None for v in values) and not any(col in r for r in rows):
            if kind in ("enum", "cat"):
                known = list(res.enum_values.get(col, ()))
                out[col] = pd.Series(pd.Categorical([None] * n, categories=known))
            else:
                out[col] = pd.Series(index=pd.RangeIndex(n), dtype=DTYPES[kind])
            continue
        try:
            out[col], bad = _fast_convert(values, kind, res.enum_values.get(col, ()))
        except _Slow:
            raw = pd.Series(values, dtype=object)
            out[col] = convert(raw, kind, res.enum_values.get(col, ()))
            bad = int((out[col].isna() & raw.notna() & (_text(raw).str.strip() != "")).sum()) \
                if kind in ("id", "int", "money", "float", "bool", "time") else 0
        if bad:
            log.warning("%s.%s: %d value(s) could not be read as %s and are missing", res.name, col, bad,
                        kind)
    extra = [c for c in dict.fromkeys(k for r in rows for k in r) if c not in out]
    if extra:
        raw = pd.DataFrame.from_records(rows)
        for col in extra:
            out[col] = raw[col]
    df = pd.DataFrame(out)
    if res.key in df.columns and n:
        df = df.drop_duplicates(subset=[res.key], keep="last")
    return df.reset_index(drop=True)


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?$")


def type_query_frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Light typing for ShortQuery results (no catalogue): ``...Num`` columns -> Int64, ISO date strings
    -> datetime64 (``0001-01-01`` as NaT), numeric strings -> Float64, the rest unchanged."""
    df = pd.DataFrame.from_records(rows)
    for col in df.columns:
        s = df[col]
        values = s.dropna()
        if values.empty:
            continue
        textual = s.dtype == object or str(s.dtype) in ("str", "string")
        if col.endswith("Num") and (
            pd.api.types.is_numeric_dtype(s) or (textual and _text(values).str.fullmatch(r"-?\d+").all())
        ):
            df[col] = _to_number(s, "Int64")
        elif textual and _text(values).str.match(_ISO).all():
            df[col] = _to_datetime(s)
        elif pd.api.types.is_float_dtype(s):
            df[col] = s.astype("Float64")
        elif pd.api.types.is_integer_dtype(s):
            df[col] = s.astype("Int64")
    return df


def combine_typed(res: Resource, parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate frames typed by :func:`type_frame` (pages of one pull) into one typed frame: category
    columns are re-united (pages carry different categories) and primary keys kept once (last wins).

    >>> from odnb.api.catalogue import RESOURCES
    >>> res = RESOURCES["claimprocs"]
    >>> both = combine_typed(res, [type_frame(res, [{"ClaimProcNum": 1, "Status": "Received"}]),
    ...                            type_frame(res, [{"ClaimProcNum": 2, "Status": "Adjustment"}])])
    >>> str(both["Status"].dtype), len(both)
    ('category', 2)
    """
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_frame(res)
    if len(parts) == 1:
        return parts[0]
    for col, kind in res.columns.items():  # one category set per column, so concat keeps categories
        if kind not in ("enum", "cat"):
            continue
        known: list[Any] = list(res.enum_values.get(col, ()))
        for part in parts:
            if col in part.columns and isinstance(part[col].dtype, pd.CategoricalDtype):
                known += [c for c in part[col].cat.categories if c not in set(known)]
        for i, part in enumerate(parts):
            if col in part.columns and isinstance(part[col].dtype, pd.CategoricalDtype):
                parts[i][col] = part[col].cat.set_categories(known)
    df = pd.concat(parts, ignore_index=True)
    if res.key in df.columns:
        df = df.drop_duplicates(subset=[res.key], keep="last").reset_index(drop=True)
    return df
