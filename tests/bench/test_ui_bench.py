"""Issue 6 figures: cold start to ready-for-scan, RSS over 1,000 scans, scan-to-screen feedback p99.
Baselines in the same run: a bare Kivy app's start, and a bare key-event round trip through the window.

Run: .venv/bin/python -m pytest tests/bench/test_ui_bench.py -s   (prints figures; asserts no times)
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

from station.core.codes import DEFAULT_CODE_PATTERNS
from station.store.database import open_database
from station.store.manifests import load_manifest
from station.store.operators import load_operators
from tests.fixtures_ui import RunUI

SCANS = 1_000
BARE_KIVY = """
import os, time
from kivy.app import App
from kivy.clock import Clock
from kivy.uix.label import Label
class Bare(App):
    def build(self):
        Clock.schedule_once(self.ready, 0)
        return Label(text="ready")
    def ready(self, _dt):
        with open(os.environ["BARE_OUT"], "w") as out:  # Kivy takes over stdout
            out.write(str((time.time_ns() - int(os.environ["UI_SPAWNED_NS"])) / 1e9))
        self.stop()
Bare().run()
"""


def _bare_kivy_start(display: str, tmp_path: Path) -> float:
    result = tmp_path / "bare-start.txt"
    app = tmp_path / "bare_app.py"  # Kivy looks for an App's source file
    app.write_text(BARE_KIVY)
    env = dict(
        os.environ,
        DISPLAY=display,
        KIVY_NO_ARGS="1",
        KIVY_NO_CONSOLELOG="1",
        KIVY_HOME=str(tmp_path / "kivy-bare"),
        SDL_AUDIODRIVER="dummy",
        BARE_OUT=str(result),
        UI_SPAWNED_NS=str(time.time_ns()),
    )
    out = subprocess.run([sys.executable, str(app)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr[-2000:]
    return float(result.read_text())


def test_ui_figures(run_ui: RunUI, xvfb_display: str, tmp_path: Path) -> None:
    data = tmp_path / "data"
    returns = SCANS // 4
    store = open_database(data / "station.db")
    load_manifest(
        store,
        {
            "returns": [
                {
                    "rma": f"RMA-{5000000 + i}",
                    "items": [{"gtin": "04006381333931", "quantity": 1, "value": 20.0}],
                }
                for i in range(returns)
            ],
        },
        DEFAULT_CODE_PATTERNS,
    )
    load_operators(
        store,
        {"operators": [{"badge": "BADGE-1001", "name": "Bench", "roles": ["intake"]}]},
        DEFAULT_CODE_PATTERNS,
    )
    store.close()
    bare = [_bare_kivy_start(xvfb_display, tmp_path) for _ in range(3)]
    starts = [run_ui([{"scan": "BADGE-1001"}], data_dir=data)["ready_s"] for _ in range(3)]

    steps = [{"scan": "BADGE-1001"}]
    for i in range(returns):
        steps += [
            {"scan": f"RMA-{5000000 + i}"},
            {"scan": "4006381333931"},
            {"scan": "CMD:GRADE:A"},
            {"scan": "CMD:DONE"},
        ]
    result = run_ui(steps[: SCANS + 1], data_dir=data, timeout=900, options={"quiet": True, "rss_every": 100})
    feedback = result["feedback_ms"][1:]
    p = statistics.quantiles(feedback, n=100)
    rss = result["rss_mb"]
    commit = statistics.quantiles(result["commit_ms"][1:], n=100)
    draw = statistics.quantiles(result["draw_ms"][1:], n=100)
    print()
    bare_all = ", ".join(f"{b:.2f}" for b in bare)
    starts_all = ", ".join(f"{s:.2f}" for s in starts)
    print(f"cold start, bare Kivy app (baseline): {min(bare):.2f} s (best of 3; {bare_all})")
    print(
        f"cold start to ready-for-scan:         {min(starts):.2f} s (best of 3; {starts_all}) (goal <= 3 s)"
    )
    print(
        f"scan-to-screen feedback over {len(feedback)} scans: p50 {p[49]:.1f} ms  p99 {p[98]:.1f} ms  "
        f"max {max(feedback):.1f} ms (goal p99 <= 50 ms)"
    )
    print(f"  of which keys typed -> event committed: p50 {commit[49]:.1f} ms  p99 {commit[98]:.1f} ms")
    print(f"  and committed -> drawn on screen:       p50 {draw[49]:.1f} ms  p99 {draw[98]:.1f} ms")
    print(f"RSS every 100 scans (MB): {', '.join(f'{r:.0f}' for r in rss)}")
    print(
        f"RSS after {SCANS} scans: {rss[-1]:.0f} MB (goal <= 150 MB); over the last 500 scans: "
        f"{rss[-1] - rss[-6]:+.1f} MB (goal: flat)"
    )
    helpers = result["helpers_rss_mb"]
    print(f"RSS of the preview helper process after {SCANS} scans: {helpers[-1]:.0f} MB (not counted above)")
