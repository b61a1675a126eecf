"""Station presence and health from a real mosquitto into the central tables, and the alerts people see:
offline or backlogged for more than N minutes, a printer fault for more than N minutes, seq gaps."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from sync.central import schema
from sync.central.alerts import Limits, alerts
from sync.central.db import Database
from sync.central.presence import Presence
from sync.sinks import open_sink
from tests.fixtures_mqtt import Broker
from tests.sync_helpers import event, wait_for


def publish(broker: Broker, topic: str, doc: dict[str, object], retain: bool = False) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    client.publish(topic, orjson.dumps(doc), qos=1, retain=retain).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()


def test_presence_health_and_alerts(broker: Broker, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'central.db'}"
    sink = open_sink(url)
    db = Database(url)
    schema.create(db)
    base = "hubs/ams-1/stations"
    eleven_min_ago = (datetime.now(UTC) - timedelta(minutes=11)).isoformat()
    publish(
        broker,
        f"{base}/counter-1/state",
        {
            "state": "offline",
            "source": "x",
            "since": eleven_min_ago,
            "version": "1.2.0",
            "reason": "connection lost",
        },
        retain=True,
    )
    publish(
        broker, f"{base}/counter-2/state", {"state": "online", "source": "y", "version": "1.3.0"}, retain=True
    )
    presence = Presence(Database(url), broker.url, "t").start()
    try:
        assert presence.conn.wait_online(10)  # subscribed: health is not retained
        health = {
            "source": "y",
            "time": "t",
            "outbox_depth": 40,
            "oldest_unacked_age_s": 900.0,
            "acked_seq": 0,
            "last_seq": 40,
            "printer": "head_open",
            "version": "1.3.0",
            "scanners": {"serial:///dev/hub/scanner-1": "connected"},
            "config_version": 7,
        }
        publish(broker, f"{base}/counter-2/health", health)
        wait_for(
            lambda: (
                db.row("SELECT health_at FROM stations WHERE station = 'counter-2'") is not None
                and db.row("SELECT printer FROM stations WHERE station = 'counter-2'")["printer"]
                == "head_open"
            ),
            what="counter-2's health",
        )
        wait_for(
            lambda: db.row("SELECT presence FROM stations WHERE station = 'counter-1'") is not None,
            what="counter-1's retained state",
        )
        sink.insert([event(1, "s9"), event(3, "s9")])  # seq 2 of h1/s9 is missing at the receiver

        limits = Limits(offline_min=10, backlog_min=10, printer_min=5)
        now = [(a["kind"], a["station"], a["text"]) for a in alerts(db, limits)]
        assert now == [
            ("offline", "counter-1", "offline for 11 min"),
            ("backlog", "counter-2", "40 events waiting, the oldest for 15 min"),
            ("gap", "s9", "seqs missing: the receiver has 1..1 in a row and events up to 3"),
        ]
        later = alerts(db, limits, now=time.time() + 6 * 60)  # the printer is still open 6 min later
        assert ("printer", "counter-2", "printer head_open for 6 min") in [
            (a["kind"], a["station"], a["text"]) for a in later
        ]
        row = db.row(
            "SELECT version, config_version, scanners, presence_reason FROM stations "
            "WHERE station = 'counter-2'"
        )
        assert row == {
            "version": "1.3.0",
            "config_version": 7,
            "presence_reason": None,
            "scanners": '{"serial:///dev/hub/scanner-1":"connected"}',
        }
        assert alerts(db, limits, hubs=["elsewhere"]) == []
    finally:
        presence.stop()
        sink.close()
        db.close()
