"""The ``odnb`` command line: one sub-command group per module, each registering its own parser.

Example:
    $ odnb demo serve --port 30223
    $ odnb doctor --profile demo
"""

from __future__ import annotations

import argparse
import importlib
import sys

# Sub-command name -> module exposing ``register(subparsers)``; each handler is stored as ``func`` on the
# parsed namespace and returns the process exit code. Modules keep heavy imports inside their handlers.
COMMAND_MODULES: tuple[str, ...] = (
    "odnb.demo.cli",
    "odnb.api.config_cli",
    "odnb.api.doctor",
    "odnb.api.get",
    "odnb.api.query_cli",
    "odnb.store.cli",
    "odnb.reports.run",
    "odnb.reports.schedule",
)


def build_parser() -> argparse.ArgumentParser:
    """The full ``odnb`` argument parser."""
    from odnb import __version__

    parser = argparse.ArgumentParser(prog="odnb", description="Open Dental analytics for Jupyter.")
    parser.add_argument("--version", action="version", version=f"odnb {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # not built yet
                continue
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``odnb`` console script."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:  # a command may say why (e.g. an old option form), else argparse's own message
        explain = getattr(args, "explain_extra", None)
        parser.error((explain(extra, args) if explain else None)
                     or f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # `odnb ... | head` closed the pipe: not an error worth a traceback
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    sys.exit(main())
