"""odnb: Open Dental analytics for Jupyter.

``import odnb`` is cheap: the client, the errors and the KPIs load on first use.

Example:
    >>> import odnb
    >>> odnb.errors.ODError.__name__
    'ODError'
    >>> od = odnb.connect("demo")                      # doctest: +SKIP
    >>> od.appointments("2026-01-01", "2026-03-31")    # doctest: +SKIP
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Client", "__version__", "connect", "errors", "kpis"]

if TYPE_CHECKING:
    from odnb.api.client import Client

# Attributes loaded on first use: name -> (module, attribute or None for the module itself).
_LAZY: dict[str, tuple[str, str | None]] = {
    "Client": ("odnb.api.client", "Client"),
    "errors": ("odnb.api.errors", None),
    "kpis": ("odnb.kpis", None),
}


def connect(
    profile: Any = None,
    *,
    base_url: str | None = None,
    developer_key: str | None = None,
    customer_key: str | None = None,
    mode: str | None = None,
    tier: str | None = None,
    cache: bool = True,
    session: Any = None,
    progress: bool | None = None,
    min_interval: float | None = None,
    expire_after: float | None = None,
    **options: Any,
) -> Client:
    """Open a :class:`~odnb.api.client.Client` on one Open Dental office.

    Args:
        profile: a profile name from ``odnb config list`` (None: ``$ODNB_PROFILE``, the config's default,
            else ``"demo"``, the built-in simulator), or a :class:`odnb.api.profiles.Profile`.
        base_url: an ad-hoc server, e.g. ``"http://frontdesk:30223/api/v1"``; without ``profile`` it takes
            no setting from any profile (mode from the URL, tier ``read_all`` unless ``tier`` says otherwise).
        developer_key, customer_key: keys for an ad-hoc server (better: ``ODNB_DEVELOPER_KEY`` /
            ``ODNB_CUSTOMER_KEY`` in the environment, so they never sit in a notebook).
        mode: ``"remote"``, ``"local"`` or ``"service"``, overriding the profile's.
        tier: ``"read_all"`` (1 request / 5 s), ``"paid"`` (1 / s) or ``"enterprise"`` (1 / 0.5 s).
        cache: keep answers in the practice's private cache (requests-cache); False fetches every time.
        session: a ``requests.Session`` to send requests with (tests, proxies).
        progress: estimates and progress bars (None: on unless ``$ODNB_PROGRESS`` is ``0``).
        min_interval: seconds between requests, overriding the tier's pace.
        expire_after: one cache freshness in seconds for every resource.
        options: ``retry`` (``RetryPolicy``) and ``timeouts`` (``Timeouts``) from ``odnb.api.transport``.

    Example:
        >>> od = odnb.connect("demo")                            # doctest: +SKIP
        >>> od = odnb.connect(base_url="http://srv:30223/api/v1")  # doctest: +SKIP
    """
    from odnb.api.client import connect as _connect

    extra = {k: v for k, v in {"mode": mode, "tier": tier, "min_interval": min_interval,
                                "expire_after": expire_after}.items() if v is not None}
    return _connect(profile, base_url=base_url, developer_key=developer_key, customer_key=customer_key,
                    cache=cache, session=session, progress=progress, **extra, **options)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'odnb' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    loaded = importlib.import_module(module)
    return loaded if attribute is None else getattr(loaded, attribute)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
