"""Station presence and health for the console: the retained state topics (birth online, last will
offline) and the periodic health messages, kept in the ``stations`` table.

Every service process may run one (an ordinary subscription, not shared: each row is simply overwritten
with the latest message, so two writers agree)."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

import orjson
import paho.mqtt.client as mqtt

from sync.central.db import Database
from sync.connection import Connection, Options
from sync.protocol import ProtocolError, decode_json, split_station_topic
from sync.settings import BrokerAddress, TlsFiles

log = logging.getLogger(__name__)

_UPSERT = "INSERT INTO stations (hub, station) VALUES (?, ?) ON CONFLICT (hub, station) DO NOTHING"


class Presence:
    """Subscribes to every station's state and health and writes them to ``stations``."""

    def __init__(
        self, db: Database, broker: str, name: str, prefix: str = "hubs", tls: TlsFiles | None = None
    ) -> None:
        self.db = db
        self.prefix = prefix
        options = Options(
            BrokerAddress.parse(broker),
            f"central-presence-{name}",
            tls or TlsFiles(),
            session_expiry_s=0,
            backoff_max_s=10.0,
        )
        self.conn = Connection(options, name=f"presence-{name}")
        self.conn.subscribe(f"{prefix}/+/stations/+/state", self._on_state)
        self.conn.subscribe(f"{prefix}/+/stations/+/health", self._on_health, qos=0)
        self.conn.on_exit(db.close)

    def start(self) -> Presence:
        self.conn.start()
        return self

    def stop(self) -> None:
        self.conn.stop()

    def _message(self, message: mqtt.MQTTMessage) -> tuple[str, str, Mapping[str, Any]] | None:
        try:
            hub, station, _ = split_station_topic(message.topic, self.prefix)
            doc = decode_json(message.payload, "a state or health message")
        except ProtocolError as exc:
            log.warning("presence: ignored a message on %s: %s", message.topic, exc)
            return None
        if not isinstance(doc, dict):
            return None
        return hub, station, doc

    def _on_state(self, message: mqtt.MQTTMessage) -> None:
        got = self._message(message)
        if got is None:
            return
        hub, station, doc = got
        self._update(
            hub,
            station,
            presence=str(doc.get("state")),
            presence_since=doc.get("since"),
            presence_reason=doc.get("reason"),
            version=doc.get("version"),
        )

    def _on_health(self, message: mqtt.MQTTMessage) -> None:
        got = self._message(message)
        if got is None:
            return
        hub, station, doc = got
        printer = doc.get("printer")
        fields: dict[str, Any] = {
            "backlog": doc.get("outbox_depth"),
            "reported_seq": doc.get("last_seq"),
            "oldest_unacked_age_s": doc.get("oldest_unacked_age_s"),
            "printer": None if printer is None else str(printer),
            "health_at": time.time_ns() // 1_000_000,
        }
        if doc.get("version"):
            fields["version"] = doc["version"]
        if isinstance(doc.get("scanners"), dict):
            fields["scanners"] = orjson.dumps(doc["scanners"]).decode()
        if isinstance(doc.get("config_version"), int):
            fields["config_version"] = doc["config_version"]
        self._update(hub, station, **fields)

    def _update(self, hub: str, station: str, **fields: Any) -> None:
        with self.db.transaction() as cur:
            self.db.execute(cur, _UPSERT, (hub, station))
            if "printer" in fields:
                # printer_since: when the printer's state last changed (a fault's age for the alerts)
                self.db.execute(
                    cur,
                    "UPDATE stations SET printer_since = ? WHERE hub = ? AND station = ? "
                    "AND (printer IS NULL OR printer <> ?)",
                    (fields["health_at"], hub, station, fields["printer"]),
                )
            clauses = ", ".join(f"{k} = ?" for k in fields)
            self.db.execute(
                cur,
                f"UPDATE stations SET {clauses} WHERE hub = ? AND station = ?",
                [*fields.values(), hub, station],
            )
