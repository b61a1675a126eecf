"""Packing orders routed to this hub: loaded from a file now (``station orders load``), later from the OMS.

Idempotent by each order's version; an order already packed here stays packed.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

from station.core.codes import CodePatterns
from station.core.events import Event
from station.core.packing import Order, OrderLine
from station.core.scans import ScanKind
from station.store.database import StationDB
from station.store.manifests import normalize_gtin, scannable
from station.store.validation import (
    GTIN_TEXT,
    NAME_TEXT,
    OPTIONAL_TEXT,
    QUANTITY,
    TEXT,
    VERSION,
    check_document,
    fail,
    first_duplicate,
    list_of,
    one_of,
    record,
)

#: What an order's ``status`` may be in a file or message (``packed`` is set by packing here).
ORDER_STATUSES = ("open", "cancelled")
ORDER = record(
    {
        "order": TEXT,
        "carrier_label": TEXT,
        "lines": list_of(
            record({"gtin": GTIN_TEXT}, {"quantity": QUANTITY, "serial": OPTIONAL_TEXT, "title": NAME_TEXT}),
            min_items=1,
        ),
    },
    {"carrier": NAME_TEXT, "version": VERSION, "status": one_of(ORDER_STATUSES)},
)
#: An orders file: its ``work_orders`` are checked by :func:`station.store.workorders.parse_work_orders`.
ORDERS_SCHEMA = record({}, {"orders": list_of(ORDER), "work_orders": {"type": "array"}})
_ONE_FORMAT = "ZPL of exactly one label format: ^XA ... ^XZ"


def one_label_format(zpl: str) -> bool:
    """True when ``zpl`` is exactly one format, ``^XA`` to ``^XZ`` (what a print job sends as one label)."""
    text = zpl.strip().upper()
    return text.startswith("^XA") and text.endswith("^XZ") and text.count("^XA") == text.count("^XZ") == 1


def parse_orders(doc: Any, patterns: CodePatterns, source: str) -> list[Order]:
    """The ``orders`` of a document, checked whole (ManifestError names the file, the path and the fault)."""
    check_document(doc, ORDERS_SCHEMA, source)
    orders = []
    for i, o in enumerate(doc.get("orders", [])):
        path: list[str | int] = ["orders", i]
        if not one_label_format(o["carrier_label"]):
            raise fail(source, [*path, "carrier_label"], _ONE_FORMAT, o["carrier_label"])
        lines = []
        for n, li in enumerate(o["lines"]):
            quantity = int(li.get("quantity", 1))
            serial = li.get("serial")
            if serial and quantity != 1:
                raise fail(source, [*path, "lines", n, "quantity"], "1 on a line with a serial", quantity)
            gtin = normalize_gtin(li["gtin"], source, [*path, "lines", n, "gtin"])
            lines.append(OrderLine(n + 1, gtin, quantity, serial, li.get("title", "")))
        orders.append(
            Order(
                number=scannable(patterns, o["order"], (ScanKind.ORDER,), source, [*path, "order"]),
                lines=tuple(lines),
                carrier=o.get("carrier", ""),
                carrier_label=o["carrier_label"],
                status=o.get("status", "open"),
                version=int(o.get("version", 1)),
            )
        )
    twice = first_duplicate((["orders", i, "order"], o.number) for i, o in enumerate(orders))
    if twice is not None:
        raise fail(source, twice[0], "each order once", twice[1])
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
