"""What the API and the console read: hub stock, a return's story, a unit, stations, the event feed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson

from sync.central.db import Database, Row
from sync.central.projections import IN_REPAIR, RECEIVED, RESERVED, STOCKED

_UNIT_COLUMNS = (
    "lpn, hub, gtin, serial, status, bin, grade, disposition, category, rma, order_number, work_order"
)
_AVAILABILITY = {STOCKED: "available", RESERVED: "reserved", IN_REPAIR: "in_repair", RECEIVED: "received"}


def stock(db: Database, hub: str, gtin: str | None = None) -> list[Row]:
    """Per GTIN: units available to sell, reserved for packing, in repair, received (not yet put away),
    and the units themselves (LPN, serial, bin, grade, status)."""
    params: list[Any] = [hub, *_AVAILABILITY]
    where = f"hub = ? AND status IN ({', '.join('?' * len(_AVAILABILITY))})"
    if gtin:
        where += " AND gtin = ?"
        params.append(gtin)
    units = db.rows(f"SELECT {_UNIT_COLUMNS} FROM units WHERE {where} ORDER BY gtin, bin, lpn", params)
    by_gtin: dict[str, Row] = {}
    for unit in units:
        entry = by_gtin.setdefault(
            unit["gtin"] or "", {"gtin": unit["gtin"], **{v: 0 for v in _AVAILABILITY.values()}, "units": []}
        )
        entry[_AVAILABILITY[unit["status"]]] += 1
        entry["units"].append(unit)
    return list(by_gtin.values())


def unit(db: Database, lpn: str) -> Row | None:
    return db.row(f"SELECT {_UNIT_COLUMNS} FROM units WHERE lpn = ?", (lpn,))


def units_by_serial(db: Database, serial: str) -> list[Row]:
    return db.rows(f"SELECT {_UNIT_COLUMNS} FROM units WHERE serial = ? ORDER BY lpn", (serial,))


def return_summary(db: Database, rma: str) -> Row | None:
    return db.row("SELECT * FROM returns WHERE rma = ?", (rma,))


def timeline(db: Database, key: str) -> list[Row]:
    """Every event about ``key`` (``rma:X``, ``lpn:X``, ...) at any station, in event-time order; a
    return's story also holds its units' events (restocked, moved, packed, repaired)."""
    positions = "SELECT pos FROM refs WHERE key = ?"
    params: list[Any] = [key]
    if key.startswith("rma:"):
        positions += " UNION SELECT r.pos FROM units u JOIN refs r ON r.key = 'lpn:' || u.lpn WHERE u.rma = ?"
        params.append(key[4:])
    rows = db.rows(
        "SELECT f.pos, f.hub, f.station, f.type, f.subject, f.time, e.event FROM feed f "
        "JOIN events e ON e.source = f.source AND e.seq = f.seq "
        f"WHERE f.pos IN ({positions}) ORDER BY f.time, f.pos",
        params,
    )
    for row in rows:
        doc = orjson.loads(row.pop("event"))
        row.update(operator=doc.get("operator"), data=doc.get("data") or {})
    return rows


def return_story(db: Database, rma: str) -> Row | None:
    """A return: its summary, its units and its timeline across stations; None if nothing is known."""
    summary = return_summary(db, rma)
    events = timeline(db, f"rma:{rma}")
    if summary is None and not events:
        return None
    units = db.rows(f"SELECT {_UNIT_COLUMNS} FROM units WHERE rma = ? ORDER BY lpn", (rma,))
    return {"rma": rma, "summary": summary, "units": units, "timeline": events}


def find_rmas(db: Database, lpn: str | None = None, serial: str | None = None) -> list[str]:
    """The returns a unit came in with, by its LPN or serial (from units, else from the references)."""
    found: list[str] = []
    if lpn:
        found += [r["rma"] for r in db.rows("SELECT rma FROM units WHERE lpn = ?", (lpn,)) if r["rma"]]
    if serial:
        found += [r["rma"] for r in units_by_serial(db, serial) if r["rma"]]
        if not found:
            found += [
                r["key"][4:]
                for r in db.rows(
                    "SELECT DISTINCT r2.key FROM refs r1 JOIN refs r2 ON r2.pos = r1.pos "
                    "WHERE r1.key = ? AND r2.key LIKE 'rma:%'",
                    (f"serial:{serial}",),
                )
            ]
    return sorted(set(found))


def work_order(db: Database, number: str) -> Row | None:
    row = db.row("SELECT * FROM work_orders WHERE number = ?", (number,))
    if row is not None:
        row["diagnoses"] = orjson.loads(row["diagnoses"]) if row["diagnoses"] else []
        row["timeline"] = timeline(db, f"wo:{number}")
    return row


def stations(db: Database, hubs: Sequence[str] | None = None) -> list[Row]:
    """Every station (of ``hubs``, or all), with what the sink holds of it and its presence and health."""
    rows = db.rows("SELECT * FROM stations ORDER BY hub, station")
    gaps = {r["source"]: r for r in db.rows("SELECT source, contiguous, highest FROM progress")}
    out = []
    for row in rows:
        if hubs is not None and row["hub"] not in hubs:
            continue
        held = gaps.get(row["source"] or "")
        row["scanners"] = orjson.loads(row["scanners"]) if row["scanners"] else {}
        row["sink_contiguous"] = held["contiguous"] if held else None
        row["sink_highest"] = held["highest"] if held else None
        if row["reported_seq"] is not None:
            # what the station had logged at its last report and the centre does not hold yet
            row["backlog"] = max(0, int(row["reported_seq"]) - int(row["sink_contiguous"] or 0))
        out.append(row)
    return out


def feed(
    db: Database,
    after: int,
    limit: int,
    hubs: Sequence[str] | None = None,
    types: Sequence[str] | None = None,
) -> list[Row]:
    """Events after feed position ``after``, oldest first, as CloudEvents with their position."""
    where, params = ["f.pos > ?"], [str(after)]
    if hubs is not None:
        where.append(f"f.hub IN ({', '.join('?' * len(hubs))})" if hubs else "1 = 0")
        params += hubs
    if types:
        where.append(f"f.type IN ({', '.join('?' * len(types))})")
        params += types
    rows = db.rows(
        "SELECT f.pos, e.event FROM feed f JOIN events e ON e.source = f.source AND e.seq = f.seq "
        f"WHERE {' AND '.join(where)} ORDER BY f.pos LIMIT ?",
        [*params, limit],
    )
    return [{"position": r["pos"], "event": orjson.loads(r["event"])} for r in rows]


def today(db: Database, hubs: Sequence[str] | None = None, now: datetime | None = None) -> list[Row]:
    """Per hub, since midnight UTC: returns received, units dispositioned (by disposition), refunds."""
    start = (now or datetime.now(UTC)).strftime("%Y-%m-%dT00:00:00")
    rows = db.rows(
        "SELECT f.hub, f.type, e.event FROM feed f JOIN events e ON e.source = f.source AND e.seq = f.seq "
        "WHERE f.time >= ? AND f.type IN ('return.received', 'return.dispositioned', 'refund.eligible')",
        (start,),
    )
    out: dict[str, Row] = {}
    for row in rows:
        if hubs is not None and row["hub"] not in hubs:
            continue
        hub = out.setdefault(
            row["hub"],
            {
                "hub": row["hub"],
                "returns": 0,
                "units": 0,
                "refunds": 0,
                "refund_total": {},
                "dispositions": {},
            },
        )
        data = orjson.loads(row["event"]).get("data") or {}
        if row["type"] == "return.received":
            hub["returns"] += 1
        elif row["type"] == "return.dispositioned":
            hub["units"] += 1
            d = str(data.get("disposition"))
            hub["dispositions"][d] = hub["dispositions"].get(d, 0) + 1
        else:
            hub["refunds"] += 1
            cur = str(data.get("currency") or "")
            hub["refund_total"][cur] = round(
                hub["refund_total"].get(cur, 0) + float(data.get("amount") or 0), 2
            )
    return sorted(out.values(), key=lambda h: str(h["hub"]))
