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
from typing import Any

import orjson

from sync.central.db import Database
from sync.central.projections import Projector
from sync.central.schema import PROJECTION_TABLES
from sync.protocol import ProtocolError, parse_source

log = logging.getLogger(__name__)

_WORK = """SELECT p.source, p.contiguous, COALESCE(pp.seq, 0) FROM progress p
    LEFT JOIN proj_position pp ON pp.source = p.source
    WHERE p.contiguous > COALESCE(pp.seq, 0) ORDER BY p.updated_at LIMIT 200"""
_EVENTS = """SELECT seq, id, type, subject, time, event, received_at FROM events
    WHERE source = ? AND seq > ? AND seq <= ? ORDER BY seq LIMIT ?"""


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def step(db: Database, limit: int = 2000) -> int:
    """Project up to ``limit`` events; returns how many."""
    done = 0
    with db.transaction(exclusive=True) as cur:
        work = db.execute(cur, _WORK).fetchall()
        projector = Projector(db, cur)
        for source, contiguous, position in work:
            if done >= limit:
                break
            try:
                hub, station = parse_source(source)
            except ProtocolError:
                log.warning("follower: skipping events of %r: not a station source", source)
                continue
            rows = db.execute(cur, _EVENTS, (source, position, contiguous, limit - done)).fetchall()
            for seq, id_, kind, subject, time_, doc, received_at in rows:
                pos = _feed(db, cur, (source, seq, id_, kind, subject, hub, station, time_, received_at))
                projector.apply(pos, hub, station, orjson.loads(doc))
            if rows:
                last = rows[-1]
                _station(db, cur, hub, station, source, int(last[0]), str(last[4]))
                db.execute(
                    cur,
                    "INSERT INTO proj_position (source, seq) VALUES (?, ?) "
                    "ON CONFLICT (source) DO UPDATE SET seq = excluded.seq",
                    (source, int(last[0])),
                )
                done += len(rows)
    return done


def _feed(db: Database, cur: Any, values: tuple[Any, ...]) -> int:
    """The event's feed position: a new one, or the one it kept through a rebuild."""
    found = db.execute(
        cur,
        "INSERT INTO feed (source, seq, id, type, subject, hub, station, time, received_at, projected_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (source, seq) DO NOTHING RETURNING pos",
        (*values, _now_ms()),
    ).fetchone()
    if found is None:
        found = db.execute(cur, "SELECT pos FROM feed WHERE source = ? AND seq = ?", values[:2]).fetchone()
    return int(found[0])


def _station(db: Database, cur: Any, hub: str, station: str, source: str, seq: int, time_: str) -> None:
    db.execute(
        cur,
        "INSERT INTO stations (hub, station, source, last_seq, last_event_time) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (hub, station) DO UPDATE SET source = excluded.source, last_seq = excluded.last_seq, "
        "last_event_time = excluded.last_event_time",
        (hub, station, source, seq, time_),
    )


def rebuild(db: Database) -> int:
    """Empty the projections and fold every event again; returns how many were projected."""
    with db.transaction(exclusive=True) as cur:
        for table in PROJECTION_TABLES:
            db.execute(cur, f"DELETE FROM {table}")
    total = 0
    while n := step(db):
        total += n
    return total


class Follower:
    """Runs :func:`step` on its own thread until stopped, every ``interval`` s while idle."""

    def __init__(self, db: Database, interval: float = 0.05) -> None:
        self.db = db
        self.interval = interval
        self.projected = 0
        self.errors = 0
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
                n = step(self.db)
            except Exception:  # the database went away: log, wait, try again
                self.errors += 1
                log.exception("follower: a projection step failed; retrying")
                n = 0
            self.projected += n
            if not n:
                self._stop.wait(self.interval)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)
