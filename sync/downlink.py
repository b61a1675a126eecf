"""Station side, down: what the OMS sends to the hub or to this station, validated and applied idempotently.

Every message is checked (size, JSON, downlink protocol version, schema of its kind, topic) before the
station's :class:`DownlinkSink` applies it by ``(kind, key, version)``: an equal or older version is
skipped. A bad message is rejected with a reason the sink records as a ``downlink.rejected`` event, and the
station goes on working.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import paho.mqtt.client as mqtt

from sync.connection import Connection
from sync.protocol import ProtocolError, SyncError, check_downlink, decode_json, encode, now_iso
from sync.settings import SyncSettings

log = logging.getLogger(__name__)


class DownlinkRejected(SyncError):
    """The station cannot apply a downlink message; ``reason`` is a short code, the message says why."""

    def __init__(self, reason: str, detail: str) -> None:
        self.reason = reason
        self.detail = detail
        super().__init__(detail)


@dataclass(frozen=True)
class DownlinkMessage:
    topic: str
    kind: str
    key: str
    version: int
    body: Mapping[str, Any]


class DownlinkSink(Protocol):
    """Where downlink messages land (the station's sync link implements it over the station database)."""

    def apply(self, message: DownlinkMessage) -> bool:
        """Apply unless ``(kind, key)`` already has this version or a newer one; False when skipped.

        Raises :class:`DownlinkRejected` when the content cannot be applied.
        """
        ...

    def reject(self, topic: str, reason: str, detail: str) -> None:
        """Record that a message was rejected (a ``downlink.rejected`` event)."""
        ...


@dataclass
class DownlinkCounters:
    applied: int = 0
    skipped: int = 0
    rejected: int = 0
    last_rejection: str | None = None
    by_kind: dict[str, int] = field(default_factory=dict)


class Downlink:
    """Subscribes to the hub's and the station's downlink and hands valid messages to the sink."""

    def __init__(
        self,
        conn: Connection,
        sink: DownlinkSink,
        settings: SyncSettings,
        on_command: Callable[[DownlinkMessage], None] | None = None,
    ) -> None:
        self.conn = conn
        self.sink = sink
        self.settings = settings
        self.topics = settings.topics
        self.on_command = on_command
        self.counters = DownlinkCounters()
        conn.subscribe(self.topics.hub_downlink, self._on_message)
        conn.subscribe(self.topics.downlink, self._on_message)

    def _on_message(self, message: mqtt.MQTTMessage) -> None:
        try:
            parsed = self.parse(message.topic, message.payload)
            applied = self.sink.apply(parsed)
        except DownlinkRejected as exc:
            self._reject(message.topic, exc.reason, exc.detail)
            return
        if not applied:
            self.counters.skipped += 1
            log.info("sync: skipped %s %s v%d: already applied", parsed.kind, parsed.key, parsed.version)
            return
        self.counters.applied += 1
        self.counters.by_kind[parsed.kind] = self.counters.by_kind.get(parsed.kind, 0) + 1
        if parsed.kind == "command" and self.on_command is not None:
            self.on_command(parsed)

    def parse(self, topic: str, payload: bytes | bytearray) -> DownlinkMessage:
        """The checked message, or :class:`DownlinkRejected` saying what is wrong with it."""
        if len(payload) > self.settings.max_downlink_bytes:
            raise DownlinkRejected(
                "too_large",
                f"Expected at most {self.settings.max_downlink_bytes} bytes, found {len(payload)}: "
                "split the message.",
            )
        try:
            doc = decode_json(payload, "a downlink message")
            check_downlink(doc)
        except ProtocolError as exc:
            raise DownlinkRejected(exc.reason, str(exc)) from exc
        leaf = topic.rsplit("/", 1)[-1]
        if leaf != doc["kind"]:
            raise DownlinkRejected(
                "wrong_topic", f"A {doc['kind']} message arrived on {topic}; expected .../{leaf}."
            )
        return DownlinkMessage(topic, doc["kind"], doc["key"], doc["version"], doc["body"])

    def _reject(self, topic: str, reason: str, detail: str) -> None:
        self.counters.rejected += 1
        self.counters.last_rejection = f"{reason}: {detail}"
        log.warning("sync: rejected a downlink message on %s: %s", topic, detail)
        self.sink.reject(topic, reason, detail[:500])

    def request_resync(self, reason: str, versions: Mapping[str, int] | None = None) -> None:
        """Ask the OMS for a full snapshot of this station's downlink (after a long outage)."""
        doc = {
            "source": self.topics.source,
            "time": now_iso(),
            "reason": reason,
            "versions": dict(versions or {}),
        }
        self.conn.publish(self.topics.resync, encode(doc), qos=1)
