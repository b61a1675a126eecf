"""Rejected downlink messages counted per topic: one event at once, then at most one per interval.

A flood of bad messages on a topic (a broken OMS job, an attacker with a publisher's certificate) must not
become as many events synced back up: the first rejection on a topic is reported at once, the ones after
it within ``interval_s`` are counted, and the count goes out as one event when the interval ends.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

#: emit(topic, reason, detail, count)
Emit = Callable[[str, str, str, int], None]


@dataclass
class _Window:
    ends_at: float
    count: int = 0
    reason: str = ""
    detail: str = ""


class RejectionCounter:
    """Rate-limits rejection reports per topic; call :meth:`tick` often and :meth:`flush` at the end."""

    def __init__(self, interval_s: float, emit: Emit, clock: Callable[[], float] = time.monotonic) -> None:
        self.interval_s = interval_s
        self.emit = emit
        self.clock = clock
        self._windows: dict[str, _Window] = {}

    def reject(self, topic: str, reason: str, detail: str) -> None:
        now = self.clock()
        window = self._windows.get(topic)
        if window is not None and now < window.ends_at:
            window.count += 1
            window.reason, window.detail = reason, detail
            return
        if window is not None and window.count:
            self.emit(topic, window.reason, window.detail, window.count)
        self.emit(topic, reason, detail, 1)
        self._windows[topic] = _Window(now + self.interval_s)

    def tick(self) -> None:
        """Report the counts of the intervals that have ended."""
        now = self.clock()
        for topic, window in list(self._windows.items()):
            if now < window.ends_at:
                continue
            if window.count:
                self.emit(topic, window.reason, window.detail, window.count)
                self._windows[topic] = _Window(now + self.interval_s)
            else:
                del self._windows[topic]

    def flush(self) -> None:
        """Report every count still pending (at shutdown)."""
        for topic, window in self._windows.items():
            if window.count:
                self.emit(topic, window.reason, window.detail, window.count)
        self._windows.clear()
