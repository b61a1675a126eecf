"""Sync benchmarks: they print figures (with a baseline measured in the same run) and assert no times.

Run: .venv/bin/pytest tests/bench/test_sync_bench.py -s
"""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from station.runtime.sync_link import start_sync
from sync.protocol import encode
from sync.settings import SyncSettings
from sync.sinks import SqlSink, open_sink
from tests.fixtures_mqtt import Broker
from tests.sync_chaos import check, run_chaos
from tests.sync_helpers import event, station_db, wait_for

pytestmark = pytest.mark.bench

BASELINE_N = 20_000
BACKLOG_N = 100_000
INSERT_N = 100_000
FIGURES: dict[str, float] = {}


@pytest.fixture(scope="module")
def bench_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    b = Broker(tmp_path_factory.mktemp("bench-broker")).start()
    yield b
    b.stop()


def report(name: str, value: float, unit: str) -> None:
    FIGURES[name] = value
    print(
        f"\n[sync bench] {name}: {value:,.1f} {unit}"
        if unit == "s"
        else f"\n[sync bench] {name}: {value:,.0f} {unit}",
        flush=True,
    )


def test_baseline_raw_paho_qos1_one_event_per_message(bench_broker: Broker) -> None:
    payloads = [encode(event(i)) for i in range(1, BASELINE_N + 1)]
    done = threading.Event()
    acked = 0

    def on_publish(client: mqtt.Client, userdata: object, mid: int, rc: object, props: object) -> None:
        nonlocal acked
        acked += 1
        if acked == BASELINE_N:
            done.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-raw", protocol=mqtt.MQTTv5)
    client.on_publish = on_publish
    client.max_inflight_messages_set(100)
    client.connect("127.0.0.1", bench_broker.port)
    client.loop_start()
    start = time.perf_counter()
    for p in payloads:
        client.publish("hubs/bench/stations/raw/events", p, qos=1)
    assert done.wait(120)
    seconds = time.perf_counter() - start
    client.disconnect()
    client.loop_stop()
    report("baseline raw paho QoS 1, one event per message", BASELINE_N / seconds, "events/s")


def test_end_to_end_drain_of_a_100k_backlog(bench_broker: Broker, tmp_path: Path) -> None:
    db = tmp_path / "station.db"
    station_db(db, BACKLOG_N).close()
    sink = tmp_path / "central.db"
    receiver = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sync",
            "receive",
            "--broker",
            bench_broker.url,
            "--sink",
            f"sqlite:///{sink}",
            "--name",
            "bench",
        ]
    )
    try:
        wait_for(lambda: "receiver-bench" in bench_broker.log(), what="receiver connected")
        time.sleep(0.3)
        start = time.perf_counter()
        link = start_sync(SyncSettings(broker=bench_broker.url, hub="h1", station="bench"), db, dict)
        try:
            wait_for(lambda: link.uplink.outbox.acked_seq() == BACKLOG_N, timeout=180, every=0.01)
            seconds = time.perf_counter() - start
        finally:
            link.stop()
    finally:
        receiver.terminate()
        receiver.wait(10)
    stats = open_sink(f"sqlite:///{sink}").stats()
    assert stats["events"] == BACKLOG_N
    rate = BACKLOG_N / seconds
    report("end-to-end drain of 100,000 events, acked (seconds)", seconds, "s")
    report("end-to-end drain rate", rate, "events/s")
    baseline = FIGURES.get("baseline raw paho QoS 1, one event per message")
    if baseline:
        print(f"[sync bench] drain / baseline = {rate / baseline:.1f}x (goal >= 2x, <= 10 s)", flush=True)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_receiver_insert_rate(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    url = f"sqlite:///{tmp_path / 'sink.db'}" if kind == "sqlite" else request.getfixturevalue("pg_url")
    sink: SqlSink = open_sink(url)
    if kind == "postgresql":
        with sink.transaction() as cur:
            cur.execute("DELETE FROM events")
            cur.execute("DELETE FROM progress")
    events = [event(i) for i in range(1, INSERT_N + 1)]
    batch = 5000
    start = time.perf_counter()
    for i in range(0, INSERT_N, batch):
        sink.insert(events[i : i + batch])
    seconds = time.perf_counter() - start
    again = sink.insert(events[:batch])
    assert again.inserted == 0 and again.progress["urn:hubstation:h1:s1"].contiguous == INSERT_N
    sink.close()
    report(f"receiver insert rate into {kind} (batches of {batch})", INSERT_N / seconds, "events/s")


def test_chaos_full_size(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker").start()
    try:
        result = run_chaos(tmp_path, broker, 20_000, every_s=0.4, timeout_s=300)
    finally:
        broker.stop()
    print(f"\n[sync bench] chaos full size: {result}", flush=True)
    check(result, 20_000)
