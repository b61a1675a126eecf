"""The projection follower: reads the sink's events station by station in seq order, by a stored position.

Each step is one transaction under the central writer lock: it takes the events of each station past its
projected position up to the highest contiguous seq the sink holds (so a gap waits for its events, and
nothing is missed or applied twice), numbers them in the feed, folds them into the projections and moves
the positions. Several service processes on one PostgreSQL may run followers: the lock makes one project
at a time. :func:`rebuild` empties the projections; the next steps fold every event again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

import orjson

from sync.central.db import WRITER, Database
from sync.central.projections import Projector
from sync.central.schema import PROJECTION_TABLES
from sync.protocol import ProtocolError, parse_source

log = logging.getLogger(__name__)

_WORK = """SELECT p.source, p.contiguous, COALESCE(pp.seq, 0) FROM progress p
    LEFT JOIN proj_position pp ON pp.source = p.source
    WHERE p.contiguous > COALESCE(pp.seq, 0) ORDER BY p.updated_at"""
_EVENTS = """SELECT seq, id, type, subject, time, event, received_at FROM events
    WHERE source = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?"""


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def step(db: Database, limit: int = 2000) -> int:
    """Project up to ``limit`` events; returns how many."""
    if db.row(_WORK + " LIMIT 1") is None:  # idle: no write lock taken
        return 0
    with db.transaction(WRITER) as cur:
        batch: list[tuple[str, str, str, tuple[Any, ...]]] = []
        for source, contiguous, position in db.execute(cur, _WORK + " LIMIT 200").fetchall():
            if len(batch) >= limit:
                break
            try:
                hub, station = parse_source(source)
            except ProtocolError:
                log.warning("follower: skipping events of %r: not a station source", source)
                continue
            rows = db.execute(cur, _EVENTS, (source, position, contiguous, limit - len(batch))).fetchall()
            batch += [(source, hub, station, tuple(row)) for row in rows]
        if not batch:
            return 0
        positions = _feed(db, cur, batch)
        projector = Projector(db, cur)
        last: dict[str, tuple[str, str, int, str]] = {}
        with db.pipeline(cur):
            for source, hub, station, (seq, _, _, _, time_, doc, _) in batch:
                projector.apply(positions[(source, seq)], hub, station, orjson.loads(doc))
                last[source] = (hub, station, int(seq), str(time_))
            projector.flush()
        cur.executemany(
            db.sql(
                "INSERT INTO stations (hub, station, source, last_seq, last_event_time) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (hub, station) DO UPDATE SET source = excluded.source, "
                "last_seq = excluded.last_seq, last_event_time = excluded.last_event_time"
            ),
            [(hub, station, source, seq, time_) for source, (hub, station, seq, time_) in last.items()],
        )
        cur.executemany(
            db.sql(
                "INSERT INTO proj_position (source, seq) VALUES (?, ?) "
                "ON CONFLICT (source) DO UPDATE SET seq = excluded.seq"
            ),
            [(source, seq) for source, (_, _, seq, _) in last.items()],
        )
    return len(batch)


_FEED_COLUMNS = "source, seq, id, type, subject, hub, station, time, received_at, projected_at"
_CHUNK = 400


def _feed(
    db: Database, cur: Any, batch: list[tuple[str, str, str, tuple[Any, ...]]]
) -> dict[tuple[str, int], int]:
    """Each event's feed position: new ones in projection order, or the ones kept through a rebuild.
    ``projected_at`` is stamped as the step begins; the step commits a little later."""
    now = _now_ms()
    rows = [
        (source, seq, id_, kind, subject, hub, station, time_, received_at, now)
        for source, hub, station, (seq, id_, kind, subject, time_, _, received_at) in batch
    ]
    out: dict[tuple[str, int], int] = {}
    marks = "(" + ", ".join("?" * 10) + ")"
    for i in range(0, len(rows), _CHUNK):
        chunk = rows[i : i + _CHUNK]
        found = db.execute(
            cur,
            f"INSERT INTO feed ({_FEED_COLUMNS}) VALUES {', '.join([marks] * len(chunk))} "
            "ON CONFLICT (source, seq) DO NOTHING RETURNING source, seq, pos",
            [v for row in chunk for v in row],
        ).fetchall()
        out.update({(str(src), int(seq)): int(pos) for src, seq, pos in found})
    for source, seq, *_ in rows:
        if (source, seq) not in out:  # projected before a rebuild: its position stays
            found = db.execute(
                cur, "SELECT pos FROM feed WHERE source = ? AND seq = ?", (source, seq)
            ).fetchone()
            out[(source, seq)] = int(found[0])
    return out


def rebuild(db: Database) -> int:
    """Empty the projections and fold every event again; returns how many were projected."""
    with db.transaction(WRITER) as cur:
        for table in PROJECTION_TABLES:
            db.execute(cur, f"DELETE FROM {table}")
    total = 0
    while n := step(db):
        total += n
    return total


class Follower:
    """Runs :func:`step` on its own thread until stopped, every ``interval`` s while idle; after each
    step that projected something it calls ``on_projected`` (the webhook sender's wake-up)."""

    def __init__(
        self,
        db: Database,
        interval: float = 0.05,
        on_projected: Callable[[], None] | None = None,
        batch: int = 500,
    ) -> None:
        self.db = db
        self.batch = batch  # short steps: what they project becomes visible (and is sent) sooner
        self.interval = interval
        self.on_projected = on_projected
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="central-follower", daemon=True)

    def start(self) -> Follower:
        self._thread.start()
        return self

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            self.db.close()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                n = step(self.db, self.batch)
            except Exception:  # the database went away: log, wait, try again
                log.exception("follower: a projection step failed; retrying")
                n = 0
            if n and self.on_projected is not None:
                self.on_projected()
            if not n:
                self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
