"""Downlink: what the OMS sends is validated and applied once by version; bad messages become events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.core.codes import DEFAULT_CODE_PATTERNS
from station.runtime.sync_link import StationDownlink, SyncLink, start_sync
from station.store.database import StationDB, open_database
from station.store.events import EventLog
from station.store.orders import find_order
from station.store.outbox import to_outbox_event
from station.store.workorders import find_sent
from sync.connection import Connection
from sync.downlink import Downlink, DownlinkMessage
from sync.protocol import check_event, downlink_message, encode, to_cloudevent
from sync.publish import publish_downlink
from sync.settings import SyncSettings
from sync.uplink import connection_options
from tests.fixtures_mqtt import Broker
from tests.sync_helpers import fixed_clock, wait_for

MANIFEST = {
    "returns": [
        {
            "rma": "RMA0000001",
            "codes": ["RMA0000001"],
            "order_number": "SO-1",
            "customer": "C1",
            "refund_cap": 100.0,
            "currency": "EUR",
            "version": 1,
            "status": "expected",
            "items": [
                {
                    "gtin": "00012345678905",
                    "serial": "SN1",
                    "quantity": 1,
                    "title": "Phone",
                    "category": "electronics",
                    "value": 80.0,
                }
            ],
        }
    ],
    "stocked_gtins": ["00012345678905"],
}
ORDER = {
    "order_number": "SO-900009",
    "lines": [{"gtin": "00012345678905", "quantity": 1}],
    "carrier_zpl": "^XA^XZ",
}


def rejected(store: StationDB) -> list[dict[str, Any]]:
    return [dict(e.data) for e in EventLog(store, fixed_clock).read(types=["downlink.rejected"])]


def stored(store: StationDB, kind: str) -> list[tuple[str, int]]:
    rows = store.conn.execute(
        "SELECT key, version FROM downlink_messages WHERE kind = ? ORDER BY key", (kind,)
    )
    return [(str(k), int(v)) for k, v in rows]


# --- through a real broker -----------------------------------------------------------------------


@pytest.fixture
def station(
    broker: Broker, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[SyncLink, StationDB, list[DownlinkMessage]]]:
    """A running station; ``indirect`` parametrization sets its rejection interval (default 0: every one)."""
    db = tmp_path / "station.db"
    commands: list[DownlinkMessage] = []
    settings_ = SyncSettings(
        broker=broker.url,
        hub="h1",
        station="s1",
        backoff_max_s=0.5,
        max_downlink_bytes=65536,
        rejection_interval_s=getattr(request, "param", 0.0),
    )
    link = start_sync(settings_, db, dict, on_command=commands.append)
    store = open_database(db, check=False)
    assert link.conn.wait_online(10)
    yield link, store, commands
    link.stop()
    store.close()


def raw_publish(broker: Broker, topic: str, *payloads: bytes, retain: bool = False) -> None:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    infos = [client.publish(topic, payload, qos=1, retain=retain) for payload in payloads]
    for info in infos:
        info.wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def test_manifest_and_order_are_applied_once_by_version(broker: Broker, station: Any) -> None:
    link, store, _ = station
    publish_downlink(broker.url, "manifest", MANIFEST, hub="h1", key="delta-1", version=1)
    wait_for(lambda: store.conn.execute("SELECT count(*) FROM expected_returns").fetchone()[0] == 1)
    publish_downlink(broker.url, "order", ORDER, hub="h1", station="s1", version=5)
    wait_for(lambda: stored(store, "order") == [("SO-900009", 5)], what="order stored")
    # the same version again, then an older one: nothing applied twice
    publish_downlink(
        broker.url, "order", {**ORDER, "carrier_zpl": "^XA^FDold^XZ"}, hub="h1", station="s1", version=5
    )
    publish_downlink(
        broker.url, "order", {**ORDER, "carrier_zpl": "^XA^FDold^XZ"}, hub="h1", station="s1", version=4
    )
    wait_for(lambda: link.downlink.counters.skipped == 2, what="two skipped")
    body = json.loads(
        store.conn.execute("SELECT body FROM downlink_messages WHERE kind='order'").fetchone()[0]
    )
    assert body["carrier_zpl"] == "^XA^XZ"
    packable = find_order(store, "900009")  # the packing flow can take it now
    assert packable is not None and packable.carrier_label == "^XA^XZ" and packable.lines[0].quantity == 1
    assert link.status()["downlink"]["applied"] == 2
    assert rejected(store) == []


def test_bad_downlink_is_rejected_with_an_event_and_the_station_goes_on(broker: Broker, station: Any) -> None:
    link, store, commands = station
    topic = "hubs/h1/stations/s1/downlink/order"
    raw_publish(broker, topic, b"{not json")
    raw_publish(
        broker, topic, encode({"protocol": 1, "kind": "order", "key": "SO-1", "version": 1, "body": {}})
    )
    raw_publish(broker, topic, encode({**downlink_message("order", "SO-2", 1, ORDER), "protocol": 2}))
    raw_publish(broker, topic, b'{"pad": "' + b"x" * 70_000 + b'"}')
    raw_publish(broker, "hubs/h1/downlink/config", encode(downlink_message("order", "SO-3", 1, ORDER)))
    wait_for(lambda: len(rejected(store)) == 5, what="five rejections")
    reasons = [e["reason"] for e in rejected(store)]
    assert reasons == ["bad_json", "schema", "unknown_version", "too_large", "wrong_topic"]
    assert all(e["detail"] for e in rejected(store))
    assert stored(store, "order") == []
    # still working: a good message and a command after the bad ones
    publish_downlink(broker.url, "order", ORDER, hub="h1", station="s1", version=1)
    publish_downlink(
        broker.url, "command", {"command": "reprint", "job": 7}, hub="h1", station="s1", key="c1", version=1
    )
    wait_for(lambda: commands, what="the command hook")
    assert commands[0].body == {"command": "reprint", "job": 7}
    assert stored(store, "order") == [("SO-900009", 1)]
    assert link.conn.online


def test_a_manifest_the_store_refuses_is_rejected(broker: Broker, station: Any) -> None:
    _, store, _ = station
    bad = {
        "returns": [
            {**MANIFEST["returns"][0], "items": [{"gtin": "00012345678905", "quantity": 2, "serial": "S"}]}
        ]
    }
    publish_downlink(broker.url, "manifest", bad, hub="h1", key="bad", version=1)
    wait_for(lambda: rejected(store), what="rejection")
    assert rejected(store)[0]["reason"] == "invalid"
    assert store.conn.execute("SELECT count(*) FROM expected_returns").fetchone()[0] == 0


def test_downlink_queued_while_the_station_was_offline_arrives(broker: Broker, tmp_path: Path) -> None:
    """Persistent session: what the OMS sent while the station was down is there when it comes back."""
    db = tmp_path / "station.db"
    settings_ = SyncSettings(broker=broker.url, hub="h1", station="s1", backoff_max_s=0.5)
    link = start_sync(settings_, db, dict)
    assert link.conn.wait_online(10)
    link.stop()
    publish_downlink(
        broker.url,
        "work_order",
        {"work_order": "WO-12345", "lpn": "LPNAB12345", "gtin": "00012345678905", "data_bearing": True},
        hub="h1",
        station="s1",
        version=3,
    )
    broker.restart()
    link = start_sync(settings_, db, dict)
    store = open_database(db, check=False)
    try:
        wait_for(lambda: stored(store, "work_order") == [("WO-12345", 3)], what="queued work order")
        sent = find_sent(store, "12345")  # the repair bench can open it (work order codes keep their digits)
        assert sent is not None and sent.lpn == "LPNAB12345" and sent.data_bearing
    finally:
        link.stop()
        store.close()


def envelope(version: object, body: object) -> bytes:
    doc = {
        "protocol": 1,
        "kind": "order",
        "key": "SO-900009",
        "version": version,
        "sent_at": "x",
        "body": body,
    }
    return json.dumps(doc).encode()


POISON = {
    "version 2^64": (envelope(2**64, ORDER), "range"),
    "version 2^53 + 1": (envelope(2**53 + 1, ORDER), "range"),
    "version a float": (envelope(1.5e19, ORDER), "schema"),
    "a huge integer in the body": (
        envelope(1, {**ORDER, "lines": [{"gtin": "1", "quantity": 10**400}]}),
        "range",
    ),
    "nested too deep": (envelope(1, {**ORDER, "x": json.loads("[" * 40 + "]" * 40)}), "too_deep"),
    "nested far too deep": (b'{"body": ' + b"[" * 30_000 + b"]" * 30_000 + b"}", "too_deep"),
    "NaN": (envelope(1, ORDER).replace(b'"x"', b"NaN"), "bad_json"),
}


@pytest.mark.parametrize("case", sorted(POISON))
def test_poisoned_downlink_is_rejected_and_later_updates_still_apply(
    broker: Broker, station: Any, case: str
) -> None:
    link, store, _ = station
    payload, reason = POISON[case]
    raw_publish(broker, "hubs/h1/stations/s1/downlink/order", payload)
    wait_for(lambda: rejected(store), what="the rejection event")
    assert rejected(store)[0]["reason"] == reason
    assert stored(store, "order") == []
    publish_downlink(broker.url, "order", ORDER, hub="h1", station="s1", version=2**53)
    wait_for(lambda: stored(store, "order") == [("SO-900009", 2**53)], what="the largest version applied")
    publish_downlink(broker.url, "order", ORDER, hub="h1", station="s1", version=0)
    wait_for(lambda: link.downlink.counters.skipped == 1, what="an older version skipped")
    assert link.conn.online


def test_a_retained_bad_message_is_rejected_once(broker: Broker, station: Any) -> None:
    link, store, _ = station
    topic = "hubs/h1/downlink/config"
    raw_publish(broker, topic, b"{retained and broken", retain=True)
    try:
        wait_for(lambda: rejected(store), what="the rejection")
        for n in (1, 2):  # two broker restarts: the retained message comes again at each reconnect
            broker.restart()
            wait_for(
                lambda n=n: link.downlink.counters.repeated == n, what=f"delivery {n + 1} after a restart"
            )
        link.stop()
        link2 = start_sync(link.settings, store.path, dict)  # a station restart: still only once
        try:
            wait_for(
                lambda: link2.downlink.counters.repeated == 1, what="the retained message after a restart"
            )
        finally:
            link2.stop()
        assert len(rejected(store)) == 1
    finally:
        raw_publish(broker, topic, b"", retain=True)  # clear it for the next tests


@pytest.mark.parametrize("station", [1.0], indirect=True)
def test_a_flood_of_bad_messages_becomes_one_counted_event_per_interval(broker: Broker, station: Any) -> None:
    link, store, _ = station
    topic = "hubs/h1/stations/s1/downlink/order"
    raw_publish(broker, topic, *(b"{flood %d" % i for i in range(2000)))
    wait_for(lambda: link.downlink.counters.rejected == 2000, timeout=60, what="2,000 rejections")
    wait_for(lambda: sum(e["count"] for e in rejected(store)) == 2000, what="every rejection counted")
    events = rejected(store)
    for e in EventLog(store, fixed_clock).read(types=["downlink.rejected"]):
        check_event(to_cloudevent(to_outbox_event(e), link.uplink.topics.source))
    assert len(events) <= 4  # one at once, then one counted event per second of the flood
    assert events[0]["count"] == 1 and max(e["count"] for e in events) > 100
    assert link.conn.online


# --- fuzzing, straight through the handler (no broker needed) ------------------------------------------


@pytest.fixture(scope="module")
def handler(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Downlink, StationDB]]:
    store = open_database(tmp_path_factory.mktemp("fuzz") / "station.db")
    settings_ = SyncSettings(broker="mqtt://127.0.0.1:1", hub="h1", station="s1", max_downlink_bytes=4096)
    conn = Connection(connection_options(settings_))  # never started: only its router is used
    yield Downlink(conn, StationDownlink(store, DEFAULT_CODE_PATTERNS, fixed_clock), settings_), store
    store.close()


def deliver(downlink: Downlink, topic: str, payload: bytes) -> None:
    message = mqtt.MQTTMessage(topic=topic.encode())
    message.payload = payload
    downlink.conn.client.on_message(downlink.conn.client, None, message)  # type: ignore[misc]


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    payload=st.one_of(
        st.binary(max_size=5000),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.builds(
            lambda kind, key, version, body: json.dumps(
                {"protocol": 1, "kind": kind, "key": key, "version": version, "body": body}
            ).encode(),
            st.sampled_from(["order", "config", "command", "nope"]),
            st.text(max_size=5),
            st.integers(-2, 3),
            json_values,
        ),
    )
)
def test_fuzzed_downlink_is_rejected_or_applied_never_crashes(handler: Any, payload: bytes) -> None:
    downlink, store = handler
    before = downlink.counters.applied + downlink.counters.skipped + downlink.counters.rejected
    deliver(downlink, "hubs/h1/stations/s1/downlink/order", payload)
    after = downlink.counters.applied + downlink.counters.skipped + downlink.counters.rejected
    assert after == before + 1  # every message is accounted for: no exception escaped
    versions = store.conn.execute("SELECT kind, key, count(*) FROM downlink_messages GROUP BY kind, key")
    assert all(n == 1 for _, _, n in versions)


def test_replaying_every_version_applies_each_key_once(handler: Any) -> None:
    downlink, store = handler
    start = downlink.counters.applied
    for version in [1, 2, 2, 1, 3, 3, 2]:
        doc = downlink_message("order", "SO-R", version, {**ORDER, "carrier_zpl": f"^XA^FD{version}^XZ"})
        deliver(downlink, "hubs/h1/stations/s1/downlink/order", encode(doc))
    assert downlink.counters.applied - start == 3
    assert stored(store, "order")[-1] == ("SO-R", 3) or ("SO-R", 3) in stored(store, "order")
