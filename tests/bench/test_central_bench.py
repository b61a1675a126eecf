"""The central side under a fleet: 200 simulated stations (the real uplink, tests/bench/central_fleet.py,
in two processes) send a compressed day through one mosquitto to two receivers on one PostgreSQL, while
``hubsync serve`` projects, answers the API and posts webhooks. Prints figures beside baselines measured
in the same run (a bare INSERT into the same PostgreSQL; a bare paho publish -> subscriber round trip).
Asserts no times.

Run: .venv/bin/pytest tests/bench/test_central_bench.py -s
(CENTRAL_BENCH_STATIONS, CENTRAL_BENCH_SECONDS, CENTRAL_BENCH_RATE change the size.)
"""

from __future__ import annotations

import json
import os
import random
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import orjson
import paho.mqtt.client as mqtt
import psycopg
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from sync.central.db import Database
from tests.fixtures_central import CentralProcess, add_client
from tests.fixtures_mqtt import Broker
from tests.sync_helpers import wait_for
from tests.test_central_webhooks import Endpoint

pytestmark = pytest.mark.bench

STATIONS = int(os.environ.get("CENTRAL_BENCH_STATIONS", "200"))
SECONDS = float(os.environ.get("CENTRAL_BENCH_SECONDS", "60"))
RATE = float(os.environ.get("CENTRAL_BENCH_RATE", "600"))  # events/s for the whole fleet
HUBS = 10


def pct(values: list[float], p: int) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(sorted(values), n=100, method="inclusive")[p - 1]


def line(name: str, values: list[float], unit: str = "ms") -> str:
    return f"{name}: p50 {pct(values, 50):.1f} {unit}  p99 {pct(values, 99):.1f} {unit}  (n={len(values)})"


@pytest.fixture
def pg_db(pg_admin_url: str) -> Iterator[str]:
    name = f"central_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = pg_admin_url.partition("?")
    yield f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def bare_insert_rate(url: str, n: int = 3000) -> float:
    """Single-row INSERTs, each its own commit, into the same PostgreSQL."""
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("CREATE TABLE bare (id BIGSERIAL PRIMARY KEY, source TEXT, seq BIGINT, event TEXT)")
        doc = "x" * 600
        start = time.perf_counter()
        for i in range(n):
            conn.execute("INSERT INTO bare (source, seq, event) VALUES (%s, %s, %s)", ("s", i, doc))
        return n / (time.perf_counter() - start)


def paho_round_trip(broker: Broker, n: int = 2000) -> list[float]:
    """Publish (QoS 1) -> a subscriber's on_message, one at a time, in ms."""
    got = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    sub.on_message = lambda c, u, m: got.set()
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe("bench/rt", qos=1)
    sub.loop_start()
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    time.sleep(0.3)
    out = []
    payload = b"x" * 600
    for _ in range(n):
        got.clear()
        t0 = time.perf_counter()
        pub.publish("bench/rt", payload, qos=1)
        assert got.wait(5)
        out.append((time.perf_counter() - t0) * 1000)
    for c in (pub, sub):
        c.loop_stop()
        c.disconnect()
    return out


def test_fleet_of_200_stations(pg_db: str, broker: Broker, tmp_path: Path) -> None:
    with psycopg.connect(pg_db) as conn:
        version = conn.execute("SELECT version()").fetchone()[0]  # type: ignore[index]
        fsync = conn.execute("SHOW fsync").fetchone()[0]  # type: ignore[index]
        commit = conn.execute("SHOW synchronous_commit").fetchone()[0]  # type: ignore[index]
    load_before = os.getloadavg()
    baseline_insert = bare_insert_rate(pg_db)
    baseline_rt = paho_round_trip(broker)

    token = add_client(pg_db, "bench", ("*",), ("read", "webhooks"))
    receivers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "sync",
                "receive",
                "--broker",
                broker.url,
                "--sink",
                pg_db,
                "--name",
                name,
            ],
            stderr=(tmp_path / f"{name}.log").open("wb"),
        )
        for name in ("r1", "r2")
    ]
    central = CentralProcess(pg_db, tmp_path, broker.url).start()
    oms = Endpoint()
    fleet: list[subprocess.Popen[bytes]] = []
    api: dict[str, list[float]] = {"stock": [], "timeline": []}
    stop = threading.Event()
    try:
        assert (
            central.post("/v1/webhooks", token, {"url": oms.url, "types": ["refund.eligible"]}).status_code
            == 201
        )
        wait_for(
            lambda: broker.log().count("as receiver-r") >= 2, timeout=60, what="both receivers connected"
        )
        half = STATIONS // 2
        for first, count in ((0, half), (half, STATIONS - half)):
            fleet.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "tests.bench.central_fleet",
                        "--broker",
                        broker.url,
                        "--first",
                        str(first),
                        "--count",
                        str(count),
                        "--hubs",
                        str(HUBS),
                        "--seconds",
                        str(SECONDS),
                        "--rate",
                        str(RATE / 2),
                        "--out",
                        str(tmp_path / f"fleet-{first}.json"),
                    ],
                    stdout=subprocess.PIPE,
                    stderr=(tmp_path / f"fleet-{first}.log").open("wb"),
                )
            )

        def load() -> None:  # the OMS asking while the fleet works
            http = httpx.Client(
                base_url=central.url, headers={"Authorization": f"Bearer {token}"}, timeout=30
            )
            while not stop.is_set():
                k = random.randrange(STATIONS)
                t0 = time.perf_counter()
                assert (
                    http.get(f"/v1/hubs/hub-{k % HUBS}/stock", params={"gtin": "09501101530003"}).status_code
                    == 200
                )
                api["stock"].append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                http.get(f"/v1/returns/RMA-st-{k}-{random.randint(1, 5)}")
                api["timeline"].append((time.perf_counter() - t0) * 1000)
                stop.wait(0.05)
            http.close()

        for proc in fleet:
            assert proc.stdout is not None and proc.stdout.readline().strip() == b"online"
        loader = threading.Thread(target=load, daemon=True)
        loader.start()
        for proc in fleet:
            assert proc.wait(SECONDS + 400) == 0, (tmp_path / "fleet-0.log").read_text()[-2000:]
        stop.set()
        loader.join(30)

        scans: dict[str, list[list[float]]] = {}
        sent = 0
        for path in tmp_path.glob("fleet-*.json"):
            doc = json.loads(path.read_text())
            scans.update(doc["scans"])
            sent += doc["events"]
        db = Database(pg_db)
        wait_for(
            lambda: db.row("SELECT COUNT(*) AS n FROM feed")["n"] == sent,  # type: ignore[index]
            timeout=300,
            every=0.5,
            what="every event projected",
        )
        refunds = db.row("SELECT COUNT(*) AS n FROM feed WHERE type = 'refund.eligible'")["n"]  # type: ignore[index]
        wait_for(lambda: len(oms.accepted()) >= refunds, timeout=300, every=0.5, what="every refund webhook")

        rows = db.rows(
            "SELECT e.source, e.seq, e.received_at, f.projected_at FROM events e "
            "JOIN feed f ON f.source = e.source AND f.seq = e.seq"
        )
        received = {(r["source"], r["seq"]): r["received_at"] for r in rows}
        span_s = (max(received.values()) - min(received.values())) / 1000
        projection_lag = [float(r["projected_at"] - r["received_at"]) for r in rows]
        by_id = {
            r["id"]: r["received_at"]
            for r in db.rows("SELECT id, received_at FROM events WHERE type = 'refund.eligible'")
        }
        webhook_lag = [at * 1000 - by_id[orjson.loads(body)["id"]] for _, body, at in oms.accepted()]
        steps = db.rows(
            "SELECT d.created_at - f.projected_at AS planned, d.delivered_at - d.created_at AS posted "
            "FROM webhook_deliveries d JOIN feed f ON f.pos = d.pos"
        )
        scan_to_sink = [
            received[(source, int(seq))] - at * 1000 for source, pairs in scans.items() for seq, at in pairs
        ]
        db.close()

        print(
            f"\n[central bench] {STATIONS} stations in {HUBS} hubs, {sent} events over {SECONDS:.0f} s "
            f"(fleet rate asked {RATE:.0f}/s), two receivers, one mosquitto"
        )
        print(
            f"[central bench] {version.split(',')[0]}, fsync={fsync}, synchronous_commit={commit}; "
            f"load average (1 min) {load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after, "
            f"on {os.cpu_count()} CPUs"
        )
        print(
            f"[central bench] events/s at the sink: {sent / span_s:,.0f}   "
            f"baseline bare INSERT (one commit each) into the same PostgreSQL: {baseline_insert:,.0f}/s"
        )
        print("[central bench] " + line("projection lag (sink commit -> projected)", projection_lag))
        print(
            "[central bench] "
            + line("API stock under load", api["stock"])
            + "   "
            + line("API return timeline under load", api["timeline"])
        )
        print("[central bench] " + line("webhook delivery lag (sink commit -> endpoint)", webhook_lag))
        print(
            "[central bench]   of which "
            + line("projected -> planned", [float(s["planned"]) for s in steps])
            + "; "
            + line("planned -> accepted", [float(s["posted"]) for s in steps])
        )
        print(
            "[central bench] "
            + line("scan at an online station -> committed at the sink", scan_to_sink)
            + "   goal p99 <= 50 ms"
        )
        print("[central bench] " + line("baseline bare paho publish -> subscriber round trip", baseline_rt))
        assert len(scan_to_sink) == sent
    finally:
        stop.set()
        for proc in fleet:
            if proc.poll() is None:
                proc.kill()
        central.stop()
        for r in receivers:
            r.terminate()
            r.wait(15)
        oms.close()
