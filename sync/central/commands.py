"""Config and commands sent down from the centre (with the service's publisher certificate), and the
stations' answers, which come back as events (``command.*``, ``config.*``, ``downlink.rejected``)."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from sync.central.db import Database, Row
from sync.publish import publish_downlink
from sync.settings import TlsFiles

ANSWER_TYPES = (
    "command.answered",
    "config.applied",
    "config.rejected",
    "downlink.rejected",
)


@dataclass(frozen=True)
class Publisher:
    """How the service reaches the broker to send things down."""

    broker: str
    prefix: str = "hubs"
    tls: TlsFiles = field(default_factory=TlsFiles)
    client_id: str = "central-publisher"


def send(
    db: Database,
    publisher: Publisher,
    kind: str,
    body: Mapping[str, Any],
    *,
    hub: str,
    station: str | None,
    sent_by: str,
) -> Row:
    """Publish a ``config`` or ``command`` message (checked against the contract first) and record it."""
    doc = publish_downlink(
        publisher.broker,
        kind,
        body,
        hub=hub,
        station=station,
        prefix=publisher.prefix,
        tls=publisher.tls,
        client_id=publisher.client_id,
    )
    with db.transaction() as cur:
        db.execute(
            cur,
            "INSERT INTO commands_sent (hub, station, kind, key, version, body, sent_by, sent_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                hub,
                station,
                kind,
                doc["key"],
                doc["version"],
                orjson.dumps(doc["body"]).decode(),
                sent_by,
                time.time_ns() // 1_000_000,
            ),
        )
    return {"kind": kind, "key": doc["key"], "version": doc["version"], "body": doc["body"]}


def sent(db: Database, hub: str, station: str, limit: int = 20) -> list[Row]:
    """What was sent to a station (or its whole hub), newest first."""
    rows = db.rows(
        "SELECT kind, key, version, body, sent_by, sent_at FROM commands_sent "
        "WHERE hub = ? AND (station = ? OR station IS NULL) ORDER BY id DESC LIMIT ?",
        (hub, station, limit),
    )
    for row in rows:
        row["body"] = orjson.loads(row["body"])
    return rows


def answers(db: Database, hub: str, station: str, limit: int = 20) -> list[Row]:
    """The station's answers to commands and config, newest first."""
    marks = ", ".join("?" * len(ANSWER_TYPES))
    rows = db.rows(
        "SELECT f.pos, f.type, f.time, e.event FROM feed f "
        "JOIN events e ON e.source = f.source AND e.seq = f.seq "
        f"WHERE f.hub = ? AND f.station = ? AND f.type IN ({marks}) ORDER BY f.pos DESC LIMIT ?",
        (hub, station, *ANSWER_TYPES, limit),
    )
    for row in rows:
        row["data"] = orjson.loads(row.pop("event")).get("data") or {}
    return rows
