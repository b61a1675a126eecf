"""The ``units`` table: every unit this station knows and the hub's stock among them.

Kept up to date inside the transaction that commits the events (:func:`update`), and rebuildable from the
event log alone (:func:`rebuild`); both run the same fold, :func:`station.core.stock.apply_in_place`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from station.core.stock import UNIT_EVENTS, Grades, UnitRecord, UnitStatus, apply_in_place, lpns_of
from station.store.database import StationDB

_COLUMNS = "lpn, gtin, serial, status, disposition, grade, category, bin, hub, stocked_seq, order_number"
_INSERT = f"INSERT OR REPLACE INTO units ({_COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
_TYPES = ",".join(f"'{t}'" for t in UNIT_EVENTS)
_SEQ_KEY = "units_seq"


def _row(u: UnitRecord) -> tuple[Any, ...]:
    return (u.lpn, u.gtin, u.serial, u.status.value, u.disposition, u.grade, u.category, u.bin, u.hub,
            u.stocked_seq, u.order)  # fmt: skip


def _unit(row: Sequence[Any]) -> UnitRecord:
    return UnitRecord(row[0], row[1], row[2], UnitStatus(row[3]), *row[4:])


def _select(store: StationDB, where: str, params: Sequence[Any]) -> list[UnitRecord]:
    return [_unit(r) for r in store.conn.execute(f"SELECT {_COLUMNS} FROM units WHERE {where}", params)]


def _events_after(store: StationDB, seq: int) -> Iterable[tuple[int, str, dict[str, Any]]]:
    rows = store.conn.execute(
        f"SELECT seq, type, data FROM events WHERE seq > ? AND type IN ({_TYPES}) ORDER BY seq", (seq,)
    )
    return ((s, t, json.loads(d)) for s, t, d in rows)


def update(store: StationDB) -> int:
    """Apply the events committed since the last update; call inside the write that appended them."""
    done = int(store.meta(_SEQ_KEY, "0") or 0)
    last = int(store.meta("last_seq", "0") or 0)
    if last <= done:
        return 0
    n = 0
    grades: Grades = {}  # a unit's grade and disposition are committed together: both are in this update
    for seq, event_type, data in _events_after(store, done):
        lpns = lpns_of(event_type, data)
        marks = ",".join("?" * len(lpns))
        units = {u.lpn: u for u in _select(store, f"lpn IN ({marks})", lpns)}
        apply_in_place(units, seq, event_type, data, grades)
        store.conn.executemany(_INSERT, [_row(units[lpn]) for lpn in lpns if lpn in units])
        n += 1
    store.set_meta(_SEQ_KEY, str(last))
    return n


def rebuild(store: StationDB) -> int:
    """Throw the table away and fold the whole event log into it again; returns the units written."""
    units: dict[str, UnitRecord] = {}
    grades: Grades = {}
    with store.write() as conn:
        for seq, event_type, data in _events_after(store, 0):
            apply_in_place(units, seq, event_type, data, grades)
        conn.execute("DELETE FROM units")
        conn.executemany(_INSERT, map(_row, units.values()))
        store.set_meta(_SEQ_KEY, store.meta("last_seq", "0") or "0")
    return len(units)


def catch_up(store: StationDB) -> int:
    """Bring the table up to the log in its own transaction (at start, or before reading it)."""
    with store.write():
        return update(store)


def find_unit(store: StationDB, lpn: str) -> UnitRecord | None:
    found = _select(store, "lpn = ?", (lpn,))
    return found[0] if found else None


def find_stocked(
    store: StationDB, gtin: str, serial: str | None = None, exclude: Sequence[str] = ()
) -> UnitRecord | None:
    """The stocked unit with this GTIN (and serial, when given) restocked first, leaving out ``exclude``."""
    where = "status = 'stocked' AND gtin = ?"
    params: list[Any] = [gtin]
    if serial is not None:
        where += " AND serial = ?"
        params.append(serial)
    if exclude:
        where += f" AND lpn NOT IN ({','.join('?' * len(exclude))})"
        params.extend(exclude)
    found = _select(store, where + " ORDER BY stocked_seq LIMIT 1", params)
    return found[0] if found else None


def all_units(store: StationDB) -> dict[str, UnitRecord]:
    return {u.lpn: u for u in _select(store, "1 ORDER BY lpn", ())}


def in_stock(store: StationDB) -> list[UnitRecord]:
    """The hub's stock, by bin then LPN."""
    return _select(store, "status = 'stocked' ORDER BY bin, lpn", ())


def find_serial(store: StationDB, gtin: str, serial: str) -> UnitRecord | None:
    """The unit this station knows with this GTIN and serial (the newest, when a voided one came back)."""
    found = _select(store, "serial = ? AND gtin = ? ORDER BY status = 'voided' LIMIT 1", (serial, gtin))
    return found[0] if found else None


def reusable_lpn(
    store: StationDB, rma: str, gtin: str, serial: str | None, exclude: Sequence[str] = ()
) -> str | None:
    """An LPN voided with a cancelled attempt at return ``rma`` for this GTIN and serial, oldest first: the
    same unit graded again keeps its LPN. ``exclude``: LPNs already given in the open attempt."""
    rows = store.conn.execute(
        "SELECT u.lpn FROM events e JOIN units u ON u.lpn = json_extract(e.data, '$.lpn') "
        "WHERE e.subject = ? AND e.type = 'return.dispositioned' AND u.status = 'voided' AND u.gtin = ? "
        "AND u.serial IS ? ORDER BY e.seq",
        (rma, gtin, serial),
    )
    return next((str(r[0]) for r in rows if r[0] not in exclude), None)
