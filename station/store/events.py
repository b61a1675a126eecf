"""The append-only event log. It is also the outbox: sync reads it and marks what the receiver acked."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

from uuid6 import uuid7

from station.core.events import Event, NewEvent
from station.core.hlc import ClockReading, Hlc
from station.store.database import StationDB

_COLUMNS = "seq, id, type, subject, operator, hlc_wall, hlc_counter, boot_id, mono_ns, clock_synced, data"


def _row_to_event(row: Sequence[Any]) -> Event:
    return Event(
        seq=row[0],
        id=row[1],
        type=row[2],
        subject=row[3],
        operator=row[4],
        hlc=Hlc(row[5], row[6]),
        boot_id=row[7],
        mono_ns=row[8],
        clock_synced=bool(row[9]),
        data=json.loads(row[10]),
    )


class EventLog:
    """Appends events with a gapless ``seq``, a UUIDv7 ``id`` and a hybrid logical clock time.

    The last ``seq`` and the HLC high-water mark live in ``meta`` and move in the same transaction as the
    events, so neither can go backwards or skip, across crashes and reboots alike.
    """

    def __init__(self, store: StationDB, clock: Callable[[], ClockReading]) -> None:
        self.store = store
        self.clock = clock

    def append(self, events: Sequence[NewEvent], operator: str) -> list[Event]:
        """Commit ``events`` in one transaction and return them as committed (raises DiskFull, StoreError)."""
        if not events:
            return []
        with self.store.write() as conn:
            committed = self.append_in(conn, events, operator)
        return committed

    def append_in(self, conn: Any, events: Sequence[NewEvent], operator: str) -> list[Event]:
        """Append inside a transaction the caller holds (to commit other rows atomically with the events)."""
        seq = int(self.store.meta("last_seq", "0") or 0)
        hlc = Hlc.parse(self.store.meta("hlc", "0") or "0")
        reading = self.clock()
        committed: list[Event] = []
        rows = []
        for new in events:
            seq += 1
            hlc = hlc.tick(reading.wall_ms)
            event = Event(
                seq=seq,
                id=str(uuid7()),
                type=new.type,
                subject=new.subject,
                operator=operator,
                hlc=hlc,
                boot_id=reading.boot_id,
                mono_ns=reading.mono_ns,
                clock_synced=reading.synchronized,
                data=dict(new.data),
            )
            committed.append(event)
            rows.append(
                (
                    event.seq,
                    event.id,
                    event.type,
                    event.subject,
                    event.operator,
                    hlc.wall_ms,
                    hlc.counter,
                    event.boot_id,
                    event.mono_ns,
                    int(event.clock_synced),
                    json.dumps(event.data, separators=(",", ":"), ensure_ascii=False, sort_keys=True),
                )
            )
        conn.executemany(f"INSERT INTO events ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
        self.store.set_meta("last_seq", str(seq))
        self.store.set_meta("hlc", str(hlc))
        return committed

    def read(self, after: int = 0, limit: int | None = None, types: Sequence[str] = ()) -> Iterator[Event]:
        """Events with ``seq > after`` in seq order (optionally only some types)."""
        sql = f"SELECT {_COLUMNS} FROM events WHERE seq > ?"
        params: list[Any] = [after]
        if types:
            sql += f" AND type IN ({','.join('?' * len(types))})"
            params.extend(types)
        sql += " ORDER BY seq"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        for row in self.store.conn.execute(sql, params):
            yield _row_to_event(row)

    def last_seq(self) -> int:
        return int(self.store.meta("last_seq", "0") or 0)
