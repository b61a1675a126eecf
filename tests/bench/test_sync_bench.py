"""Sync benchmarks: they print figures (with a baseline measured in the same run) and assert no times.

Run: .venv/bin/pytest tests/bench/test_sync_bench.py -s
"""

from __future__ import annotations

import sqlite3
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
from tests.bench.baseline import postgres_described, sqlite_described
from tests.fixtures_mqtt import Broker
from tests.sync_chaos import check, run_chaos
from tests.sync_helpers import event, station_db, wait_for

pytestmark = pytest.mark.bench

BASELINE_N = 20_000
BACKLOG_N = 100_000
INSERT_N = 100_000


@pytest.fixture(scope="module")
def bench_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    b = Broker(tmp_path_factory.mktemp("bench-broker")).start()
    yield b
    b.stop()


def report(name: str, value: float, unit: str) -> None:
    print(
        f"\n[sync bench] {name}: {value:,.1f} {unit}"
        if unit == "s"
        else f"\n[sync bench] {name}: {value:,.0f} {unit}",
        flush=True,
    )


def raw_paho_rate(broker: Broker, n: int) -> float:
    """Events/s of bare paho QoS 1 publishing, one event per message, until the broker acked all of them."""
    payloads = [encode(event(i)) for i in range(1, n + 1)]
    done = threading.Event()
    acked = 0

    def on_publish(client: mqtt.Client, userdata: object, mid: int, rc: object, props: object) -> None:
        nonlocal acked
        acked += 1
        if acked == n:
            done.set()

    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-raw", protocol=mqtt.MQTTv5)
    client.on_publish = on_publish
    client.max_inflight_messages_set(100)
    client.connect("127.0.0.1", broker.port)
    client.loop_start()
    start = time.perf_counter()
    for p in payloads:
        client.publish("hubs/bench/stations/raw/events", p, qos=1)
    assert done.wait(120)
    seconds = time.perf_counter() - start
    client.disconnect()
    client.loop_stop()
    return n / seconds


def _wait_until_the_receiver_acks(broker: Broker) -> None:
    """A probe event from another station, published until its ack comes back: the receiver is subscribed."""
    acked = threading.Event()
    probe = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="bench-probe", protocol=mqtt.MQTTv5)
    probe.on_message = lambda c, u, m: acked.set()
    probe.connect("127.0.0.1", broker.port)
    probe.subscribe("hubs/h1/stations/probe/acks", qos=1)
    probe.loop_start()

    def acked_or_publish_again() -> bool:
        if acked.is_set():
            return True
        probe.publish("hubs/h1/stations/probe/events", encode(event(1, "probe")), qos=1)
        return False

    try:
        wait_for(acked_or_publish_again, every=0.5, what="the receiver's ack of a probe event")
    finally:
        probe.disconnect()
        probe.loop_stop()


def test_end_to_end_drain_of_a_100k_backlog_beside_raw_paho(bench_broker: Broker, tmp_path: Path) -> None:
    """The baseline (bare paho QoS 1 into the same broker) is measured first, in this test."""
    baseline = raw_paho_rate(bench_broker, BASELINE_N)
    report("baseline raw paho QoS 1, one event per message", baseline, "events/s")
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
        _wait_until_the_receiver_acks(bench_broker)
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
    assert stats["events"] == BACKLOG_N + 1  # and the probe
    rate = BACKLOG_N / seconds
    print(f"\n[sync bench] drain sink: {sqlite_described(sink)}", flush=True)
    report("end-to-end drain of 100,000 events, acked (seconds)", seconds, "s")
    report("end-to-end drain rate", rate, "events/s")
    print(f"[sync bench] drain / baseline = {rate / baseline:.1f}x (goal >= 2x, <= 10 s)", flush=True)


def _bare_insert_rate(kind: str, url: str, rows: list[tuple[str, int, str]], batch: int) -> float:
    """Events/s of the same rows into a plain table of the same database, one transaction per batch:
    no uniqueness, no progress; what the server does at the least for a durable commit of each batch."""
    if kind == "sqlite":
        conn = sqlite3.connect(url.removeprefix("sqlite://"), isolation_level=None)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("CREATE TABLE bare (source TEXT, seq BIGINT, event TEXT)")
        start = time.perf_counter()
        for i in range(0, len(rows), batch):
            conn.execute("BEGIN IMMEDIATE")
            conn.executemany("INSERT INTO bare VALUES (?, ?, ?)", rows[i : i + batch])
            conn.execute("COMMIT")
        seconds = time.perf_counter() - start
        conn.close()
        return len(rows) / seconds
    import psycopg

    with psycopg.connect(url, autocommit=True) as pg:
        pg.execute("DROP TABLE IF EXISTS bare")
        pg.execute("CREATE TABLE bare (source TEXT, seq BIGINT, event TEXT)")
        start = time.perf_counter()
        for i in range(0, len(rows), batch):
            with pg.transaction(), pg.cursor() as cur, cur.copy("COPY bare FROM STDIN") as copy:
                for row in rows[i : i + batch]:
                    copy.write_row(row)
        seconds = time.perf_counter() - start
        pg.execute("DROP TABLE bare")
    return len(rows) / seconds


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_receiver_insert_rate(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    """Each figure names the server it was measured on, with its fsync setting, beside a bare batch insert
    into the same server measured in this test."""
    url = f"sqlite:///{tmp_path / 'sink.db'}" if kind == "sqlite" else request.getfixturevalue("pg_url")
    sink: SqlSink = open_sink(url)
    if kind == "postgresql":
        where, durable = postgres_described(url)
        with sink.transaction() as cur:
            cur.execute("DELETE FROM events")
            cur.execute("DELETE FROM progress")
    else:
        where, durable = sqlite_described(tmp_path / "sink.db"), True
    events = [event(i) for i in range(1, INSERT_N + 1)]
    batch = 5000
    bare = _bare_insert_rate(kind, url, [(e["source"], e["seq"], encode(e).decode()) for e in events], batch)
    start = time.perf_counter()
    for i in range(0, INSERT_N, batch):
        sink.insert(events[i : i + batch])
    seconds = time.perf_counter() - start
    again = sink.insert(events[:batch])
    assert again.inserted == 0 and again.progress["urn:hubstation:h1:s1"].contiguous == INSERT_N
    sink.close()
    rate = INSERT_N / seconds
    print(f"\n[sync bench] {kind} sink measured on: {where}", flush=True)
    label = "" if durable else " (NOT DURABLE: fsync off)"
    report(f"bare batch insert into {kind} (baseline, batches of {batch}){label}", bare, "events/s")
    report(f"receiver insert rate into {kind} (batches of {batch}){label}", rate, "events/s")
    print(f"[sync bench] {kind} sink / bare insert = {rate / bare:.2f}x", flush=True)


def test_chaos_full_size(tmp_path: Path) -> None:
    broker = Broker(tmp_path / "broker").start()
    try:
        result = run_chaos(tmp_path, broker, 20_000, every_s=0.4, timeout_s=300)
    finally:
        broker.stop()
    print(f"\n[sync bench] chaos full size: {result}", flush=True)
    check(result, 20_000)
