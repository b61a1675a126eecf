"""The reads that recovery (:mod:`station.core.recovery`) makes, over the station database."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from station.core.codes import CodePatterns
from station.core.events import Event
from station.core.manifest import ExpectedReturn, Operator
from station.core.packing import Order
from station.store import orders
from station.store.events import EventLog
from station.store.manifests import find_operator, find_return, is_stocked

#: How far back (in events) recovery looks for what was open: work open longer ago than this many events
#: cannot be (every flow keeps the person at it until it is finished or cancelled).
WINDOW = 100_000


class StoreLogReader:
    """Implements :class:`station.core.recovery.LogReader` on a station database."""

    def __init__(self, log: EventLog, patterns: CodePatterns, roles: Sequence[str]) -> None:
        self.store = log.store
        self.log = log
        self.patterns = patterns
        self.roles = roles

    def _event(self, seq: int) -> Event:
        return next(self.log.read(after=seq - 1, limit=1))

    def last_of(self, types: Sequence[str]) -> Event | None:
        where = " OR ".join("type LIKE ?" if t.endswith(".") else "type = ?" for t in types)
        params: list[Any] = [t + "%" if t.endswith(".") else t for t in types]
        row = self.store.conn.execute(
            f"SELECT seq FROM events WHERE seq > ? AND ({where}) ORDER BY seq DESC LIMIT 1",
            [self.log.last_seq() - WINDOW, *params],
        ).fetchone()
        return None if row is None else self._event(int(row[0]))

    def since(self, subject: str, seq: int) -> list[Event]:
        rows = self.store.conn.execute(
            "SELECT seq FROM events WHERE subject = ? AND seq >= ? ORDER BY seq", (subject, seq)
        ).fetchall()
        return [self._event(int(r[0])) for r in rows]

    def manifest(self, rma: str) -> ExpectedReturn | None:
        scanned = self.patterns.match(rma)  # returns are found by the value a scan of their RMA gives
        found = find_return(self.store, scanned[1] if scanned else rma)
        return found if found is not None and found.rma == rma else None

    def order(self, number: str) -> Order | None:
        return orders.find_order(self.store, number)

    def stocked(self, gtin: str) -> bool:
        return is_stocked(self.store, gtin)

    def operator(self, signed_in: Event) -> Operator | None:
        badge = signed_in.subject
        known = find_operator(self.store, badge)
        if known is not None:
            return known
        has_list = self.store.conn.execute("SELECT 1 FROM operators LIMIT 1").fetchone() is not None
        if has_list:
            return None
        d = signed_in.data
        return Operator(badge, str(d.get("name") or badge), frozenset(d.get("roles") or self.roles))

    def carried_flags(self, rma: str) -> tuple[str, ...]:
        """The review reasons of the last cancelled attempt at return ``rma`` (they carry over)."""
        cancelled = [e for e in self.since(rma, 0) if e.type == "return.cancelled"]
        return tuple(cancelled[-1].data.get("review_reasons", ())) if cancelled else ()
