"""Where the receiver commits events: SQLite (default) or PostgreSQL, unique on source+seq and on id.

Each :meth:`Sink.insert` is one transaction: the events (duplicates ignored) and every touched station's
progress, i.e. the highest contiguous seq it holds (what the receiver acks) and the highest seen. Several
receivers may share one sink: the progress rows of a batch's logs are locked first, in order.

A repeated ``(source, seq)`` is compared by id. The same id is a duplicate. An id the sink holds under
another log of the station (a forked log resending its common history) counts as held for the new log
(``held_elsewhere``). An id the sink does not hold at all is a forked log: a station database restored from
an older copy reused the seq. The event is refused, the fork kept in ``forks`` and told to the station in
every ack of that log, which is never acked past the fork; the station then starts a new log.
"""

from __future__ import annotations

import sqlite3
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import orjson

from sync.protocol import SyncError
from sync.sink_progress import Fork, InsertResult, Progress

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
    # a log that forked: the first seq at which the sink holds another event than the station sent
    """CREATE TABLE IF NOT EXISTS forks (
        source TEXT PRIMARY KEY, seq BIGINT NOT NULL, held_id TEXT NOT NULL, sent_id TEXT NOT NULL,
        receiver TEXT, detected_at BIGINT NOT NULL)""",
    # a log started after a fork: its first seq and the log it forked from
    """CREATE TABLE IF NOT EXISTS logs (
        source TEXT PRIMARY KEY, start_seq BIGINT NOT NULL, forked_from TEXT, first_seen BIGINT NOT NULL)""",
    # seqs of a log whose event (by id) the sink holds under another log of the station
    """CREATE TABLE IF NOT EXISTS held_elsewhere (
        source TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL, held_at BIGINT NOT NULL,
        PRIMARY KEY (source, seq))""",
)
# The seqs a log holds: its own rows and those held under another log of the station.
_HELD = """SELECT seq, received_at FROM events WHERE source = ? AND seq > ?
    UNION SELECT seq, held_at FROM held_elsewhere WHERE source = ? AND seq > ?"""
# seq - row_number() is constant along a run of consecutive seqs: the run that starts right after
# `contiguous` has the value `contiguous`.
_CONTIGUOUS = f"""SELECT max(seq) FROM (
    SELECT seq, seq - ROW_NUMBER() OVER (ORDER BY seq) AS run FROM ({_HELD}) AS h
) AS t WHERE run = ?"""
# Each gap above `contiguous`, and when the event after it arrived (how long the gap has stood).
_GAPS = f"""SELECT seq + 1, nxt - 1, nxt_at FROM (
    SELECT seq, LEAD(seq) OVER (ORDER BY seq) AS nxt, LEAD(received_at) OVER (ORDER BY seq) AS nxt_at
    FROM (SELECT CAST(? AS BIGINT) AS seq, CAST(0 AS BIGINT) AS received_at UNION {_HELD}) AS h
) AS t WHERE nxt > seq + 1 ORDER BY seq LIMIT ?"""


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

    @abstractmethod
    def _ids_match(self, ids: list[str]) -> tuple[str, Any]:
        """A WHERE condition on ``id`` matching any of ``ids``, and its one parameter."""

    def _lock_progress(self, cur: Any, source: str, first: Mapping[str, Any], now: int) -> tuple[int, int]:
        """Lock the log's progress row, made at its start (``logstart``, else seq 1) if it is new."""
        start = int(first.get("logstart") or 1)
        cur.execute(
            self._sql(
                "INSERT INTO progress (source, contiguous, highest, updated_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (source) DO NOTHING"
            ),
            (source, start - 1, start - 1, now),
        )
        if "logstart" in first:
            cur.execute(
                self._sql(
                    "INSERT INTO logs (source, start_seq, forked_from, first_seen) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (source) DO NOTHING"
                ),
                (source, start, first.get("forkof"), now),
            )
        cur.execute(
            self._sql("SELECT contiguous, highest FROM progress WHERE source = ?" + self._for_update),
            (source,),
        )
        row = cur.fetchone()
        return int(row[0]), int(row[1])

    def insert(self, events: Sequence[Mapping[str, Any]], receiver: str = "") -> InsertResult:
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
        firsts: dict[str, Mapping[str, Any]] = {}
        for e in events:
            highest_in[e["source"]] = max(highest_in.get(e["source"], 0), int(e["seq"]))
            firsts.setdefault(e["source"], e)
        with self.transaction() as cur:
            locked = {s: self._lock_progress(cur, s, firsts[s], now) for s in sorted(highest_in)}
            inserted = self._bulk_insert(cur, rows) if rows else 0
            result = InsertResult(inserted, len(rows) - inserted)
            if result.duplicates:
                self._compare(cur, events, result, receiver, now)
            for source in sorted(highest_in):
                result.progress[source] = self._advance(cur, source, highest_in[source], locked[source])
        return result

    def _compare(
        self, cur: Any, events: Sequence[Mapping[str, Any]], result: InsertResult, receiver: str, now: int
    ) -> None:
        """Sort the events not inserted: duplicates, held under another log, or refused (a fork)."""
        condition, param = self._ids_match([e["id"] for e in events])
        cur.execute(f"SELECT id, source, seq FROM events WHERE {condition}", (param,))
        held = {str(i): (str(s), int(q)) for i, s, q in cur.fetchall()}
        elsewhere: list[tuple[str, int, str, int]] = []
        first_conflict: dict[str, tuple[int, str]] = {}
        for e in events:
            source, seq, where = e["source"], int(e["seq"]), held.get(e["id"])
            if where is not None and where[1] == seq and where[0] != source and _same_station(*where, source):
                elsewhere.append((source, seq, e["id"], now))
                continue
            if where is not None:
                continue  # a duplicate
            result.refused += 1
            result.refused_ids.add(e["id"])
            if seq < first_conflict.get(source, (seq + 1, ""))[0]:
                first_conflict[source] = (seq, e["id"])
        result.duplicates -= result.refused
        if elsewhere:
            cur.executemany(
                self._sql(
                    "INSERT INTO held_elsewhere (source, seq, id, held_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT DO NOTHING"
                ),
                elsewhere,
            )
        for source, (seq, sent_id) in sorted(first_conflict.items()):
            known = self._fork(cur, source)
            if known is not None and known.seq <= seq:
                continue
            cur.execute(self._sql("SELECT id FROM events WHERE source = ? AND seq = ?"), (source, seq))
            fork = Fork(source, seq, str(cur.fetchone()[0]), sent_id)
            cur.execute(self._sql("DELETE FROM forks WHERE source = ?"), (source,))
            cur.execute(
                self._sql(
                    "INSERT INTO forks (source, seq, held_id, sent_id, receiver, detected_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)"
                ),
                (source, seq, fork.held_id, sent_id, receiver, now),
            )
            result.forks.append(fork)

    def _fork(self, cur: Any, source: str) -> Fork | None:
        cur.execute(self._sql("SELECT seq, held_id, sent_id FROM forks WHERE source = ?"), (source,))
        row = cur.fetchone()
        return None if row is None else Fork(source, int(row[0]), str(row[1]), str(row[2]))

    def _advance(self, cur: Any, source: str, seen: int, locked: tuple[int, int]) -> Progress:
        contiguous, highest = locked
        cur.execute(self._sql(_CONTIGUOUS), (source, contiguous, source, contiguous, contiguous))
        found = cur.fetchone()[0]
        contiguous = max(contiguous, int(found or 0))
        highest = max(highest, seen, contiguous)
        cur.execute(
            self._sql("UPDATE progress SET contiguous = ?, highest = ?, updated_at = ? WHERE source = ?"),
            (contiguous, highest, _now_ms(), source),
        )
        return self._progress(cur, source, contiguous, highest)

    def _progress(self, cur: Any, source: str, contiguous: int, highest: int) -> Progress:
        gaps: tuple[tuple[int, int], ...] = ()
        since: tuple[int, ...] = ()
        if highest > contiguous:
            cur.execute(self._sql(_GAPS), (contiguous, source, contiguous, source, contiguous, _MAX_GAPS))
            found = [(int(a), int(b), int(at or 0)) for a, b, at in cur.fetchall()]
            gaps = tuple((a, b) for a, b, _ in found)
            since = tuple(at for _, _, at in found)
        return Progress(source, contiguous, highest, gaps, since, self._fork(cur, source))

    def progress(self, source: str) -> Progress:
        with self.transaction() as cur:
            cur.execute(self._sql("SELECT contiguous, highest FROM progress WHERE source = ?"), (source,))
            row = cur.fetchone()
            if row is None:
                return Progress(source, 0, 0)
            return self._progress(cur, source, int(row[0]), int(row[1]))

    def stats(self, gap_after_s: float | None = None) -> dict[str, Any]:
        """Counts for people: events held; per log contiguous, highest and gaps; forks and forked logs.

        With ``gap_after_s``, ``persistent_gaps`` lists the gaps that have stood longer than that (two
        receivers commit out of order for a moment by design; a gap that stays means a lost message).
        """
        now = _now_ms()
        with self.transaction() as cur:
            cur.execute("SELECT count(*) FROM events")
            total = int(cur.fetchone()[0])
            cur.execute("SELECT source, contiguous, highest FROM progress ORDER BY source")
            progress = [self._progress(cur, str(s), int(c), int(h)) for s, c, h in cur.fetchall()]
            cur.execute("SELECT source, start_seq, forked_from FROM logs ORDER BY source")
            logs = {str(s): {"start": int(a), "forked_from": f} for s, a, f in cur.fetchall()}
        stats: dict[str, Any] = {
            "events": total,
            "stations": {
                p.source: {
                    "contiguous": p.contiguous,
                    "highest": p.highest,
                    "gaps": [list(g) for g in p.gaps],
                }
                for p in progress
            },
            "forks": [{"source": p.source, **p.fork.message()} for p in progress if p.fork is not None],
            "logs": logs,
        }
        if gap_after_s is not None:
            stats["persistent_gaps"] = {
                p.source: [
                    [a, b, round((now - at) / 1000, 1)]
                    for (a, b), at in zip(p.gaps, p.gap_since_ms, strict=True)
                    if now - at > gap_after_s * 1000
                ]
                for p in progress
                if any(now - at > gap_after_s * 1000 for at in p.gap_since_ms)
            }
        return stats


class SqliteSink(SqlSink):
    """The default sink: one SQLite file in WAL mode, committed with full fsync."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.conn = sqlite3.connect(self.path, isolation_level=None, timeout=30, check_same_thread=False)
        _wal(self.conn)
        self.conn.execute("PRAGMA synchronous = FULL")
        with self.transaction() as cur:
            for statement in _SCHEMA:
                cur.execute(statement)

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

    def _ids_match(self, ids: list[str]) -> tuple[str, Any]:
        return "id IN (SELECT value FROM json_each(?))", orjson.dumps(ids).decode()

    def close(self) -> None:
        self.conn.close()


#: The advisory lock that serializes creating the sink's tables (any fixed 64-bit number).
_SCHEMA_LOCK = 0x48554253494E4B


class PostgresSink(SqlSink):
    """The central deployment's sink (psycopg 3): rows are COPYed to a temporary table, then merged."""

    placeholder = "%s"
    _for_update = " FOR UPDATE"

    def __init__(self, url: str) -> None:
        import psycopg

        self.conn = psycopg.connect(url, autocommit=False)
        with self.conn.cursor() as cur:
            # receivers starting at once on a new database: one creates the tables, the others wait (two
            # concurrent CREATE TABLE IF NOT EXISTS race in PostgreSQL's catalog)
            cur.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
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

    def _ids_match(self, ids: list[str]) -> tuple[str, Any]:
        return "id = ANY(%s)", ids

    def close(self) -> None:
        self.conn.close()


def _same_station(held_source: str, seq: int, source: str) -> bool:
    """Whether two sources are logs of one station (``urn:hubstation:HUB:STATION[:LOG]``)."""
    return held_source.split(":")[2:4] == source.split(":")[2:4]


def _wal(conn: sqlite3.Connection, timeout_s: float = 30.0) -> None:
    """Switch to WAL; two receivers starting on a new file at once may find it locked for a moment."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


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
