"""Hubs steered from the centre, end to end: a running station (the real Station with its sync link) and
``hubsync serve --receive`` over a real mosquitto; config and commands are sent from the console's form.
A rule change sent down waits for the open return, then changes the next disposition; a bad config is
rejected with its reason and the old one kept; reprint and doctor answer; the console shows it all."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from station.devices.scanners import RawScan
from station.runtime.config import BrokerSettings, Config
from station.runtime.desk import Outcome
from station.runtime.service import Station
from station.store.manifests import load_manifest
from station.store.operators import load_operators
from tests.fixtures_central import CentralProcess, add_client
from tests.fixtures_mqtt import Broker
from tests.sync_helpers import wait_for
from tests.test_central_console import browser, shot, text  # noqa: F401 (a fixture)

HUB, NAME = "hub-local", "counter-1"
PHONE = "]C1010950110153000321{serial}"


def manifest() -> dict[str, Any]:
    item = {
        "gtin": "09501101530003",
        "quantity": 1,
        "title": "Phone X",
        "category": "electronics",
        "value": 300.0,
    }
    return {
        "returns": [
            {
                "rma": f"RMA-100000{n}",
                "order_number": f"SO-{n}",
                "currency": "EUR",
                "refund_cap": 500.0,
                "version": 1,
                "items": [{**item, "serial": f"SN-{n}"}],
            }
            for n in (1, 2, 3)
        ],
        "stocked_gtins": ["09501101530003"],
    }


@pytest.fixture
def station(broker: Broker, tmp_path: Path) -> Iterator[Station]:
    config = Config(
        hub=HUB,
        station=NAME,
        scanners=(),
        data_dir=tmp_path / "station",
        broker=BrokerSettings(url=broker.url),
    )
    s = Station(config)
    load_manifest(s.store, manifest(), config.codes)
    people = {"operators": [{"badge": "BADGE-1001", "name": "Ana", "roles": ["intake"]}]}
    load_operators(s.store, people, config.codes)
    s.start()
    yield s
    s.stop()


class Console:
    """The console's forms, posted the way the browser does (signed in with a cookie)."""

    def __init__(self, central: CentralProcess, token: str) -> None:
        self.http = httpx.Client(base_url=central.url, timeout=20)
        assert self.http.post("/console/login", data={"token": token}).status_code == 303

    def send(self, **form: str) -> str:
        answer = self.http.post(f"/console/stations/{HUB}/{NAME}/send", data=form)
        assert answer.status_code == 303, answer.text
        return str(answer.headers["location"])

    def page(self) -> str:
        return self.http.get(f"/console/stations/{HUB}/{NAME}").text


def scan(station: Station, *texts: str) -> list[Outcome]:
    got: list[Outcome] = []
    station.on_outcome(got.append)
    for scanned in texts:
        station.submit(RawScan(scanned, "test:", time.monotonic_ns()))
    station.wait_idle()
    station._listeners.remove(got.append)
    return got


def log(station: Station, kind: str) -> list[dict[str, Any]]:
    rows = station.store.conn.execute("SELECT seq, data FROM events WHERE type = ? ORDER BY seq", (kind,))
    return [{"seq": seq, **json.loads(data)} for seq, data in rows]


def test_config_and_commands_from_the_console(
    station: Station,
    broker: Broker,
    tmp_path: Path,
    browser: WebDriver,  # noqa: F811
) -> None:
    db_url = f"sqlite:///{tmp_path / 'central.db'}"
    central = CentralProcess(db_url, tmp_path, broker.url, "--receive").start()
    try:
        token = add_client(db_url, "desk", (HUB,), ("console", "command"))
        console = Console(central, token)
        wait_for(lambda: station.sync is not None and station.sync.conn.subscribed, what="subscribed")

        outcomes = scan(station, "BADGE-1001", "RMA-1000001", PHONE.format(serial="SN-1"), "CMD:GRADE:A")
        assert all(o.ok for o in outcomes), [(o.ok, o.message) for o in outcomes]
        assert log(station, "return.dispositioned")[-1]["disposition"] == "restock_local"

        # the rule change arrives while the return is open: it waits for it
        rules = {
            "disposition": {
                "rules": [
                    {"name": "all to the DC", "disposition": "return_to_dc", "grades": ["A", "B", "C", "D"]}
                ]
            }
        }
        assert "sent=config" in console.send(action="config", settings=json.dumps(rules))
        wait_for(
            lambda: station.store.conn.execute(
                "SELECT 1 FROM downlink_messages WHERE kind = 'config'"
            ).fetchone(),
            what="the config held",
        )
        assert scan(station, "CMD:DONE")[0].ok
        applied = wait_for(lambda: log(station, "config.applied"), what="config.applied")
        assert applied[0]["seq"] > log(station, "return.completed")[-1]["seq"]
        assert applied[0]["settings"] == rules

        assert all(o.ok for o in scan(station, "RMA-1000002", PHONE.format(serial="SN-2"), "CMD:GRADE:A"))
        unit = log(station, "return.dispositioned")[-1]
        assert (unit["rma"], unit["disposition"], unit["rule"]) == (
            "RMA-1000002",
            "return_to_dc",
            "all to the DC",
        )
        assert scan(station, "CMD:DONE")[0].ok

        # a config the station cannot apply: rejected with the reason, the old one kept
        bad = {"disposition": {"rules": [{"disposition": "burn"}]}}
        console.send(action="config", settings=json.dumps(bad))
        rejected = wait_for(lambda: log(station, "config.rejected"), what="config.rejected")
        assert "disposition.rules[0].disposition" in rejected[0]["reason"] and "burn" in rejected[0]["reason"]
        console.send(action="config", settings=json.dumps({"hub": "elsewhere"}))
        wait_for(lambda: len(log(station, "config.rejected")) == 2, what="the second rejection")
        assert "station.toml" in log(station, "config.rejected")[1]["reason"]
        assert all(
            o.ok for o in scan(station, "RMA-1000003", PHONE.format(serial="SN-3"), "CMD:GRADE:A", "CMD:DONE")
        )
        assert log(station, "return.dispositioned")[-1]["disposition"] == "return_to_dc"

        # commands: reprint a unit's label, run the doctor
        lpn = log(station, "return.dispositioned")[0]["lpn"]
        wait_for(lambda: log(station, "label.printed"), what="the first label printed")
        console.send(action="reprint", lpn=lpn)
        console.send(action="doctor")
        answers = wait_for(  # the doctor runs every check (up to its 4 s deadline): slow on a busy machine
            lambda: (a := log(station, "command.answered")) and len(a) == 2 and a,
            timeout=90,
            what="both answers",
        )
        by_command = {a["command"]: a for a in answers}
        assert by_command["reprint"]["ok"] and lpn in by_command["reprint"]["detail"]
        names = {c["name"] for c in by_command["doctor"]["checks"]}
        assert {"config", "database", "printer"} <= names and any(n.startswith("broker") for n in names)
        wait_for(lambda: any(e["reprint"] for e in log(station, "label.printed")), what="the reprint printed")

        # the console: the answers and the applied config version came back up
        def shown() -> bool:
            page = console.page()
            return "command.answered" in page and "config.rejected" in page and "config.applied" in page

        wait_for(shown, timeout=30, every=0.5, what="the answers on the console")
        browser.get(f"{central.url}/console/login")
        browser.find_element(By.NAME, "token").send_keys(token + "\n")
        wait_for(lambda: browser.current_url.endswith("/console"), what="signed in")
        browser.get(f"{central.url}/console/stations/{HUB}/{NAME}")
        seen = text(browser)
        assert (
            f"config v{applied[0]['version']} in use" in seen and "disposition.rules[0].disposition" in seen
        )
        assert "reprint: done" in seen and "doctor: " in seen and "database: ok" in seen
        shot(browser, tmp_path, "station-answers", 800)
        version = applied[0]["version"]
        rows = central.get("/v1/stations", add_client(db_url, "oms", (HUB,), ("read",))).json()
        assert [r["config_version"] for r in rows if r["station"] == NAME] == [version]
    finally:
        central.stop()
