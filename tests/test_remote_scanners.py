"""Scanner URIs sent down from the centre, end to end: a running station (the real Station with its sync
link) on a real mosquitto reads a pty scanner; a config naming another pty is applied at the next idle
moment (the old reader stops, the new one reads), a config with a bad URI is rejected with its reason and
the scanner in use keeps reading; a reprint command names the label job to reprint."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from station.devices.scanners import ScannerState
from station.runtime.config import BrokerSettings, Config
from station.runtime.desk import Outcome
from station.runtime.service import Station
from station.store.operators import load_operators
from sync.publish import publish_downlink
from tests.fixtures_mqtt import Broker
from tests.fixtures_scanners import Pty
from tests.sync_helpers import wait_for

HUB, NAME = "hub-local", "counter-1"


def log(station: Station, kind: str) -> list[dict[str, Any]]:
    rows = station.store.conn.execute("SELECT data FROM events WHERE type = ? ORDER BY seq", (kind,))
    return [json.loads(data) for (data,) in rows]


@pytest.fixture
def first_pty(make_pty: Callable[[], Pty]) -> Pty:
    return make_pty()


@pytest.fixture
def station(broker: Broker, tmp_path: Path, first_pty: Pty) -> Iterator[Station]:
    config = Config(
        hub=HUB,
        station=NAME,
        scanners=(f"serial://{first_pty.path}",),
        data_dir=tmp_path / "station",
        broker=BrokerSettings(url=broker.url),
    )
    s = Station(config)
    people = {"operators": [{"badge": "BADGE-1001", "name": "Ana", "roles": ["intake"]}]}
    load_operators(s.store, people, config.codes)
    s.start()
    yield s
    s.stop()


def send_config(broker: Broker, version: int, settings: dict[str, Any]) -> None:
    publish_downlink(
        broker.url, "config", {"settings": settings}, hub=HUB, station=NAME, key="config", version=version
    )


def scanned(station: Station, pty: Pty, text: str) -> Outcome:
    """Write ``text`` into the scanner ``pty`` and wait for the desk's outcome of it."""
    got: list[Outcome] = []
    station.on_outcome(got.append)
    try:
        pty.write(text.encode() + b"\r")
        return wait_for(lambda: next((o for o in got if o.input == text), None), what=f"the scan {text}")
    finally:
        station._listeners.remove(got.append)


def test_scanner_uris_from_the_centre_switch_the_readers_and_a_bad_one_keeps_the_old(
    station: Station, broker: Broker, first_pty: Pty, make_pty: Callable[[], Pty]
) -> None:
    wait_for(  # subscribed too: a command sent before the SUBACK would find no subscriber
        lambda: station.sync is not None and station.sync.conn.subscribed, what="the station subscribed"
    )
    old_uri = f"serial://{first_pty.path}"
    wait_for(lambda: station.scanner_states[old_uri][0] is ScannerState.CONNECTED, what="scanner connected")
    assert scanned(station, first_pty, "BADGE-1001").ok

    # a bad URI (a relative device path): rejected with its reason; the scanner in use keeps reading
    send_config(broker, 1, {"scanners": ["serial://dev/ttyACM0"]})
    rejected = wait_for(lambda: log(station, "config.rejected"), what="config.rejected")
    assert rejected[0]["version"] == 1 and "scanners[0]" in rejected[0]["reason"]
    assert "reads as a host name" in rejected[0]["reason"]
    assert station.config.scanners == (old_uri,)
    assert scanned(station, first_pty, "CMD:FLOW:INTAKE").ok

    # a good one: applied at once (nothing open), the old reader stopped, the new one reading
    second = make_pty()
    new_uri = f"serial://{second.path}"
    send_config(broker, 2, {"scanners": [new_uri]})
    applied = wait_for(lambda: log(station, "config.applied"), what="config.applied")
    assert applied[0]["version"] == 2 and applied[0]["settings"] == {"scanners": [new_uri]}
    assert station.config.scanners == (new_uri,) and [r.uri for r in station.readers] == [new_uri]
    wait_for(lambda: station.health()["config_version"] == 2, what="the applied version in the health")
    wait_for(lambda: station.scanner_states.get(new_uri, (None,))[0] is ScannerState.CONNECTED, what="new")
    assert old_uri not in station.health()["scanners"]
    assert [t.name for t in threading.enumerate() if t.name.startswith("scanner ")] == [f"scanner {new_uri}"]
    outcome = scanned(station, second, "CMD:SIGN_OUT")
    assert outcome.ok and outcome.operator is None

    # the old scanner is no longer read: what it sends goes nowhere
    first_pty.write(b"BADGE-1001\r")
    assert scanned(station, second, "BADGE-1001").ok
    signins = log(station, "operator.signed_in")
    assert len(signins) == 2, signins


def test_a_reprint_command_names_the_label_job(station: Station, broker: Broker) -> None:
    wait_for(  # subscribed too: a command sent before the SUBACK would find no subscriber
        lambda: station.sync is not None and station.sync.conn.subscribed, what="the station subscribed"
    )
    body = {"command": "reprint", "job": 42}
    publish_downlink(broker.url, "command", body, hub=HUB, station=NAME, key="reprint-1", version=1)
    answer = wait_for(lambda: log(station, "command.answered"), what="command.answered")[0]
    assert answer["ok"] is False and "no label job 42" in answer["detail"]
