"""Runs the station app and plays a scenario into it the way a person does: wedge scans typed as key events
into the window, taps as touch events on the buttons. Writes what the screen showed after each step.

Usage (by tests/fixtures_ui.py): python tests/ui_driver.py SCENARIO.json RESULTS.json
Steps: {"scan": TEXT}, {"tap": BUTTON_TEXT, "outcome": true|false}, {"screenshot": PATH},
{"size": [W, H]}, {"screen": NAME}, {"pause": SECONDS}, {"write_file": PATH, "text": TEXT},
{"wait_printed": N, "timeout": SECONDS} (N label.printed events in the database); any step may carry
{"expect_feedback": TEXT}.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from station.runtime.config import load_config
from station.ui.main import configure_kivy, ui_scanners

STEP_TIMEOUT_S = 10.0


def main() -> None:
    scenario = json.loads(Path(sys.argv[1]).read_text())
    results_path = Path(sys.argv[2])
    width, height = scenario["size"]

    configure_kivy((width, height))
    from kivy.base import EventLoop
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.tests.common import UnitTestTouch
    from kivy.uix.button import ButtonBehavior

    from station.devices.scanners.wedge import WedgeScanner
    from station.runtime.service import Station
    from station.ui.app import StationApp

    config = load_config()
    station = Station(config.with_overrides(scanners=ui_scanners(config.scanners)))
    wedge = next(r for r in station.readers if isinstance(r, WedgeScanner))
    app = StationApp(station, wedge)
    views: list[Any] = []
    app.view_listeners.append(views.append)
    record: dict[str, Any] = {
        "steps": [],
        "scans": 0,
        "taps": 0,
        "feedback_ms": [],
        "commit_ms": [],
        "draw_ms": [],
    }

    def find_button(text: str) -> Any:
        for widget in app.root.walk():
            usable = widget.get_root_window() is not None and not widget.disabled and widget.opacity > 0
            if isinstance(widget, ButtonBehavior) and getattr(widget, "text", None) == text and usable:
                return widget
        raise AssertionError(f"no enabled button {text!r} on screen {app.shell.ids.screens.current!r}")

    def wait_for_view(count: int) -> None:
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while len(views) <= count:
            if time.monotonic() > deadline:
                raise AssertionError("the screen was not updated within 10 s")
            EventLoop.idle()

    def snapshot() -> dict[str, Any]:
        shell = app.shell
        return {
            "screen": shell.ids.screens.current,
            "feedback": shell.feedback_text,
            "detail": shell.feedback_detail,
            "prompt": shell.prompt_text,
            "colour": list(shell.feedback_colour),
            "operator": shell.operator_text,
            "printer": shell.printer_text,
            "sync": shell.sync_text,
            "scanners": shell.scanner_text,
            "nav": [b.text for b in reversed(shell.ids.nav.children)],
        }

    def idle_for(seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            EventLoop.idle()

    def printed() -> int:
        conn = sqlite3.connect(config.db_path)
        try:
            return int(conn.execute("SELECT count(*) FROM events WHERE type = 'label.printed'").fetchone()[0])
        finally:
            conn.close()

    def rss_mb(pid: int | str = "self") -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def helpers_rss_mb() -> float:
        """The station's helper processes (the label preview drawer)."""
        return sum(rss_mb(p.pid) for p in multiprocessing.active_children() if p.pid is not None)

    def play(_dt: float) -> None:
        spawned = os.environ.get("UI_SPAWNED_NS")
        if spawned:  # the benchmark's cold start: process start to the first frame, ready for a scan
            record["ready_s"] = (time.time_ns() - int(spawned)) / 1e9
        rss_every = scenario.get("rss_every", 0)
        record["rss_mb"] = []
        record["helpers_rss_mb"] = []
        try:
            for step in scenario["steps"]:
                before = len(views)
                if "scan" in step:
                    t0 = time.monotonic_ns()
                    for char in step["scan"]:
                        if char == "\x1d":
                            Window.dispatch("on_key_down", 93, 0, None, ["ctrl"])
                        else:
                            Window.dispatch("on_textinput", char)
                    Window.dispatch("on_key_down", 13, 40, None, [])
                    record["scans"] += 1
                    wait_for_view(before)
                    shown = time.monotonic_ns()
                    record["feedback_ms"].append((shown - t0) / 1e6)
                    outcome = views[-1].outcome
                    if outcome is not None:  # where the time went: to the commit, then to the screen
                        record["commit_ms"].append((outcome.committed_ns - t0) / 1e6)
                        record["draw_ms"].append((shown - outcome.committed_ns) / 1e6)
                    if rss_every and record["scans"] % rss_every == 0:
                        record["rss_mb"].append(rss_mb())
                        record["helpers_rss_mb"].append(helpers_rss_mb())
                elif "tap" in step:
                    button = find_button(step["tap"])
                    x, y = button.to_window(*button.center)
                    touch = UnitTestTouch(x, y)
                    touch.touch_down()
                    touch.touch_up()
                    record["taps"] += 1
                    if step.get("outcome", True):
                        wait_for_view(before)
                elif "size" in step:
                    Window.size = tuple(step["size"])
                    for _ in range(5):
                        EventLoop.idle()
                elif "pause" in step:
                    idle_for(step["pause"])
                elif "write_file" in step:
                    Path(step["write_file"]).write_text(step["text"])
                elif "wait_printed" in step:
                    deadline = time.monotonic() + step.get("timeout", 20)
                    while printed() < step["wait_printed"]:
                        if time.monotonic() > deadline:
                            raise AssertionError(
                                f"{printed()} labels printed, expected {step['wait_printed']}"
                            )
                        idle_for(0.1)
                elif "screen" in step:
                    app.show_screen(step["screen"])
                    EventLoop.idle()
                elif "screenshot" in step:
                    for _ in range(3):
                        EventLoop.idle()
                    path = Path(step["screenshot"])
                    path.parent.mkdir(parents=True, exist_ok=True)
                    Window.screenshot(name=str(path))
                    produced = sorted(
                        path.parent.glob(path.stem + "*" + path.suffix), key=lambda p: p.stat().st_mtime
                    )
                    if produced and produced[-1] != path:
                        produced[-1].replace(path)
                if not scenario.get("quiet"):
                    record["steps"].append({"step": step, **snapshot()})
                if "expect_feedback" in step:
                    assert step["expect_feedback"] in app.shell.feedback_text, app.shell.feedback_text
        except BaseException as exc:  # report, then stop the app
            record["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            station.wait_idle()
            record["labels_pending"] = station.drain_prints(timeout=10)
            results_path.write_text(json.dumps(record, indent=1))
            app.stop()

    Clock.schedule_once(play, 0.5)
    app.run()
    if "error" in record:
        print(record["error"], file=sys.stderr)
        sys.exit(1)


if __name__ == "__main__":
    try:
        main()
    except Exception as exc:  # Kivy may have taken over stderr: leave the reason where the test looks
        Path(sys.argv[2]).write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
        raise
