"""A wheel built from the repository carries the curated notebooks and the report template: installed in a
fresh virtualenv (its dependencies borrowed from the test environment, odnb itself only from the wheel), it
runs ``odnb report practice_kpis --profile demo`` from a folder far from the source tree."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(REPO)],
                   check=True, timeout=300)
    (found,) = out.glob("odnb-*.whl")
    return found


def test_wheel_holds_notebooks_and_templates(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for nb in ("practice_kpis", "connection_diagnostics", "morning_huddle"):
        assert f"odnb/notebooks/{nb}.ipynb" in names
    assert "odnb/reports/templates/odnb_email/index.html.j2" in names
    assert not [n for n in names if n.startswith(("tests/", "bench/"))]


@pytest.mark.slow
def test_wheel_install_renders_the_kpi_report(wheel: Path, tmp_path: Path, isolated_home: Path) -> None:
    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    site = Path(subprocess.run([str(python), "-c", purelib], capture_output=True, text=True,
                               check=True).stdout.strip())
    # odnb from the wheel only; its dependencies from this environment (appended after, so they cannot
    # shadow it; the .pth lines of this environment, such as an editable odnb, are not processed there)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(site),
                    str(wheel)], check=True, timeout=300)
    (site / "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run([str(python), "-m", "ipykernel", "install", "--sys-prefix", "--name", "python3"],
                   check=True, capture_output=True, timeout=120)
    # nbconvert's own templates are data files of the borrowed environment (share/jupyter), not of a package
    share = venv / "share" / "jupyter"
    share.mkdir(parents=True, exist_ok=True)
    (share / "nbconvert").symlink_to(Path(sys.prefix) / "share" / "jupyter" / "nbconvert")
    env = {**os.environ, "PYTHONPATH": "", "ODNB_PROGRESS": "0"}
    where = subprocess.run([str(python), "-c", "import odnb; print(odnb.__file__)"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert Path(where).is_relative_to(site), where

    run = subprocess.run([str(python), "-m", "odnb", "report", "practice_kpis", "--profile", "demo"],
                         cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    html = Path(run.stdout.strip().splitlines()[-1])
    assert html.suffix == ".html" and html.is_file()
    page = html.read_text()
    assert "Gross production" in page and "<script" not in page
