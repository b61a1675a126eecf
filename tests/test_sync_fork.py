"""A station database restored from an older copy, over the deploy TLS broker: nothing lost, nothing acked
that the centre does not hold, both histories at the centre."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from station.runtime.sync_link import SyncLink, start_sync
from sync.connection import Connection
from sync.protocol import check_event
from sync.receiver import Receiver, receiver_options
from sync.settings import SyncSettings
from sync.sinks import SqliteSink
from tests.fixtures_mqtt import Broker
from tests.fixtures_tls import TlsWorld
from tests.sync_helpers import append_events, station_db, wait_for


@dataclass
class TlsCentre:
    conn: Connection
    receiver: Receiver
    sink: SqliteSink


@pytest.fixture
def centre(tls_world: TlsWorld, tmp_path: Path) -> Iterator[TlsCentre]:
    sink = SqliteSink(tmp_path / "central.db")
    conn = Connection(receiver_options(tls_world.url, "r1", tls_world.files("receiver-r1"), 0.5), name="r1")
    receiver = Receiver(conn, sink, name="r1")
    conn.start()
    assert conn.wait_online(10)
    yield TlsCentre(conn, receiver, sink)
    conn.stop()
    sink.close()


def settings(world: TlsWorld, station: str) -> SyncSettings:
    tls = world.files(f"h1-{station}")
    return SyncSettings(
        broker=world.url,
        hub="h1",
        station=station,
        ca=tls.ca,
        cert=tls.cert,
        key=tls.key,
        backoff_min_s=0.05,
        backoff_max_s=0.5,
        ack_timeout_s=3.0,
    )


def run_until_acked(world: TlsWorld, station: str, db: Path) -> SyncLink:
    link = start_sync(settings(world, station), db, dict)
    try:
        wait_for(lambda: link.status()["backlog"] == 0, what="the station's backlog acked")
    except AssertionError:
        link.stop()
        raise
    link.stop()
    return link


def copy_db(src: Path, dst: Path) -> None:
    """What a backup does: the database file (checkpointed), not the mark file beside it."""
    with closing(sqlite3.connect(src)) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    shutil.copyfile(src, dst)


def station_ids(db: Path) -> set[str]:
    with closing(sqlite3.connect(db)) as conn:
        return {r[0] for r in conn.execute("SELECT id FROM events WHERE type = 'return.graded'")}


def centre_ids(sink: SqliteSink) -> set[str]:
    return {r[0] for r in sink.conn.execute("SELECT id FROM events WHERE type = 'return.graded'")}


@pytest.mark.parametrize("found_by", ["mark file at start", "the centre"])
def test_restored_database_keeps_both_histories(
    tls_world: TlsWorld, centre: TlsCentre, tmp_path: Path, found_by: str
) -> None:
    station = "s1" if found_by == "the centre" else "s2"
    db, backup = tmp_path / "station.db", tmp_path / "backup.db"
    station_db(db, 40).close()
    run_until_acked(tls_world, station, db)
    copy_db(db, backup)  # the copy: 40 events, all acked
    store = station_db(db)
    append_events(store, 30, start=100)  # work on: 41..70
    store.close()
    run_until_acked(tls_world, station, db)
    first_history = station_ids(db)
    assert first_history <= centre_ids(centre.sink)

    for suffix in ("-wal", "-shm"):  # the restore: the copy comes back, seqs 41.. will be reused
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(backup, db)
    if found_by == "the centre":
        Path(f"{db}.log.json").unlink()  # the mark file was lost too (a whole SD card image restored)
    store = station_db(db)
    append_events(store, 50, start=200)  # work on: 41..90, other events
    store.close()
    second_history = station_ids(db)

    link = start_sync(settings(tls_world, station), db, dict)
    try:
        wait_for(lambda: link.uplink.forks == 1, what="the station to start a new log")
        wait_for(lambda: link.status()["backlog"] == 0, what="the new log acked")
        new_source = link.uplink.topics.source
    finally:
        link.stop()
    held = centre_ids(centre.sink)
    assert first_history <= held and second_history <= held
    for row in centre.sink.conn.execute("SELECT event FROM events WHERE source = ?", (new_source,)):
        check_event(json.loads(row[0]))  # the new log's events, logstart and forkof included, and the
        # sync.log_forked event follow the contract
    assert len(held) == 40 + 30 + 50
    with closing(sqlite3.connect(db)) as conn:
        forked = [r[0] for r in conn.execute("SELECT data FROM events WHERE type = 'sync.log_forked'")]
        acked = int(conn.execute("SELECT value FROM meta WHERE key = 'acked_seq'").fetchone()[0])
        last = int(conn.execute("SELECT value FROM meta WHERE key = 'last_seq'").fetchone()[0])
    assert len(forked) == 1 and acked == last == 91  # 90 events and the fork's own event
    stats = centre.sink.stats()
    assert stats["stations"][new_source]["contiguous"] == 91
    assert stats["logs"][new_source]["start"] == 1
    if found_by == "the centre":
        assert [f["seq"] for f in stats["forks"]] == [41]
        assert centre.receiver.counters.forks == 1 and centre.receiver.counters.refused > 0
        shown = subprocess.run(
            [sys.executable, "-m", "sync", "status", "--sink", f"sqlite:///{centre.sink.path}"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        assert "urn:hubstation:h1:s1" in shown and "at seq 41" in shown and "restored" in shown
    else:
        assert stats["forks"] == [] and centre.receiver.counters.refused == 0


def test_station_takes_acks_only_as_far_as_runs_of_its_own_events(broker: Broker, tmp_path: Path) -> None:
    """A receiver that holds other events at the station's seqs (a restored database) cannot ack them: the
    station counts only runs whose end ids are its own, never past the highest seq it sent."""
    db = tmp_path / "station.db"
    station_db(db, 10).close()
    link = start_sync(SyncSettings(broker=broker.url, hub="h1", station="s1", backoff_max_s=0.5), db, dict)
    fake = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    try:
        wait_for(lambda: link.uplink._sent == 10, what="the 10 events sent (no receiver)")
        with closing(sqlite3.connect(db)) as conn:
            ids = dict(conn.execute("SELECT seq, id FROM events").fetchall())
        source, topic = link.uplink.topics.source, link.uplink.topics.acks

        def ack(seq: int, *runs: tuple[int, int, str, str]) -> bytes:
            checked = [{"from": a, "to": b, "first": f, "last": z} for a, b, f, z in runs]
            return json.dumps({"source": source, "seq": seq, "checked": checked}).encode()

        fake.connect("127.0.0.1", broker.port)
        fake.loop_start()
        for payload in (
            ack(10, (1, 10, "other", "events")),  # the centre's events at these seqs are not ours
            ack(10, (1, 10, ids[1], "other")),
            ack(500),  # nothing vouched for
            ack(500, (1, 5, ids[1], ids[5])),  # 1..5 are ours: as far as that, not to 500 nor to 10
        ):
            fake.publish(topic, payload, qos=1).wait_for_publish(5)
        wait_for(lambda: link.status()["acked_seq"] > 0, what="the vouched ack")
        assert link.status()["acked_seq"] == 5
        fake.publish(topic, ack(500, (6, 10, ids[6], ids[10]), (11, 20, "a", "b")), qos=1).wait_for_publish(5)
        wait_for(lambda: link.status()["acked_seq"] == 10, what="the rest, never above the last sent")
    finally:
        fake.disconnect()
        fake.loop_stop()
        link.stop()
