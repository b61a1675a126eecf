"""Runs the station app and plays a scenario into it the way a person does: wedge scans typed as key events
into the window, taps as touch events on the buttons. Writes what the screen showed after each step.

Usage (by tests/fixtures_ui.py): python tests/ui_driver.py SCENARIO.json RESULTS.json
Steps: {"scan": TEXT}, {"tap": BUTTON_TEXT or [PARTS OF IT], "outcome": true|false} (waits up to 10 s for
the button), {"key_in": TEXT} (typed on the on-screen keyboard), {"screenshot": PATH}, {"size": [W, H]},
{"screen": NAME}, {"pause": SECONDS},
{"write_file": PATH, "text": TEXT}, {"wait_printed": N, "timeout": SECONDS} (N label.printed events in the
database), {"wait_for": {SNAPSHOT_KEY: VALUE}, "timeout": SECONDS} (records "waited_s"), {"layout": true}
(records the layout problems on screen: text larger than its widget, widgets overlapping); any step may
carry {"expect_feedback": TEXT}. Scenario options: "kiosk" (fullscreen on the whole display), "quiet".
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


def _shown(widget: Any) -> bool:
    """On screen: in the window, visible, with an area (hidden panels have opacity 0 or no size)."""
    node = widget
    while node is not None and node is not node.parent:
        if node.opacity == 0:
            return False
        node = node.parent
    return widget.width > 1 and widget.height > 1 and widget.get_root_window() is not None


def layout_problems(widgets: list[Any]) -> list[str]:
    """Text larger than its widget (a Label's texture beyond its size), and sibling widgets in a layout
    that overlap (widgets of a scrolled list are clipped by the list, so only their text is checked)."""
    from kivy.uix.label import Label
    from kivy.uix.layout import Layout

    problems = []
    for widget in widgets:
        if not _shown(widget):
            continue
        if isinstance(widget, Label) and widget.text:
            tw, th = _needed(widget)
            if tw > widget.width + 1 or th > widget.height + 1:
                problems.append(
                    f"text overflows: {widget.text[:60]!r} needs {tw:.0f}x{th:.0f}, "
                    f"has {widget.width:.0f}x{widget.height:.0f}"
                )
        if isinstance(widget, Layout):
            kids = [c for c in widget.children if _shown(c)]
            for i, a in enumerate(kids):
                for b in kids[i + 1 :]:
                    if a.collide_widget(b) and _overlap(a, b) > 1:
                        what = (getattr(a, "text", type(a).__name__), getattr(b, "text", type(b).__name__))
                        problems.append(f"overlap: {what[0][:40]!r} and {what[1][:40]!r}")
    return problems


def _needed(label: Any) -> tuple[float, float]:
    """The size ``label``'s text takes when its height is not cut to the widget's: a Label whose
    ``text_size`` is its own size clips what does not fit, so its texture never shows the overflow."""
    options = {name: getattr(label, name) for name in label._font_properties}
    options["usersize"] = options["text_size"] = (label.text_size[0], None)
    core = type(label._label)(**options)
    core.refresh()
    return tuple(core.texture.size) if core.texture is not None else (0.0, 0.0)  # type: ignore[return-value]


def _overlap(a: Any, b: Any) -> float:
    """The smaller side of the two widgets' intersection, in pixels."""
    w = min(a.right, b.right) - max(a.x, b.x)
    h = min(a.top, b.top) - max(a.y, b.y)
    return min(w, h)


#: The committed screenshots' clock: 2026-03-02 09:41 UTC (synchronized), and a disk with 12.3 GB free.
FIXED_WALL_MS = 1_772_444_460_000
FIXED_FREE_BYTES = 12_300_000_000


def _fix_clock_and_disk(db_path: Path) -> None:
    """Fixed figures for screenshots that are committed: the same date on every label and Reprint row
    (also of the labels a headless run made before), the same disk."""
    import shutil
    from collections import namedtuple

    from station.runtime import clock
    from station.store import print_jobs

    def fixed(self: clock.SystemClock) -> clock.ClockReading:
        return clock.ClockReading(FIXED_WALL_MS, time.monotonic_ns(), self.boot_id, True)

    clock.SystemClock.__call__ = fixed  # type: ignore[method-assign]
    print_jobs._now = lambda: FIXED_WALL_MS // 1000  # the Reprint rows' times
    if db_path.exists():
        with sqlite3.connect(db_path) as conn:
            conn.execute("UPDATE print_jobs SET created_at = ?", (FIXED_WALL_MS // 1000,))
        conn.close()
    os.environ["TZ"] = "UTC"
    time.tzset()
    usage = namedtuple("usage", "total used free")
    shutil.disk_usage = lambda _path: usage(32_000_000_000, 19_700_000_000, FIXED_FREE_BYTES)  # type: ignore[assignment]


def main() -> None:
    scenario = json.loads(Path(sys.argv[1]).read_text())
    results_path = Path(sys.argv[2])
    width, height = scenario["size"]

    configure_kivy((width, height), kiosk=bool(scenario.get("kiosk")))
    from kivy.base import EventLoop
    from kivy.clock import Clock
    from kivy.core.window import Window
    from kivy.graphics.opengl import GL_RGBA, GL_UNSIGNED_BYTE, glReadPixels
    from kivy.tests.common import UnitTestTouch
    from kivy.uix.behaviors import ButtonBehavior, ToggleButtonBehavior
    from kivy.uix.label import Label
    from kivy.uix.scrollview import ScrollView

    from station.devices.scanners.wedge import WedgeScanner
    from station.runtime.service import Station
    from station.ui.app import StationApp

    config = load_config()
    if scenario.get("fixed"):
        _fix_clock_and_disk(config.db_path)
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

    def on_screen() -> list[Any]:
        """Every widget in the window, the on-screen keyboard's too."""
        return [w for root in Window.children for w in root.walk()]

    def find_button(text: str | list[str]) -> Any:
        """The enabled button with this text, or (a list) whose text holds every one of these parts."""
        for widget in on_screen():
            usable = widget.get_root_window() is not None and not widget.disabled and widget.opacity > 0
            label = getattr(widget, "text", None)
            fits = (
                label == text
                if isinstance(text, str)
                else isinstance(label, str) and all(part in label for part in text)
            )
            if isinstance(widget, ButtonBehavior) and fits and usable:
                return widget
        raise AssertionError(f"no enabled button {text!r} on screen {app.shell.ids.screens.current!r}")

    def press(button: Any) -> None:
        for _ in range(2):  # a frame for what the last tap changed (a keyboard closing)
            EventLoop.idle()
        x, y = button.to_window(*button.center)
        touch = UnitTestTouch(x, y)
        touch.touch_down()
        touch.touch_up()

    def wait_for_view(count: int) -> None:
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while len(views) <= count:
            if time.monotonic() > deadline:
                raise AssertionError("the screen was not updated within 10 s")
            EventLoop.idle()

    def snapshot() -> dict[str, Any]:
        shell = app.shell
        screen = shell.ids.screens.current_screen
        return {
            "window": list(Window.size),
            "compact": app.compact,
            "selected": [
                w.text
                for w in screen.walk(restrict=True)
                if isinstance(w, ToggleButtonBehavior) and w.state == "down" and not w.disabled
            ],
            "rows": visible_rows(screen),
            "texts": "\n".join(
                w.text for w in screen.walk(restrict=True) if isinstance(w, Label) and _shown(w)
            ),
            "buttons": [
                w.text for w in on_screen() if isinstance(w, ButtonBehavior) and _shown(w) and not w.disabled
            ],
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

    def visible_rows(screen: Any) -> dict[str, list[str]]:
        """The rows of each list on the screen: those in view without scrolling, and those not."""
        shown: list[str] = []
        hidden: list[str] = []
        for view in (w for w in screen.walk(restrict=True) if isinstance(w, ScrollView)):
            _x, y = view.to_window(view.x, view.y)
            for row in view.children[0].children[::-1] if view.children else []:
                _rx, ry = row.to_window(row.x, row.y)
                inside = ry >= y - 1 and ry + row.height <= y + view.height + 1
                (shown if inside else hidden).append(getattr(row, "text", ""))
        return {"shown": shown, "hidden": hidden}

    def button_in_time(text: str | list[str]) -> Any:
        """The button, once it is on screen (a list refreshed by the status thread comes a poll later)."""
        deadline = time.monotonic() + STEP_TIMEOUT_S
        while True:
            try:
                return find_button(text)
            except AssertionError:
                if time.monotonic() > deadline:
                    raise
                idle_for(0.05)

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

    def drawn(outside_loop: bool = False) -> int:
        """When the frame showing the last change is on screen: drawn, swapped, and read back (a pixel
        read waits for the renderer to finish). A change made outside the loop's frame (a baseline) is
        drawn by the next frame; a view arrives inside one, drawn at its end unless more is left."""
        if outside_loop:
            EventLoop.idle()
        while Window.canvas.needs_redraw:
            EventLoop.idle()
        glReadPixels(0, 0, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE)
        return time.monotonic_ns()

    def first_frame(*_args: Any) -> None:
        """The cold start ends with the station's first frame on screen (read back), ready for a scan."""
        spawned = os.environ.get("UI_SPAWNED_NS")
        if spawned and "ready_s" not in record and app.shell is not None:
            glReadPixels(0, 0, 1, 1, GL_RGBA, GL_UNSIGNED_BYTE)
            record["ready_s"] = (time.time_ns() - int(spawned)) / 1e9

    def baselines(count: int, text: str) -> None:
        """The same renderer without the station: a frame after a text change, and typed keys caught by a
        bare window handler that shows them, each until drawn."""
        bar = app.shell
        for i in range(count):
            bar.feedback_detail = f"frame {i}"
            t0 = time.monotonic_ns()
            record["frame_ms"].append((drawn(outside_loop=True) - t0) / 1e6)
        typed: list[str] = []

        def on_text(_window: Any, char: str) -> bool:
            typed.append(char)
            return True

        def on_key(_window: Any, key: int, *_args: Any) -> bool:
            if key == 13:
                bar.feedback_detail = "".join(typed)
                typed.clear()
            return True

        Window.fbind("on_textinput", on_text)
        Window.fbind("on_key_down", on_key)
        try:
            for _ in range(count):
                t0 = time.monotonic_ns()
                for char in text:
                    Window.dispatch("on_textinput", char)
                Window.dispatch("on_key_down", 13, 40, None, [])
                record["key_ms"].append((drawn(outside_loop=True) - t0) / 1e6)
        finally:
            Window.funbind("on_textinput", on_text)
            Window.funbind("on_key_down", on_key)

    def play(_dt: float) -> None:
        record["frame_ms"], record["key_ms"] = [], []
        rss_every = scenario.get("rss_every", 0)
        record["rss_mb"] = []
        record["helpers_rss_mb"] = []
        at = ""  # the step being played, for the error
        try:
            for number, step in enumerate(scenario["steps"]):
                at = f"step {number} {step}: "
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
                    shown = drawn()
                    record["feedback_ms"].append((shown - t0) / 1e6)
                    outcome = views[-1].outcome
                    if outcome is not None:  # where the time went: to the commit, then to the screen
                        record["commit_ms"].append((outcome.committed_ns - t0) / 1e6)
                        record["draw_ms"].append((shown - outcome.committed_ns) / 1e6)
                    if rss_every and record["scans"] % rss_every == 0:
                        record["rss_mb"].append(rss_mb())
                        record["helpers_rss_mb"].append(helpers_rss_mb())
                elif "tap" in step:
                    press(button_in_time(step["tap"]))
                    record["taps"] += 1
                    if step.get("outcome", True):
                        wait_for_view(before)
                elif "baseline" in step:
                    baselines(step["baseline"], step["text"])
                elif "key_in" in step:
                    for key in ["Type code", *step["key_in"], "Enter"]:
                        press(find_button(key))
                        EventLoop.idle()
                    record["taps"] += 1
                    wait_for_view(before)
                elif "wait_for" in step:
                    started = time.monotonic()
                    deadline = started + step.get("timeout", 10)
                    while any(snapshot()[k] != v for k, v in step["wait_for"].items()):
                        if time.monotonic() > deadline:
                            raise AssertionError(f"not {step['wait_for']} in time: {snapshot()}")
                        idle_for(0.05)
                    record["waited_s"] = time.monotonic() - started
                elif "layout" in step:
                    for _ in range(3):
                        EventLoop.idle()
                    where = app.shell.ids.screens.current
                    problems = layout_problems(on_screen())
                    record.setdefault("layout", []).extend(f"{where}: {p}" for p in problems)
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
            record["error"] = f"{at}{type(exc).__name__}: {exc}"
        finally:
            station.wait_idle()
            record["labels_pending"] = station.drain_prints(timeout=10)
            results_path.write_text(json.dumps(record, indent=1))
            app.stop()

    Window.bind(on_flip=first_frame)
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
