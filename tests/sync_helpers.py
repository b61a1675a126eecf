"""Helpers for the sync tests: a station database with events, waiting for a condition."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from uuid6 import uuid7

from station.core.events import NewEvent
from station.core.hlc import ClockReading
from station.store.database import StationDB, open_database
from station.store.events import EventLog
from sync.protocol import OutboxEvent, source_of, to_cloudevent


def fixed_clock() -> ClockReading:
    return ClockReading(time.time_ns() // 1_000_000, time.monotonic_ns(), "boot-test", True)


def graded(i: int) -> NewEvent:
    """A realistic event: a unit of an RMA graded."""
    return NewEvent(
        "return.graded",
        f"RMA{i:07d}",
        {
            "rma": f"RMA{i:07d}",
            "unit": 1,
            "gtin": "00012345678905",
            "serial": f"SN{i}",
            "grade": "B",
            "reasons": ["scratched"],
        },
    )


def append_events(store: StationDB, count: int, chunk: int = 1000, start: int = 0) -> None:
    log = EventLog(store, fixed_clock)
    for base in range(start, start + count, chunk):
        log.append([graded(i) for i in range(base, min(base + chunk, start + count))], operator="B0001")


def station_db(path: Path, count: int = 0) -> StationDB:
    """The database as the station's start opens it (a corrupt file is moved aside)."""
    store = open_database(path, move_corrupt=True)
    if count:
        append_events(store, count)
    return store


def wait_for(condition: Callable[[], Any], timeout: float = 20.0, every: float = 0.05, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")


def event(seq: int, station: str = "s1") -> dict[str, Any]:
    """A CloudEvent as station ``station`` of hub h1 sends it (return.graded)."""
    e = OutboxEvent(
        seq,
        str(uuid7()),
        "return.graded",
        f"RMA{seq}",
        "B0001",
        "2026-01-01T00:00:00.000+00:00",
        "1767225600000.00000",
        "boot",
        True,
        {
            "rma": f"RMA{seq}",
            "unit": 1,
            "gtin": "00012345678905",
            "serial": None,
            "grade": "A",
            "reasons": [],
        },
    )
    return to_cloudevent(e, source_of("h1", station))
