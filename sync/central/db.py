"""The central database: the receiver's sink (SQLite or PostgreSQL) plus the central service's own tables.

One :class:`Database` per process; each thread gets its own connection. SQL is written with ``?``
placeholders and ``{serial}``/``{json}`` tokens that each dialect fills in.
"""

from __future__ import annotations

import sqlite3
import threading
import zlib
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sync.protocol import SyncError
from sync.sinks import SqliteSink, open_sink

Row = dict[str, Any]
#: The projection writer's lock: one follower step (or schema change, or rebuild) at a time.
WRITER = "central-writer"
#: The webhook planner's lock: endpoint cursors move one planner (or replay) at a time.
PLANNER = "central-webhook-planner"


class Database:
    """The sink's database, opened by the same URLs as the receiver's ``--sink``."""

    def __init__(self, url: str) -> None:
        self.url = url
        scheme = urlsplit(url).scheme
        self.postgres = scheme in ("postgresql", "postgres")
        self.placeholder = "%s" if self.postgres else "?"
        self.serial = "BIGSERIAL PRIMARY KEY" if self.postgres else "INTEGER PRIMARY KEY AUTOINCREMENT"
        if not self.postgres:
            # The sink's own tables are made by the sink (and its path rules are the sink's).
            sink = open_sink(url)
            sink.close()
            if not isinstance(sink, SqliteSink):  # pragma: no cover (open_sink's rules)
                raise SyncError(f"Expected a PostgreSQL or SQLite URL, found {url!r}.")
            self.path: Path = sink.path
        self._local = threading.local()
        self._lock = threading.Lock()
        self._opened: list[Any] = []
        self._leader_conn: Any = None

    def connection(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._connect()
            self._local.conn = conn
            with self._lock:
                self._opened.append(conn)
        return conn

    def _connect(self) -> Any:
        if self.postgres:
            import psycopg

            try:
                return psycopg.connect(self.url, autocommit=True)
            except psycopg.Error as exc:
                raise SyncError(f"Could not open the central database {self.url}: {exc}") from exc
        conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        return conn

    def sql(self, text: str) -> str:
        text = text.replace("{serial}", self.serial)
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    @contextmanager
    def transaction(self, lock: str | None = None) -> Iterator[Any]:
        """A cursor in one transaction. With ``lock`` (a name: :data:`WRITER`, :data:`PLANNER`) it runs
        alone among the transactions taking that lock, across processes on one PostgreSQL too (SQLite:
        any such transaction takes the database's write lock at once)."""
        conn = self.connection()
        if self.postgres:
            with conn.transaction(), conn.cursor() as cur:
                if lock:
                    cur.execute("SELECT pg_advisory_xact_lock(%s)", (_lock_id(lock),))
                yield cur
            return
        cur = conn.cursor()
        cur.execute("BEGIN IMMEDIATE" if lock else "BEGIN")
        try:
            yield cur
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def pipeline(self, cur: Any) -> AbstractContextManager[Any]:
        """Statements inside are sent without waiting for each answer (PostgreSQL's pipeline mode; a
        no-op on SQLite, which has no round trips)."""
        return cur.connection.pipeline() if self.postgres else nullcontext()

    def execute(self, cur: Any, text: str, params: Sequence[Any] = ()) -> Any:
        cur.execute(self.sql(text), tuple(params))
        return cur

    def rows(self, text: str, params: Sequence[Any] = ()) -> list[Row]:
        """Rows of one query as dicts, outside any transaction of the caller's."""
        conn = self.connection()
        cur = conn.cursor()
        try:
            cur.execute(self.sql(text), tuple(params))
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
        finally:
            cur.close()

    def row(self, text: str, params: Sequence[Any] = ()) -> Row | None:
        found = self.rows(text, params)
        return found[0] if found else None

    def try_leader(self, name: str) -> bool:
        """Whether this process holds ``name``'s lock (PostgreSQL: a session advisory lock; SQLite: one
        process per file, so always). Kept until the connection closes."""
        if not self.postgres:
            return True
        with self._lock:
            if self._leader_conn is None:
                self._leader_conn = self._connect()
            conn = self._leader_conn
            row = conn.execute("SELECT pg_try_advisory_lock(%s)", (_lock_id(name),)).fetchone()
            return bool(row[0])

    def close(self) -> None:
        """Close every connection this object opened, on any thread (call when all are done)."""
        with self._lock:
            opened, self._opened = self._opened, []
            leader, self._leader_conn = self._leader_conn, None
        for conn in [*opened, *([leader] if leader is not None else [])]:
            conn.close()
        self._local = threading.local()


def _lock_id(name: str) -> int:
    return zlib.crc32(name.encode())


def fetch(cur: Any) -> list[Row]:
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]
