"""The event log as sync's outbox: pending events, the end-to-end acked mark, pruning, the link's state."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from typing import Any

from station.core.events import Event
from station.store.database import StationDB
from station.store.events import EventLog
from sync.protocol import OutboxEvent
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
        return upto

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
