"""The code stays as agreed: ruff and mypy clean, and the dependency rules of ARCHITECTURE.md hold."""

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
