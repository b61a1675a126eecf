"""Opening the station database: durable pragmas, integrity check, migrations, corrupt files moved aside."""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from station.core.errors import DatabaseCorrupt, DiskFull, StoreError
from station.store.migrations import migrate

log = logging.getLogger(__name__)

SQLITE_FULL = 13


@dataclass
class StationDB:
    """One connection to the station database. Use one per thread; only the core worker writes events."""

    path: Path
    conn: sqlite3.Connection
    #: Where a corrupt database was moved when this one was opened, if it was.
    moved_aside: Path | None = None
    db: sqlite_utils.Database = field(init=False)

    def __post_init__(self) -> None:
        self.db = sqlite_utils.Database(self.conn)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``BEGIN IMMEDIATE``): committed with full fsync, or rolled back whole.

        A full disk becomes :class:`DiskFull` and any other SQLite failure :class:`StoreError`, each with a
        sentence that says what to do; nothing half-written stays behind.
        """
        try:
            self.conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._translate(exc) from exc
        try:
            yield self.conn
            self.conn.execute("COMMIT")
        except sqlite3.Error as exc:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise self._translate(exc) from exc
        except BaseException:
            if self.conn.in_transaction:
                self.conn.execute("ROLLBACK")
            raise

    def _translate(self, exc: sqlite3.Error) -> StoreError:
        if getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL or "full" in str(exc):
            return DiskFull(
                f"The disk under {self.path.parent} is full: nothing was recorded. Free some space "
                "(old spool labels, logs), then scan again."
            )
        return StoreError(f"The station database {self.path} failed: {exc}. Run 'station doctor'.")

    def meta(self, key: str, default: str | None = None) -> str | None:
        row = self.conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return default if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        """Set a meta value; call inside :meth:`write`."""
        self.conn.execute(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            (key, value),
        )

    def close(self) -> None:
        self.conn.close()


def _connect(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=10)
    conn.execute("PRAGMA busy_timeout = 10000")
    mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
    if mode != "wal":
        raise StoreError(f"The station database {path} could not switch to WAL (got {mode!r}).")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA foreign_keys = ON")
    return conn


def _check(conn: sqlite3.Connection) -> str | None:
    """None when ``quick_check`` passes, else what it found."""
    rows = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
    return None if rows == ["ok"] else "; ".join(str(r) for r in rows[:5])


def _move_aside(path: Path, reason: str) -> Path:
    stamp = time.strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    for suffix in ("", "-wal", "-shm"):
        part = Path(str(path) + suffix)
        if part.exists():
            part.rename(Path(str(target) + suffix))
    log.error(
        "The station database %s was unreadable (%s). It was moved to %s and a new one was started; "
        "keep the old file for the support team.",
        path,
        reason,
        target,
    )
    return target


def open_database(path: Path | str, *, check: bool = True) -> StationDB:
    """Open (creating if needed) the station database at ``path``, WAL with ``synchronous=FULL``.

    With ``check`` (the station's start) a ``quick_check`` runs first; a corrupt or unreadable file is
    moved aside next to it (``station.db.corrupt-<time>``, never overwritten) and a new database started.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    moved: Path | None = None
    if path.exists():
        problem: str | None
        try:
            conn = _connect(path)
            problem = _check(conn) if check else None
        except sqlite3.DatabaseError as exc:
            problem = str(exc)
            conn = None
        except StoreError as exc:
            problem = str(exc)
            conn = None
        if problem is not None:
            if conn is not None:
                conn.close()
            if not check:
                raise DatabaseCorrupt(f"The station database {path} is unreadable ({problem}).")
            moved = _move_aside(path, problem)
            conn = _connect(path)
    else:
        conn = _connect(path)
    assert conn is not None
    try:
        migrate(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise StoreError(f"The station database {path} could not be migrated: {exc}.") from exc
    return StationDB(path, conn, moved)
