"""The local practice store (embedded DuckDB) and ``odnb sync``.

Example:
    >>> from odnb.store import open_store, sync      # doctest: +SKIP
    >>> result = sync(odnb.connect("myoffice"))       # doctest: +SKIP
    >>> open_store("myoffice").sql("SELECT COUNT(*) AS n FROM procedurelog")  # doctest: +SKIP
"""

from odnb.store.store import Store, StoreError, open_store, store_path
from odnb.store.sync import SyncResult, sync

__all__ = ["Store", "StoreError", "SyncResult", "open_store", "store_path", "sync"]
