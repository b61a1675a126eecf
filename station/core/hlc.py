"""Hybrid logical clock: time that never runs backwards, even when the wall clock does.

A Raspberry Pi has no real-time clock: after boot the wall clock may be far behind until NTP syncs. The
station persists the last HLC it issued, so an event after a reboot is always ordered after the events
before it, whatever the wall clock says.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, order=True)
class Hlc:
    """A hybrid logical timestamp: wall milliseconds since the epoch plus a counter for ties."""

    wall_ms: int
    counter: int = 0

    def tick(self, now_ms: int) -> Hlc:
        """The next timestamp for a local event when the wall clock reads ``now_ms``."""
        if now_ms > self.wall_ms:
            return Hlc(now_ms, 0)
        return Hlc(self.wall_ms, self.counter + 1)

    def receive(self, remote: Hlc, now_ms: int) -> Hlc:
        """The next timestamp after seeing ``remote`` from another node."""
        wall = max(self.wall_ms, remote.wall_ms, now_ms)
        if wall == self.wall_ms == remote.wall_ms:
            counter = max(self.counter, remote.counter) + 1
        elif wall == self.wall_ms:
            counter = self.counter + 1
        elif wall == remote.wall_ms:
            counter = remote.counter + 1
        else:
            counter = 0
        return Hlc(wall, counter)

    def isoformat(self) -> str:
        """The wall part as an RFC 3339 UTC time (what CloudEvents' ``time`` wants)."""
        return datetime.fromtimestamp(self.wall_ms / 1000, tz=UTC).isoformat(timespec="milliseconds")

    def __str__(self) -> str:
        return f"{self.wall_ms:013d}.{self.counter:05d}"

    @classmethod
    def parse(cls, text: str) -> Hlc:
        wall, _, counter = text.partition(".")
        return cls(int(wall), int(counter or 0))


@dataclass(frozen=True)
class ClockReading:
    """What the machine's clocks say at one moment (read by :mod:`station.runtime.clock`)."""

    wall_ms: int
    mono_ns: int
    boot_id: str
    synchronized: bool
