"""TLS and ACLs against a real mosquitto running the deploy config, with certificates from deploy/pki."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from station.runtime.sync_link import start_sync
from station.store.database import open_database
from sync.connection import Connection
from sync.protocol import downlink_message, encode
from sync.receiver import Receiver, receiver_options
from sync.settings import SyncSettings, TlsFiles
from sync.sinks import SqliteSink
from tests.fixtures_tls import TlsWorld
from tests.sync_helpers import station_db, wait_for
from tests.test_sync_downlink import ORDER, POISON, rejected, stored

GTIN = "00012345678905"


class RawClient:
    """A bare paho client, to see the broker's reason codes for what the ACL refuses."""

    def __init__(self, world: TlsWorld, tls: TlsFiles, client_id: str) -> None:
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        self.client.tls_set(ca_certs=str(tls.ca), certfile=str(tls.cert), keyfile=str(tls.key))
        self.received: list[mqtt.MQTTMessage] = []
        self.pubacks: dict[int, Any] = {}
        self.subacks: dict[int, list[Any]] = {}
        self.connected = threading.Event()
        self.client.on_connect = lambda c, u, f, rc, p: self.connected.set()
        self.client.on_message = lambda c, u, m: self.received.append(m)
        self.client.on_publish = lambda c, u, mid, rc, p: self.pubacks.__setitem__(mid, rc)
        self.client.on_subscribe = lambda c, u, mid, rcs, p: self.subacks.__setitem__(mid, rcs)
        self.client.connect("localhost", world.broker.port)
        self.client.loop_start()
        assert self.connected.wait(10)

    def publish(self, topic: str, payload: bytes, retain: bool = False) -> Any:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        return wait_for(lambda: self.pubacks.get(info.mid), timeout=10, what="PUBACK")

    def subscribe(self, topic: str) -> Any:
        _, mid = self.client.subscribe(topic, qos=1)
        return wait_for(lambda: self.subacks.get(mid), timeout=10, what="SUBACK")[0]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def test_station_syncs_over_tls_with_its_certificate(tls_world: TlsWorld, tmp_path: Path) -> None:
    sink = SqliteSink(tmp_path / "central.db")
    rconn = Connection(receiver_options(tls_world.url, "r1", tls_world.files("receiver-r1")), name="r1")
    Receiver(rconn, sink, name="r1")
    rconn.start()
    db = tmp_path / "s1.db"
    station_db(db, 50).close()
    tls = tls_world.files("h1-s1")
    settings = SyncSettings(
        broker=tls_world.url, hub="h1", station="s1", ca=tls.ca, cert=tls.cert, key=tls.key, backoff_max_s=0.5
    )
    link = start_sync(settings, db, dict)
    try:
        wait_for(lambda: link.uplink.outbox.acked_seq() == 50, what="50 events acked over TLS")
        assert sink.stats()["events"] == 50
    finally:
        link.stop()
        rconn.stop()
        sink.close()


def test_station_cannot_publish_as_another_station(tls_world: TlsWorld) -> None:
    a = RawClient(tls_world, tls_world.files("h1-s1"), "station-h1-s1-probe")
    try:
        assert not a.publish("hubs/h1/stations/s1/health", b"{}").is_failure
        refused = a.publish("hubs/h1/stations/s2/events", b"[]")
        assert refused.is_failure and "authorized" in str(refused).lower()
        refused = a.publish("hubs/h1/stations/s1/acks", b"{}")  # nor forge its own acks
        assert refused.is_failure
    finally:
        a.close()


def test_station_cannot_read_another_stations_downlink(tls_world: TlsWorld) -> None:
    a = RawClient(tls_world, tls_world.files("h1-s1"), "station-h1-s1-probe2")
    oms = RawClient(tls_world, tls_world.files("oms-ops"), "oms-ops")
    try:
        # mosquitto 2.0 grants the SUBACK and enforces 'read' on delivery: what matters is what arrives.
        a.subscribe("hubs/h1/stations/s2/downlink/#")
        a.subscribe("hubs/h1/stations/+/downlink/#")
        assert not a.subscribe("hubs/h1/stations/s1/downlink/#").is_failure
        assert not a.subscribe("hubs/h1/downlink/#").is_failure
        assert not oms.publish("hubs/h1/stations/s2/downlink/config", b'{"for": "s2"}').is_failure
        assert not oms.publish("hubs/h1/stations/s1/downlink/config", b'{"for": "s1"}').is_failure
        wait_for(lambda: a.received, timeout=10, what="s1's own downlink")
        # s2's message went out first, so had it been delivered it would be here already
        assert {m.payload for m in a.received} == {b'{"for": "s1"}'}
    finally:
        a.close()
        oms.close()


@pytest.mark.parametrize("which", ["none", "wrong"])
def test_station_without_a_valid_certificate_is_refused_and_says_so(
    tls_world: TlsWorld, tmp_path: Path, which: str
) -> None:
    tls = tls_world.files(None) if which == "none" else tls_world.files("h1-s1", tls_world.other_pki)
    db = tmp_path / "s.db"
    station_db(db, 1).close()
    settings = SyncSettings(
        broker=tls_world.url,
        hub="h1",
        station="s1",
        ca=tls.ca,
        cert=tls.cert,
        key=tls.key,
        backoff_min_s=0.05,
        backoff_max_s=0.2,
    )
    link = start_sync(settings, db, dict)
    try:
        wait_for(
            lambda: link.conn.state == "failed", timeout=10, what="the link to stop on a refused certificate"
        )
        status = link.status()
        assert status["state"] == "failed"
        assert "certificate" in status["error"].lower()
        assert link.uplink.outbox.acked_seq() == 0
    finally:
        link.stop()


def test_a_certificate_cannot_take_another_stations_session(tls_world: TlsWorld, tmp_path: Path) -> None:
    """s2's valid certificate with s1's client id: the broker forces s2's own id, so s1 is neither kicked
    off nor robbed of the downlink queued in its session."""
    db = tmp_path / "s1.db"
    station_db(db, 1).close()
    tls = tls_world.files("h1-s1")
    settings = SyncSettings(
        broker=tls_world.url, hub="h1", station="s1", ca=tls.ca, cert=tls.cert, key=tls.key, backoff_max_s=0.5
    )
    link = start_sync(settings, db, dict)
    assert link.conn.wait_online(10)
    thief = RawClient(tls_world, tls_world.files("h1-s2"), settings.client_id)  # clean start: would wipe
    try:
        thief.close()
        # mosquitto logs a takeover before its CONNACK, and the thief had its CONNACK
        assert "already connected, closing old connection" not in tls_world.broker.log()
        assert link.conn.online and link.conn.connects == 1
        link.stop()
        oms = RawClient(tls_world, tls_world.files("oms-ops"), "oms-ops")
        try:
            for n in range(5):  # queued in s1's persistent session while it is offline
                body = {
                    "order_number": f"SO-90000{n}",
                    "lines": [{"gtin": GTIN, "quantity": 1}],
                    "carrier_zpl": "^XA^XZ",
                }
                doc = downlink_message("order", f"SO-90000{n}", 1, body)
                assert not oms.publish("hubs/h1/stations/s1/downlink/order", encode(doc)).is_failure
        finally:
            oms.close()
        thief = RawClient(tls_world, tls_world.files("h1-s2"), settings.client_id)
        thief.close()
        link = start_sync(settings, db, dict)
        wait_for(lambda: link.downlink.counters.applied == 5, what="the 5 orders queued for s1")
        assert link.downlink.counters.rejected == 0
        assert "as h1/stations/s2 " in tls_world.broker.log()  # the id the broker gave the thief
        assert "already connected, closing old connection" not in tls_world.broker.log()
    finally:
        link.stop()


def test_poisoned_downlink_over_the_deploy_broker(tls_world: TlsWorld, tmp_path: Path) -> None:
    """Every poisoned case, a retained bad message and a flood of 2,000, sent by the OMS's certificate."""
    db = tmp_path / "s1.db"
    station_db(db).close()
    tls = tls_world.files("h1-s1")
    settings = SyncSettings(
        broker=tls_world.url,
        hub="h1",
        station="s1",
        ca=tls.ca,
        cert=tls.cert,
        key=tls.key,
        backoff_max_s=0.5,
        rejection_interval_s=1.0,
    )
    link = start_sync(settings, db, dict)
    store = open_database(db, check=False)
    oms = RawClient(tls_world, tls_world.files("oms-ops"), "oms-ops")
    counters = link.downlink.counters
    try:
        assert link.conn.wait_online(10)
        topic = "hubs/h1/stations/s1/downlink/order"
        for n, case in enumerate(sorted(POISON), start=1):
            payload, reason = POISON[case]
            assert not oms.publish(topic, payload).is_failure
            wait_for(lambda n=n: counters.rejected == n, what=f"{case} rejected")
            assert (counters.last_rejection or "").startswith(reason + ":"), case
        retained = "hubs/h1/downlink/config"
        assert not oms.publish(retained, b"{retained and broken", retain=True).is_failure
        wait_for(lambda: counters.rejected == len(POISON) + 1, what="the retained message rejected")
        tls_world.broker.restart()  # a clean stop saves the retained message; it comes at the resubscribe
        wait_for(lambda: counters.repeated == 1, what="the retained message again after the restart")
        for i in range(2000):
            oms.client.publish(topic, b"{flood %d" % i, qos=1)
        total = len(POISON) + 1 + 2000
        wait_for(lambda: counters.rejected == total, timeout=60, what="the flood rejected")
        wait_for(lambda: sum(e["count"] for e in rejected(store)) == total, what="every rejection counted")
        assert len(rejected(store)) <= 20  # not 2,008 events to sync up
        oms.publish(topic, encode(downlink_message("order", "SO-900009", 2**53, ORDER)))
        wait_for(lambda: stored(store, "order") == [("SO-900009", 2**53)], what="a good order after all that")
    finally:
        oms.publish("hubs/h1/downlink/config", b"", retain=True)
        oms.close()
        link.stop()
        store.close()
