"""The code stays as agreed: ruff and mypy clean, no import cycles, no module over 400 lines, and the
dependency rules of the README's design map hold."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
IO_MODULES = {
    "os",
    "socket",
    "sqlite3",
    "sqlite_utils",
    "subprocess",
    "threading",
    "serial",
    "evdev",
    "kivy",
    "paho",
    "psycopg",
    "asyncio",
    "select",
    "time",
    "shutil",
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _modules(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def _top(name: str) -> str:
    return name.split(".")[0]


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _project_modules() -> dict[str, Path]:
    return {_module_name(p): p for folder in ("station", "sync") for p in _modules(folder)}


def _edges(path: Path, known: set[str]) -> set[str]:
    """The project modules ``path`` imports, anywhere in it (also inside functions and TYPE_CHECKING):
    ``from a.b import c`` counts as ``a.b.c`` when that is a module, else as ``a.b``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name in known)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                if sub in known:
                    found.add(sub)
                elif node.module in known:
                    found.add(node.module)
    return found


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected set of more than one module (Tarjan), or a module importing itself."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                cycles.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_import_cycles_are_found() -> None:
    """The cycle finder itself: a loop through three modules is one cycle; a chain is none."""
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_import_cycles() -> None:
    modules = _project_modules()
    known = set(modules)
    graph = {name: _edges(path, known) - {name} for name, path in modules.items()}
    assert import_cycles(graph) == [], "modules that import each other (directly or in a loop)"


def test_no_module_over_400_lines() -> None:
    too_long = {
        str(path.relative_to(ROOT)): n
        for path in _modules("station") + _modules("sync")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > 400
    }
    assert too_long == {}, "split these modules: each should be about one thing"


def test_core_is_pure() -> None:
    for path in _modules("station/core"):
        for name in _imports(path):
            assert _top(name) not in IO_MODULES, f"{path.relative_to(ROOT)} imports {name}: core does no I/O"
            if _top(name) == "station":
                assert name.startswith("station.core"), f"{path.relative_to(ROOT)} imports {name}"


def test_sync_never_imports_station() -> None:
    for path in _modules("sync"):
        assert not {n for n in _imports(path) if _top(n) == "station"}, (
            f"{path.relative_to(ROOT)} imports station"
        )


def test_only_ui_imports_kivy_and_devices_labels_stay_below() -> None:
    for path in _modules("station"):
        rel = path.relative_to(ROOT).as_posix()
        names = _imports(path)
        if not rel.startswith("station/ui/"):
            assert not {n for n in names if _top(n) == "kivy"}, f"{rel} imports kivy"
        if rel.startswith(("station/devices/", "station/labels/")):
            bad = {n for n in names if n.startswith(("station.ui", "sync"))}
            assert not bad, f"{rel} imports {bad}"


@pytest.mark.parametrize(
    "command",
    [
        ["ruff", "check", "--quiet", "."],
        ["ruff", "format", "--check", "--quiet", "."],
        ["mypy"],
    ],
    ids=["ruff-check", "ruff-format", "mypy"],
)
def test_linters_clean(command: list[str]) -> None:
    result = subprocess.run([sys.executable, "-m", *command], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
