"""The fleet console in Debian's headless Chromium (selenium + chromedriver), as a person at the centre
uses it: sign in, see hubs and stations with their state and today's work, alerts, find a return by a
serial and read its story, watch the page update live, send a command to a station. Screenshots go to
the test's tmp dir (``CENTRAL_SCREENSHOTS=DIR`` writes them there too: tests/screenshots/central/ holds
the committed ones, made that way)."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from station.runtime.sync_link import start_sync
from sync.settings import SyncSettings
from sync.sinks import open_sink
from tests.fixtures_central import CentralProcess, add_client
from tests.fixtures_mqtt import Broker
from tests.sync_helpers import wait_for
from tests.system_packages import ensure
from tests.test_central_api import HUB, drain, station_dir, worked  # noqa: F401 (fixtures)
from tests.test_central_projections import ev


@pytest.fixture
def browser() -> Iterator[WebDriver]:
    paths = ensure("chromium", "chromedriver")
    options = webdriver.ChromeOptions()
    options.binary_location = paths["chromium"]
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1280,900",
        "--hide-scrollbars",
    ):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(paths["chromedriver"]))
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def shot(driver: WebDriver, tmp_path: Path, name: str, width: int) -> Path:
    """A full-page screenshot at ``width`` px."""
    driver.set_window_size(width, 900)
    height = int(driver.execute_script("return document.documentElement.scrollHeight"))
    driver.set_window_size(width, min(max(height, 600), 2400))
    path = tmp_path / f"{name}-{width}.png"
    driver.save_screenshot(str(path))
    extra = os.environ.get("CENTRAL_SCREENSHOTS")
    if extra:
        driver.save_screenshot(str(Path(extra) / path.name))
    return path


def text(driver: WebDriver, selector: str = "body") -> str:
    """What a person reads in ``selector`` (read in one go: the live refresh may swap the page meanwhile)."""
    return str(
        driver.execute_script(
            "const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", selector
        )
    )


class Listener:
    """A paho subscriber standing in for the station's downlink."""

    def __init__(self, broker: Broker, topic: str) -> None:
        self.messages: list[dict[str, Any]] = []
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = lambda c, u, m: self.messages.append(orjson.loads(m.payload))
        self.client.connect("127.0.0.1", broker.port)
        self.client.subscribe(topic, qos=1)
        self.client.loop_start()

    def stop(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def test_console_in_chromium(browser: WebDriver, broker: Broker, station_dir: Path, tmp_path: Path) -> None:  # noqa: F811
    db_url = f"sqlite:///{tmp_path / 'central.db'}"
    token = add_client(db_url, "centre", ("*",), ("console", "command"))
    central = CentralProcess(
        db_url, tmp_path, broker.url, "--receive", "--offline-minutes", "0", "--printer-minutes", "0"
    ).start()
    # counter-2 is online with its printer out of paper
    paper_out = start_sync(
        SyncSettings(broker=broker.url, hub=HUB, station="counter-2", health_interval_s=0.5, version="1.4.0"),
        tmp_path / "counter-2.db",
        lambda: {
            "printer": "paper_out",
            "scanners": {
                "serial:///dev/hub/scanner-1": "connected",
                "evdev:///dev/input/by-id/kbd": "disconnected",
            },
        },
    )
    listener = Listener(broker, f"hubs/{HUB}/stations/counter-1/downlink/#")
    sink = open_sink(db_url)
    try:
        drain(broker, station_dir)  # counter-1 did a day's work and went offline
        sink.insert([{**e, "source": e["source"].replace("ams-1", HUB)} for e in gap_events()])

        browser.get(f"{central.url}/console")
        assert browser.current_url.endswith("/console/login")
        browser.find_element(By.NAME, "token").send_keys(token)
        browser.find_element(By.CSS_SELECTOR, "form button").click()
        wait_for(lambda: browser.current_url.endswith("/console"), what="the fleet page")

        def fleet_ready() -> bool:
            browser.get(f"{central.url}/console")
            page = text(browser)
            return (
                "counter-2" in page
                and "paper_out" in page
                and "offline for" in page
                and "seqs missing" in page
            )

        wait_for(fleet_ready, timeout=30, every=0.5, what="the fleet page with alerts")
        page = text(browser)
        assert "hub-local / counter-1: offline for 0 min" in page
        assert "hub-local / counter-2: printer paper_out for 0 min" in page
        assert (
            "hub-local / counter-3: seqs missing: the receiver has nothing from seq 1 and events up to 5"
            in page
        )
        hub = browser.find_element(By.CSS_SELECTOR, "section.hub")
        assert "Returns today\n1\nUnits\n3\nRefunds\n1 · 500.00 EUR" in hub.text
        assert "liquidate 1, repair 1, restock_local 1" in hub.text
        rows = {
            r.find_elements(By.TAG_NAME, "td")[0].text: r.text
            for r in hub.find_elements(By.CSS_SELECTOR, "tbody tr")
        }
        assert (
            "offline" in rows["counter-1"] and "online" in rows["counter-2"] and "1.4.0" in rows["counter-2"]
        )
        assert "connected disconnected" in rows["counter-2"]  # its two scanners
        shot(browser, tmp_path, "fleet", 1280)
        shot(browser, tmp_path, "fleet", 800)

        # live: a return taken in elsewhere shows up without a reload
        browser.execute_script("window.notReloaded = true")
        now = time.strftime("%Y-%m-%dT%H:%M:%S.000+00:00", time.gmtime())
        sink.insert(
            [
                {
                    **ev(
                        "counter-3",
                        1,
                        "return.received",
                        "1T00:00:00.000",
                        rma="RMA-LIVE",
                        return_code="x",
                        code_kind="rma",
                        order_number=None,
                        expected=[],
                        blind=False,
                    ),
                    "source": f"urn:hubstation:{HUB}:counter-3",
                    "time": now,
                }
            ]
        )
        wait_for(
            lambda: "Returns today\n2" in text(browser, "section.hub"),
            timeout=30,
            every=0.5,
            what="the live update",
        )
        assert browser.execute_script("return window.notReloaded") is True

        # search by a serial: the return's story
        box = browser.find_element(By.NAME, "q")
        box.send_keys("SNA1")
        box.submit()
        wait_for(lambda: "/console/returns/" in browser.current_url, what="the return page")
        story = text(browser)
        assert "Return RMA-3000001" in story and "completed" in story
        assert "refund.eligible" in story and "inventory.restocked" in story and "order.packed" in story
        assert "workorder.closed" in story
        shot(browser, tmp_path, "return", 1280)
        shot(browser, tmp_path, "return", 800)
        browser.find_element(By.NAME, "q").send_keys("NOPE-123\n")
        wait_for(lambda: "Nothing found" in text(browser), what="the not-found page")

        # send a command; the station's answer (an event) is shown
        browser.get(f"{central.url}/console/stations/{HUB}/counter-1")
        browser.find_element(By.CSS_SELECTOR, "button[value=doctor]").click()
        wait_for(lambda: "Sent: command doctor" in text(browser), what="the sent notice")
        wait_for(lambda: listener.messages, what="the command on the station's downlink")
        assert listener.messages[0]["kind"] == "command" and listener.messages[0]["body"] == {
            "command": "doctor"
        }
        browser.find_element(By.NAME, "settings").send_keys("not json")
        browser.find_element(By.CSS_SELECTOR, "button[value=config]").click()
        wait_for(lambda: "The settings must be a JSON object" in text(browser), what="the refusal")
        assert "doctor" in text(browser)
    finally:
        sink.close()
        listener.stop()
        paper_out.stop()
        central.stop()


def gap_events() -> list[dict[str, Any]]:
    """counter-3's seq 2 and 5: 1, 3 and 4 are missing at the receiver."""
    signed_in = {"badge": "1", "name": "x", "roles": []}
    return [ev("counter-3", seq, "operator.signed_in", "1T08:00:01.000", **signed_in) for seq in (2, 5)]
