"""The central service end to end: the real headless station does a return, restocks, a pack and a
repair; its log goes through the real uplink and a real mosquitto to ``hubsync serve --receive`` over
SQLite and over PostgreSQL; the API then answers stock, the return's story and units exactly as the
station's own log and ``station stock`` say."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from station.runtime.sync_link import start_sync
from sync.settings import SyncSettings
from tests.fixtures_central import CentralProcess, add_client
from tests.fixtures_mqtt import Broker
from tests.sync_helpers import wait_for
from tests.test_headless import events, station
from tests.test_hubwork_headless import SCRIPT, load_hub

HUB, STATION = "hub-local", "counter-1"
OPENAPI = Path(__file__).parents[1] / "sync" / "central" / "openapi.json"


@pytest.fixture(scope="module")
def worked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A station that took a return in, restocked, packed and repaired (run once, copied per test)."""
    tmp = tmp_path_factory.mktemp("station")
    load_hub(tmp)
    lines = [line for line in SCRIPT.splitlines() if not line.startswith("#")]  # PINs on their own lines
    run = station(tmp, "run", "--headless", "--scanner", "stdin:", stdin="\n".join(lines) + "\n")
    assert run.returncode == 0, run.stderr
    return tmp


@pytest.fixture
def station_dir(worked: Path, tmp_path: Path) -> Path:
    target = tmp_path / "station"
    shutil.copytree(worked, target)
    return target


def drain(broker: Broker, station_dir: Path, name: str = STATION) -> int:
    """Send the station's whole log through the real uplink; returns its last seq once all are acked."""
    settings = SyncSettings(
        broker=broker.url, hub=HUB, station=name, backoff_min_s=0.05, backoff_max_s=0.5, health_interval_s=0.5
    )
    link = start_sync(settings, station_dir / "data" / "station.db", lambda: {"printer": "ready"})
    try:
        last = link.uplink.outbox.stats().last_seq
        wait_for(lambda: link.uplink.outbox.acked_seq() == last, timeout=60, what="every event acked")
        return int(last)
    finally:
        link.stop()


@pytest.fixture
def central(central_db: str, broker: Broker, tmp_path: Path) -> Iterator[CentralProcess]:
    c = CentralProcess(central_db, tmp_path, broker.url, "--receive").start()
    yield c
    c.stop()


def _about(log: list[dict[str, Any]], rma: str) -> list[dict[str, Any]]:
    """The station's own events about a return: naming it, or one of its units' LPNs."""
    lpns = {e["data"]["lpn"] for e in log if e["type"] == "return.dispositioned" and e["data"]["rma"] == rma}
    out = []
    for e in log:
        d = e["data"]
        units = {u["lpn"] for u in d["units"]} if e["type"] == "order.packed" else set()
        if d.get("rma") == rma or d.get("lpn") in lpns or units & lpns:
            out.append(e)
    return out


def test_api_answers_as_the_station_log_says(
    central: CentralProcess, broker: Broker, station_dir: Path
) -> None:
    token = add_client(central.db_url, "oms", ("*",), ("read",))
    stranger = add_client(central.db_url, "other-hub", ("ams-9",), ("read",))
    last = drain(broker, station_dir)
    log = events(station_dir)
    assert len(log) == last

    def feed_len() -> int:
        return len(central.get("/v1/events", token, limit=1000).json()["events"])

    wait_for(lambda: feed_len() == last, timeout=30, what="every event projected")

    # stock: exactly what `station stock` says (the phone was packed; the cable and the tablet are shelved)
    shelf = [json.loads(line) for line in station(station_dir, "stock", "--json").stdout.splitlines()]
    answer = central.get(f"/v1/hubs/{HUB}/stock", token)
    assert answer.status_code == 200, answer.text
    lines = answer.json()["lines"]
    available = sorted(
        (u["bin"], u["lpn"]) for line in lines for u in line["units"] if u["status"] == "stocked"
    )
    assert available == sorted((r["bin"], r["lpn"]) for r in shelf) and len(available) == 2
    for row in shelf:
        counts = central.get(f"/v1/hubs/{HUB}/availability/{row['gtin']}", token).json()
        assert counts["available"] == sum(1 for r in shelf if r["gtin"] == row["gtin"])

    # the return's story: the station's events about it, in its order, with the refund it recorded
    rma = next(e["data"]["rma"] for e in log if e["type"] == "return.received")
    story = central.get(f"/v1/returns/{rma}", token).json()
    expected = _about(log, rma)
    assert [(e["type"], e["data"]) for e in story["timeline"]] == [(e["type"], e["data"]) for e in expected]
    refund = next(e["data"] for e in log if e["type"] == "refund.eligible")
    summary = story["summary"]
    assert summary["status"] == "completed" and summary["refund_amount"] == refund["amount"]
    assert (summary["refund_cap"], summary["currency"]) == (refund["cap"], refund["currency"])
    packed = next(e["data"] for e in log if e["type"] == "order.packed")
    phone = packed["units"][0]["lpn"]
    unit = central.get(f"/v1/units/{phone}", token).json()
    assert (unit["status"], unit["order_number"], unit["rma"]) == ("packed", packed["order"], rma)
    by_serial = central.get("/v1/returns", token, serial="SNA1").json()
    assert [s["rma"] for s in by_serial] == [rma]
    closed = next(e["data"] for e in log if e["type"] == "workorder.closed")
    tablet = central.get(f"/v1/units/{closed['lpn']}", token).json()
    repair = central.get(f"/v1/work-orders/{closed['workorder']}", token).json()
    assert (repair["status"], repair["outcome"], repair["labour_minutes"]) == ("closed", "repaired", 25)
    assert repair["diagnoses"] == closed["diagnoses"]
    assert [e["type"] for e in repair["timeline"]] == [
        e["type"] for e in log if e["type"].startswith("workorder.")
    ]
    assert (tablet["grade"], tablet["disposition"], tablet["status"]) == ("B", "restock_local", "stocked")

    # the feed, pulled page by page with the cursor: every event once, in the station's order
    seen, after = [], 0
    while page := central.get("/v1/events", token, after=after, limit=7).json()["events"]:
        seen += [e["event"]["id"] for e in page]
        after = page[-1]["position"]
    assert seen == [e["id"] for e in log]

    # the station: known, with its retained presence (the link said offline: stopped)
    def presence() -> Any:
        rows = central.get("/v1/stations", token).json()
        return rows and rows[0]["presence"] == "offline" and rows[0]

    row = wait_for(presence, what="the station's offline state")
    assert (row["hub"], row["station"], row["last_seq"], row["sink_contiguous"]) == (HUB, STATION, last, last)
    assert row["presence_reason"] == "stopped"

    # scopes: no token, another hub's client
    assert central.get(f"/v1/hubs/{HUB}/stock", "").status_code == 401
    assert central.get(f"/v1/hubs/{HUB}/stock", "wrong").status_code == 401
    assert central.get(f"/v1/hubs/{HUB}/stock", stranger).status_code == 403
    assert central.get(f"/v1/returns/{rma}", stranger).status_code == 404
    assert central.get("/v1/events", stranger).json()["events"] == []
    assert central.post("/v1/webhooks", token, {"url": "http://x", "types": ["*"]}).status_code == 403

    # a rebuild from zero gives the same answers and keeps the feed's positions
    before = (central.get(f"/v1/hubs/{HUB}/stock", token).json(), story)
    rebuilt = subprocess.run(
        [sys.executable, "-m", "sync", "rebuild", "--db", central.db_url],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rebuilt.returncode == 0 and f"projected {last} events" in rebuilt.stdout, rebuilt.stderr
    after_ = (
        central.get(f"/v1/hubs/{HUB}/stock", token).json(),
        central.get(f"/v1/returns/{rma}", token).json(),
    )
    assert after_ == before


def test_openapi_served_is_the_one_in_the_repo(tmp_path: Path) -> None:
    c = CentralProcess(f"sqlite:///{tmp_path / 'c.db'}", tmp_path).start()
    try:
        served = c.http.get("/openapi.json").json()
    finally:
        c.stop()
    assert served == json.loads(OPENAPI.read_text()), "run: hubsync openapi -o sync/central/openapi.json"
    assert {
        "/v1/hubs/{hub}/stock",
        "/v1/returns/{rma}",
        "/v1/units/{lpn}",
        "/v1/events",
        "/v1/stations",
        "/v1/webhooks",
    } <= set(served["paths"])
    assert served["components"]["securitySchemes"]["HTTPBearer"]["scheme"] == "bearer"
