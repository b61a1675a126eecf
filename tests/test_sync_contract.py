"""The contract: real messages from a running station and receiver validate against sync/asyncapi.yaml."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
import yaml
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from station.core.events import NewEvent
from station.runtime.sync_link import start_sync
from station.store.database import open_database
from station.store.events import EventLog
from sync.connection import Connection
from sync.protocol import SCHEMA_BASE, ProtocolError, check_event, event_types, registry, source_of
from sync.publish import publish_downlink
from sync.receiver import Receiver, receiver_options
from sync.settings import SyncSettings
from sync.sinks import SqliteSink
from tests.fixtures_mqtt import Broker
from tests.sync_helpers import fixed_clock, wait_for

ASYNCAPI = Path(__file__).resolve().parent.parent / "sync" / "asyncapi.yaml"

#: Hand-written examples of the return counter's events (the real events of every role are checked in
#: test_sync_contract_roles.py); the real-traffic test below sends them through a running link.
EXAMPLES: dict[str, dict[str, Any]] = {
    "operator.signed_in": {"badge": "B0001", "name": "Ann", "roles": ["intake"]},
    "operator.signed_out": {"badge": "B0001", "reason": "idle"},
    "return.received": {
        "rma": "RMA1",
        "return_code": "RMA1",
        "code_kind": "rma",
        "order_number": "SO-1",
        "expected": [{"gtin": "00012345678905", "quantity": 1}],
        "blind": False,
    },
    "return.item_verified": {"rma": "RMA1", "line": 1, "gtin": "00012345678905", "serial": "SN1"},
    "return.item_mismatch": {"rma": "RMA1", "reason": "wrong_item", "gtin": "00098765432109"},
    "return.graded": {
        "rma": "RMA1",
        "unit": 1,
        "gtin": "00012345678905",
        "serial": "SN1",
        "grade": "B",
        "reasons": ["scratched"],
    },
    "return.dispositioned": {
        "rma": "RMA1",
        "unit": 1,
        "lpn": "LPN000001",
        "gtin": "00012345678905",
        "serial": "SN1",
        "disposition": "restock",
        "rule": "grade-b",
        "category": "phones",
        "value": 80.0,
    },
    "refund.eligible": {
        "rma": "RMA1",
        "amount": 80.0,
        "currency": "EUR",
        "cap": 100.0,
        "capped": False,
        "units": [1],
    },
    "return.completed": {
        "rma": "RMA1",
        "units": 1,
        "missing": 0,
        "blind": False,
        "flagged_for_review": False,
    },
    "return.cancelled": {"rma": "RMA1", "units": 0},
    "override.granted": {
        "kind": "blind_receipt",
        "subject": "RMA1",
        "amount": None,
        "currency": None,
        "reason": "no manifest",
        "requester": "B0001",
        "approver": "S0001",
        "pin_verified": True,
    },
    "label.printed": {
        "job": 1,
        "template": "lpn",
        "lpn": "LPN000001",
        "printer": "tcp://p:9100",
        "copies": 1,
        "reprint": False,
    },
    "label.failed": {
        "job": 2,
        "template": "lpn",
        "lpn": "LPN000001",
        "printer": "tcp://p:9100",
        "reason": "head open",
    },
    "downlink.rejected": {"topic": "hubs/h1/downlink/order", "reason": "schema", "detail": "..."},
}


def load_contract() -> dict[str, Any]:
    return yaml.safe_load(ASYNCAPI.read_text())


def payload_validator(ref: str) -> Draft202012Validator:
    assert ref.startswith("./schemas/"), ref
    return Draft202012Validator({"$ref": SCHEMA_BASE + ref.removeprefix("./schemas/")}, registry=registry())


def channel_validators(doc: dict[str, Any]) -> list[tuple[re.Pattern[str], str, list[Draft202012Validator]]]:
    out = []
    for name, channel in doc["channels"].items():
        pattern = re.compile("^" + re.sub(r"\{[a-z]+\}", "[^/]+", channel["address"]) + "$")
        validators = []
        for message in channel["messages"].values():
            key = message["$ref"].rsplit("/", 1)[-1]
            validators.append(payload_validator(doc["components"]["messages"][key]["payload"]["$ref"]))
        out.append((pattern, name, validators))
    return out


def _refs(node: Any, where: str = "") -> Iterator[tuple[str, str]]:
    """Every ``$ref`` in a document, however deeply nested, with where it is (a JSON pointer)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                yield where or "/", value
            else:
                yield from _refs(value, f"{where}/{key}")
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _refs(value, f"{where}/{n}")


def unresolved_refs(contract: dict[str, Any], schemas: Registry[Any]) -> tuple[list[str], int]:
    """The references in the contract and in every schema file that do not resolve, and how many were walked.

    The contract's ``./schemas/x.json`` is resolved against the schema files' base URI, ``#/...`` within the
    document that holds it; each ``$ref`` is looked up as the validator would, through the registry."""
    base = SCHEMA_BASE.removesuffix("schemas/")
    contract_id = base + "asyncapi.yaml"
    registry_ = schemas.with_resource(contract_id, Resource(contract, DRAFT202012))
    documents = [(contract_id, contract)] + [(uri, registry_.contents(uri)) for uri in schemas]
    broken, walked = [], 0
    for uri, doc in documents:
        resolver = registry_.resolver(base_uri=uri)
        for where, ref in _refs(doc):
            walked += 1
            try:
                resolver.lookup(ref)
            except Unresolvable as exc:
                why = type(exc).__name__
                broken.append(f"{uri.removeprefix(base)} at {where}: $ref {ref!r} does not resolve ({why})")
    return broken, walked


def test_every_reference_in_the_contract_and_the_schemas_resolves() -> None:
    broken, walked = unresolved_refs(load_contract(), registry())
    assert not broken, "\n".join(broken)
    assert walked > 100  # the walk reaches the nested references, not only the messages' payloads


def test_a_broken_nested_reference_is_found() -> None:
    schemas = registry()
    data = copy.deepcopy(schemas.contents(SCHEMA_BASE + "event-data.json"))
    data["$defs"]["order.packed"]["properties"]["units"]["items"]["properties"]["lpn"]["$ref"] = (
        "#/$defs/nope"
    )
    broken, _ = unresolved_refs(
        load_contract(), schemas.with_resource(data["$id"], Resource(data, DRAFT202012))
    )
    [found] = broken
    assert found.startswith(
        "schemas/event-data.json at /$defs/order.packed/properties/units/items/properties/lpn: "
        "$ref '#/$defs/nope' does not resolve"
    )


def test_each_example_has_a_schema_and_passes() -> None:
    assert set(EXAMPLES) <= set(event_types())
    for n, (type_, data) in enumerate(EXAMPLES.items(), start=1):
        check_event(_cloudevent(n, type_, data))


def test_wrong_data_fails_and_an_unknown_type_is_checked_against_the_envelope_only() -> None:
    with pytest.raises(ProtocolError, match="grade"):
        check_event(_cloudevent(1, "return.graded", {**EXAMPLES["return.graded"], "grade": 3}))
    check_event(_cloudevent(2, "restock.shelved", {"anything": ["goes"]}))
    with pytest.raises(ProtocolError, match="seq"):
        check_event({**_cloudevent(3, "restock.shelved", {}), "seq": 0})
    with pytest.raises(ProtocolError):
        check_event({**_cloudevent(4, "restock.shelved", {}), "Bad-Ext": 1})


def _cloudevent(seq: int, type_: str, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": "0190f5d2-8b4c-7c3e-9a6b-2f0c1d2e3f40",
        "source": source_of("h1", "s1"),
        "type": type_,
        "subject": "RMA1",
        "time": "2026-01-01T00:00:00.000+00:00",
        "datacontenttype": "application/json",
        "seq": seq,
        "operator": "B0001",
        "hlc": "1767225600000.00000",
        "clocksynced": True,
        "bootid": "boot",
        "data": data,
    }


def test_real_traffic_follows_the_contract(broker: Broker, tmp_path: Path) -> None:
    seen: list[mqtt.MQTTMessage] = []
    spy = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    spy.on_message = lambda c, u, m: seen.append(m)
    spy.connect("127.0.0.1", broker.port)
    spy.subscribe("hubs/#", qos=1)
    spy.loop_start()
    sink = SqliteSink(tmp_path / "central.db")
    rconn = Connection(receiver_options(broker.url, "r1", backoff_max_s=0.5))
    Receiver(rconn, sink, name="r1")
    rconn.start()
    db = tmp_path / "station.db"
    store = open_database(db)
    log = EventLog(store, fixed_clock)
    log.append([NewEvent(t, "RMA1", d) for t, d in EXAMPLES.items()], operator="B0001")
    settings = SyncSettings(
        broker=broker.url, hub="h1", station="s1", batch_size=5, health_interval_s=0.2, backoff_max_s=0.5
    )
    link = start_sync(
        settings, db, lambda: {"printer": "ready", "disk_free_bytes": 10**9, "clock_synced": True}
    )
    try:
        wait_for(lambda: link.uplink.outbox.acked_seq() == len(EXAMPLES), what="examples acked")
        log.append([NewEvent("operator.signed_out", "B0001", {"badge": "B0001", "reason": "end"})], "B0001")
        publish_downlink(
            broker.url,
            "order",
            {
                "order_number": "SO-900009",
                "lines": [{"gtin": "00012345678905", "quantity": 1}],
                "carrier_zpl": "^XA^XZ",
            },
            hub="h1",
            station="s1",
            version=1,
        )
        publish_downlink(
            broker.url,
            "operators",
            {"operators": [{"badge": "BADGE-0002", "name": "Bo", "roles": []}]},
            hub="h1",
            version=1,
        )
        link.downlink.request_resync("test")
        wait_for(lambda: link.uplink.outbox.acked_seq() == len(EXAMPLES) + 1, what="single event acked")
        wait_for(lambda: len({m.topic.rsplit("/", 1)[-1] for m in seen}) >= 7, what="every kind of message")
    finally:
        link.stop()
        rconn.stop()
        spy.loop_stop()
        sink.close()
        store.close()
    channels = channel_validators(load_contract())
    kinds: set[str] = set()
    for message in seen:
        matches = [(name, vs) for pattern, name, vs in channels if pattern.match(message.topic)]
        assert matches, f"{message.topic} is in no channel of the contract"
        name, validators = matches[0]
        payload = json.loads(message.payload)
        assert any(v.is_valid(payload) for v in validators), f"{message.topic}: {payload}"
        for event in payload if isinstance(payload, list) else [payload] if name == "stationEvents" else []:
            check_event(event)
        kinds.add(
            name if name != "stationEvents" else f"events:{'batch' if isinstance(payload, list) else 'one'}"
        )
    assert kinds >= {
        "events:batch",
        "events:one",
        "stationAcks",
        "stationState",
        "stationHealth",
        "stationResync",
        "hubDownlink",
        "stationDownlink",
    }
