"""Power-cut safety: a process appending events is SIGKILLed at random moments, 200 times.

After every kill the database must pass its integrity check, its seq must have no gap, and it must hold
every event the killed process had reported as committed (reported only after commit returned).
"""

from __future__ import annotations

import os
import random
import select
import signal
import sqlite3
import time
from pathlib import Path

from station.core.events import NewEvent
from station.runtime.clock import SystemClock
from station.store.database import open_database
from station.store.events import EventLog

KILLS = 200


def _append_forever(path: Path, report_fd: int) -> None:
    store = open_database(path)
    log = EventLog(store, SystemClock())
    n = 0
    while True:
        n += 1
        batch = [NewEvent("test.appended", f"unit-{n}", {"n": n, "pad": "x" * (n % 300)})] * (1 + n % 3)
        committed = log.append(batch, "crash-test")
        os.write(report_fd, f"{committed[-1].seq}\n".encode())


def _run_and_kill(path: Path, rng: random.Random, after_a_commit: bool) -> int:
    """Fork a writer, kill it after a random time (counted from its first reported commit when
    ``after_a_commit``, so that a busy machine still sees work done); the highest seq it reported."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_fd)
        try:
            _append_forever(path, write_fd)
        finally:
            os._exit(1)
    os.close(write_fd)
    reported = b""
    if after_a_commit:
        ready, _, _ = select.select([read_fd], [], [], 60)
        assert ready, "the writer committed nothing in 60 s"
        reported += os.read(read_fd, 65536)
    time.sleep(rng.uniform(0, 0.04))
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    while chunk := os.read(read_fd, 65536):
        reported += chunk
    os.close(read_fd)
    lines = [int(x) for x in reported.split(b"\n") if x]
    return max(lines, default=0)


def test_sigkill_200_times_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "station.db"
    rng = random.Random(20261123)
    highest_reported = 0
    for n in range(KILLS):
        # every other kill lands anywhere (also while the writer opens and migrates), the rest after a commit
        highest_reported = max(highest_reported, _run_and_kill(path, rng, after_a_commit=n % 2 == 1))
        conn = sqlite3.connect(path)
        try:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            migrated = conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
            if migrated is None:  # killed before the very first migration committed
                assert highest_reported == 0
                continue
            seqs = [r[0] for r in conn.execute("SELECT seq FROM events ORDER BY seq")]
            assert seqs == list(range(1, len(seqs) + 1)), "seq has a gap"
            assert len(seqs) >= highest_reported, "an event reported committed was lost"
            last = conn.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()
            assert int(last[0]) == len(seqs) if seqs else last is None
        finally:
            conn.close()
    assert highest_reported >= KILLS // 2  # the writers really got work done between kills
