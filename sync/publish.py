"""The OMS side's publish tool: send a manifest, order, work order, operators, config or command down."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from sync.connection import Connection, Options
from sync.protocol import SyncError, downlink_message, downlink_topic, encode
from sync.settings import BrokerAddress, TlsFiles


def publish_downlink(
    broker: str,
    kind: str,
    body: Mapping[str, Any],
    *,
    hub: str,
    station: str | None = None,
    key: str | None = None,
    version: int | None = None,
    prefix: str = "hubs",
    tls: TlsFiles | None = None,
    client_id: str = "oms-publisher",
    timeout: float = 10.0,
) -> dict[str, Any]:
    """Check and publish one downlink message (QoS 1) and wait for the broker's PUBACK; returns the message.

    ``key`` defaults to the body's natural key or the kind; ``version`` defaults to the time in ms, which
    only grows, so a newer publish always wins.
    """
    doc = downlink_message(
        kind, key or _natural_key(kind, body), version or time.time_ns() // 1_000_000, body
    )
    topic = downlink_topic(prefix, hub, kind, station)
    conn = Connection(
        Options(BrokerAddress.parse(broker), client_id, tls or TlsFiles(), backoff_max_s=2.0), name="publish"
    )
    conn.start()
    try:
        if not conn.wait_online(timeout):
            raise SyncError(f"Could not reach the broker {broker} in {timeout:.0f} s: {conn.error}.")
        info = conn.publish(topic, encode(doc), qos=1)
        info.wait_for_publish(timeout)
        if not info.is_published():
            raise SyncError(f"The broker did not confirm the {kind} message in {timeout:.0f} s: try again.")
    finally:
        conn.stop()
    return doc


def _natural_key(kind: str, body: Mapping[str, Any]) -> str:
    field = {"order": "order_number", "work_order": "work_order", "command": "command"}.get(kind)
    value = body.get(field) if field else None
    return str(value) if value else kind
