"""The store as a data source for KPIs: the same ``get(resource, **filters)`` a Client answers, read from
the local store instead of the API (filters applied locally, as the API applies them), with adjustments
for every patient free (no PatNum-per-request limit) and no ShortQuery.

Example:
    >>> from odnb.kpis.scorecard import scorecard
    >>> card = scorecard(StoreReader(open_store("north")), "2026-10-01", "2026-10-31")   # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pandas as pd

from odnb.api import catalogue
from odnb.api.errors import PermissionDenied
from odnb.store.store import Store, StoreError

# Date-range filters: which column they bound (the API's dateStart/dateEnd are inclusive days).
RANGE_COLUMNS = {"appointments": "AptDateTime", "schedules": "SchedDate"}


class StoreReader:
    """A read-only, Client-like view of a :class:`Store` (``request_count`` stays 0: nothing is fetched)."""

    request_count = 0

    def __init__(self, store: Store) -> None:
        self.store = store
        self.profile = None

    @property
    def as_of(self) -> datetime | None:
        return self.store.as_of

    def get(self, resource: str, **params: Any) -> pd.DataFrame:
        """Rows of ``resource`` from the store, filtered as the API filters them."""
        res = catalogue.resource(resource)
        if res.sync is None:
            raise StoreError(f"The store does not hold {res.name}.", cause="only synced tables are stored",
                             fix="Use the API for it (source='api').")
        query = catalogue.validate_params(res, params)
        frame = self.store.frame(res.name)
        keep = pd.Series(True, index=frame.index)
        start_name, end_name = res.date_range or ("", "")
        for name, value in query.items():
            if name == start_name:
                keep &= frame[RANGE_COLUMNS[res.name]].dt.normalize() >= pd.Timestamp(value)
            elif name == end_name:
                keep &= frame[RANGE_COLUMNS[res.name]].dt.normalize() <= pd.Timestamp(value)
            elif name == res.change_filter:
                keep &= frame[name] >= pd.Timestamp(value)
            elif name in frame.columns:
                col = frame[name]
                if pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col):
                    keep &= col == pd.to_numeric(value)
                else:
                    keep &= col.astype(str).str.lower() == value.lower()
            else:
                raise StoreError(f"The store cannot apply the {name} filter of {res.name}.",
                                 cause="the store filters on stored columns",
                                 fix="Drop the filter and select rows from the frame, or use source='api'.")
        return frame[keep.fillna(False).astype(bool)].reset_index(drop=True)

    def adjustments_all(self, pat_nums: Iterable[Any]) -> pd.DataFrame:
        frame = self.store.frame("adjustment")
        wanted = {int(p) for p in pat_nums}
        return frame[frame["PatNum"].isin(wanted)].reset_index(drop=True)

    def query(self, sql: str) -> pd.DataFrame:
        raise PermissionDenied("The store answers no ShortQuery.", cause="KPIs from the store use its tables",
                               fix="Nothing to do: the list path computes every KPI from the store.")
