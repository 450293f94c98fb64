"""Notebook outputs never reach git: the Jupyter server config that `make lab` ships strips notebooks saved
in the repository's notebook folders (checked through a real server's contents REST API), and the git
filter that `make install` sets stores notebooks without outputs."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SECRET = "Sarah Wilson"


def notebook_with_outputs() -> dict:
    return {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            {"cell_type": "markdown", "id": "m1", "metadata": {}, "source": "# Huddle"},
            {"cell_type": "code", "id": "c1", "metadata": {"execution": {"iopub.status.idle": "now"}},
             "execution_count": 7, "source": "patients",
             "outputs": [{"output_type": "execute_result", "execution_count": 7, "metadata": {},
                          "data": {"text/plain": f"0    {SECRET}", "text/html": f"<td>{SECRET}</td>"}},
                         {"output_type": "stream", "name": "stdout", "text": f"{SECRET}\n"}]},
        ],
    }


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab_repo(tmp_path_factory: pytest.TempPathFactory):
    """A repository-shaped folder with the shipped server config, served by a real Jupyter server."""
    root = tmp_path_factory.mktemp("repo")
    (root / ".jupyter").mkdir()
    shutil.copy(REPO / ".jupyter" / "jupyter_server_config.py", root / ".jupyter")
    (root / "odnb" / "notebooks").mkdir(parents=True)
    (root / "notebooks").symlink_to("odnb/notebooks")
    (root / "scratch").mkdir()
    port, token = free_port(), "odnb-test-token"
    env = {**os.environ, "JUPYTER_CONFIG_DIR": str(root / "jupyter-home"),
           "JUPYTER_RUNTIME_DIR": str(root / "runtime"), "JUPYTER_DATA_DIR": str(root / "data")}
    args = [sys.executable, "-m", "jupyter_server", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
            f"--ServerApp.root_dir={root}", f"--IdentityProvider.token={token}",
            f"--config={root / '.jupyter' / 'jupyter_server_config.py'}", "--ServerApp.port_retries=0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        args.append("--allow-root")
    log = (root / "server.log").open("wb")
    proc = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=root)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2).read()
            break
        except (urllib.error.URLError, ConnectionError):
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                pytest.fail("Jupyter server did not start:\n" + (root / "server.log").read_text())
            time.sleep(0.2)
    try:
        yield root, base, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def save(base: str, token: str, path: str, nb: dict) -> dict:
    body = json.dumps({"type": "notebook", "format": "json", "content": nb}).encode()
    request = urllib.request.Request(f"{base}/api/contents/{path}", data=body, method="PUT",
                                     headers={"Authorization": f"token {token}",
                                              "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status in (200, 201)
        return json.load(response)


@pytest.mark.slow
@pytest.mark.parametrize("where", ["notebooks/huddle.ipynb", "odnb/notebooks/huddle2.ipynb"])
def test_lab_saves_repository_notebooks_without_outputs(lab_repo, where: str) -> None:
    root, base, token = lab_repo
    save(base, token, where, notebook_with_outputs())
    text = (root / where).read_text()
    assert SECRET not in text
    saved = json.loads(text)
    code = [c for c in saved["cells"] if c["cell_type"] == "code"]
    assert code and all(c["outputs"] == [] and c["execution_count"] is None for c in code)
    assert "".join(code[0]["source"]) == "patients" and "execution" not in code[0]["metadata"]
    assert "".join(saved["cells"][0]["source"]) == "# Huddle"  # the notebook itself is kept


@pytest.mark.slow
def test_lab_leaves_notebooks_outside_the_notebook_folders_alone(lab_repo) -> None:
    root, base, token = lab_repo
    save(base, token, "scratch/mine.ipynb", notebook_with_outputs())
    assert SECRET in (root / "scratch" / "mine.ipynb").read_text()  # the hook is selective, not broken


def git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True,
                          text=True).stdout


def test_git_add_stores_notebooks_without_outputs(tmp_path: Path) -> None:
    """What `make install` does in a fresh clone: the tracked .gitattributes plus the local filter."""
    repo = tmp_path / "clone"
    repo.mkdir()
    git(repo, "init", "-q")
    shutil.copy(REPO / ".gitattributes", repo / ".gitattributes")
    out = subprocess.run([sys.executable, "-m", "odnb.lab", "install-git-filter", str(repo)],
                         capture_output=True, text=True, check=True)
    assert "without outputs" in out.stdout
    (repo / "odnb" / "notebooks").mkdir(parents=True)
    target = repo / "odnb" / "notebooks" / "huddle.ipynb"
    target.write_text(json.dumps(notebook_with_outputs(), indent=1))
    git(repo, "add", ".")
    stored = git(repo, "show", ":odnb/notebooks/huddle.ipynb")
    assert SECRET not in stored
    cells = json.loads(stored)["cells"]
    assert [c["id"] for c in cells] == ["m1", "c1"] and cells[1]["outputs"] == []
    assert SECRET in target.read_text()  # the working file is untouched; only what git stores is clean


def test_this_clone_filters_notebooks() -> None:
    """The checkout under test (CI: a fresh clone after `make install`) routes notebooks via the filter."""
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    assert git(REPO, "ls-files", ".gitattributes").strip() == ".gitattributes"
    attr = git(REPO, "check-attr", "filter", "odnb/notebooks/morning_huddle.ipynb", "notebooks/x.ipynb")
    assert attr.count("filter: nbstripout") == 2, attr
    clean = subprocess.run(["git", "-C", str(REPO), "config", "--local", "filter.nbstripout.clean"],
                           capture_output=True, text=True)
    assert "nbstripout" in clean.stdout, "run `make install` (it sets the notebook filter in .git/config)"


def test_committed_notebooks_have_no_outputs() -> None:
    for path in [*REPO.glob("odnb/notebooks/*.ipynb"), *REPO.glob("tests/notebooks/*.ipynb")]:
        nb = json.loads(path.read_text())
        dirty = [c.get("id") for c in nb["cells"] if c.get("outputs") or c.get("execution_count")]
        assert not dirty, f"{path.name} has outputs in cells {dirty}"
