"""The event log as sync's outbox: pending events, the end-to-end acked mark, pruning, the link's state.

It also keeps which log the events go out under (``log_id``; after a fork ``log_start`` and
``log_forked_from`` too) and, beside the database, the mark that shows a restored database at start
(:mod:`station.store.log_marker`).
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

from station.core.events import Event
from station.store.database import StationDB
from station.store.events import EventLog
from station.store.log_marker import LogMark, LogMarker
from sync.protocol import LogRef, OutboxEvent
from sync.uplink import OutboxStats

DAY_MS = 86_400_000


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def to_outbox_event(event: Event) -> OutboxEvent:
    return OutboxEvent(
        seq=event.seq,
        id=event.id,
        type=event.type,
        subject=event.subject,
        operator=event.operator,
        time=event.time,
        hlc=str(event.hlc),
        boot_id=event.boot_id,
        clock_synced=event.clock_synced,
        data=event.data,
    )


class StationOutbox:
    """Implements :class:`sync.uplink.Outbox` over the ``events`` table (``acked_at`` in ms) and ``meta``.

    Give it its own connection: it is used from the sync thread while the core worker appends.
    """

    def __init__(self, store: StationDB) -> None:
        self.store = store
        self.log = EventLog(store, clock=_no_clock)
        self.marker = LogMarker(store.path)

    def pending(self, after: int, limit: int) -> Sequence[OutboxEvent]:
        return [to_outbox_event(e) for e in self.log.read(after=after, limit=limit)]

    def acked_seq(self) -> int:
        return int(self.store.meta("acked_seq", "0") or 0)

    def mark_acked(self, upto: int) -> int:
        with self.store.write() as conn:
            acked = self.acked_seq()
            upto = min(upto, self.log.last_seq())
            if upto <= acked:
                return acked
            now = _now_ms()
            conn.execute(
                "UPDATE events SET acked_at = ? WHERE seq > ? AND seq <= ? AND acked_at IS NULL",
                (now, acked, upto),
            )
            self.store.set_meta("acked_seq", str(upto))
            self.store.set_meta("last_ack_at", str(now))
        self._mark()
        return upto

    def log_ref(self) -> LogRef:
        forked_from = self.store.meta("log_forked_from")
        return LogRef(
            self.store.meta("log_id", "") or "", int(self.store.meta("log_start", "1") or 1), forked_from
        )

    def fork(self, from_source: str, reason: str) -> LogRef:
        """A new log id for every event still held, none of them acked: sent again, the centre sorts them.

        Events the centre holds already (by id) count as held for the new log; the others are new to it.
        """
        with self.store.write() as conn:
            oldest = conn.execute("SELECT min(seq) FROM events").fetchone()[0]
            start = int(oldest) if oldest is not None else self.log.last_seq() + 1
            conn.execute("UPDATE events SET acked_at = NULL WHERE acked_at IS NOT NULL")
            self.store.set_meta("log_id", secrets.token_hex(6))
            self.store.set_meta("log_start", str(start))
            self.store.set_meta("log_forked_from", from_source)
            self.store.set_meta("acked_seq", str(start - 1))
            self.store.set_meta("log_fork_reason", reason)
        self._mark()
        return self.log_ref()

    def ids(self, seqs: Sequence[int]) -> Mapping[int, str]:
        marks = ",".join("?" * len(seqs))
        rows = self.store.conn.execute(f"SELECT seq, id FROM events WHERE seq IN ({marks})", list(seqs))
        return {int(seq): str(id_) for seq, id_ in rows}

    def restored(self) -> str | None:
        """Why the database looks restored from an older copy (see the mark file), or None."""
        mark = self.marker.read()
        if mark is None:
            return None
        return mark.restored(self.log_ref().log_id, self.acked_seq(), self.log.last_seq())

    def _mark(self) -> None:
        """Write the mark file after a commit: the log, its acked and last seq, the logs left before."""
        old = self.marker.read()
        log_id = self.log_ref().log_id
        earlier = old.earlier if old is not None else ()
        if old is not None and old.log_id != log_id and old.log_id not in earlier:
            earlier = (*earlier, old.log_id)
        self.marker.write(LogMark(log_id, self.acked_seq(), self.log.last_seq(), earlier))

    def stats(self) -> OutboxStats:
        acked = self.acked_seq()
        last = self.log.last_seq()
        row = self.store.conn.execute(
            "SELECT hlc_wall FROM events WHERE seq > ? ORDER BY seq LIMIT 1", (acked,)
        )
        oldest = row.fetchone()
        last_ack = self.store.meta("last_ack_at")
        return OutboxStats(
            last_seq=last,
            acked_seq=acked,
            depth=max(0, last - acked),
            oldest_unacked_ms=None if oldest is None else int(oldest[0]),
            last_ack_at_ms=int(last_ack) if last_ack else None,
        )

    def prune(self, older_than_days: float) -> int:
        cutoff = _now_ms() - int(older_than_days * DAY_MS)
        with self.store.write() as conn:
            cur = conn.execute(
                "DELETE FROM events WHERE acked_at IS NOT NULL AND acked_at < ? AND seq <= ?",
                (cutoff, self.acked_seq()),
            )
        return int(cur.rowcount)

    def save_link(self, state: Mapping[str, Any]) -> None:
        with self.store.write():
            self.store.set_meta("sync_link", json.dumps(dict(state)))

    def link(self) -> Mapping[str, Any]:
        raw = self.store.meta("sync_link")
        loaded = json.loads(raw) if raw else {}
        return loaded if isinstance(loaded, dict) else {}


def _no_clock() -> Any:
    raise AssertionError("the outbox only reads the event log; it never appends")
