"""The curated notebooks as committed: no outputs, a tagged parameters cell with safe defaults and no
secrets, and the one patient-listing notebook says so at the top. (nbval runs them: see pyproject.)"""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest

NOTEBOOKS = sorted((Path(__file__).parent.parent / "notebooks").glob("*.ipynb"))
SECRET_WORDS = ("key", "password", "token", "secret")


def test_the_three_curated_notebooks_exist() -> None:
    assert {p.stem for p in NOTEBOOKS} == {"practice_kpis", "connection_diagnostics", "morning_huddle"}


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, cell.source[:60]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_parameters_cell_is_tagged_safe_and_secret_free(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    names = {}
    for node in ast.parse(tagged[0].source).body:
        assert isinstance(node, ast.Assign), "the parameters cell only assigns literals"
        names[node.targets[0].id] = ast.literal_eval(node.value)
    assert names["profile"] == "demo"
    assert not [n for n in names if any(word in n.lower() for word in SECRET_WORDS)]
    if "start" in names:  # empty dates mean the last full month
        assert names["start"] == names["end"] == ""


def test_only_the_huddle_lists_patients_and_it_says_so() -> None:
    for path in NOTEBOOKS:
        first = nbformat.read(path, as_version=4).cells[0].source
        lists_patients = "lists patients" in first
        assert lists_patients == (path.stem == "morning_huddle"), path.stem
