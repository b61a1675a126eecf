"""Station side, down: what the OMS sends to the hub or to this station, validated and applied idempotently.

Every message is checked (size, JSON nesting and integer range, downlink protocol version, schema of its
kind, topic) before the station's :class:`DownlinkSink` applies it by ``(kind, key, version)``: an equal or
older version is skipped. A bad message is rejected with a reason the sink records as a
``downlink.rejected`` event, counted per topic (:mod:`sync.rejections`), and the station goes on working. A
retained bad message comes again at every subscribe: the same one is rejected only once (the digest of the
last one rejected on each topic is kept).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import paho.mqtt.client as mqtt

from sync.connection import Connection
from sync.protocol import ProtocolError, SyncError, check_downlink, encode, now_iso
from sync.rejections import RejectionCounter
from sync.settings import SyncSettings

log = logging.getLogger(__name__)

MAX_INTEGER = 2**53  # every JSON implementation (the OMS's JavaScript too) holds it exactly
MAX_DEPTH = 32


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

    def reject(self, topic: str, reason: str, detail: str, count: int = 1) -> None:
        """Record that ``count`` messages were rejected (one ``downlink.rejected`` event)."""
        ...

    def rejected_retained(self, topic: str) -> str | None:
        """The digest of the message last rejected on ``topic`` (kept across restarts), if any."""
        ...

    def note_rejected_retained(self, topic: str, digest: str) -> None:
        """Keep the digest of the message last rejected on ``topic``: a retained one comes again."""
        ...


@dataclass
class DownlinkCounters:
    applied: int = 0
    skipped: int = 0
    rejected: int = 0
    repeated: int = 0  # a retained message rejected before, delivered again and ignored
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
        self.rejections = RejectionCounter(settings.rejection_interval_s, sink.reject)
        conn.subscribe(self.topics.hub_downlink, self._on_message)
        conn.subscribe(self.topics.downlink, self._on_message)
        self._last_bad: dict[str, str] = {}  # topic -> digest of the message last rejected there
        self._unsaved: set[str] = set()
        self._saved_at = 0.0
        conn.add_ticker(self._tick)
        conn.on_exit(self._flush)

    def _tick(self) -> None:
        self.rejections.tick()
        if self._unsaved and time.monotonic() - self._saved_at >= 1.0:
            self._save()

    def _save(self) -> None:
        """Keep the last rejected digest of each topic, at most once a second (a flood writes once)."""
        self._saved_at = time.monotonic()
        for topic in sorted(self._unsaved):
            self.sink.note_rejected_retained(topic, self._last_bad[topic])
        self._unsaved.clear()

    def _flush(self) -> None:
        self.rejections.flush()
        self._save()

    def _on_message(self, message: mqtt.MQTTMessage) -> None:
        if not message.payload:  # an empty message clears a retained one: nothing to apply
            self.counters.skipped += 1
            return
        digest = hashlib.sha256(message.payload).hexdigest()
        topic = message.topic
        if message.retain and digest == (self._last_bad.get(topic) or self.sink.rejected_retained(topic)):
            self.counters.repeated += 1
            return
        try:
            parsed = self.parse(message.topic, message.payload)
            applied = self.sink.apply(parsed)
        except DownlinkRejected as exc:
            self._reject(message.topic, exc.reason, exc.detail)
            self._last_bad[message.topic] = digest
            self._unsaved.add(message.topic)
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
            doc = decode_downlink(payload)
            check_downlink(doc)
        except ProtocolError as exc:
            raise DownlinkRejected(exc.reason, str(exc)) from exc
        if not isinstance(doc["version"], int):
            raise DownlinkRejected(
                "schema",
                f"Expected version as an integer 0..2^53, found {doc['version']!r}: send whole numbers.",
            )
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
        self.rejections.reject(topic, reason, detail[:500])

    def request_resync(self, reason: str, versions: Mapping[str, int] | None = None) -> None:
        """Ask the OMS for a full snapshot of this station's downlink (after a long outage)."""
        doc = {
            "source": self.topics.source,
            "time": now_iso(),
            "reason": reason,
            "versions": dict(versions or {}),
        }
        self.conn.publish(self.topics.resync, encode(doc), qos=1)


def _bounded_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError as exc:  # more digits than Python converts
        raise ProtocolError(
            f"Expected integers within ±2^53, found one of {len(text)} digits.", "range"
        ) from exc
    if abs(value) > MAX_INTEGER:
        raise ProtocolError(f"Expected integers within ±2^53, found {text[:30]}.", "range")
    return value


def _no_constant(text: str) -> Any:
    raise ProtocolError(f"Expected JSON numbers, found {text}.", "bad_json")


def decode_downlink(payload: bytes | bytearray) -> Any:
    """The JSON of a downlink message: integers within ±2^53, nested at most ``MAX_DEPTH`` deep."""
    try:
        doc = json.loads(payload, parse_int=_bounded_int, parse_constant=_no_constant)
    except RecursionError as exc:
        raise ProtocolError(
            f"Expected JSON nested at most {MAX_DEPTH} deep, found far deeper.", "too_deep"
        ) from exc
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(
            f"Expected a downlink message as UTF-8 JSON, found unreadable bytes ({exc}).", "bad_json"
        ) from exc
    level: list[Any] = [doc]
    for _ in range(MAX_DEPTH + 1):
        level = [
            c
            for v in level
            for c in (v.values() if isinstance(v, dict) else v if isinstance(v, list) else ())
        ]
        if not level:
            return doc
    raise ProtocolError(f"Expected JSON nested at most {MAX_DEPTH} deep, found deeper.", "too_deep")
