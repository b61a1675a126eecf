"""Fold station events into the projections: units (hub stock), returns, work orders, references.

Events of one station come in its seq order; events of different stations about the same unit or
return come in any order (a station may be offline for a day), so each projected state keeps the event
time (the station's hybrid logical clock) of its last change, and an older event never overwrites a
newer one: each change is one upsert whose ``CASE`` keeps the newer side. Descriptive fields (GTIN,
serial, RMA) are filled from whichever event brings them first. References (what each event is about)
are written in one batch per step.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import orjson

from sync.central.db import Database

# What a unit's status is for the OMS: available to sell, reserved for packing, in repair, received.
STOCKED, RESERVED, IN_REPAIR, RECEIVED, PACKED = "stocked", "reserved", "in_repair", "received", "packed"


def _newer(table: str, column: str, clock: str) -> str:
    """SQL for an upsert: the incoming value if its event is at least as new as the row's, else the row's."""
    newer = f"excluded.{clock} >= {table}.{clock}"
    return f"{column} = CASE WHEN {newer} THEN excluded.{column} ELSE {table}.{column} END"


class Projector:
    """Applies events inside the caller's transaction (``cur``); :meth:`flush` before it commits."""

    def __init__(self, db: Database, cur: Any) -> None:
        self.db = db
        self.cur = cur
        self._refs_out: list[tuple[str, int]] = []
        self._grades: dict[tuple[str, Any], str] = {}

    def _q(self, text: str, params: Iterable[Any] = ()) -> Any:
        return self.db.execute(self.cur, text, tuple(params))

    def apply(self, pos: int, hub: str, station: str, event: Mapping[str, Any]) -> None:
        kind = str(event["type"])
        data: Mapping[str, Any] = event.get("data") or {}
        time = str(event["time"])
        self._refs(pos, kind, data)
        if kind == "return.graded":
            self._grades[(str(data.get("rma")), data.get("unit"))] = str(data.get("grade"))
        handler = _HANDLERS.get(kind.split(".", 1)[0])
        if handler is not None:
            handler(self, hub, station, kind, time, data)

    def flush(self) -> None:
        if self._refs_out:
            self.cur.executemany(
                self.db.sql("INSERT INTO refs (key, pos) VALUES (?, ?) ON CONFLICT DO NOTHING"),
                self._refs_out,
            )
            self._refs_out = []

    # --- references: what a timeline or a search finds ---------------------------------------------------

    def _refs(self, pos: int, kind: str, data: Mapping[str, Any]) -> None:
        """``rma:``, ``lpn:``, ``serial:``, ``wo:``, ``order:`` keys. A unit's later events (restocked,
        packed) join its return's story at query time, through the unit's RMA."""
        keys = {f"{name}:{data[field]}" for field, name in _REF_FIELDS if data.get(field)}
        for unit in data.get("units") or () if kind == "order.packed" else ():
            if isinstance(unit, Mapping) and unit.get("lpn"):
                keys.add(f"lpn:{unit['lpn']}")
        self._refs_out += [(key, pos) for key in sorted(keys)]

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
        fill = {k: v for k, v in fill.items() if k not in status and k not in detail}
        # no detail yet: an older event that brings one still applies it
        values = {
            "hub": "",
            **fill,
            **detail,
            **status,
            "lpn": lpn,
            "status_time": time,
            "detail_time": time if detail else "",
        }
        sets = [_newer("units", c, "status_time") for c in (*status, "status_time")]
        sets += [_newer("units", c, "detail_time") for c in (*detail, "detail_time")] if detail else []
        sets += [f"{c} = COALESCE(units.{c}, excluded.{c})" for c in fill if c != "hub"]
        if "hub" in fill:
            sets.append("hub = CASE WHEN units.hub = '' THEN excluded.hub ELSE units.hub END")
        self._q(
            f"INSERT INTO units ({', '.join(values)}) VALUES ({', '.join('?' * len(values))}) "
            f"ON CONFLICT (lpn) DO UPDATE SET {', '.join(sets)}",
            values.values(),
        )

    def _grade_of(self, rma: str, unit: Any) -> str | None:
        """The grade given with the disposition: from this batch, else from the graded event's row."""
        if (rma, unit) in self._grades:
            return self._grades[(rma, unit)]
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
        forward in event time (a row made by an event without a status takes the next real one)."""
        values = {key: key_value, "status": status or "open", "status_time": time if status else "", **fields}
        sets = [f"{c} = excluded.{c}" for c in fields]
        if status is not None:
            sets += [_newer(table, "status", "status_time"), _newer(table, "status_time", "status_time")]
        action = f"DO UPDATE SET {', '.join(sets)}" if sets else "DO NOTHING"
        self._q(
            f"INSERT INTO {table} ({', '.join(values)}) VALUES ({', '.join('?' * len(values))}) "
            f"ON CONFLICT ({key}) {action}",
            values.values(),
        )


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
