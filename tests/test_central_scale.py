"""Beyond one machine: two ``hubsync serve --receive`` processes on one PostgreSQL share the stations'
events through the shared subscription; every event is committed, projected and sent to a webhook once,
and both processes answer the API alike."""

from __future__ import annotations

from pathlib import Path

from station.runtime.sync_link import start_sync
from sync.settings import SyncSettings
from tests.fixtures_central import CentralProcess, add_client
from tests.fixtures_mqtt import Broker
from tests.sync_helpers import station_db, wait_for
from tests.test_central_webhooks import Endpoint

STATIONS, EVENTS = 4, 300


def test_two_service_processes_on_one_postgresql(pg_admin_url: str, broker: Broker, tmp_path: Path) -> None:
    import uuid

    import psycopg

    name = f"central_scale_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = pg_admin_url.partition("?")
    db_url = f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    token = add_client(db_url, "oms", ("*",), ("read", "webhooks"))
    oms = Endpoint()
    services = [
        CentralProcess(db_url, tmp_path, broker.url, "--receive", name=n).start() for n in ("c1", "c2")
    ]
    links = []
    try:
        assert services[0].post("/v1/webhooks", token, {"url": oms.url, "types": ["*"]}).status_code == 201
        wait_for(lambda: broker.log().count("as receiver-c") == 2, what="both receivers connected")
        for i in range(STATIONS):
            db = tmp_path / f"s{i}.db"
            station_db(db, EVENTS).close()
            settings = SyncSettings(broker=broker.url, hub="h1", station=f"s{i}", batch_size=20, window=100)
            links.append(start_sync(settings, db, dict))
        total = STATIONS * EVENTS
        wait_for(
            lambda: all(link.uplink.outbox.acked_seq() == EVENTS for link in links),
            timeout=120,
            what="every event acked",
        )

        def feed(service: CentralProcess) -> list[int]:
            out, after = [], 0
            while page := service.get("/v1/events", token, after=after, limit=1000).json()["events"]:
                out += [e["position"] for e in page]
                after = page[-1]["position"]
            return out

        wait_for(lambda: len(feed(services[1])) == total, timeout=120, what="every event projected")
        assert feed(services[0]) == feed(services[1]) == sorted(set(feed(services[0])))
        wait_for(lambda: len(oms.accepted()) >= total, timeout=120, what="every webhook")
        ids = [h["webhook-id"] for h, _, _ in oms.accepted()]
        assert len(ids) == len(set(ids)) == total  # two senders, each event once
        logs = [(tmp_path / f"central-{n}.log").read_text() for n in ("c1", "c2")]
        assert all("Traceback" not in text for text in logs), logs
    finally:
        for link in links:
            link.stop()
        for service in services:
            service.stop()
        oms.close()
        with psycopg.connect(pg_admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
