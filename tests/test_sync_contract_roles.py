"""The contract checked on real events: the station's headless flows of every role (intake, restock,
packing, repair, overrides, printing, downlink rejections) run with a broker; every event it sends must pass
the schemas of sync/asyncapi.yaml, and a ``hubsync receive --validate`` must commit all of them."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from station.runtime.sync_link import read_status
from sync.protocol import ProtocolError, check_event, event_types
from sync.sinks import SqliteSink
from tests.fixtures_mqtt import Broker
from tests.sync_helpers import wait_for
from tests.test_headless import DATA
from tests.test_hubwork_headless import LPN2
from tests.test_hubwork_headless import SCRIPT as HUB_SCRIPT

#: What every role does at a real station, as scans (comments and blank lines are left out when fed):
#: the hub-work script (intake with a PIN, restock and a move, a supervisor's restock override, packing,
#: repair), then a reprint, a return with a wrong item cancelled, a blind receipt allowed by a supervisor
#: and cancelled, an order opened and cancelled, the OMS's work order opened and parked, a sign-out, and
#: a badge locked by wrong PINs.
ROLES_SCRIPT = (
    HUB_SCRIPT
    + f"""\
CMD:REPRINT:{LPN2}
RMA-3000002
96385074
CMD:GRADE:incorrect_item
CMD:CANCEL
RMA-3999999
BADGE-2002
135792
CMD:CANCEL
ORD-4000002
CMD:CANCEL
CMD:FLOW:REPAIR
WO-500001
CMD:CANCEL
CMD:SIGN_OUT
BADGE-2001
"""
    + "000000\n" * 5
)
#: The event types those flows must produce (so that the check cannot shrink unnoticed).
ROLE_EVENT_TYPES = {
    *("operator.signed_in", "operator.signed_out", "operator.pin_failed", "operator.locked_out"),
    *("return.received", "return.item_verified", "return.item_mismatch", "return.graded"),
    *("return.dispositioned", "refund.eligible", "return.completed", "return.cancelled"),
    *("override.granted", "inventory.restocked", "inventory.moved"),
    *("order.pack_started", "order.unit_scanned", "order.packed", "order.pack_cancelled"),
    *("workorder.opened", "workorder.diagnosed", "workorder.part_used", "workorder.wiped"),
    *("workorder.labour_logged", "workorder.noted", "workorder.closed"),
    *("label.printed", "label.voided", "downlink.rejected"),
}
#: Downlink messages the station must refuse (each becomes a downlink.rejected event).
BAD_DOWNLINKS = (
    b"{not json",
    json.dumps({"protocol": 1, "kind": "order", "key": "ORD-4000009", "version": 1, "body": {}}).encode(),
    json.dumps({"protocol": 9, "kind": "order", "key": "ORD-4000009", "version": 1, "body": {}}).encode(),
)


class _Spy:
    """Every message on the broker under ``hubs/``; it also publishes what the OMS would."""

    def __init__(self, broker: Broker) -> None:
        self.seen: list[mqtt.MQTTMessage] = []
        self.client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
        self.client.on_message = lambda c, u, m: self.seen.append(m)
        subscribed = threading.Event()
        self.client.on_subscribe = lambda *_: subscribed.set()
        self.client.connect("127.0.0.1", broker.port)
        self.client.subscribe("hubs/#", qos=1)
        self.client.loop_start()
        assert subscribed.wait(10), "the spy's subscription was not acknowledged"

    def events(self) -> dict[int, dict[str, Any]]:
        """The station's events by seq (a resent one once), as they went over the wire."""
        out: dict[int, dict[str, Any]] = {}
        for m in list(self.seen):
            if m.topic.endswith("/events"):
                payload = json.loads(m.payload)
                for e in payload if isinstance(payload, list) else [payload]:
                    out[e["seq"]] = e
        return out

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def _cli(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "station.cli", "--config", str(config), *args]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def check_every_event(events: dict[int, dict[str, Any]]) -> None:
    """Every event (by seq, gapless from 1) passes the schemas, and every type has a data schema."""
    assert sorted(events) == list(range(1, len(events) + 1))
    errors = []
    for seq, event in events.items():
        try:
            check_event(event)
        except ProtocolError as exc:
            errors.append(f"seq {seq} {event['type']}: {exc} data={event['data']}")
    assert not errors, "events that break the contract:\n" + "\n".join(errors)
    types = {e["type"] for e in events.values()}
    missing = sorted(types - set(event_types()))
    assert not missing, f"event types with no data schema: {missing}"
    assert types >= ROLE_EVENT_TYPES, f"the flows no longer produce {sorted(ROLE_EVENT_TYPES - types)}"


def test_every_event_of_every_role_follows_the_contract(broker: Broker, tmp_path: Path) -> None:
    """The real station (``station run --headless``) runs every role's flows with a broker; every event it
    sends must pass the contract's schemas, and ``hubsync receive --validate`` must commit all of them."""
    config = tmp_path / "station.toml"
    # the default hub-local/station-1: the hub-work script's LPNs carry that prefix
    config.write_text(f'data_dir = "{tmp_path / "data"}"\n[broker]\nurl = "{broker.url}"\n')
    manifest = json.loads((DATA / "hubwork_manifest.json").read_text())
    manifest["returns"].append({**manifest["returns"][0], "rma": "RMA-3000002"})
    orders = json.loads((DATA / "hubwork_orders.json").read_text())
    orders["orders"].append({**orders["orders"][0], "order": "ORD-4000002"})
    for name, doc in (("manifest.json", manifest), ("orders.json", orders)):
        (tmp_path / name).write_text(json.dumps(doc))
    for args in (
        ("manifest", "load", str(tmp_path / "manifest.json")),
        ("operators", "load", str(DATA / "hubwork_operators.json")),
        ("orders", "load", str(tmp_path / "orders.json")),
    ):
        loaded = _cli(config, *args)
        assert loaded.returncode == 0, loaded.stderr
    spy = _Spy(broker)
    sink = tmp_path / "central.db"
    receive = ["receive", "--validate", "--broker", broker.url, "--sink", f"sqlite:///{sink}"]
    logs = [(tmp_path / name).open("w") for name in ("receiver.out", "station.err")]
    receiver = subprocess.Popen(
        [sys.executable, "-m", "sync", *receive, "--name", "contract", "--stats-every", "0.2"],
        stdout=logs[0],
        stderr=subprocess.STDOUT,
    )
    station = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "station.cli",
            "--config",
            str(config),
            "run",
            "--headless",
            "--scanner",
            "stdin:",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=logs[1],
        text=True,
    )
    assert station.stdin is not None and station.stdout is not None
    answers: list[str] = []
    threading.Thread(target=lambda: answers.extend(station.stdout or ()), daemon=True).start()
    try:
        scans = [line for line in ROLES_SCRIPT.splitlines() if line and not line.startswith("#")]
        for n, scan in enumerate(scans, start=1):
            station.stdin.write(scan + "\n")
            station.stdin.flush()
            wait_for(lambda n=n: len(answers) >= n, what=f"the answer to {scan!r}; got {answers[-3:]}")
        for payload in BAD_DOWNLINKS:
            spy.client.publish("hubs/hub-local/stations/station-1/downlink/order", payload, qos=1)

        def sent() -> list[str]:
            return [e["type"] for e in spy.events().values()]

        def labels_expected() -> int:
            """7 labels (5 LPN labels, a carrier label, a reprint), less the voided one when it was voided
            before it printed (then it never prints; had it printed, its event came before the void)."""
            events = list(spy.events().values())
            printed = {e["data"]["lpn"] for e in events if e["type"] == "label.printed"}
            return 7 - sum(e["data"]["lpn"] not in printed for e in events if e["type"] == "label.voided")

        try:
            wait_for(
                lambda: (
                    "downlink.rejected" in sent()  # the first at once; the rest are counted per interval
                    and "label.voided" in sent()
                    and sent().count("label.printed") == labels_expected()
                ),
                timeout=60,
                what="the downlink rejections and every label that was not voided before it printed",
            )
        except AssertionError as exc:
            check_every_event(spy.events())  # what broke the contract says more than the time-out
            raise AssertionError(f"{exc}; sent {sent()}; the station answered:\n{''.join(answers)}") from None
        check_every_event(spy.events())
        last = max(spy.events())
        wait_for(
            lambda: read_status(tmp_path / "data" / "station.db")["acked_seq"] == last,
            timeout=30,
            what=f"every event committed by the validating receiver and acked (seq {last})",
        )
        station.stdin.close()
        assert station.wait(30) == 0, (tmp_path / "station.err").read_text()
    finally:
        if station.poll() is None:
            station.kill()
        receiver.terminate()
        receiver.wait(10)
        spy.stop()
        for f in logs:
            f.close()
    refused = [a for a in answers if a.startswith("NO")]
    assert len(refused) == 3 + 5, "".join(answers)  # the hub-work script's three, and the five wrong PINs
    events = spy.events()
    shipping = [e["data"] for e in events.values() if e["data"].get("template") == "shipping"]
    assert len(shipping) == 1 and shipping[0]["lpn"] is None
    counters = json.loads((tmp_path / "receiver.out").read_text().splitlines()[-1])
    assert counters["rejected"] == 0 and counters["events"] >= len(events), counters
    central = SqliteSink(sink)
    try:
        assert central.stats()["events"] == len(events)
    finally:
        central.close()
