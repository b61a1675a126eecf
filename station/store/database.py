"""Opening the station database: durable pragmas, integrity check, migrations; only a corrupt file is moved
aside (at the station's start), every other problem is refused with its own sentence (db_problems)."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlite_utils

from station.core.errors import StoreError
from station.store import db_problems
from station.store.migrations import migrate

log = logging.getLogger(__name__)


@dataclass
class StationDB:
    """One connection to the station database. Use one per thread; only the core worker writes events."""

    path: Path
    conn: sqlite3.Connection
    #: Where a corrupt database was moved when this one was opened, if it was.
    moved_aside: Path | None = None
    db: sqlite_utils.Database = field(init=False)
    #: The inode of the -wal this connection writes, taken at its first write; a change means it was deleted.
    _wal_inode: int | None = field(init=False, default=None)

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
        self._check_wal()
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
        return db_problems.explain(exc, self.path, "recording")

    def _check_wal(self) -> None:
        """Inside ``BEGIN IMMEDIATE``: refuse to write when the -wal file was deleted under this connection.

        Its frames are then only in this process's open file; a checkpoint saves them into the database
        file before the refusal, so a SIGKILL afterwards loses nothing that was committed.
        """
        try:
            inode: int | None = os.stat(f"{self.path}-wal").st_ino
        except FileNotFoundError:
            inode = None
        if self._wal_inode is None and inode is not None:
            self._wal_inode = inode
        if inode is not None and inode == self._wal_inode:
            return
        self.conn.execute("ROLLBACK")
        busy, frames, saved = self.conn.execute("PRAGMA wal_checkpoint(FULL)").fetchone()
        log.error("The -wal of %s was deleted; checkpoint saved %s of %s frames (busy %s).", self.path,
                  saved, frames, busy)  # fmt: skip
        raise db_problems.wal_deleted(self.path)

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
    try:
        conn.execute("PRAGMA busy_timeout = 10000")
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode != "wal":
            raise StoreError(f"The station database {path} could not switch to WAL (got {mode!r}).")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except BaseException:
        conn.close()
        raise
    return conn


def _create(path: Path) -> None:
    """Create an empty WAL database at ``path`` whole: built under a temporary name, then linked into place
    (never over an existing file), so a crash never leaves a zero-length ``station.db`` behind."""
    tmp = path.with_name(f".{path.name}.new-{os.getpid()}-{secrets.token_hex(4)}")
    os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))  # the umask applies, as for SQLite
    try:
        _connect(Path(tmp)).close()  # writes the header page
        with contextlib.suppress(FileExistsError):  # another process created it first: use theirs
            os.link(tmp, path)
    finally:
        os.unlink(tmp)


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
    log.error("%s", moved_aside_sentence(path, target, reason))
    return target


def moved_aside_sentence(path: Path, target: Path, reason: str) -> str:
    """What a person is told after a corrupt database was moved aside: what happened and what to reload."""
    return (
        f"The station database {path} was corrupt ({reason}); it was moved to {target} and a new, empty one "
        f"was started: {db_problems.RELOAD}, and send {target.name} to support."
    )


class _Corrupt(Exception):
    """Corruption found while opening: SQLITE_CORRUPT, SQLITE_NOTADB or a failing quick_check."""


def _open_checked(path: Path, check: bool) -> sqlite3.Connection:
    """Connect (and with ``check`` run ``quick_check``); raises _Corrupt only for corruption."""
    conn: sqlite3.Connection | None = None
    try:
        conn = _connect(path)
        problem = _check(conn) if check else None
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        if db_problems.is_corruption(exc):
            raise _Corrupt(str(exc)) from exc
        raise db_problems.explain(exc, path, "opening the database") from exc
    if problem is not None:
        conn.close()
        raise _Corrupt(problem)
    return conn


def open_database(path: Path | str, *, check: bool = True, move_corrupt: bool = False) -> StationDB:
    """Open (creating if needed) the station database at ``path``, WAL with ``synchronous=FULL``.

    With ``check`` a ``quick_check`` runs first. Only the station's start passes ``move_corrupt``: a file
    that is corrupt is then moved aside (``station.db.corrupt-<time>``, never overwritten) and a new one
    started. Everything else (a full disk, permissions, a lost -wal, an I/O error, an empty file, and
    corruption without ``move_corrupt``) raises a :class:`StoreError` with its own sentence.
    """
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise _os_problem(exc, path) from None
    db_problems.check_access(path)
    db_problems.check_files(path)
    moved: Path | None = None
    try:
        if not path.exists():
            _create(path)
        conn = _open_checked(path, check)
    except _Corrupt as exc:
        if not move_corrupt:
            raise db_problems.corrupt(path, str(exc)) from None
        moved = _move_aside(path, str(exc))
        _create(path)
        conn = _open_checked(path, check=False)
    except sqlite3.Error as exc:  # creating the file
        raise db_problems.explain(exc, path, "creating the database") from exc
    except OSError as exc:
        raise _os_problem(exc, path) from None
    try:
        migrate(conn)
    except sqlite3.Error as exc:
        conn.close()
        raise db_problems.explain(exc, path, "updating the database schema") from exc
    return StationDB(path, conn, moved)


def _os_problem(exc: OSError, path: Path) -> StoreError:
    if exc.errno in (errno.EACCES, errno.EPERM):
        return db_problems.folder_problem(path.parent)
    if exc.errno == errno.ENOSPC:
        return db_problems.disk_full(path, "creating the database")
    return StoreError(
        f"The station database {path} could not be created ({exc.strerror}): check the data folder "
        "with 'station doctor'."
    )
