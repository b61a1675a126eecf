"""Restock put-away as a pure state machine: scan an LPN, then a bin label.

A unit taken in with a ``restock_local`` disposition becomes sellable stock in that bin
(``inventory.restocked``); a unit already in stock moves to the new bin (``inventory.moved``). Any other
unit needs a supervisor's override first (:class:`~station.core.operators.OverrideNeeded`).
"""

from __future__ import annotations

from dataclasses import dataclass

from station.core.disposition import Disposition
from station.core.errors import FlowError
from station.core.events import NewEvent
from station.core.operators import OverrideKind, OverrideNeeded
from station.core.stock import UnitRecord, UnitStatus


@dataclass(frozen=True)
class RestockState:
    unit: UnitRecord | None = None  # the unit waiting for its bin
    override: str | None = None  # the supervisor who allowed it, if one had to

    @property
    def prompt(self) -> str:
        if self.unit is None:
            return "Restock: scan a unit's LPN label."
        if self.unit.status is UnitStatus.STOCKED:
            return f"Move {self.unit.lpn} (now in {self.unit.bin}): scan the new bin label."
        return f"Put {self.unit.lpn} away: scan the bin label."


@dataclass(frozen=True)
class LpnScan:
    """A scanned LPN with the unit the station knows under it (None: unknown here)."""

    lpn: str
    unit: UnitRecord | None
    override: str | None = None  # the supervisor's badge when a supervisor allowed it


@dataclass(frozen=True)
class BinScan:
    bin: str


@dataclass(frozen=True)
class Cancel:
    pass


RestockInput = LpnScan | BinScan | Cancel
Step = tuple[RestockState, list[NewEvent]]


def _on_lpn(state: RestockState, scan: LpnScan) -> Step:
    if state.unit is not None:
        raise FlowError("{lpn} is waiting for its bin: scan a bin label, or cancel.", lpn=state.unit.lpn)
    unit = scan.unit
    if unit is None:
        raise FlowError(
            "{lpn} is not a unit this station knows: put it aside for a supervisor, or scan another LPN.",
            lpn=scan.lpn,
        )
    if unit.status is UnitStatus.PACKED:
        raise FlowError(
            "{lpn} was packed into order {order}: it cannot be restocked; call a supervisor.",
            lpn=unit.lpn,
            order=unit.order,
        )
    if unit.status is UnitStatus.VOIDED:
        raise FlowError(
            "{lpn} was voided with its cancelled return: remove its label and call a supervisor.",
            lpn=unit.lpn,
        )
    if unit.status is UnitStatus.IN_REPAIR:
        raise FlowError("{lpn} has an open work order: close it at the repair bench first.", lpn=unit.lpn)
    if (
        unit.status is UnitStatus.RECEIVED
        and unit.disposition != Disposition.RESTOCK_LOCAL
        and scan.override is None
    ):
        reason = f"restock a unit dispositioned {unit.disposition}"
        raise OverrideNeeded(
            OverrideKind.RESTOCK,
            unit.lpn,
            reason,
            "{lpn} is dispositioned {disposition}, not restock_local: put it with the {disposition} units, "
            "or have a supervisor scan their badge to restock it anyway.",
            lpn=unit.lpn,
            disposition=unit.disposition,
        )
    return RestockState(unit, scan.override), []


def _on_bin(state: RestockState, scan: BinScan, hub: str) -> Step:
    unit = state.unit
    if unit is None:
        raise FlowError("Scan the unit's LPN label first, then the bin label.")
    if unit.status is UnitStatus.STOCKED:
        if unit.bin == scan.bin:
            raise FlowError(
                "{lpn} is already in {bin}: scan a different bin, or cancel.", lpn=unit.lpn, bin=scan.bin
            )
        data = {"lpn": unit.lpn, "gtin": unit.gtin, "serial": unit.serial, "from_bin": unit.bin}
        return RestockState(), [
            NewEvent("inventory.moved", unit.lpn, {**data, "to_bin": scan.bin, "hub": hub})
        ]
    data = {
        "lpn": unit.lpn,
        "gtin": unit.gtin,
        "serial": unit.serial,
        "bin": scan.bin,
        "hub": hub,
        "disposition": unit.disposition,
        "override": state.override,
    }
    return RestockState(), [NewEvent("inventory.restocked", unit.lpn, data)]


def step(state: RestockState, inp: RestockInput, hub: str) -> Step:
    """Apply one input; the returned events are to be committed together."""
    match inp:
        case LpnScan():
            return _on_lpn(state, inp)
        case BinScan():
            return _on_bin(state, inp, hub)
        case Cancel():
            if state.unit is None:
                raise FlowError("There is nothing to cancel: scan a unit's LPN label.")
            return RestockState(), []
    raise FlowError("Restock cannot take {__name__} here.", __name__=type(inp).__name__)  # pragma: no cover
