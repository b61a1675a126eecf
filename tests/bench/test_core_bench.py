"""Issue 2 figures: scan-to-committed-event latency over 5,000 scans written into a pty, next to a bare
SQLite WAL synchronous=FULL commit measured in the same run, and database bytes per event.

Run: .venv/bin/python -m pytest tests/bench/test_core_bench.py -s   (prints figures; asserts no times)
"""

from __future__ import annotations

import json
import os
import sqlite3
import statistics
import threading
import time
import tty
from pathlib import Path

from station.config import Config
from station.desk import Outcome
from station.service import Station
from station.store.manifests import load_manifest

SCANS = 5_000


def _percentiles(samples_ns: list[int]) -> str:
    ms = sorted(s / 1e6 for s in samples_ns)
    p = statistics.quantiles(ms, n=100)
    return f"p50 {p[49]:.3f} ms  p99 {p[98]:.3f} ms  max {ms[-1]:.3f} ms  (n={len(ms)})"


def _bare_commit_ns(path: Path, n: int) -> list[int]:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, data TEXT)")
    out = []
    for i in range(n):
        t0 = time.monotonic_ns()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t (data) VALUES (?)", (f"event {i}",))
        conn.execute("COMMIT")
        out.append(time.monotonic_ns() - t0)
    conn.close()
    return out


def _script(returns: int) -> list[str]:
    scans = ["BADGE-1001"]
    for i in range(returns):
        scans += [f"RMA-{2000000 + i}", "]C1010950110153000321" + f"SN{i:07d}", "CMD:GRADE:A", "CMD:DONE"]
    return scans[:SCANS]


def test_scan_to_committed_latency(tmp_path: Path) -> None:
    bare = _bare_commit_ns(tmp_path / "bare.db", 2_000)

    returns = SCANS // 4 + 1
    manifest = {
        "returns": [
            {
                "rma": f"RMA-{2000000 + i}",
                "items": [
                    {
                        "gtin": "09501101530003",
                        "serial": f"SN{i:07d}",
                        "quantity": 1,
                        "category": "electronics",
                        "value": 50.0,
                    }
                ],
            }
            for i in range(returns)
        ],
        "stocked_gtins": ["09501101530003"],
        "operators": [{"badge": "BADGE-1001", "name": "Bench", "roles": ["intake"]}],
    }
    master, slave = os.openpty()
    tty.setraw(slave)
    config = Config(
        data_dir=tmp_path / "data", scanners=(f"serial://{os.ttyname(slave)}?baud=115200&terminator=cr",)
    )
    station = Station(config)
    load_manifest(station.store, json.loads(json.dumps(manifest)), config.codes)
    done = threading.Event()
    outcomes: list[Outcome] = []

    def collect(outcome: Outcome) -> None:
        outcomes.append(outcome)
        done.set()

    station.on_outcome(collect)
    station.start()
    time.sleep(0.3)  # the reader opens the port
    write_to_commit: list[int] = []
    for text in _script(returns):
        done.clear()
        t0 = time.monotonic_ns()
        os.write(master, text.encode() + b"\r")
        assert done.wait(5), f"no outcome for {text!r}"
        write_to_commit.append(outcomes[-1].committed_ns - t0)
    station.stop()
    os.close(master)
    os.close(slave)
    refused = [o for o in outcomes if not o.ok]
    assert not refused, refused[:3]
    reader_to_commit = [o.committed_ns - o.scanned_ns for o in outcomes]

    conn = sqlite3.connect(config.db_path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    events = conn.execute("SELECT count(*) FROM events").fetchone()[0]
    conn.execute("VACUUM")
    conn.close()
    db_bytes = config.db_path.stat().st_size

    p99_bare = statistics.quantiles(bare, n=100)[98]
    p99_scan = statistics.quantiles(reader_to_commit, n=100)[98]
    print()
    print(f"bare SQLite WAL FULL commit (baseline):       {_percentiles(bare)}")
    print(f"scan (reader end) -> committed event:         {_percentiles(reader_to_commit)}")
    print(f"scan written into the pty -> committed event: {_percentiles(write_to_commit)}")
    print(f"p99 ratio scan/bare commit: {p99_scan / p99_bare:.1f}x  (goal: p99 <= 5 ms and <= 10x)")
    print(
        f"database: {db_bytes} bytes for {events} events and {returns} manifest returns "
        f"= {db_bytes / events:.0f} bytes per event, manifest included (goal <= 1 KB)"
    )
