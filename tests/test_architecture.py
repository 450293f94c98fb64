"""The house runs one way: the import graph of odnb/ (every import, top-level or inside a function) has no
cycle, the rooms depend on each other only in the documented direction, and ``import odnb`` stays cheap."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "odnb"

# Which rooms each room may import (besides itself and the shared leaves). See docs/architecture.md.
LEAVES = {"odnb", "odnb.failures", "odnb.paths", "odnb.periods", "odnb.cli", "odnb.testing"}
ALLOWED: dict[str, set[str]] = {
    "odnb.demo": {"odnb.api.enums"},  # the simulator never imports the client
    "odnb.api": {"odnb.demo"},  # the built-in demo profile starts the embedded simulator
    "odnb.store": {"odnb.api"},
    "odnb.kpis": {"odnb.api", "odnb.store"},
    "odnb.reports": {"odnb.api", "odnb.store", "odnb.kpis"},
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def import_graph() -> dict[str, set[str]]:
    """module -> the odnb modules it imports (``from odnb.x import y`` counts y when y is a module)."""
    files = {module_name(f): f for f in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {m: set() for m in files}
    for mod, path in files.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*up, base] if base else up)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in files else base for a in node.names]
            for target in targets:
                while target and target not in files:  # `import odnb.api.errors` -> the module itself
                    target = target.rpartition(".")[0]
                if target and target != mod:
                    graph[mod].add(target)
    return graph


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every elementary cycle found by depth-first search (enough to name one per strongly connected part)."""
    cycles: list[list[str]] = []
    state: dict[str, int] = {}  # 1 = on the stack, 2 = done

    def visit(node: str, stack: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycles.append([*stack[stack.index(nxt):], nxt])
            elif nxt not in state:
                visit(nxt, [*stack, nxt])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    return cycles


def room(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 and module not in LEAVES else module


def test_the_cycle_finder_finds_a_cycle() -> None:
    assert find_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles() -> None:
    cycles = find_cycles(import_graph())
    assert not cycles, "imports run in circles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_rooms_import_only_downstream() -> None:
    wrong = []
    for mod, targets in import_graph().items():
        here = room(mod)
        if here in LEAVES:
            continue
        for target in targets:
            there = room(target)
            if there in LEAVES or there == here:
                continue
            if there not in ALLOWED.get(here, set()) and target not in ALLOWED.get(here, set()):
                wrong.append(f"{mod} imports {target}")
    assert not wrong, "imports against the data path:\n" + "\n".join(wrong)


@pytest.mark.parametrize("module", ["odnb.failures", "odnb.paths", "odnb.periods"])
def test_shared_leaves_import_no_room(module: str) -> None:
    assert not {t for t in import_graph()[module] if room(t) != t or t not in LEAVES}


def test_import_odnb_is_cheap_and_exposes_its_api() -> None:
    code = ("import sys, odnb; heavy = [m for m in ('pandas', 'requests', 'numpy') if m in sys.modules]; "
            "assert not heavy, heavy; "
            "assert odnb.errors.ODError.__name__ == 'ODError'; "
            "assert callable(odnb.connect) and callable(odnb.kpis.scorecard); "
            "assert odnb.Client.__name__ == 'Client'; print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr
