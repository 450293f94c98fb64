"""Sync many practices at once: the throttle is per customer key, so practices with different keys run
concurrently (bounded workers) and practices sharing a key run one after another in the same worker.
One practice's failure is reported in its result without stopping the others.

Example:
    >>> results = sync_profiles(["north", "south", "east"])       # doctest: +SKIP
    >>> [r.requests for r in results]                              # doctest: +SKIP
    [31, 28, 40]
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from odnb.store.sync import SyncResult, sync

log = logging.getLogger("odnb")

MAX_WORKERS = 8  # at most this many practices in flight (each is mostly waiting on its key's throttle)


def _key_group(client: Any) -> str:
    """Which throttle a client shares: its customer key (hashed; never kept in clear)."""
    profile = client.profile
    secret = f"{profile.base_url}|{profile.customer_key or profile.name}"
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def run_grouped(items: Iterable[Any], work: Callable[[Any], Any], *, group: Callable[[Any], str],
                workers: int = MAX_WORKERS) -> list[Any]:
    """``work(item)`` for every item, results in the order given: items of one group (one customer key)
    one after another in one worker, groups at once (at most ``workers``). ``work`` reports its own
    failures in its result; an exception it lets out is re-raised after every other item has run.

    >>> run_grouped([1, 2, 3], lambda n: n * n, group=str, workers=2)
    [1, 4, 9]
    """
    items = list(items)
    groups: dict[str, list[int]] = {}
    for i, item in enumerate(items):
        groups.setdefault(group(item), []).append(i)
    results: list[Any] = [None] * len(items)

    def run_group(indexes: list[int]) -> None:
        for i in indexes:
            results[i] = work(items[i])

    with ThreadPoolExecutor(max_workers=max(1, min(workers, len(groups) or 1)),
                            thread_name_prefix="odnb-worker") as pool:
        futures = [pool.submit(run_group, g) for g in groups.values()]
    for future in futures:
        future.result()
    return results


def profile_group(name: str | None) -> str:
    """The throttle a profile's requests share (its customer key, hashed); its own name when the
    profile cannot be read (it then fails alone)."""
    from odnb.api.profiles import load_profile

    try:
        profile = load_profile(name)
    except Exception:
        return f"name:{name}"
    secret = f"{profile.base_url}|{profile.customer_key or profile.name}"
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def sync_clients(
    clients: Iterable[Any], *, workers: int = MAX_WORKERS, **options: Any
) -> list[SyncResult]:
    """Sync every client (``odnb.store.sync`` options pass through); results in the order given."""
    return run_grouped(clients, lambda client: _safe_sync(client, options), group=_key_group, workers=workers)


def sync_profiles(
    names: Iterable[str | None], *, workers: int = MAX_WORKERS,
    connect: Callable[[str | None], Any] | None = None, **options: Any,
) -> list[SyncResult]:
    """Sync the named profiles concurrently (one uncached client each; ``None`` is the default profile),
    results in the order given; a profile that cannot even be opened gets a result with its error."""
    from odnb.api.client import connect as default_connect

    opener = connect or (lambda name: default_connect(name, cache=False))
    names = list(names)
    clients: dict[int, Any] = {}
    results: dict[int, SyncResult] = {}
    for i, name in enumerate(names):
        try:
            clients[i] = opener(name)
        except Exception as exc:
            results[i] = SyncResult(profile=str(name), error=_one_line(exc))
    try:
        done = sync_clients(list(clients.values()), workers=workers, **options)
    finally:
        for client in clients.values():
            client.close()
    results.update(zip(clients, done, strict=True))
    return [results[i] for i in sorted(results)]


def _safe_sync(client: Any, options: dict[str, Any]) -> SyncResult:
    try:
        return sync(client, **options)
    except Exception as exc:
        log.warning("sync of %s failed: %s", client.profile.name, _one_line(exc))
        return SyncResult(profile=client.profile.name, requests=client.request_count, error=_one_line(exc))


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
