"""The station side's pieces: pruning, status for people, health, resync after an outage, robustness."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest

from station.runtime.sync_link import read_status, start_sync
from station.store.outbox import StationOutbox
from sync.connection import Connection, Options, backoff_delay
from sync.protocol import ProtocolError, SyncError, Topics
from sync.settings import BrokerAddress, SyncSettings
from tests.fixtures_mqtt import Broker
from tests.sync_helpers import station_db, wait_for

DAY_MS = 86_400_000


def test_prune_removes_old_acked_events_and_never_unacked_ones(tmp_path: Path) -> None:
    store = station_db(tmp_path / "s.db", 100)
    outbox = StationOutbox(store)
    assert outbox.mark_acked(60) == 60
    assert outbox.mark_acked(40) == 60  # never lowered
    assert outbox.mark_acked(10_000) == 100 or outbox.acked_seq() == 100
    store.conn.execute("UPDATE events SET acked_at = NULL WHERE seq > 60")
    store.set_meta("acked_seq", "60")
    old = int(time.time() * 1000) - 40 * DAY_MS
    store.conn.execute("UPDATE events SET acked_at = ? WHERE seq <= 50", (old,))
    store.conn.execute("UPDATE events SET hlc_wall = ? WHERE seq > 60", (old,))  # old but unacked
    assert outbox.prune(30) == 50
    assert outbox.prune(30) == 0
    left = [r[0] for r in store.conn.execute("SELECT seq FROM events ORDER BY seq")]
    assert left == list(range(51, 101))
    stats = outbox.stats()
    assert (stats.last_seq, stats.acked_seq, stats.depth) == (100, 60, 40)
    assert stats.oldest_unacked_ms == old
    store.close()


def test_status_for_people_in_the_cli(broker: Broker, tmp_path: Path) -> None:
    data = tmp_path / "data"
    db = data / "station.db"
    station_db(db, 25).close()
    config = tmp_path / "station.toml"
    config.write_text(f'hub = "h1"\nstation = "s1"\ndata_dir = "{data}"\n[broker]\nurl = "{broker.url}"\n')
    link = start_sync(SyncSettings(broker=broker.url, hub="h1", station="s1"), db, dict)
    try:
        wait_for(lambda: link.conn.online, what="online")
        wait_for(lambda: read_status(db)["state"] == "online", what="state saved")
        out = subprocess.run(
            [sys.executable, "-m", "station.cli", "--config", str(config), "sync", "status", "--json"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        state = json.loads(out)
        assert state["online"] and state["configured"] and state["backlog"] == 25 and state["acked_seq"] == 0
        assert state["oldest_unacked_age_s"] is not None
        human = subprocess.run(
            [sys.executable, "-m", "station.cli", "--config", str(config), "sync", "status"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert (
            "Sync: online" in human
            and "25 events waiting" in human
            and "Last ack: seq 0 of 25, never" in human
        )
    finally:
        link.stop()
    assert read_status(db)["state"] == "stopped"


def test_health_is_published_with_the_stations_figures(broker: Broker, tmp_path: Path) -> None:
    seen: list[dict[str, Any]] = []
    spy = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    spy.on_message = lambda c, u, m: seen.append(json.loads(m.payload))
    spy.connect("127.0.0.1", broker.port)
    spy.subscribe("hubs/h1/stations/s1/health")
    spy.loop_start()
    db = tmp_path / "s.db"
    station_db(db, 7).close()
    health = {
        "printer": {"state": "paper_out"},
        "disk_free_bytes": 123,
        "clock_synced": False,
        "version": "9.9",
    }
    settings = SyncSettings(broker=broker.url, hub="h1", station="s1", health_interval_s=0.2)
    link = start_sync(settings, db, lambda: health)
    try:
        wait_for(lambda: seen, what="a health message")
    finally:
        link.stop()
        spy.loop_stop()
    first = seen[0]
    assert first["outbox_depth"] == 7 and first["printer"] == {"state": "paper_out"}
    assert first["disk_free_bytes"] == 123 and first["clock_synced"] is False and first["version"] == "9.9"


def test_a_station_back_from_a_long_outage_asks_for_a_snapshot(broker: Broker, tmp_path: Path) -> None:
    requests: list[dict[str, Any]] = []
    spy = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    spy.on_message = lambda c, u, m: requests.append(json.loads(m.payload))
    spy.connect("127.0.0.1", broker.port)
    spy.subscribe("hubs/h1/stations/s1/resync", qos=1)
    spy.loop_start()
    db = tmp_path / "s.db"
    store = station_db(db)
    StationOutbox(store).save_link({"state": "offline", "online_at": time.time() - 3 * 86_400})
    store.close()
    link = start_sync(SyncSettings(broker=broker.url, hub="h1", station="s1"), db, dict)
    try:
        wait_for(lambda: requests, what="a resync request")
    finally:
        link.stop()
        spy.loop_stop()
    assert requests[0]["source"].startswith("urn:hubstation:h1:s1:") and "72.0 h" in requests[0]["reason"]


def test_a_failing_handler_does_not_kill_the_network_thread(broker: Broker) -> None:
    got: list[bytes] = []

    def handler(message: mqtt.MQTTMessage) -> None:
        if message.payload == b"boom":
            raise RuntimeError("a bug in a handler")
        got.append(message.payload)

    conn = Connection(Options(BrokerAddress.parse(broker.url), "robust"))
    conn.subscribe("t/x", handler)
    conn.start()
    try:
        assert conn.wait_online(10)
        time.sleep(0.2)
        conn.publish("t/x", b"boom")
        conn.publish("t/x", b"fine")
        wait_for(lambda: got == [b"fine"], what="the message after the failing one")
        assert conn.online
    finally:
        conn.stop()


def test_reconnects_with_backoff_until_the_broker_is_back(broker: Broker, tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    station_db(db, 3).close()
    broker.stop()
    link = start_sync(
        SyncSettings(broker=broker.url, hub="h1", station="s1", backoff_min_s=0.05, backoff_max_s=0.2),
        db,
        dict,
    )
    try:
        time.sleep(0.5)
        assert link.status()["state"] in ("offline", "connecting")
        assert "broker" in (link.status()["error"] or "")
        wait_for(lambda: read_status(db)["state"] == "offline", what="people see 'offline'")
        assert read_status(db)["online"] is False and read_status(db)["backlog"] == 3
        broker.start()
        wait_for(lambda: link.conn.online, what="online after the broker came back")
    finally:
        link.stop()


def test_backoff_grows_with_jitter_and_is_capped() -> None:
    delays = [backoff_delay(n, 0.5, 30) for n in range(12)]
    assert all(0.25 <= d <= 30 for d in delays)
    assert delays[-1] >= 15  # capped at 30, never below half of it
    assert len({round(backoff_delay(3, 0.5, 30), 6) for _ in range(20)}) > 1  # jitter


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"broker": "http://x"}, "mqtts://"),
        ({"broker": "mqtt://x:notaport"}, "port"),
        ({"hub": "h/1"}, "hub id"),
        ({"batch_size": 0}, "batch_size"),
        ({"prune_days": 0}, "prune_days"),
    ],
)
def test_bad_settings_say_what_is_wrong(kwargs: dict[str, Any], match: str) -> None:
    base: dict[str, Any] = {"broker": "mqtt://localhost", "hub": "h1", "station": "s1", **kwargs}
    with pytest.raises((SyncError, ProtocolError), match=match):
        SyncSettings(**base).topics  # noqa: B018
    assert Topics("h1", "s1").events == "hubs/h1/stations/s1/events"
