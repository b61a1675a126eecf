"""Work orders: those the OMS sent down (loaded like orders), and the state of every one opened here.

The ``work_orders`` table is an index (number, LPN, status); a work order's details are rebuilt from its
own events (:func:`station.core.repair.replay`), so the log stays the one source of truth.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from station.core.codes import CodePatterns
from station.core.events import Event
from station.core.repair import SentDown, WorkOrder, replay
from station.core.scans import ScanKind
from station.store.database import StationDB
from station.store.manifests import normalize_gtin, scannable
from station.store.validation import (
    GTIN_TEXT,
    NAME_TEXT,
    OPTIONAL_TEXT,
    TEXT,
    VERSION,
    check_document,
    fail,
    first_duplicate,
    list_of,
    record,
)

WORK_ORDER = record(
    {"number": TEXT, "lpn": TEXT, "gtin": GTIN_TEXT},
    {"serial": OPTIONAL_TEXT, "data_bearing": {"type": "boolean"}, "problem": NAME_TEXT, "version": VERSION},
)
#: An orders file: its ``orders`` are checked by :func:`station.store.orders.parse_orders`.
WORK_ORDERS_SCHEMA = record({}, {"work_orders": list_of(WORK_ORDER), "orders": {"type": "array"}})


def parse_work_orders(doc: Any, patterns: CodePatterns, source: str) -> list[tuple[SentDown, int]]:
    """The ``work_orders`` of a document with their versions, checked whole."""
    check_document(doc, WORK_ORDERS_SCHEMA, source)
    out = []
    for i, w in enumerate(doc.get("work_orders", [])):
        path: list[str | int] = ["work_orders", i]
        sent = SentDown(
            number=scannable(patterns, w["number"], (ScanKind.WORK_ORDER,), source, [*path, "number"]),
            lpn=scannable(patterns, w["lpn"], (ScanKind.LPN,), source, [*path, "lpn"]),
            gtin=normalize_gtin(w["gtin"], source, [*path, "gtin"]),
            serial=w.get("serial"),
            data_bearing=bool(w.get("data_bearing", False)),
            problem=w.get("problem", ""),
        )
        out.append((sent, int(w.get("version", 1))))
    twice = first_duplicate((["work_orders", i, "number"], s.number) for i, (s, _) in enumerate(out))
    if twice is not None:
        raise fail(source, twice[0], "each work order once", twice[1])
    return out


def apply_work_orders(conn: Any, sent: Sequence[tuple[SentDown, int]]) -> tuple[int, int]:
    """Store work orders sent down (call inside a write); one already opened here is left alone."""
    applied = skipped = 0
    for wo, version in sent:
        row = conn.execute(
            "SELECT version, status FROM work_orders WHERE number = ?", (wo.number,)
        ).fetchone()
        if row is not None and (row[0] >= version or row[1] != "sent"):
            skipped += 1
            continue
        conn.execute(
            "INSERT OR REPLACE INTO work_orders VALUES (?,?,?,?,?,?,'oms','sent',?)",
            (wo.number, wo.lpn, wo.gtin, wo.serial, int(wo.data_bearing), wo.problem, version),
        )
        applied += 1
    return applied, skipped


def find_sent(store: StationDB, number: str) -> SentDown | None:
    row = store.conn.execute(
        "SELECT number, lpn, gtin, serial, data_bearing, problem, status FROM work_orders WHERE number = ?",
        (number,),
    ).fetchone()
    if row is None:
        return None
    return SentDown(row[0], row[1], row[2], row[3], bool(row[4]), row[5], row[6])


def open_number_for(store: StationDB, lpn: str) -> str | None:
    """The work order open on ``lpn``, if there is one."""
    row = store.conn.execute(
        "SELECT number FROM work_orders WHERE lpn = ? AND status = 'open'", (lpn,)
    ).fetchone()
    return None if row is None else str(row[0])


def load_work_order(store: StationDB, number: str) -> WorkOrder | None:
    """A work order rebuilt from its events."""
    rows = store.conn.execute(
        "SELECT type, data FROM events WHERE subject = ? AND type LIKE 'workorder.%' ORDER BY seq", (number,)
    )
    return replay((t, json.loads(d)) for t, d in rows)


def project(conn: Any, events: Sequence[Event]) -> None:
    """Keep the index in step as work order events commit (call inside the same write)."""
    for event in events:
        d = event.data
        if event.type == "workorder.opened":
            conn.execute(
                "INSERT INTO work_orders (number, lpn, gtin, serial, data_bearing, source, status) "
                "VALUES (?,?,?,?,?,?,'open') ON CONFLICT (number) DO UPDATE SET status = 'open'",
                (d["workorder"], d["lpn"], d["gtin"], d["serial"], int(d["data_bearing"]), d["source"]),
            )
        elif event.type == "workorder.closed":
            conn.execute("UPDATE work_orders SET status = 'closed' WHERE number = ?", (d["workorder"],))
