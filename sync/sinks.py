"""Where the receiver commits events: SQLite (default) or PostgreSQL, unique on source+seq and on id.

Each :meth:`Sink.insert` is one transaction: the events (duplicates ignored) and every touched station's
progress, i.e. the highest contiguous seq it holds (what the receiver acks) and the highest seen. Several
receivers may share one sink: the progress row of a station is updated under a write lock.
"""

from __future__ import annotations

import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

import orjson

from sync.protocol import SyncError

_MAX_GAPS = 20
_EVENT_COLUMNS = ("source", "seq", "id", "type", "subject", "time", "operator", "event", "received_at")

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS events (
        source TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL, subject TEXT,
        time TEXT NOT NULL, operator TEXT, event TEXT NOT NULL, received_at BIGINT NOT NULL,
        PRIMARY KEY (source, seq), UNIQUE (id))""",
    """CREATE TABLE IF NOT EXISTS progress (
        source TEXT PRIMARY KEY, contiguous BIGINT NOT NULL, highest BIGINT NOT NULL,
        updated_at BIGINT NOT NULL)""",
)
# seq - row_number() is constant along a run of consecutive seqs: the run that starts right after
# `contiguous` has the value `contiguous`.
_CONTIGUOUS = """SELECT max(seq) FROM (
    SELECT seq, seq - ROW_NUMBER() OVER (ORDER BY seq) AS run FROM events WHERE source = ? AND seq > ?
) AS t WHERE run = ?"""
_GAPS = """SELECT seq + 1, nxt - 1 FROM (
    SELECT seq, LEAD(seq) OVER (ORDER BY seq) AS nxt FROM events WHERE source = ? AND seq >= ?
) AS t WHERE nxt > seq + 1 ORDER BY seq LIMIT ?"""


@dataclass(frozen=True)
class Progress:
    """What the sink holds of one station: all of 1..contiguous, and up to highest with gaps between."""

    source: str
    contiguous: int
    highest: int
    gaps: tuple[tuple[int, int], ...] = ()


@dataclass
class InsertResult:
    inserted: int
    duplicates: int
    progress: dict[str, Progress] = field(default_factory=dict)


class Sink(Protocol):
    def insert(self, events: Sequence[Mapping[str, Any]]) -> InsertResult: ...

    def stats(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


class SqlSink(ABC):
    """The SQL both databases share; subclasses give the connection, the transaction and the bulk insert."""

    placeholder = "?"
    _for_update = ""

    def _sql(self, text: str) -> str:
        return text if self.placeholder == "?" else text.replace("?", self.placeholder)

    @abstractmethod
    def transaction(self) -> AbstractContextManager[Any]:
        """A cursor inside one transaction, committed on exit."""

    @abstractmethod
    def _bulk_insert(self, cur: Any, rows: list[tuple[Any, ...]]) -> int:
        """Insert ``rows``, ignoring duplicates; returns how many were new."""

    @abstractmethod
    def close(self) -> None: ...

    def _lock_progress(self, cur: Any, source: str) -> tuple[int, int]:
        cur.execute(
            self._sql(
                "INSERT INTO progress (source, contiguous, highest, updated_at) VALUES (?, 0, 0, ?) "
                "ON CONFLICT (source) DO NOTHING"
            ),
            (source, _now_ms()),
        )
        cur.execute(
            self._sql("SELECT contiguous, highest FROM progress WHERE source = ?" + self._for_update),
            (source,),
        )
        row = cur.fetchone()
        return int(row[0]), int(row[1])

    def insert(self, events: Sequence[Mapping[str, Any]]) -> InsertResult:
        now = _now_ms()
        rows = [
            (
                e["source"],
                e["seq"],
                e["id"],
                e["type"],
                e.get("subject"),
                e["time"],
                e.get("operator"),
                orjson.dumps(e).decode(),
                now,
            )
            for e in events
        ]
        highest_in: dict[str, int] = {}
        for e in events:
            highest_in[e["source"]] = max(highest_in.get(e["source"], 0), int(e["seq"]))
        with self.transaction() as cur:
            inserted = self._bulk_insert(cur, rows) if rows else 0
            result = InsertResult(inserted, len(rows) - inserted)
            for source in sorted(highest_in):
                result.progress[source] = self._advance(cur, source, highest_in[source])
        return result

    def _advance(self, cur: Any, source: str, seen: int) -> Progress:
        contiguous, highest = self._lock_progress(cur, source)
        cur.execute(self._sql(_CONTIGUOUS), (source, contiguous, contiguous))
        found = cur.fetchone()[0]
        contiguous = max(contiguous, int(found or 0))
        highest = max(highest, seen, contiguous)
        cur.execute(
            self._sql("UPDATE progress SET contiguous = ?, highest = ?, updated_at = ? WHERE source = ?"),
            (contiguous, highest, _now_ms(), source),
        )
        return Progress(source, contiguous, highest, self._gaps(cur, source, contiguous, highest))

    def _gaps(self, cur: Any, source: str, contiguous: int, highest: int) -> tuple[tuple[int, int], ...]:
        if highest <= contiguous:
            return ()
        cur.execute(
            self._sql("SELECT min(seq) FROM events WHERE source = ? AND seq > ?"), (source, contiguous)
        )
        first = int(cur.fetchone()[0])
        cur.execute(self._sql(_GAPS), (source, first, _MAX_GAPS))
        return ((contiguous + 1, first - 1), *((int(a), int(b)) for a, b in cur.fetchall()))

    def progress(self, source: str) -> Progress:
        with self.transaction() as cur:
            cur.execute(self._sql("SELECT contiguous, highest FROM progress WHERE source = ?"), (source,))
            row = cur.fetchone()
            if row is None:
                return Progress(source, 0, 0)
            contiguous, highest = int(row[0]), int(row[1])
            return Progress(source, contiguous, highest, self._gaps(cur, source, contiguous, highest))

    def stats(self) -> dict[str, Any]:
        """Counts for people: events held, and per station contiguous, highest and gaps."""
        with self.transaction() as cur:
            cur.execute("SELECT count(*) FROM events")
            total = int(cur.fetchone()[0])
            cur.execute("SELECT source, contiguous, highest FROM progress ORDER BY source")
            rows = cur.fetchall()
            stations = {
                str(s): {
                    "contiguous": int(c),
                    "highest": int(h),
                    "gaps": [list(g) for g in self._gaps(cur, s, c, h)],
                }
                for s, c, h in rows
            }
        return {"events": total, "stations": stations}


class SqliteSink(SqlSink):
    """The default sink: one SQLite file in WAL mode, committed with full fsync."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode = WAL")
        self.conn.execute("PRAGMA synchronous = FULL")
        for statement in _SCHEMA:
            self.conn.execute(statement)

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        cur = self.conn.cursor()
        cur.execute("BEGIN IMMEDIATE")
        try:
            yield cur
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        self.conn.execute("COMMIT")

    def _bulk_insert(self, cur: Any, rows: list[tuple[Any, ...]]) -> int:
        before = self.conn.total_changes
        cur.executemany(
            f"INSERT OR IGNORE INTO events ({','.join(_EVENT_COLUMNS)}) VALUES ({_marks()})", rows
        )
        return self.conn.total_changes - before

    def close(self) -> None:
        self.conn.close()


class PostgresSink(SqlSink):
    """The central deployment's sink (psycopg 3): rows are COPYed to a temporary table, then merged."""

    placeholder = "%s"
    _for_update = " FOR UPDATE"

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=False)
        with self.conn.cursor() as cur:
            for statement in _SCHEMA:
                cur.execute(statement)
        self.conn.commit()
        with self.conn.cursor() as cur:
            cur.execute("CREATE TEMP TABLE incoming (LIKE events) ON COMMIT DELETE ROWS")
        self.conn.commit()

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        with self.conn.transaction(), self.conn.cursor() as cur:
            yield cur

    def _bulk_insert(self, cur: Any, rows: list[tuple[Any, ...]]) -> int:
        with cur.copy(f"COPY incoming ({','.join(_EVENT_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute("INSERT INTO events SELECT * FROM incoming ON CONFLICT DO NOTHING")
        inserted = int(cur.rowcount)
        cur.execute("DELETE FROM incoming")
        return inserted

    def close(self) -> None:
        self.conn.close()


def _marks() -> str:
    return ",".join("?" * len(_EVENT_COLUMNS))


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def open_sink(url: str) -> SqlSink:
    """``postgresql://...`` (or ``postgres://``), ``sqlite:///path/to.db``, or a plain file path."""
    scheme = urlsplit(url).scheme
    if scheme in ("postgresql", "postgres"):
        return PostgresSink(url)
    if scheme == "sqlite":
        return SqliteSink(url.removeprefix("sqlite://"))
    if scheme in ("", "file") or len(scheme) == 1:  # a path (a Windows drive letter looks like a scheme)
        return SqliteSink(url.removeprefix("file://"))
    raise SyncError(f"Expected a sink URL postgresql://... or sqlite:///path.db, found {url!r}.")
