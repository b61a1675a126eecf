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


def filesystem_of(path: Path) -> str:
    """``ext4 on /dev/vda`` for the mount that holds ``path`` (SQLite's fsync is only as real as this)."""
    target = str(path.resolve())
    best = ("", "?", "?")
    for line in Path("/proc/self/mounts").read_text().splitlines():
        source, mount, fstype = line.split()[:3]
        inside = target == mount or target.startswith(mount.rstrip("/") + "/")
        if inside and len(mount) >= len(best[0]):
            best = (mount, fstype, source)
    return f"{best[1]} on {best[2]}"


def sqlite_described(path: Path) -> str:
    """What a SQLite figure was measured on: the file's filesystem and its journal and sync settings."""
    conn = sqlite3.connect(path)
    try:
        journal = conn.execute("PRAGMA journal_mode").fetchone()[0]
    finally:
        conn.close()
    where = filesystem_of(path)
    return f"SQLite {sqlite3.sqlite_version} file, journal_mode={journal}, synchronous=FULL, {where}"


def postgres_described(url: str) -> tuple[str, bool]:
    """The server a PostgreSQL figure was measured on, and whether its commits are durable (fsync on)."""
    import psycopg

    with psycopg.connect(url) as conn:
        settings = {
            name: str(conn.execute(f"SHOW {name}").fetchone()[0])  # type: ignore[index]
            for name in ("server_version", "fsync", "synchronous_commit", "data_directory")
        }
        host = conn.info.host
        port = conn.info.port
    durable = settings["fsync"] == "on" and settings["synchronous_commit"] != "off"
    text = (
        f"PostgreSQL {settings['server_version']} at {host}:{port} (data {settings['data_directory']}, "
        f"{filesystem_of(Path(settings['data_directory']))}), fsync={settings['fsync']}, "
        f"synchronous_commit={settings['synchronous_commit']}"
    )
    if not durable:
        text += "  -- NOT DURABLE: no figure here stands for a durable sink"
    return text, durable
