"""Packing an order as a pure state machine: scan the order, then each unit, then finish.

Orders are routed to this hub by the OMS: lines with a GTIN and a quantity, or one exact unit by serial,
and the carrier's label as ZPL. Each unit scanned (by LPN, GTIN or serial, resolved to a unit in this hub's
stock by the caller) must fit an open line: a wrong item, one too many or the wrong serial is refused, and
finishing short is refused. ``order.packed`` names exactly the units that went in; they leave the stock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from station.core.errors import FlowError
from station.core.events import NewEvent
from station.core.stock import UnitRecord, UnitStatus


@dataclass(frozen=True)
class OrderLine:
    line: int
    gtin: str  # GTIN-14
    quantity: int = 1
    serial: str | None = None  # set when the order wants this exact unit
    title: str = ""


@dataclass(frozen=True)
class Order:
    number: str
    lines: tuple[OrderLine, ...]
    carrier: str = ""
    carrier_label: str = ""  # ZPL as the carrier sent it
    status: str = "open"  # open, packed, cancelled
    version: int = 1


class ScannedBy(StrEnum):
    LPN = "lpn"
    GTIN = "gtin"
    SERIAL = "serial"


@dataclass(frozen=True)
class Packed:
    line: int
    lpn: str
    gtin: str
    serial: str | None


@dataclass(frozen=True)
class PackingState:
    order: Order | None = None
    packed: tuple[Packed, ...] = ()

    def count(self, line: int) -> int:
        return sum(1 for p in self.packed if p.line == line)

    def missing(self) -> list[tuple[OrderLine, int]]:
        """Lines not yet complete, with how many units each still needs."""
        assert self.order is not None
        return [
            (li, li.quantity - self.count(li.line))
            for li in self.order.lines
            if self.count(li.line) < li.quantity
        ]

    @property
    def prompt(self) -> str:
        if self.order is None:
            return "Packing: scan an order."
        left = sum(n for _, n in self.missing())
        if left == 0:
            return f"Order {self.order.number}: all units are in; finish to print the carrier label."
        return f"Order {self.order.number}: scan the next unit ({left} to go), or cancel."


@dataclass(frozen=True)
class OrderScan:
    """A scanned order number with the order the station holds for it (None: not routed here)."""

    number: str
    order: Order | None


@dataclass(frozen=True)
class UnitScan:
    """A scanned unit: what was scanned and the stocked unit it resolved to (None: none in stock)."""

    text: str
    by: ScannedBy
    unit: UnitRecord | None


@dataclass(frozen=True)
class Finish:
    pass


@dataclass(frozen=True)
class Cancel:
    pass


PackingInput = OrderScan | UnitScan | Finish | Cancel
Step = tuple[PackingState, list[NewEvent]]


def _on_order(state: PackingState, scan: OrderScan) -> Step:
    if state.order is not None:
        raise FlowError(
            "Order {number} is open: finish or cancel it before scanning another order.",
            number=state.order.number,
        )
    order = scan.order
    if order is None:
        raise FlowError(
            "Order {number} is not routed to this hub: check the paperwork, or load the orders.",
            number=scan.number,
        )
    if order.status != "open":
        raise FlowError(
            "Order {number} is already {status}: do not pack it again; call a supervisor.",
            number=order.number,
            status=order.status,
        )
    return PackingState(order), [NewEvent("order.pack_started", order.number, {"order": order.number})]


def _line_for(state: PackingState, scan: UnitScan, unit: UnitRecord) -> OrderLine:
    assert state.order is not None
    lines = [li for li in state.order.lines if li.gtin == unit.gtin]
    if not lines:
        raise FlowError(
            "Wrong item: {gtin} is not on order {number}; put it back.",
            gtin=unit.gtin,
            number=state.order.number,
        )
    open_lines = [li for li in lines if state.count(li.line) < li.quantity]
    if not open_lines:
        raise FlowError(
            "Over-pack: order {number} needs no more of {gtin}; take the unit out.",
            number=state.order.number,
            gtin=unit.gtin,
        )
    for li in open_lines:
        if li.serial is None or li.serial == unit.serial:
            return li
    wanted = ", ".join(str(li.serial) for li in open_lines)
    if scan.by is ScannedBy.GTIN:
        raise FlowError(
            "This line wants serial {wanted}: scan the unit's LPN or the barcode with its serial.",
            wanted=wanted,
        )
    raise FlowError(
        "Wrong unit: the order wants serial {wanted}, this is {serial}; put it back.",
        wanted=wanted,
        serial=unit.serial,
    )


def _on_unit(state: PackingState, scan: UnitScan) -> Step:
    if state.order is None:
        raise FlowError("Scan the order first, then its units.")
    unit = scan.unit
    if unit is None:
        raise FlowError(
            "{text} is not a unit in this hub's stock: scan its LPN label, or put it aside for a supervisor.",
            text=scan.text,
        )
    if unit.status is not UnitStatus.STOCKED:
        raise FlowError(
            "{lpn} is not in stock ({value}): put it aside for a supervisor.",
            lpn=unit.lpn,
            value=unit.status.value,
        )
    if any(p.lpn == unit.lpn for p in state.packed):
        raise FlowError("{lpn} is already in this order: scan the next unit.", lpn=unit.lpn)
    line = _line_for(state, scan, unit)
    packed = Packed(line.line, unit.lpn, unit.gtin, unit.serial)
    event = NewEvent(
        "order.unit_scanned",
        state.order.number,
        {
            "order": state.order.number,
            "line": line.line,
            "lpn": unit.lpn,
            "gtin": unit.gtin,
            "serial": unit.serial,
        },
    )
    return replace(state, packed=(*state.packed, packed)), [event]


def _on_finish(state: PackingState, hub: str) -> Step:
    order = state.order
    if order is None:
        raise FlowError("There is no order to finish: scan an order.")
    missing = state.missing()
    if missing:
        what = "; ".join(f"line {li.line} needs {n} more of {li.serial or li.gtin}" for li, n in missing)
        raise FlowError("Short pack: {what}. Scan them, or cancel the order.", what=what)
    data = {
        "order": order.number,
        "hub": hub,
        "carrier": order.carrier,
        "units": [{"line": p.line, "lpn": p.lpn, "gtin": p.gtin, "serial": p.serial} for p in state.packed],
    }
    return PackingState(), [NewEvent("order.packed", order.number, data)]


def restore(order: Order, events: Iterable[tuple[str, Mapping[str, Any]]]) -> PackingState:
    """The order being packed, rebuilt from its events ``(type, data)`` since ``order.pack_started``."""
    packed = tuple(
        Packed(d["line"], d["lpn"], d["gtin"], d.get("serial"))
        for event_type, d in events
        if event_type == "order.unit_scanned"
    )
    return PackingState(order, packed)


def step(state: PackingState, inp: PackingInput, hub: str) -> Step:
    """Apply one input; the returned events are to be committed together."""
    match inp:
        case OrderScan():
            return _on_order(state, inp)
        case UnitScan():
            return _on_unit(state, inp)
        case Finish():
            return _on_finish(state, hub)
        case Cancel():
            if state.order is None:
                raise FlowError("There is nothing to cancel: scan an order.")
            data = {"order": state.order.number, "units": len(state.packed)}
            return PackingState(), [NewEvent("order.pack_cancelled", state.order.number, data)]
    raise FlowError("Packing cannot take {__name__} here.", __name__=type(inp).__name__)  # pragma: no cover
