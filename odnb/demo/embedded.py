"""The process-wide demo simulator: one DemoServer over the cached demo practice, started on first use on a
free loopback port, stopped when the interpreter exits. The built-in ``demo`` profile points here.

Example:
    >>> from odnb.demo.embedded import embedded_server
    >>> server = embedded_server()          # doctest: +SKIP
    >>> server.base_url                     # doctest: +SKIP
    'http://127.0.0.1:53117/api/v1'
"""

from __future__ import annotations

import atexit
import threading

from odnb.demo.server import DemoServer, SimulatorConfig

_lock = threading.Lock()
_server: DemoServer | None = None


def embedded_server(config: SimulatorConfig | None = None) -> DemoServer:
    """The running process-wide simulator (service mode unless ``config`` says otherwise).

    ``config`` only matters on the first call; later calls return the same server. Call
    :func:`stop_embedded_server` first to restart it with another configuration.
    """
    global _server
    with _lock:
        if _server is None or not _server.running:
            from odnb.demo.practice import demo_database

            _server = DemoServer(demo_database(), config).start()
        return _server


def stop_embedded_server() -> None:
    """Stop the process-wide simulator if it runs (also registered with atexit)."""
    global _server
    with _lock:
        server, _server = _server, None
    if server is not None:
        server.stop()


atexit.register(stop_embedded_server)
