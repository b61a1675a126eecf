"""The units this station knows (by LPN) and the hub's stock among them, as a pure fold over events.

A unit enters with its disposition at intake (``return.dispositioned``), becomes sellable stock in a bin
(``inventory.restocked``), may move between bins (``inventory.moved``), and leaves stock when it is packed
(``order.packed``) or taken to the repair bench (``workorder.opened``); closing its work order gives it a
new grade and disposition (``workorder.closed``). A unit of a cancelled return is voided with its label
(``label.voided``) until a reopened return dispositions it again under the same LPN. Stock is the units
whose status is ``stocked``. A unit carries its grade: the intake grade (``return.graded``, committed just
before its ``return.dispositioned``), or the new grade of its closed work order.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import Any, NamedTuple

from station.core.events import Event


class UnitStatus(StrEnum):
    RECEIVED = "received"  # taken in, waiting for its disposition to be carried out
    STOCKED = "stocked"  # sellable stock in a bin at this hub
    IN_REPAIR = "in_repair"
    PACKED = "packed"  # left the hub in an order
    VOIDED = "voided"  # its return was cancelled and its label voided: not a unit of this hub


class UnitRecord(NamedTuple):
    """One unit by its LPN (a named tuple: folds over a million events make many of them)."""

    lpn: str
    gtin: str
    serial: str | None
    status: UnitStatus
    disposition: str | None = None
    grade: str | None = None
    category: str = ""
    bin: str | None = None
    hub: str | None = None
    stocked_seq: int = 0  # seq of the restock event: the oldest stock is packed first
    order: str | None = None  # the order it was packed into


Units = Mapping[str, UnitRecord]

#: Intake grades waiting for their unit's ``return.dispositioned``, by (RMA, unit index).
Grades = dict[tuple[str, Any], str]

#: The event types that change units; other events leave them as they are.
UNIT_EVENTS = (
    "return.graded",
    "return.dispositioned",
    "inventory.restocked",
    "inventory.moved",
    "order.packed",
    "workorder.opened",
    "workorder.closed",
    "label.voided",
)

_UNIT_EVENT_SET = frozenset(UNIT_EVENTS)


def lpns_of(event_type: str, data: Mapping[str, Any]) -> list[str]:
    """The LPNs an event changes (so a store can read just those before applying it)."""
    if event_type == "order.packed":
        return [u["lpn"] for u in data.get("units", ()) if u.get("lpn")]
    if event_type in UNIT_EVENTS and data.get("lpn"):
        return [data["lpn"]]
    return []


def apply_in_place(
    units: dict[str, UnitRecord],
    seq: int,
    event_type: str,
    data: Mapping[str, Any],
    grades: Grades | None = None,
) -> None:
    """Apply one event to ``units`` (changed in place: for folds over many events). ``grades`` carries a
    ``return.graded`` to the ``return.dispositioned`` after it (pass the same dict for every event)."""
    if event_type == "return.graded":
        if grades is not None:
            grades[(str(data["rma"]), data["unit"])] = data["grade"]
        return
    if event_type == "order.packed":
        for u in data.get("units", ()):
            unit = units.get(u.get("lpn") or "")
            if unit is not None:
                units[unit.lpn] = unit._replace(status=UnitStatus.PACKED, bin=None, order=data.get("order"))
        return
    lpn = data.get("lpn")
    if not lpn or event_type not in _UNIT_EVENT_SET:
        return
    unit = units.get(lpn)
    if event_type == "return.dispositioned":
        units[lpn] = UnitRecord(
            lpn,
            data["gtin"],
            data.get("serial"),
            UnitStatus.RECEIVED,
            disposition=data.get("disposition"),
            grade=(grades or {}).pop((str(data.get("rma")), data.get("unit")), None),
            category=data.get("category") or "",
        )
    elif event_type == "inventory.restocked":
        base = unit or UnitRecord(lpn, data["gtin"], data.get("serial"), UnitStatus.RECEIVED)
        units[lpn] = base._replace(
            status=UnitStatus.STOCKED, bin=data["bin"], hub=data.get("hub"), stocked_seq=seq, order=None
        )
    elif unit is None:
        if event_type == "workorder.opened" and data.get("gtin"):
            units[lpn] = UnitRecord(lpn, data["gtin"], data.get("serial"), UnitStatus.IN_REPAIR)
    elif event_type == "inventory.moved":
        units[lpn] = unit._replace(bin=data["to_bin"])
    elif event_type == "workorder.opened":
        units[lpn] = unit._replace(status=UnitStatus.IN_REPAIR, bin=None)
    elif event_type == "workorder.closed":
        units[lpn] = unit._replace(
            status=UnitStatus.RECEIVED, disposition=data["disposition"], grade=data["grade"]
        )
    elif event_type == "label.voided":
        units[lpn] = unit._replace(status=UnitStatus.VOIDED, bin=None)


def whereabouts(unit: UnitRecord) -> str:
    """Where a unit is, in words: "in stock in BIN-A-01", "packed into order ORD-1"..."""
    match unit.status:
        case UnitStatus.STOCKED:
            return f"in stock in {unit.bin}"
        case UnitStatus.IN_REPAIR:
            return "at the repair bench"
        case UnitStatus.PACKED:
            return f"packed into order {unit.order}"
        case UnitStatus.VOIDED:
            return "voided with its cancelled return"
    return f"taken in, waiting to go to {unit.disposition or 'its disposition'}"


def apply(units: Units, event: Event, grades: Grades | None = None) -> Units:
    """The units after ``event`` (a new mapping; ``units`` is left as it was)."""
    out = dict(units)
    apply_in_place(out, event.seq, event.type, event.data, grades)
    return out


def fold(events: Iterable[Event], units: Units | None = None) -> dict[str, UnitRecord]:
    """The units after all of ``events``, in order."""
    out = dict(units or {})
    grades: Grades = {}
    for event in events:
        apply_in_place(out, event.seq, event.type, event.data, grades)
    return out


def in_stock(units: Units) -> list[UnitRecord]:
    """The hub's stock: stocked units, by bin then LPN."""
    return sorted(
        (u for u in units.values() if u.status is UnitStatus.STOCKED), key=lambda u: (u.bin or "", u.lpn)
    )
