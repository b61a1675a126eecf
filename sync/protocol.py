"""The MQTT contract between stations and the centre: topics, CloudEvents, acks, presence, health, schemas.

Everything on the wire is JSON. Station events are CloudEvents 1.0 in structured mode, one per message or
many in CloudEvents' JSON batch format (a JSON array). The JSON Schemas live in ``sync/schemas`` and are the
single source of truth; ``asyncapi.yaml`` refers to them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

import orjson
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError
from referencing import Registry, Resource

EVENT_CONTENT_TYPE = "application/cloudevents+json"
BATCH_CONTENT_TYPE = "application/cloudevents-batch+json"
JSON_CONTENT_TYPE = "application/json"
SCHEMA_BASE = "https://hubstation.example/schemas/"
DOWNLINK_KINDS = ("manifest", "order", "work_order", "operators", "config", "command")
DOWNLINK_PROTOCOL = 1
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_SOURCE = re.compile(r"^urn:hubstation:([A-Za-z0-9_.-]+):([A-Za-z0-9_.-]+)(?::([0-9a-f]{1,32}))?$")
_LOG_ID = re.compile(r"^[0-9a-f]{1,32}$")


class SyncError(Exception):
    """Base of every error ``sync`` raises on purpose; the message says what to do."""


class ProtocolError(SyncError):
    """A message that does not follow the contract; ``reason`` is a short code (bad_json, schema, ...)."""

    def __init__(self, message: str, reason: str = "schema") -> None:
        self.reason = reason
        super().__init__(message)


class FatalConnectionError(SyncError):
    """The broker refused who we are (bad certificate, not authorized): retrying will not help."""


def check_name(what: str, value: str) -> str:
    """A hub or station id usable in topics and sources (letters, digits, ``_ . -``)."""
    if not _NAME.match(value):
        raise ProtocolError(
            f"The {what} id {value!r} cannot be used in MQTT topics: "
            "use 1-64 letters, digits, '_', '.' or '-'."
        )
    return value


def source_of(hub: str, station: str, log_id: str = "") -> str:
    """The CloudEvents ``source`` of a station's events.

    ``log_id`` names the station's event log: a station whose database had to be started anew (a corrupt
    file moved aside) numbers its events from seq 1 again, and the new log id keeps them from being taken
    for duplicates of the old log's events.
    """
    base = f"urn:hubstation:{check_name('hub', hub)}:{check_name('station', station)}"
    if not log_id:
        return base
    if not _LOG_ID.match(log_id):
        raise ProtocolError(f"Expected a log id of 1-32 lowercase hex digits, found {log_id!r}.")
    return f"{base}:{log_id}"


def parse_source(source: str) -> tuple[str, str]:
    """``(hub, station)`` of a station source."""
    m = _SOURCE.match(source)
    if not m:
        raise ProtocolError(f"Expected a source like 'urn:hubstation:HUB:STATION[:LOGID]', found {source!r}.")
    return m.group(1), m.group(2)


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")


@dataclass(frozen=True)
class Topics:
    """The topics of one station under ``prefix`` (default ``hubs``)."""

    hub: str
    station: str
    prefix: str = "hubs"
    log_id: str = ""

    def __post_init__(self) -> None:
        check_name("hub", self.hub)
        check_name("station", self.station)

    @property
    def base(self) -> str:
        return f"{self.prefix}/{self.hub}/stations/{self.station}"

    @property
    def source(self) -> str:
        return source_of(self.hub, self.station, self.log_id)

    @property
    def events(self) -> str:
        return f"{self.base}/events"

    @property
    def acks(self) -> str:
        return f"{self.base}/acks"

    @property
    def state(self) -> str:
        return f"{self.base}/state"

    @property
    def health(self) -> str:
        return f"{self.base}/health"

    @property
    def resync(self) -> str:
        return f"{self.base}/resync"

    @property
    def downlink(self) -> str:
        """The station's own downlink filter."""
        return f"{self.base}/downlink/#"

    @property
    def hub_downlink(self) -> str:
        """The hub-wide downlink filter (every station of the hub reads it)."""
        return f"{self.prefix}/{self.hub}/downlink/#"


def downlink_topic(prefix: str, hub: str, kind: str, station: str | None = None) -> str:
    """Where the OMS publishes a downlink message of ``kind`` for a hub, or for one station of it."""
    check_name("hub", hub)
    if station is None:
        return f"{prefix}/{hub}/downlink/{kind}"
    return f"{prefix}/{hub}/stations/{check_name('station', station)}/downlink/{kind}"


def events_filter(prefix: str = "hubs") -> str:
    return f"{prefix}/+/stations/+/events"


def split_station_topic(topic: str, prefix: str = "hubs") -> tuple[str, str, str]:
    """``(hub, station, rest)`` of a topic under ``{prefix}/{hub}/stations/{station}/``."""
    head = prefix + "/"
    parts = topic[len(head) :].split("/", 3) if topic.startswith(head) else []
    if len(parts) < 4 or parts[1] != "stations":
        raise ProtocolError(f"Expected a topic like '{prefix}/HUB/stations/STATION/...', found {topic!r}.")
    return parts[0], parts[2], parts[3]


@dataclass(frozen=True)
class OutboxEvent:
    """An event as the station's outbox hands it to the uplink (sync's view of the station's log)."""

    seq: int
    id: str
    type: str
    subject: str
    operator: str
    time: str
    hlc: str
    boot_id: str
    clock_synced: bool
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class LogRef:
    """A station's event log: its id, its first seq, and the source it forked from (if it did).

    A log that forked carries ``logstart`` and ``forkof`` in every event, so the centre knows where it
    starts and which history it continues.
    """

    log_id: str
    start: int = 1
    forked_from: str | None = None

    def extensions(self) -> dict[str, Any]:
        if self.forked_from is None:
            return {}
        return {"logstart": self.start, "forkof": self.forked_from}


def to_cloudevent(
    event: OutboxEvent, source: str, extensions: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The CloudEvents 1.0 structured form of ``event`` (``extensions``: more attributes)."""
    return {
        **(extensions or {}),
        "specversion": "1.0",
        "id": event.id,
        "source": source,
        "type": event.type,
        "subject": event.subject,
        "time": event.time,
        "datacontenttype": JSON_CONTENT_TYPE,
        "seq": event.seq,
        "operator": event.operator,
        "hlc": event.hlc,
        "clocksynced": event.clock_synced,
        "bootid": event.boot_id,
        "data": dict(event.data),
    }


def encode(doc: Any) -> bytes:
    """Compact UTF-8 JSON (orjson: the backlog's encode and decode dominate a drain)."""
    return orjson.dumps(doc)


def encode_events(
    events: Sequence[OutboxEvent], source: str, extensions: Mapping[str, Any] | None = None
) -> tuple[bytes, str]:
    """Payload and content type: one CloudEvent alone, or a JSON batch for several."""
    docs = [to_cloudevent(e, source, extensions) for e in events]
    if len(docs) == 1:
        return encode(docs[0]), EVENT_CONTENT_TYPE
    return encode(docs), BATCH_CONTENT_TYPE


def decode_json(payload: bytes | bytearray, what: str) -> Any:
    try:
        return orjson.loads(payload)
    except orjson.JSONDecodeError as exc:
        raise ProtocolError(
            f"Expected {what} as UTF-8 JSON, found unreadable bytes ({exc}).", "bad_json"
        ) from exc


_SINK_FIELDS = (("id", str), ("source", str), ("type", str), ("seq", int), ("time", str))


def decode_events(payload: bytes | bytearray, *, validate: bool = False) -> list[dict[str, Any]]:
    """The CloudEvents in an events message (single or batch).

    Each has at least what a sink stores (id, source, type, seq, time); with ``validate`` each is checked
    against its full schema too (about 0.3 ms an event, so a receiver does it only when asked).
    """
    doc = decode_json(payload, "a CloudEvent or a batch of them")
    docs = doc if isinstance(doc, list) else [doc]
    if not docs:
        raise ProtocolError("Expected at least one CloudEvent in the batch, found an empty list.")
    for d in docs:
        if validate:
            check_event(d)
        elif not isinstance(d, dict) or any(not isinstance(d.get(k), t) for k, t in _SINK_FIELDS):
            raise ProtocolError(
                f"Expected CloudEvents with {', '.join(k for k, _ in _SINK_FIELDS)}, found {d!r:.200}."
            )
        start = d.get("logstart", 1)
        if not isinstance(start, int) or isinstance(start, bool) or start < 1:
            raise ProtocolError(f"Expected logstart as an integer of 1 or more, found {start!r:.50}.")
    return docs


def ack_message(
    source: str,
    seq: int,
    highest: int,
    gaps: Iterable[tuple[int, int]],
    receiver: str,
    fork: Mapping[str, Any] | None = None,
    checked: Sequence[Mapping[str, Any]] = (),
) -> bytes:
    """An end-to-end ack; ``fork`` (seq, held, sent) tells the station its log forked at that seq.

    ``checked`` are the runs of seqs this commit holds as sent (from, to, and the ids at both ends).
    """
    doc: dict[str, Any] = {
        "source": source,
        "seq": seq,
        "highest": highest,
        "gaps": [list(g) for g in gaps],
        "receiver": receiver,
        "time": now_iso(),
    }
    if fork is not None:
        doc["fork"] = dict(fork)
    if checked:
        doc["checked"] = [dict(c) for c in checked]
    return encode(doc)


def state_message(source: str, state: str, version: str, reason: str = "") -> bytes:
    doc = {"state": state, "source": source, "since": now_iso(), "version": version}
    if reason:
        doc["reason"] = reason
    return encode(doc)


# --- schemas -----------------------------------------------------------------------------------------


@cache
def registry() -> Registry[Any]:
    """Every schema file of ``sync/schemas``, by its ``$id``."""
    resources_: list[tuple[str, Resource[Any]]] = []
    for entry in resources.files("sync").joinpath("schemas").iterdir():
        if entry.name.endswith(".json"):
            doc = json.loads(entry.read_text())
            resources_.append((doc["$id"], Resource.from_contents(doc)))
    return Registry().with_resources(resources_)


def schema(name: str) -> Any:
    """A schema file's contents by file name (``cloudevent.json``)."""
    return registry().contents(SCHEMA_BASE + name)


@cache
def validator(ref: str) -> Draft202012Validator:
    """A validator for ``ref`` (``messages.json#/$defs/ack``), resolving references across the files."""
    return Draft202012Validator({"$ref": SCHEMA_BASE + ref}, registry=registry())


def _check(ref: str, doc: Any, what: str) -> None:
    error: ValidationError | None = next(iter(validator(ref).iter_errors(doc)), None)
    if error is not None:
        where = "/".join(str(p) for p in error.absolute_path) or "(top)"
        raise ProtocolError(f"{what} does not follow the contract at {where}: {error.message}.")


def check_envelope(doc: Any) -> None:
    _check("cloudevent.json", doc, "The CloudEvent")


def event_types() -> list[str]:
    """Event types that have a data schema."""
    return sorted(k for k in schema("event-data.json")["$defs"] if "." in k)


def check_event(doc: Any) -> None:
    """Envelope and, for a known type, its data; an unknown type is checked against the envelope only."""
    check_envelope(doc)
    if doc["type"] in schema("event-data.json")["$defs"]:
        _check(f"event-data.json#/$defs/{doc['type']}", doc["data"], f"The data of {doc['type']}")


def check_message(kind: str, doc: Any) -> None:
    """``kind`` is ack, state, health, resync_request or batch."""
    _check(f"messages.json#/$defs/{kind}", doc, f"The {kind} message")


def check_downlink(doc: Any) -> None:
    """The downlink envelope and its body for its kind."""
    if isinstance(doc, Mapping) and "protocol" in doc and doc["protocol"] != DOWNLINK_PROTOCOL:
        raise ProtocolError(
            f"Expected downlink protocol {DOWNLINK_PROTOCOL}, found {doc['protocol']!r}: "
            "update the station software before sending this format.",
            "unknown_version",
        )
    _check("downlink.json#/$defs/envelope", doc, "The downlink message")
    _check(f"downlink.json#/$defs/{doc['kind']}", doc["body"], f"The {doc['kind']} body")


def downlink_message(kind: str, key: str, version: int, body: Mapping[str, Any]) -> dict[str, Any]:
    """A downlink envelope, checked."""
    doc = {
        "protocol": DOWNLINK_PROTOCOL,
        "kind": kind,
        "key": key,
        "version": version,
        "sent_at": now_iso(),
        "body": dict(body),
    }
    check_downlink(doc)
    return doc
