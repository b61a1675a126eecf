"""The receiver and its sinks: idempotent inserts, contiguous acks, gaps, bad messages, PostgreSQL, stats."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.connection import Connection
from sync.protocol import OutboxEvent, encode, encode_events, source_of
from sync.receiver import Receiver, receiver_options
from sync.sinks import SqliteSink, SqlSink, open_sink
from tests.fixtures_mqtt import Broker
from tests.sync_helpers import event, wait_for

SOURCE = source_of("h1", "s1")


@pytest.fixture(params=["sqlite", "postgresql"])
def sink(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SqlSink]:
    if request.param == "sqlite":
        s: SqlSink = open_sink(f"sqlite:///{tmp_path / 'central.db'}")
    else:
        s = open_sink(request.getfixturevalue("pg_url"))
        with s.transaction() as cur:  # the session's database is shared by the tests: start empty
            for table in ("events", "progress", "forks", "logs", "held_elsewhere"):
                cur.execute(f"DELETE FROM {table}")
    yield s
    s.close()


def test_sink_is_idempotent_and_tracks_contiguous_seq_and_gaps(sink: SqlSink) -> None:
    first = [event(i) for i in (1, 2, 3, 5, 6, 9)]
    result = sink.insert(first)
    assert (result.inserted, result.duplicates) == (6, 0)
    assert result.progress[SOURCE].contiguous == 3
    assert result.progress[SOURCE].gaps == ((4, 4), (7, 8))
    again = sink.insert([*first[:3], event(4)])  # duplicates by (source, seq) and by id
    assert (again.inserted, again.duplicates) == (1, 3)
    assert again.progress[SOURCE].contiguous == 6
    assert again.progress[SOURCE].gaps == ((7, 8),)
    same_id = dict(first[0], seq=100)  # a replayed id under another seq is a duplicate too
    assert sink.insert([same_id]).inserted == 0
    stats = sink.stats()
    assert stats["events"] == 7
    assert stats["stations"][SOURCE]["contiguous"] == 6


@settings(max_examples=30, deadline=None)
@given(st.lists(st.lists(st.integers(1, 40), max_size=15), max_size=6))
def test_contiguous_is_the_longest_prefix_held(batches: list[list[int]]) -> None:
    sink = SqliteSink(Path(tempfile.gettempdir()) / f"sync-prop-{uuid.uuid4().hex}.db")
    try:
        held: set[int] = set()
        for batch in batches:
            progress = sink.insert([event(s) for s in dict.fromkeys(batch)]).progress.get(SOURCE)
            held |= set(batch)
            expected = 0
            while expected + 1 in held:
                expected += 1
            if progress is not None:
                assert progress.contiguous == expected
                assert progress.highest == max(held)
    finally:
        sink.close()
        sink.path.unlink()
        for suffix in ("-wal", "-shm"):
            Path(str(sink.path) + suffix).unlink(missing_ok=True)


class Station:
    """A bare MQTT client that plays a station: publishes events, collects acks."""

    def __init__(self, broker: Broker, station: str = "s1") -> None:
        self.acks: list[dict[str, Any]] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = lambda c, u, m: self.acks.append(json.loads(m.payload))
        self.client.connect("127.0.0.1", broker.port)
        self.client.subscribe(f"hubs/h1/stations/{station}/acks", qos=1)
        self.client.loop_start()
        self.topic = f"hubs/h1/stations/{station}/events"

    def send(self, payload: bytes, topic: str | None = None) -> None:
        self.client.publish(topic or self.topic, payload, qos=1).wait_for_publish(5)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def receiver(broker: Broker, tmp_path: Path) -> Iterator[Receiver]:
    sink = SqliteSink(tmp_path / "central.db")
    conn = Connection(receiver_options(broker.url, "r1", backoff_max_s=0.5))
    r = Receiver(conn, sink, name="r1", validate=True, gap_warn_s=0)
    conn.start()
    assert conn.wait_online(10)
    yield r
    conn.stop()
    sink.close()


def test_receiver_acks_contiguous_seq_and_drops_bad_messages(broker: Broker, receiver: Receiver) -> None:
    station = Station(broker)
    try:
        payload, _ = encode_events([_outbox(1), _outbox(2)], SOURCE)
        station.send(payload)
        wait_for(lambda: station.acks and station.acks[-1]["seq"] == 2, what="ack 2")
        station.send(b"\xff\xfe not json")
        station.send(encode([]))
        station.send(encode([event(3, station="s2")]))  # s1 publishing s2's events
        station.send(encode({**event(3), "data": {"rma": 5}}))  # wrong data for its type (validate=True)
        station.send(encode(event(5)))  # a gap: 3 (rejected above) and 4 are missing
        wait_for(lambda: station.acks[-1].get("gaps") == [[3, 4]], what="ack reporting the gap")
        assert station.acks[-1]["seq"] == 2 and station.acks[-1]["highest"] == 5
        assert receiver.counters.rejected == 4
        assert receiver.counters.gaps[SOURCE] == [[3, 4]]
        station.send(encode(event(3)))
        station.send(encode(event(4)))
        wait_for(lambda: station.acks[-1]["seq"] == 5, what="ack 5 once the gap is filled")
        assert receiver.sink.stats()["events"] == 5
        assert SOURCE not in receiver.counters.gaps
    finally:
        station.close()


def _outbox(seq: int) -> OutboxEvent:
    e = event(seq)
    return OutboxEvent(
        seq,
        e["id"],
        e["type"],
        e["subject"],
        e["operator"],
        e["time"],
        e["hlc"],
        e["bootid"],
        e["clocksynced"],
        e["data"],
    )


def test_receiver_cli_stats_and_shared_subscription(broker: Broker, tmp_path: Path) -> None:
    """Two `python -m sync receive` processes share the load; --stats prints the sink's counts."""
    sink = tmp_path / "central.db"
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sync",
                "receive",
                "--broker",
                broker.url,
                "--sink",
                f"sqlite:///{sink}",
                "--name",
                name,
            ]
        )
        for name in ("a", "b")
    ]
    station = Station(broker)
    try:
        wait_for(lambda: "receiver-a" in broker.log() and "receiver-b" in broker.log(), what="both connected")
        time.sleep(0.3)  # their subscriptions follow the connect
        for seq in range(1, 201):
            station.send(encode(event(seq)))
        wait_for(lambda: station.acks and max(a["seq"] for a in station.acks) == 200, what="ack 200")
        receivers = {a["receiver"] for a in station.acks}
        assert receivers == {"a", "b"}  # both took a share
    finally:
        station.close()
        for p in procs:
            p.terminate()
            p.wait(10)
    out = subprocess.run(
        [sys.executable, "-m", "sync", "receive", "--sink", f"sqlite:///{sink}", "--stats"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    stats = json.loads(out)
    assert stats["events"] == 200
    assert stats["stations"][SOURCE] == {"contiguous": 200, "highest": 200, "gaps": []}


def test_receiver_killed_before_committing_loses_nothing(broker: Broker, tmp_path: Path) -> None:
    """Messages reach a receiver that dies: its persistent session gets them back when it returns."""
    sink_path = tmp_path / "central.db"
    args = [
        sys.executable,
        "-m",
        "sync",
        "receive",
        "--broker",
        broker.url,
        "--sink",
        f"sqlite:///{sink_path}",
        "--name",
        "solo",
    ]
    proc = subprocess.Popen(args)
    station = Station(broker)
    try:
        wait_for(lambda: "receiver-solo" in broker.log(), what="receiver connected")
        time.sleep(0.3)  # its subscription is in place a moment after the connect
        proc.kill()
        proc.wait()
        for seq in range(1, 51):
            station.send(encode(event(seq)))
        proc = subprocess.Popen(args)
        wait_for(lambda: station.acks and station.acks[-1]["seq"] == 50, what="ack 50 after the restart")
    finally:
        station.close()
        proc.terminate()
        proc.wait(10)


def test_sink_refuses_a_forked_log_and_holds_the_new_log_with_its_common_history(sink: SqlSink) -> None:
    first = [event(i) for i in (1, 2, 3)]
    sink.insert(first)
    restored = [first[0], event(2), event(3)]  # a restored station: seq 1 as before, 2 and 3 are new events
    result = sink.insert(restored, "r1")
    assert (result.inserted, result.duplicates, result.refused) == (0, 1, 2)
    assert [(f.seq, f.held_id, f.sent_id) for f in result.forks] == [(2, first[1]["id"], restored[1]["id"])]
    progress = result.progress[SOURCE]
    assert progress.ack_seq == 1 and progress.fork is not None  # never acked past the fork
    assert sink.insert([event(2)]).forks == []  # the fork is found once, and kept
    assert sink.progress(SOURCE).ack_seq == 1
    new = source_of("h1", "s1", "ab12")
    again = [{**e, "source": new, "logstart": 1, "forkof": SOURCE} for e in restored]
    result = sink.insert(again)
    assert result.inserted == 2 and result.refused == 0  # seq 1 is held already, under the old log
    assert result.progress[new].contiguous == 3 and result.progress[new].fork is None
    stats = sink.stats()
    assert stats["events"] == 5  # both histories: 1, 2, 3 and 2', 3'
    assert stats["forks"] == [{"source": SOURCE, "seq": 2, "held": first[1]["id"], "sent": restored[1]["id"]}]
    assert stats["logs"] == {new: {"start": 1, "forked_from": SOURCE}}


def test_a_log_that_starts_later_is_contiguous_from_its_start(sink: SqlSink) -> None:
    new = source_of("h1", "s1", "cd34")
    result = sink.insert([{**event(s), "source": new, "logstart": 41, "forkof": SOURCE} for s in (41, 42)])
    assert result.progress[new].contiguous == 42 and result.progress[new].gaps == ()


def test_stats_show_only_gaps_that_persist(sink: SqlSink) -> None:
    sink.insert([event(1), event(3)])
    assert sink.stats(gap_after_s=60)["persistent_gaps"] == {}
    time.sleep(0.3)  # the gap's age is what is tested: it must have stood for a while
    gaps = sink.stats(gap_after_s=0.2)["persistent_gaps"]
    assert [g[:2] for g in gaps[SOURCE]] == [[2, 2]] and gaps[SOURCE][0][2] >= 0.2


def test_a_gap_is_reported_only_once_it_persists(
    broker: Broker, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Out-of-order commits (two receivers, by design) close their gaps at once: no warning. A gap that
    stands past ``gap_warn_s`` is warned about once, kept in the counters and shown by `hubsync status`."""
    sink = SqliteSink(tmp_path / "central.db")
    conn = Connection(receiver_options(broker.url, "r1", backoff_max_s=0.5))
    receiver = Receiver(conn, sink, name="r1", gap_warn_s=1.5)
    conn.start()
    assert conn.wait_online(10)
    station = Station(broker)
    caplog.set_level("WARNING", logger="sync.receiver")
    try:
        for seq in (1, 2, 5, 3, 4):  # 3 and 4 arrive late, as from a slower receiver
            station.send(encode(event(seq)))
        wait_for(lambda: station.acks and station.acks[-1]["seq"] == 5, what="ack 5")
        station.send(encode(event(7)))  # 6 never comes
        wait_for(lambda: SOURCE in receiver.counters.gaps, what="the standing gap reported")
        assert receiver.counters.gaps[SOURCE] == [[6, 6]]
        warnings = [r.getMessage() for r in caplog.records if "gaps" in r.getMessage()]
        assert len(warnings) == 1 and "(6, 6)" in warnings[0]
        out = subprocess.run(
            [sys.executable, "-m", "sync", "status", "--sink", f"sqlite:///{sink.path}", "--gap-after", "1"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        assert f"{SOURCE}: 6..6" in out and "Forked logs: none" in out
        station.send(encode(event(6)))
        wait_for(lambda: SOURCE not in receiver.counters.gaps, what="the gap closed")
        assert len([r for r in caplog.records if "gaps" in r.getMessage()]) == 1
    finally:
        station.close()
        conn.stop()
        sink.close()


def test_receivers_starting_together_on_a_new_postgresql_database(pg_admin_url: str) -> None:
    """Six sinks opened at once on a database with no tables yet: one creates them, none fails (without
    the lock, PostgreSQL refused all but one: UniqueViolation pg_type_typname_nsp_index)."""
    import threading

    import psycopg

    name = f"sync_race_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = pg_admin_url.partition("?")
    url = f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    errors: list[str] = []

    def open_one() -> None:
        try:
            open_sink(url).close()
        except Exception as exc:  # what the test is about: any failure to open
            errors.append(repr(exc))

    try:
        threads = [threading.Thread(target=open_one) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        assert errors == []
    finally:
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
