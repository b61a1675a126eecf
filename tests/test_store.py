"""The station database: gapless seq, durable HLC, corrupt files moved aside (only at the station's start,
only when corrupt), a real full disk refused."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from station.core.errors import DatabaseCorrupt, DiskFull
from station.core.events import NewEvent
from station.core.hlc import ClockReading, Hlc
from station.store.database import open_database
from station.store.events import EventLog
from tests.fixtures_disk import fill_up


class FakeClock:
    """A settable clock: the test decides what the wall clock says (a Pi after boot has no RTC)."""

    def __init__(self, wall_ms: int = 1_700_000_000_000, synced: bool = True) -> None:
        self.wall_ms = wall_ms
        self.synced = synced

    def __call__(self) -> ClockReading:
        return ClockReading(self.wall_ms, 1, "boot-1", self.synced)


def test_append_assigns_gapless_seq_uuid7_and_hlc(tmp_path: Path) -> None:
    store = open_database(tmp_path / "s.db")
    log = EventLog(store, FakeClock())
    first = log.append([NewEvent("a", "x", {"n": 1}), NewEvent("b", "x")], "op1")
    second = log.append([NewEvent("c", "y")], "op2")
    assert [e.seq for e in first + second] == [1, 2, 3]
    assert all(e.id[14] == "7" for e in first + second)  # UUID version 7
    assert len({e.id for e in first + second}) == 3
    assert [e.hlc for e in first + second] == [
        Hlc(1_700_000_000_000, 0),
        Hlc(1_700_000_000_000, 1),
        Hlc(1_700_000_000_000, 2),
    ]
    read = list(log.read())
    assert [e.as_dict() for e in read] == [e.as_dict() for e in first + second]
    assert [e.type for e in log.read(after=1, types=["c"])] == ["c"]


def test_hlc_never_goes_back_across_restart_with_a_wrong_clock(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = open_database(path)
    EventLog(store, FakeClock(2_000_000_000_000)).append([NewEvent("a", "x")], "op")
    store.close()
    # reboot: no RTC, the wall clock says 1970 and NTP has not synced yet
    store = open_database(path)
    event = EventLog(store, FakeClock(5_000, synced=False)).append([NewEvent("b", "x")], "op")[0]
    assert event.hlc == Hlc(2_000_000_000_000, 1)
    assert event.clock_synced is False
    assert event.seq == 2


def test_corrupt_database_is_moved_aside_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    garbage = b"this is not a database" * 100
    path.write_bytes(garbage)
    with pytest.raises(DatabaseCorrupt, match="moves it aside when it next starts"):
        open_database(path)  # any opener but the station's start only refuses
    assert path.read_bytes() == garbage
    store = open_database(path, move_corrupt=True)
    assert store.moved_aside is not None
    assert store.moved_aside.read_bytes() == garbage
    assert EventLog(store, FakeClock()).append([NewEvent("a", "x")], "op")[0].seq == 1


def test_damaged_pages_fail_quick_check_and_are_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    store = open_database(path)
    log = EventLog(store, FakeClock())
    for i in range(300):
        log.append([NewEvent("a", "x", {"pad": "p" * 200, "i": i})], "op")
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    store.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(3 * page, len(data) - page, 5 * page):  # scribble over some b-tree pages
        data[offset + 8 : offset + 64] = b"\xff" * 56
    path.write_bytes(bytes(data))
    with pytest.raises(DatabaseCorrupt, match="manifest"):
        open_database(path)
    store = open_database(path, move_corrupt=True)
    assert store.moved_aside is not None and store.moved_aside.exists()
    assert list(EventLog(store, FakeClock()).read()) == []


def test_disk_full_refuses_and_keeps_what_was_committed(small_tmpfs: Path) -> None:
    # A real 1 MB tmpfs: old labels take a third, the events fill the rest to the last byte.
    old_labels = small_tmpfs / "old-labels.zpl"
    old_labels.write_bytes(b"^XA^XZ" * 50_000)
    store = open_database(small_tmpfs / "s.db")
    log = EventLog(store, FakeClock())
    log.append([NewEvent("before", "x")], "op")
    with pytest.raises(DiskFull, match="is full") as refused:
        for _ in range(1000):
            log.append([NewEvent("big", "x", {"pad": "z" * 3000})], "op")
    assert f"disk under {small_tmpfs} is full" in str(refused.value)
    committed = [e.seq for e in log.read()]
    assert len(committed) > 10 and committed == list(range(1, len(committed) + 1))
    filler = fill_up(small_tmpfs)  # and whatever the log left free
    with pytest.raises(DiskFull):
        log.append([NewEvent("none", "x")], "op")
    filler.unlink()
    old_labels.unlink()  # space is back
    after = log.append([NewEvent("after", "x")], "op")[0]
    assert after.seq == committed[-1] + 1
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store.close()
    reopened = open_database(small_tmpfs / "s.db")
    assert [e.seq for e in EventLog(reopened, FakeClock()).read()][-1] == after.seq


def test_wal_and_full_sync(tmp_path: Path) -> None:
    store = open_database(tmp_path / "s.db")
    assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert store.conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    other = sqlite3.connect(tmp_path / "s.db")
    assert {r[0] for r in other.execute("SELECT name FROM _migrations")} >= {"0001_events", "0002_manifests"}
