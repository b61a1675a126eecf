"""The Kivy app under a real X server (Xvfb with Mesa), driven in a subprocess by tests/ui_driver.py."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.system_packages import ensure, ensure_debs

DRIVER = Path(__file__).parent / "ui_driver.py"
#: The committed screenshots (README); tests write theirs to a temporary folder unless this is set.
SCREENSHOTS = Path(__file__).parent / "screenshots"
REGENERATE_ENV = "STATION_REGENERATE_SCREENSHOTS"


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    """Where a test's screenshots go: a temporary folder, or tests/screenshots when regenerating them
    (``python -m tests.screenshots``)."""
    if os.environ.get(REGENERATE_ENV) == "1":
        return SCREENSHOTS
    folder = tmp_path / "screenshots"
    folder.mkdir()
    return folder


@pytest.fixture(scope="session")
def xvfb_display() -> Iterator[str]:
    paths = ensure("Xvfb")
    ensure_debs("libgl1-mesa-dri", "libgl1", "libegl1")
    for number in range(90, 140):
        if not Path(f"/tmp/.X11-unix/X{number}").exists() and not Path(f"/tmp/.X{number}-lock").exists():
            break
    display = f":{number}"
    proc = subprocess.Popen(
        [paths["Xvfb"], display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not Path(f"/tmp/.X11-unix/X{number}").exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"Xvfb did not start on {display}")
        time.sleep(0.05)
    yield display
    proc.terminate()
    proc.wait(10)


RunUI = Callable[..., dict[str, Any]]


@pytest.fixture
def run_ui(xvfb_display: str, tmp_path: Path) -> RunUI:
    """Run a scenario (list of steps) in the app; returns the driver's results (views, counts)."""

    def run(
        steps: list[dict[str, Any]],
        *,
        data_dir: Path | None = None,
        config: str = "",
        size: tuple[int, int] = (800, 480),
        timeout: float = 120,
        options: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        data = data_dir or tmp_path / "data"
        scenario = tmp_path / "scenario.json"
        results = tmp_path / "results.json"
        fixed = os.environ.get(REGENERATE_ENV) == "1"  # committed screenshots: a fixed clock and disk
        scenario.write_text(
            json.dumps({"steps": steps, "size": list(size), "fixed": fixed, **(options or {})})
        )
        cfg = tmp_path / "station.toml"
        cfg.write_text(f'data_dir = "{data}"\n' + config)  # top-level keys before any [table]
        env = dict(
            os.environ,
            DISPLAY=xvfb_display,
            KIVY_HOME=str(tmp_path / "kivy"),
            KIVY_NO_ARGS="1",
            KIVY_NO_CONSOLELOG="1",
            SDL_AUDIODRIVER="dummy",
            STATION_CONFIG=str(cfg),
            UI_SPAWNED_NS=str(time.time_ns()),
        )
        proc = subprocess.run(
            [sys.executable, str(DRIVER), str(scenario), str(results)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        record = json.loads(results.read_text()) if results.exists() else {}
        assert proc.returncode == 0, record.get("error") or (proc.stdout[-3000:] + proc.stderr[-5000:])
        return record

    return run
