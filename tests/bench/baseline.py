"""Shared by the benchmarks: latency figures, and the bare SQLite commit they are compared against."""

from __future__ import annotations

import sqlite3
import statistics
import time
from pathlib import Path


def percentiles(samples_ns: list[int]) -> str:
    """p50, p99 and max of nanosecond samples, in milliseconds."""
    ms = sorted(s / 1e6 for s in samples_ns)
    p = statistics.quantiles(ms, n=100)
    return f"p50 {p[49]:.3f} ms  p99 {p[98]:.3f} ms  max {ms[-1]:.3f} ms  (n={len(ms)})"


def bare_commit_ns(path: Path, n: int) -> list[int]:
    """The time of ``n`` one-row commits in a bare SQLite WAL database with synchronous=FULL."""
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
