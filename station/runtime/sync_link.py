"""The station's end of sync: an uplink and a downlink over the station database, on one MQTT connection.

:func:`start_sync` is what the headless station calls when a broker is configured. Downlink messages are
applied here: manifests and operators through :func:`station.store.manifests.load_manifest`, everything
else (orders, work orders, config, commands) kept raw in ``downlink_messages`` by version until its flow
reads it. A rejected message becomes a ``downlink.rejected`` event (counted per topic and interval).

At start the outbox's mark file tells whether the database was restored from an older copy; if so the
station starts a new log before it sends anything (see :mod:`station.store.log_marker`). A fork found by
the centre does the same later. Either way a ``sync.log_forked`` event records it.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from station.core.codes import DEFAULT_CODE_PATTERNS, CodePatterns
from station.core.events import NewEvent
from station.core.hlc import ClockReading
from station.runtime.clock import SystemClock
from station.runtime.config import Config
from station.store.database import StationDB, open_database
from station.store.events import EventLog
from station.store.manifests import ManifestError, load_manifest
from station.store.operators import has_operator_list, load_operators
from station.store.orders import apply_orders, parse_orders
from station.store.outbox import StationOutbox
from station.store.workorders import apply_work_orders, parse_work_orders
from sync.connection import Connection
from sync.downlink import Downlink, DownlinkMessage, DownlinkRejected
from sync.protocol import LogRef
from sync.settings import SyncSettings
from sync.uplink import SAVE_STATE_EVERY_S, Uplink, connection_options

log = logging.getLogger(__name__)

SYSTEM_OPERATOR = "system"
#: Manifest-shaped kinds: applied to the manifest tables; the rest are stored raw.


def settings_from_config(config: Config, version: str = "0") -> SyncSettings | None:
    """The sync settings of a station config, or None when no broker is configured."""
    broker = config.broker
    if broker is None:
        return None
    return SyncSettings(
        broker=broker.url,
        hub=config.hub,
        station=config.station,
        ca=broker.ca,
        cert=broker.cert,
        key=broker.key,
        topic_prefix=broker.topic_prefix,
        prune_days=broker.prune_days,
        version=version,
    )


class StationDownlink:
    """Implements :class:`sync.downlink.DownlinkSink` over the station database."""

    def __init__(
        self, store: StationDB, patterns: CodePatterns, clock: Callable[[], ClockReading] | None = None
    ) -> None:
        self.store = store
        self.patterns = patterns
        self.events = EventLog(store, clock or SystemClock())

    def version(self, kind: str, key: str) -> int | None:
        row = self.store.conn.execute(
            "SELECT version FROM downlink_messages WHERE kind = ? AND key = ?", (kind, key)
        ).fetchone()
        return None if row is None else int(row[0])

    def versions(self) -> dict[str, int]:
        """The newest version held of each kind (sent with a resync request)."""
        rows = self.store.conn.execute("SELECT kind, max(version) FROM downlink_messages GROUP BY kind")
        return {str(k): int(v) for k, v in rows}

    def apply(self, message: DownlinkMessage) -> bool:
        held = self.version(message.kind, message.key)
        if held is not None and held >= message.version:
            return False
        body = dict(message.body)
        try:
            if message.kind == "manifest":
                load_manifest(self.store, body, self.patterns, source=message.topic)
            elif message.kind == "operators":
                load_operators(self.store, body, self.patterns, source=message.topic)
            orders = parse_orders(_order_doc(body, message.version), self.patterns, message.topic)
            sent = parse_work_orders(_work_order_doc(body, message.version), self.patterns, message.topic)
        except ManifestError as exc:
            raise DownlinkRejected("invalid", str(exc)) from exc
        with self.store.write() as conn:
            if message.kind == "order":
                apply_orders(conn, orders)
            elif message.kind == "work_order":
                apply_work_orders(conn, sent)
            conn.execute(
                "INSERT INTO downlink_messages (kind, key, version, body, topic, received_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version, "
                "body = excluded.body, topic = excluded.topic, received_at = excluded.received_at "
                "WHERE excluded.version > downlink_messages.version",
                (
                    message.kind,
                    message.key,
                    message.version,
                    json.dumps(body, separators=(",", ":"), ensure_ascii=False),
                    message.topic,
                    time.time_ns() // 1_000_000,
                ),
            )
        return True

    def reject(self, topic: str, reason: str, detail: str, count: int = 1) -> None:
        data = {"topic": topic, "reason": reason, "detail": detail, "count": count}
        self.events.append([NewEvent("downlink.rejected", topic, data)], operator=SYSTEM_OPERATOR)

    def rejected_retained(self, topic: str) -> str | None:
        return self.store.meta(f"downlink_rejected_retained {topic}")

    def note_rejected_retained(self, topic: str, digest: str) -> None:
        with self.store.write():
            self.store.set_meta(f"downlink_rejected_retained {topic}", digest)


class SyncLink:
    """The running sync of one station: ``status()`` for people, ``stop()`` at shutdown."""

    def __init__(
        self,
        settings: SyncSettings,
        store: StationDB,
        health: Callable[[], Mapping[str, Any]],
        patterns: CodePatterns = DEFAULT_CODE_PATTERNS,
        on_command: Callable[[DownlinkMessage], None] | None = None,
        clock: Callable[[], ClockReading] | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.conn = Connection(connection_options(settings), name=f"{settings.hub}/{settings.station}")
        self.sink = StationDownlink(store, patterns, clock)
        outbox = StationOutbox(store)
        self.uplink = Uplink(self.conn, outbox, settings, health, on_fork=self._record_fork)
        restored = outbox.restored()
        if restored is not None:
            self.uplink.fork(restored)
        self._command_hooks: list[Callable[[DownlinkMessage], None]] = [on_command] if on_command else []
        self.downlink = Downlink(self.conn, self.sink, settings, on_command=self._on_command)
        self.conn.on_online(self._after_connect)

    def _record_fork(self, old_source: str, log_ref: LogRef, reason: str) -> None:
        data = {
            "from_source": old_source,
            "log_id": log_ref.log_id,
            "start_seq": log_ref.start,
            "reason": reason[:500],
        }
        self.sink.events.append([NewEvent("sync.log_forked", old_source, data)], operator=SYSTEM_OPERATOR)

    def on_command(self, hook: Callable[[DownlinkMessage], None]) -> None:
        """Call ``hook`` (on the sync thread) for each new command (reprint, resync) from the OMS."""
        self._command_hooks.append(hook)

    def _on_command(self, message: DownlinkMessage) -> None:
        if message.body.get("command") == "resync" and "from_seq" in message.body:
            self.uplink.resend_from(int(message.body["from_seq"]))
        for hook in self._command_hooks:
            hook(message)

    def _after_connect(self, session_present: bool) -> None:
        outage = self.uplink.last_outage_s
        if outage is not None and outage > self.settings.resync_after_s:
            self.downlink.request_resync(f"offline for {outage / 3600:.1f} h", self.sink.versions())
        elif not has_operator_list(self.store):  # a new or moved-aside database: ask for everything now
            self.downlink.request_resync("new database: no operators list", self.sink.versions())

    def start(self) -> SyncLink:
        self.conn.start()
        return self

    def status(self) -> dict[str, Any]:
        counters = self.downlink.counters
        return {
            **self.uplink.status(),
            "downlink": {
                "applied": counters.applied,
                "skipped": counters.skipped,
                "rejected": counters.rejected,
                "last_rejection": counters.last_rejection,
            },
        }

    def stop(self) -> None:
        self.conn.stop()
        self.store.close()


def start_sync(
    settings: SyncSettings,
    db_path: Path,
    health: Callable[[], Mapping[str, Any]],
    *,
    patterns: CodePatterns = DEFAULT_CODE_PATTERNS,
    on_command: Callable[[DownlinkMessage], None] | None = None,
) -> SyncLink:
    """Start the uplink and downlink on their own thread and database connection."""
    store = open_database(db_path, check=False)
    settings = replace(settings, log_id=store.meta("log_id", "") or "")
    return SyncLink(settings, store, health, patterns, on_command).start()


def read_status(db_path: Path) -> dict[str, Any]:
    """Sync state from the station database, for ``station sync status`` (whether or not sync runs now)."""
    store = open_database(db_path, check=False)
    try:
        outbox = StationOutbox(store)
        stats = outbox.stats()
        link = dict(outbox.link())
        store_log_id = outbox.log_ref().log_id
    finally:
        store.close()
    saved_at = link.get("saved_at")
    running = saved_at is not None and time.time() - float(saved_at) < 3 * SAVE_STATE_EVERY_S
    state = str(link.get("state") or "never connected")
    if not running and state not in ("stopped", "failed", "never connected"):
        state = "not running"  # the process that saved it is gone
    now = time.time()
    return {
        "state": state,
        "online": running and state == "online",
        "error": link.get("error"),
        "broker": link.get("broker"),
        "last_online_at": link.get("online_at"),
        "backlog": stats.depth,
        "oldest_unacked_age_s": None
        if stats.oldest_unacked_ms is None
        else round(max(0.0, now - stats.oldest_unacked_ms / 1000), 1),
        "acked_seq": stats.acked_seq,
        "last_seq": stats.last_seq,
        "last_ack_at": None if stats.last_ack_at_ms is None else stats.last_ack_at_ms / 1000,
        "next_retry_at": link.get("next_retry_at") if running else None,
        "log_id": store_log_id,
    }


def _order_doc(body: Mapping[str, Any], version: int) -> dict[str, Any]:
    """An ``order`` downlink body in the orders file's shape, so one parser checks both."""
    if "order_number" not in body:
        return {}
    return {
        "orders": [
            {
                "order": body["order_number"],
                "carrier": body.get("carrier", ""),
                "carrier_label": body.get("carrier_zpl", ""),
                "version": version,
                "lines": body.get("lines", []),
            }
        ]
    }


def _work_order_doc(body: Mapping[str, Any], version: int) -> dict[str, Any]:
    """A ``work_order`` downlink body in the work orders file's shape."""
    if "work_order" not in body:
        return {}
    return {
        "work_orders": [
            {
                "number": body["work_order"],
                "lpn": body.get("lpn", ""),
                "gtin": body.get("gtin", ""),
                "serial": body.get("serial"),
                "data_bearing": body.get("data_bearing", False),
                "problem": body.get("instructions", ""),
                "version": version,
            }
        ]
    }
