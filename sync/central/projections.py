"""Fold station events into the projections: units (hub stock), returns, work orders, references.

Events of one station come in its seq order; events of different stations about the same unit or
return come in any order (a station may be offline for a day), so each projected state keeps the event
time (the station's hybrid logical clock) of its last change, and an older event never overwrites a
newer one: each change is one upsert whose ``CASE`` keeps the newer side. Descriptive fields (GTIN,
serial, RMA) are filled from whichever event brings them first. References (what each event is about)
are written in one batch per step.
"""

from __future__ import annotations

import math
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


class Fields:
    """An event's data read defensively: a value of the wrong type reads as missing, so one malformed
    event from a station's bug cannot stop the projections (its event stays in the feed as it came)."""

    def __init__(self, data: Any) -> None:
        self.data: Mapping[str, Any] = data if isinstance(data, Mapping) else {}

    def text(self, key: str) -> str | None:
        value = self.data.get(key)
        if isinstance(value, bool):
            return None
        if isinstance(value, int):
            return str(value)
        # (PostgreSQL text cannot hold NUL; a JSON string can)
        return value.replace("\x00", "") or None if isinstance(value, str) else None

    def num(self, key: str) -> float | None:
        value = self.data.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        if isinstance(value, int):  # (a huge int does not fit a float)
            return float(value) if abs(value) < 10**300 else None
        return value if math.isfinite(value) else None

    def whole(self, key: str) -> int | None:
        value = self.data.get(key)
        return (
            value if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**62 else None
        )

    def flag(self, key: str) -> int:
        return 1 if self.data.get(key) is True else 0

    def count(self, key: str) -> int:
        value = self.data.get(key)
        return len(value) if isinstance(value, list) else (self.whole(key) or 0)

    def items(self, key: str) -> list[Fields]:
        value = self.data.get(key)
        return [Fields(v) for v in value if isinstance(v, Mapping)] if isinstance(value, list) else []

    def texts(self, key: str) -> list[str]:
        value = self.data.get(key)
        return (
            [str(v).replace("\x00", "") for v in value if isinstance(v, (str, int))]
            if isinstance(value, list)
            else []
        )


class Projector:
    """Applies events inside the caller's transaction (``cur``); :meth:`flush` before it commits."""

    def __init__(self, db: Database, cur: Any) -> None:
        self.db = db
        self.cur = cur
        self._refs_out: list[tuple[str, int]] = []
        self._grades: dict[tuple[str, str | None], str] = {}

    def _q(self, text: str, params: Iterable[Any] = ()) -> Any:
        return self.db.execute(self.cur, text, tuple(params))

    def apply(self, pos: int, hub: str, station: str, event: Mapping[str, Any]) -> None:
        kind = str(event["type"])
        data = Fields(event.get("data"))
        time = str(event["time"])
        self._refs(pos, kind, data)
        rma, grade = data.text("rma"), data.text("grade")
        if kind == "return.graded" and rma and grade:
            self._grades[(rma, data.text("unit"))] = grade
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

    def _refs(self, pos: int, kind: str, data: Fields) -> None:
        """``rma:``, ``lpn:``, ``serial:``, ``wo:``, ``order:`` keys. A unit's later events (restocked,
        packed) join its return's story at query time, through the unit's RMA."""
        keys = {f"{name}:{value}" for field, name in _REF_FIELDS if (value := data.text(field))}
        for unit in data.items("units") if kind == "order.packed" else ():
            if lpn := unit.text("lpn"):
                keys.add(f"lpn:{lpn}")
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

    def _grade_of(self, rma: str, unit: str | None) -> str | None:
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
            data = Fields(orjson.loads(doc).get("data"))
            if data.text("unit") == unit:
                return data.text("grade")
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


def _returns(p: Projector, hub: str, station: str, kind: str, time: str, data: Fields) -> None:
    rma = data.text("rma")
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
            order_number=data.text("order_number"),
            blind=data.flag("blind"),
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
            units=data.count("units"),
            missing=data.count("missing"),
            flagged=data.flag("flagged_for_review"),
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
            refund_amount=data.num("amount"),
            refund_cap=data.num("cap"),
            refund_capped=data.flag("capped"),
            currency=data.text("currency"),
            refund_time=time,
        )
    elif kind == "return.dispositioned" and (lpn := data.text("lpn")):
        p.unit(
            lpn,
            time,
            {"status": RECEIVED},
            {"disposition": data.text("disposition"), "grade": p._grade_of(rma, data.text("unit"))},
            {
                "hub": hub,
                "gtin": data.text("gtin"),
                "serial": data.text("serial"),
                "rma": rma,
                "category": data.text("category"),
            },
        )


def _inventory(p: Projector, hub: str, station: str, kind: str, time: str, data: Fields) -> None:
    lpn = data.text("lpn")
    if not lpn:
        return
    fill = {"gtin": data.text("gtin"), "serial": data.text("serial")}
    here = data.text("hub") or hub
    if kind == "inventory.restocked":
        status = {"status": STOCKED, "bin": data.text("bin"), "hub": here, "order_number": None}
        p.unit(lpn, time, status, fill={**fill, "disposition": data.text("disposition")})
    elif kind == "inventory.moved":
        p.unit(lpn, time, {"status": STOCKED, "bin": data.text("to_bin"), "hub": here}, fill=fill)


def _orders(p: Projector, hub: str, station: str, kind: str, time: str, data: Fields) -> None:
    order = data.text("order")
    if kind == "order.unit_scanned" and (lpn := data.text("lpn")):
        p.unit(lpn, time, {"status": RESERVED, "order_number": order}, fill={"hub": hub})
    elif kind == "order.packed":
        for unit in data.items("units"):
            if packed := unit.text("lpn"):
                status = {"status": PACKED, "bin": None, "order_number": order}
                p.unit(packed, time, status, fill={"hub": hub, "gtin": unit.text("gtin")})
    elif kind == "order.pack_cancelled" and order:
        # The event names no units: those this order reserved, unless something newer moved them.
        p._q(
            "UPDATE units SET status = ?, order_number = NULL, status_time = ? "
            "WHERE order_number = ? AND status = ? AND status_time <= ?",
            (STOCKED, time, order, RESERVED, time),
        )


def _work_orders(p: Projector, hub: str, station: str, kind: str, time: str, data: Fields) -> None:
    number, lpn = data.text("workorder"), data.text("lpn")
    if not number:
        return
    where = {"hub": hub, "station": station, "lpn": lpn}
    if kind == "workorder.opened":
        p.upsert("work_orders", "number", number, time, "open", **where, opened_time=time)
        if lpn:
            fill = {"hub": hub, "gtin": data.text("gtin"), "serial": data.text("serial")}
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
            outcome=data.text("outcome"),
            grade=data.text("grade"),
            disposition=data.text("disposition"),
            diagnoses=orjson.dumps(data.texts("diagnoses")).decode(),
            labour_minutes=data.whole("labour_minutes"),
        )
        if lpn:
            detail = {"grade": data.text("grade"), "disposition": data.text("disposition")}
            p.unit(lpn, time, {"status": RECEIVED, "work_order": None}, detail, {"hub": hub})
    else:
        p.upsert("work_orders", "number", number, time, None, **where)


def _config(p: Projector, hub: str, station: str, kind: str, time: str, data: Fields) -> None:
    version = data.whole("version")
    if kind == "config.applied" and version is not None:
        p._q(
            "INSERT INTO stations (hub, station, config_version) VALUES (?, ?, ?) ON CONFLICT (hub, station) "
            "DO UPDATE SET config_version = excluded.config_version",
            (hub, station, version),
        )


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
