"""Packing orders routed to this hub: loaded from a file now (``station orders load``), later from the OMS.

Idempotent by each order's version; an order already packed here stays packed.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from station.core.codes import CodePatterns
from station.core.events import Event
from station.core.packing import Order, OrderLine
from station.store.database import StationDB
from station.store.manifests import ManifestError, code_key, need, normalize_gtin, objects, optional


def parse_orders(doc: Mapping[str, Any], patterns: CodePatterns, source: str) -> list[Order]:
    """The ``orders`` of a document, checked whole (ManifestError names the first bad field)."""
    orders = []
    for where, o in objects(doc, "orders", source):
        label = need(o, "carrier_label", str, where)
        if "^XA" not in label or "^XZ" not in label:
            raise ManifestError(f"{where}.carrier_label: expected ZPL from ^XA to ^XZ, found {label[:40]!r}.")
        lines = []
        for n, li in enumerate(need(o, "lines", list, where), start=1):
            w = f"{where}.lines[{n - 1}]"
            if not isinstance(li, Mapping):
                raise ManifestError(f"{w}: expected an object, found {li!r}.")
            quantity = optional(li, "quantity", int, w)
            quantity = 1 if quantity is None else quantity
            serial = optional(li, "serial", str, w)
            if quantity < 1 or (serial and quantity != 1):
                raise ManifestError(
                    f"{w}.quantity: expected 1 or more (exactly 1 with a serial), found {quantity}."
                )
            gtin = normalize_gtin(need(li, "gtin", str, w), f"{w}.gtin")
            lines.append(OrderLine(n, gtin, quantity, serial, optional(li, "title", str, w) or ""))
        if not lines:
            raise ManifestError(f"{where}.lines: expected at least one line, found none.")
        orders.append(
            Order(
                number=code_key(patterns, need(o, "order", str, where)),
                lines=tuple(lines),
                carrier=optional(o, "carrier", str, where) or "",
                carrier_label=label,
                version=optional(o, "version", int, where) or 1,
            )
        )
    return orders


def apply_orders(conn: Any, orders: Sequence[Order]) -> tuple[int, int]:
    """Store ``orders`` (call inside a write); returns (applied, skipped as not newer)."""
    applied = skipped = 0
    now = int(time.time() * 1000)
    for order in orders:
        row = conn.execute("SELECT version, status FROM orders WHERE number = ?", (order.number,)).fetchone()
        if row is not None and row[0] >= order.version:
            skipped += 1
            continue
        status = row[1] if row is not None and row[1] == "packed" else order.status
        conn.execute("DELETE FROM order_lines WHERE number = ?", (order.number,))
        conn.execute(
            "INSERT OR REPLACE INTO orders VALUES (?,?,?,?,?,?)",
            (order.number, order.carrier, order.carrier_label, status, order.version, now),
        )
        conn.executemany(
            "INSERT INTO order_lines VALUES (?,?,?,?,?,?)",
            [(order.number, li.line, li.gtin, li.quantity, li.serial, li.title) for li in order.lines],
        )
        applied += 1
    return applied, skipped


def find_order(store: StationDB, number: str) -> Order | None:
    row = store.conn.execute(
        "SELECT number, carrier, carrier_label, status, version FROM orders WHERE number = ?", (number,)
    ).fetchone()
    if row is None:
        return None
    lines = tuple(
        OrderLine(*li)
        for li in store.conn.execute(
            "SELECT line, gtin, quantity, serial, title FROM order_lines WHERE number = ? ORDER BY line",
            (number,),
        )
    )
    return Order(row[0], lines, row[1], row[2], row[3], row[4])


def project(conn: Any, events: Sequence[Event]) -> None:
    """Mark orders packed as their ``order.packed`` events commit (call inside the same write)."""
    for event in events:
        if event.type == "order.packed":
            conn.execute("UPDATE orders SET status = 'packed' WHERE number = ?", (event.subject,))
