"""Fold one station event into the projections: units (hub stock), returns, work orders, references.

Events of one station come in its seq order; events of different stations about the same unit or
return come in any order (a station may be offline for a day), so each projected state keeps the event
time (the station's hybrid logical clock) of its last change, and an older event never overwrites a
newer one. Descriptive fields (GTIN, serial, RMA) are filled from whichever event brings them first.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from sync.central.db import Database

# What a unit's status is for the OMS: available to sell, reserved for packing, in repair, received.
STOCKED, RESERVED, IN_REPAIR, RECEIVED, PACKED = "stocked", "reserved", "in_repair", "received", "packed"


class Projector:
    """Applies events inside the caller's transaction (``cur``)."""

    def __init__(self, db: Database, cur: Any) -> None:
        self.db = db
        self.cur = cur

    def _q(self, text: str, params: Iterable[Any] = ()) -> Any:
        return self.db.execute(self.cur, text, tuple(params))

    def apply(self, pos: int, hub: str, station: str, event: Mapping[str, Any]) -> None:
        kind = str(event["type"])
        data: Mapping[str, Any] = event.get("data") or {}
        time = str(event["time"])
        self._refs(pos, kind, data)
        handler = _HANDLERS.get(kind.split(".", 1)[0])
        if handler is not None:
            handler(self, hub, station, kind, time, data)

    # --- references: what a timeline or a search finds ---------------------------------------------------

    def _refs(self, pos: int, kind: str, data: Mapping[str, Any]) -> None:
        keys = {f"{name}:{data[field]}" for field, name in _REF_FIELDS if data.get(field)}
        for unit in data.get("units") or () if kind == "order.packed" else ():
            if isinstance(unit, Mapping) and unit.get("lpn"):
                keys.add(f"lpn:{unit['lpn']}")
        lpns = [k[4:] for k in keys if k.startswith("lpn:")]
        for lpn in lpns:  # a unit's later events belong to its return's story too
            found = self._q("SELECT rma FROM units WHERE lpn = ?", (lpn,)).fetchone()
            if found and found[0]:
                keys.add(f"rma:{found[0]}")
        for key in sorted(keys):
            self._q("INSERT INTO refs (key, pos) VALUES (?, ?) ON CONFLICT DO NOTHING", (key, pos))
        if kind == "return.dispositioned" and data.get("rma"):
            for lpn in lpns:  # events of this unit projected before its disposition arrived
                self._q(
                    "INSERT INTO refs (key, pos) SELECT ?, pos FROM refs WHERE key = ? "
                    "ON CONFLICT DO NOTHING",
                    (f"rma:{data['rma']}", f"lpn:{lpn}"),
                )

    # --- units ------------------------------------------------------------------------------------------

    def unit(
        self,
        lpn: str,
        time: str,
        status: Mapping[str, Any],
        detail: Mapping[str, Any] | None = None,
        fill: Mapping[str, Any] | None = None,
    ) -> None:
        """Change a unit: ``status`` fields if this event is its newest status change, ``detail`` fields
        if it is the newest detail change, ``fill`` fields where still empty."""
        detail, fill = detail or {}, fill or {}
        row = self._q("SELECT status_time, detail_time FROM units WHERE lpn = ?", (lpn,)).fetchone()
        if row is None:
            values = {"hub": "", "status": RECEIVED, **fill, **detail, **status}
            # no detail yet: an older event that brings one still applies it
            values.update(lpn=lpn, status_time=time, detail_time=time if detail else "")
            names = ", ".join(values)
            marks = ", ".join("?" * len(values))
            self._q(f"INSERT INTO units ({names}) VALUES ({marks})", values.values())
            return
        sets: dict[str, Any] = {}
        if time >= row[0]:
            sets.update(status, status_time=time)
        if detail and time >= row[1]:
            sets.update(detail, detail_time=time)
        clauses = [f"{k} = ?" for k in sets] + [f"{k} = COALESCE({k}, ?)" for k in fill]
        if clauses:
            params = [*sets.values(), *fill.values(), lpn]
            self._q(f"UPDATE units SET {', '.join(clauses)} WHERE lpn = ?", params)

    def _grade_of(self, rma: str, unit: Any) -> str | None:
        rows = self._q(
            "SELECT e.event FROM refs r JOIN feed f ON f.pos = r.pos "
            "JOIN events e ON e.source = f.source AND e.seq = f.seq "
            "WHERE r.key = ? AND f.type = 'return.graded' ORDER BY f.pos DESC",
            (f"rma:{rma}",),
        ).fetchall()
        for (doc,) in rows:
            data = orjson.loads(doc).get("data") or {}
            if data.get("unit") == unit:
                return str(data.get("grade"))
        return None

    # --- returns and work orders ------------------------------------------------------------------------

    def upsert(
        self, table: str, key: str, key_value: str, time: str, status: str | None, **fields: Any
    ) -> None:
        """A return or work order row: created on its first event, whichever it is; ``status`` moves only
        forward in event time."""
        found = self._q(f"SELECT status_time FROM {table} WHERE {key} = ?", (key_value,)).fetchone()
        if found is None:
            values = {key: key_value, "status": status or "open", "status_time": time, **fields}
            marks = ", ".join("?" * len(values))
            self._q(f"INSERT INTO {table} ({', '.join(values)}) VALUES ({marks})", values.values())
            return
        sets = dict(fields)
        if status is not None and time >= found[0]:
            sets.update(status=status, status_time=time)
        if sets:
            clauses = ", ".join(f"{k} = ?" for k in sets)
            self._q(f"UPDATE {table} SET {clauses} WHERE {key} = ?", [*sets.values(), key_value])


def _returns(p: Projector, hub: str, station: str, kind: str, time: str, data: Mapping[str, Any]) -> None:
    rma = data.get("rma")
    if not rma:
        return
    where = {"hub": hub, "station": station}
    if kind == "return.received":
        p.upsert(
            "returns",
            "rma",
            rma,
            time,
            "received",
            **where,
            order_number=data.get("order_number"),
            blind=int(bool(data.get("blind"))),
            received_time=time,
        )
    elif kind == "return.completed":
        p.upsert(
            "returns",
            "rma",
            rma,
            time,
            "completed",
            **where,
            completed_time=time,
            units=_count(data.get("units")),
            missing=_count(data.get("missing")),
            flagged=int(bool(data.get("flagged_for_review"))),
        )
    elif kind == "return.cancelled":
        p.upsert("returns", "rma", rma, time, "cancelled", **where)
    elif kind == "refund.eligible":
        p.upsert(
            "returns",
            "rma",
            rma,
            time,
            None,
            **where,
            refund_amount=data.get("amount"),
            refund_cap=data.get("cap"),
            refund_capped=int(bool(data.get("capped"))),
            currency=data.get("currency"),
            refund_time=time,
        )
    elif kind == "return.dispositioned" and data.get("lpn"):
        p.unit(
            data["lpn"],
            time,
            {"status": RECEIVED},
            {"disposition": data.get("disposition"), "grade": p._grade_of(rma, data.get("unit"))},
            {
                "hub": hub,
                "gtin": data.get("gtin"),
                "serial": data.get("serial"),
                "rma": rma,
                "category": data.get("category"),
            },
        )


def _inventory(p: Projector, hub: str, station: str, kind: str, time: str, data: Mapping[str, Any]) -> None:
    lpn = data.get("lpn")
    if not lpn:
        return
    fill = {"gtin": data.get("gtin"), "serial": data.get("serial")}
    here = data.get("hub") or hub
    if kind == "inventory.restocked":
        status = {"status": STOCKED, "bin": data.get("bin"), "hub": here, "order_number": None}
        p.unit(lpn, time, status, fill={**fill, "disposition": data.get("disposition")})
    elif kind == "inventory.moved":
        p.unit(lpn, time, {"status": STOCKED, "bin": data.get("to_bin"), "hub": here}, fill=fill)


def _orders(p: Projector, hub: str, station: str, kind: str, time: str, data: Mapping[str, Any]) -> None:
    order = data.get("order")
    if kind == "order.unit_scanned" and data.get("lpn"):
        p.unit(data["lpn"], time, {"status": RESERVED, "order_number": order}, fill={"hub": hub})
    elif kind == "order.packed":
        for unit in data.get("units") or ():
            if isinstance(unit, Mapping) and unit.get("lpn"):
                status = {"status": PACKED, "bin": None, "order_number": order}
                p.unit(unit["lpn"], time, status, fill={"hub": hub, "gtin": unit.get("gtin")})
    elif kind == "order.pack_cancelled" and order:
        # The event names no units: those this order reserved, unless something newer moved them.
        p._q(
            "UPDATE units SET status = ?, order_number = NULL, status_time = ? "
            "WHERE order_number = ? AND status = ? AND status_time <= ?",
            (STOCKED, time, order, RESERVED, time),
        )


def _work_orders(p: Projector, hub: str, station: str, kind: str, time: str, data: Mapping[str, Any]) -> None:
    number, lpn = data.get("workorder"), data.get("lpn")
    if not number:
        return
    where = {"hub": hub, "station": station, "lpn": lpn}
    if kind == "workorder.opened":
        p.upsert("work_orders", "number", number, time, "open", **where, opened_time=time)
        if lpn:
            fill = {"hub": hub, "gtin": data.get("gtin"), "serial": data.get("serial")}
            p.unit(lpn, time, {"status": IN_REPAIR, "bin": None, "work_order": number}, fill=fill)
    elif kind == "workorder.closed":
        p.upsert(
            "work_orders",
            "number",
            number,
            time,
            "closed",
            **where,
            closed_time=time,
            outcome=data.get("outcome"),
            grade=data.get("grade"),
            disposition=data.get("disposition"),
            diagnoses=orjson.dumps(data.get("diagnoses") or []).decode(),
            labour_minutes=data.get("labour_minutes"),
        )
        if lpn:
            detail = {"grade": data.get("grade"), "disposition": data.get("disposition")}
            p.unit(lpn, time, {"status": RECEIVED, "work_order": None}, detail, {"hub": hub})
    else:
        p.upsert("work_orders", "number", number, time, None, **where)


def _config(p: Projector, hub: str, station: str, kind: str, time: str, data: Mapping[str, Any]) -> None:
    if kind == "config.applied" and isinstance(data.get("version"), int):
        p._q(
            "INSERT INTO stations (hub, station, config_version) VALUES (?, ?, ?) ON CONFLICT (hub, station) "
            "DO UPDATE SET config_version = excluded.config_version",
            (hub, station, data["version"]),
        )


def _count(value: Any) -> int:
    return len(value) if isinstance(value, list) else int(value or 0)


_REF_FIELDS = (
    ("rma", "rma"),
    ("lpn", "lpn"),
    ("serial", "serial"),
    ("workorder", "wo"),
    ("order", "order"),
)
_HANDLERS = {
    "return": _returns,
    "refund": _returns,
    "inventory": _inventory,
    "order": _orders,
    "workorder": _work_orders,
    "config": _config,
}
