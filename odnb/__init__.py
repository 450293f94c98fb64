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


def connect(profile: str | None = None, **options: Any) -> Client:
    """Open a :class:`~odnb.api.client.Client` for a named profile (see :func:`odnb.api.client.connect`)."""
    from odnb.api.client import connect as _connect

    return _connect(profile, **options)


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module 'odnb' has no attribute {name!r}")
    module, attribute = _LAZY[name]
    loaded = importlib.import_module(module)
    return loaded if attribute is None else getattr(loaded, attribute)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
