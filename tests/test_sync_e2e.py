"""Station to centre over a real mosquitto: every event committed once, acked end to end, across restarts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from station.runtime.sync_link import SyncLink, start_sync
from station.store.outbox import StationOutbox
from sync.connection import Connection
from sync.receiver import Receiver, receiver_options
from sync.settings import SyncSettings
from sync.sinks import SqliteSink
from tests.fixtures_mqtt import Broker
from tests.sync_helpers import append_events, station_db, wait_for


def settings(broker: Broker, station: str = "s1", **kw: object) -> SyncSettings:
    base: dict[str, object] = dict(
        broker=broker.url,
        hub="h1",
        station=station,
        backoff_min_s=0.05,
        backoff_max_s=0.5,
        ack_timeout_s=3.0,
        health_interval_s=0.5,
    )
    base.update(kw)
    return SyncSettings(**base)  # type: ignore[arg-type]


class Central:
    """One or more in-process receivers over one SQLite sink."""

    def __init__(self, broker: Broker, path: Path, names: tuple[str, ...] = ("r1",)) -> None:
        self.path = path
        self.parts: list[tuple[Connection, Receiver, SqliteSink]] = []
        for name in names:
            sink = SqliteSink(path)
            conn = Connection(receiver_options(broker.url, name, backoff_max_s=0.5), name=name)
            self.parts.append((conn, Receiver(conn, sink, name=name), sink))
            conn.start()
        for conn, _, _ in self.parts:
            assert conn.wait_online(10)

    def count(self) -> int:
        return int(self.parts[0][2].stats()["events"])

    def stop(self) -> None:
        for conn, _, sink in self.parts:
            conn.stop()
            sink.close()


@pytest.fixture
def central(broker: Broker, tmp_path: Path) -> Iterator[Central]:
    c = Central(broker, tmp_path / "central.db")
    yield c
    c.stop()


def acked(link: SyncLink) -> int:
    return int(link.uplink.outbox.acked_seq())


def test_backlog_drains_exactly_once_and_is_acked(broker: Broker, central: Central, tmp_path: Path) -> None:
    db = tmp_path / "station.db"
    station_db(db, 3000).close()
    link = start_sync(settings(broker), db, lambda: {"printer": "ready"})
    try:
        wait_for(lambda: acked(link) == 3000, what="all 3000 events acked")
        assert central.count() == 3000
        status = link.status()
        assert status["state"] == "online" and status["backlog"] == 0 and status["last_ack_at"]
        stats = central.parts[0][2].stats()
        source = link.settings.topics.source
        assert source.startswith("urn:hubstation:h1:s1:")  # the station's log id follows
        assert stats["stations"][source] == {"contiguous": 3000, "highest": 3000, "gaps": []}
    finally:
        link.stop()


def test_broker_restart_mid_drain_loses_nothing(broker: Broker, central: Central, tmp_path: Path) -> None:
    """The broker is SIGKILLed while the backlog is really draining: some acked, most not, events in flight.

    A window of 1,000 events keeps the drain of 12,000 going for many acks, so the kill lands mid-drain
    whatever the machine's speed; the station must then send again from its last ack."""
    total = 12_000
    db = tmp_path / "station.db"
    store = station_db(db, total)
    link = start_sync(settings(broker, window=1000, batch_size=100), db, dict)
    try:
        wait_for(lambda: acked(link) > 0, what="first ack")
        broker.stop(kill=True)
        at_kill = acked(link)
        assert 0 < at_kill < total, f"the kill must land mid-drain: {at_kill} of {total} acked"
        assert link.uplink._sent > at_kill  # events in flight, unacked, when the broker died
        append_events(store, 1000, start=total)
        broker.start()
        wait_for(lambda: acked(link) == total + 1000, timeout=60, what="all acked after the restart")
        assert central.count() == total + 1000
        assert link.uplink.resends > 0
        print(f"broker killed at {at_kill} of {total} acked; resends {link.uplink.resends}")
    finally:
        link.stop()
        store.close()


def test_offline_station_keeps_events_until_acked(broker: Broker, tmp_path: Path) -> None:
    """No receiver: the broker takes the events (PUBACK) but nothing counts as delivered."""
    db = tmp_path / "station.db"
    station_db(db, 100).close()
    link = start_sync(settings(broker), db, dict)
    try:
        wait_for(lambda: link.conn.online, what="online")
        wait_for(lambda: link.uplink._sent == 100, what="all sent")
        assert acked(link) == 0
        assert link.status()["backlog"] == 100
        outbox = link.uplink.outbox
        assert isinstance(outbox, StationOutbox)
        assert outbox.prune(0.000001) == 0  # nothing acked: nothing pruned
        central = Central(broker, tmp_path / "central.db")
        try:
            wait_for(lambda: acked(link) == 100, what="acked once a receiver runs")
            assert central.count() == 100
        finally:
            central.stop()
    finally:
        link.stop()


def test_a_database_started_anew_is_a_new_log_not_duplicates(
    broker: Broker, central: Central, tmp_path: Path
) -> None:
    """A corrupt station database is moved aside and a new one numbers its events from seq 1 again: the new
    log id in the source keeps the centre from dropping them as duplicates of the old log's events."""
    db = tmp_path / "station.db"
    station_db(db, 50).close()
    link = start_sync(settings(broker), db, dict)
    try:
        wait_for(lambda: acked(link) == 50, what="the first log acked")
    finally:
        link.stop()
    db.write_bytes(b"garbage" * 1000)  # the SD card died under it
    for extra in ("-wal", "-shm"):
        Path(f"{db}{extra}").unlink(missing_ok=True)
    station_db(db, 20).close()  # moved aside, a new log started
    link = start_sync(settings(broker), db, dict)
    try:
        wait_for(lambda: acked(link) == 20, what="the new log acked")
    finally:
        link.stop()
    assert central.count() == 70
    sources = central.parts[0][2].stats()["stations"]
    assert len(sources) == 2 and all(s.startswith("urn:hubstation:h1:s1:") for s in sources)


def test_the_headless_station_syncs_its_returns(broker: Broker, central: Central, tmp_path: Path) -> None:
    """`station run --headless` with a [broker]: the whole return reaches the centre, acked end to end."""
    import json
    import subprocess
    import sys

    data = tmp_path / "data"
    config = tmp_path / "station.toml"
    config.write_text(f'hub = "h1"\nstation = "s1"\ndata_dir = "{data}"\n[broker]\nurl = "{broker.url}"\n')
    script = tmp_path / "return.scans"
    script.write_text("BADGE-1001\nRMA-1000001\n]C1010950110153000321SN-1\nCMD:GRADE:A\nCMD:DONE\n@sleep 6\n")
    manifest = Path(__file__).parent / "data" / "manifest.json"

    def station(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "station.cli", "--config", str(config), *args],
            capture_output=True,
            text=True,
            timeout=60,
        )

    assert station("manifest", "load", str(manifest)).returncode == 0
    assert station("operators", "load", str(manifest.with_name("operators.json"))).returncode == 0
    run = station("run", "--headless", "--scanner", f"replay:{script}")
    assert run.returncode == 0, run.stderr
    events = [json.loads(line) for line in station("events", "--json").stdout.splitlines()]
    assert "refund.eligible" in [e["type"] for e in events]
    wait_for(lambda: central.count() == len(events), what="the station's events at the centre")
    status = json.loads(station("sync", "status", "--json").stdout)
    assert status["acked_seq"] == len(events) and status["backlog"] == 0
