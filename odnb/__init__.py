"""odnb: Open Dental analytics for Jupyter.

Example:
    >>> import odnb
    >>> od = odnb.connect("demo")                      # doctest: +SKIP
    >>> od.appointments("2026-01-01", "2026-03-31")    # doctest: +SKIP
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = ["Client", "__version__", "connect"]

if TYPE_CHECKING:
    from odnb.client import Client


def connect(profile: str | None = None, **options: Any) -> Client:
    """Open a :class:`~odnb.client.Client` for a named profile (see :func:`odnb.client.connect`)."""
    from odnb.client import connect as _connect

    return _connect(profile, **options)


def __getattr__(name: str) -> Any:
    if name == "Client":
        from odnb.client import Client

        return Client
    raise AttributeError(name)
