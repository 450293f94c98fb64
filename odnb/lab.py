"""Keep notebook outputs (they can hold patient names) out of the repository.

Two guards, both set up by ``make install`` / ``make lab``:

- a Jupyter ``pre_save_hook`` (shipped in ``.jupyter/jupyter_server_config.py``, which ``make lab`` passes
  to JupyterLab): a notebook saved inside the repository's notebook folders is written without outputs or
  execution counts. The outputs stay on screen; only the file on disk is clean.
- a git clean filter (``nbstripout``, set in the clone's own ``.git/config`` by
  ``python -m odnb.lab install-git-filter``; ``.gitattributes`` routes every ``*.ipynb`` through it): what
  ``git add`` stores has no outputs, whatever saved the file.

Example:
    >>> nb = {"cells": [{"cell_type": "code", "source": "1", "outputs": [{"output_type": "stream"}],
    ...                  "execution_count": 3, "metadata": {}}], "metadata": {}}
    >>> strip_outputs(nb)["cells"][0]["outputs"], nb["cells"][0]["execution_count"]
    ([], None)
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

GIT_FILTER = "nbstripout"
# Cell metadata Jupyter writes while running: who ran what, and when.
RUN_METADATA = ("execution", "ExecuteTime", "collapsed", "scrolled")


def strip_outputs(nb: dict[str, Any]) -> dict[str, Any]:
    """Remove outputs, execution counts and run metadata from a notebook (JSON dict), in place; return it."""
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "code":
            cell["outputs"] = []
            cell["execution_count"] = None
        for key in RUN_METADATA:
            cell.get("metadata", {}).pop(key, None)
    nb.get("metadata", {}).pop("widgets", None)  # widget state carries the data the widgets showed
    return nb


def output_stripping_hook(*folders: str | Path) -> Callable[..., None]:
    """A Jupyter ``ContentsManager.pre_save_hook`` that strips notebooks saved under any of ``folders``.

    Paths are compared after resolving links, so ``notebooks/x.ipynb`` (a link to ``odnb/notebooks/``)
    counts as inside ``odnb/notebooks``.
    """
    roots = [Path(f).resolve() for f in folders]

    def hook(model: dict[str, Any], path: str, contents_manager: Any, **_: Any) -> None:
        if model.get("type") != "notebook" or not isinstance(model.get("content"), dict):
            return
        os_path = Path(contents_manager._get_os_path(path)).resolve()
        if any(os_path.is_relative_to(root) for root in roots):
            strip_outputs(model["content"])

    hook.__name__ = "odnb_strip_outputs"  # Jupyter names the hook in its log
    return hook


def install_git_filter(repo: str | Path = ".", python: str | None = None) -> str:
    """Point the clone's ``filter.nbstripout`` at this Python's nbstripout (repository-local git config).

    ``required`` makes ``git add`` fail loudly if the filter cannot run, rather than store outputs.
    Returns the clean command.
    """
    exe = python or sys.executable
    clean = f"'{exe}' -m nbstripout --keep-id"
    settings = {
        f"filter.{GIT_FILTER}.clean": clean,
        f"filter.{GIT_FILTER}.smudge": "cat",
        f"filter.{GIT_FILTER}.required": "true",
        "diff.ipynb.textconv": f"'{exe}' -m nbstripout --keep-id -t",
    }
    for key, value in settings.items():
        subprocess.run(["git", "-C", str(repo), "config", "--local", key, value], check=True)
    return clean


def main(argv: list[str] | None = None) -> int:
    """``python -m odnb.lab install-git-filter [REPO]``: what ``make install`` runs in a clone."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] != "install-git-filter":
        print("usage: python -m odnb.lab install-git-filter [REPO]", file=sys.stderr)
        return 2
    repo = args[1] if len(args) > 1 else "."
    inside = subprocess.run(["git", "-C", repo, "rev-parse", "--git-dir"], capture_output=True, text=True)
    if inside.returncode != 0:
        print(f"{repo} is not a git clone: no notebook filter to install.")
        return 0
    install_git_filter(repo)
    print("git: notebooks are stored without outputs (filter nbstripout in .git/config)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
