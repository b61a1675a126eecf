"""Receiving a return: its code (or a supervisor's blind receipt), then each item matched to what was
authorized (GTIN, and serial where the OMS authorized a specific unit)."""

from __future__ import annotations

from dataclasses import replace

from station.core.errors import FlowError
from station.core.events import NewEvent
from station.core.intake.model import (
    BlindApproval,
    IntakeState,
    ItemScan,
    Match,
    Phase,
    ReturnCode,
    Step,
    Unit,
)
from station.core.manifest import ExpectedItem, ExpectedReturn
from station.core.stock import UnitStatus, whereabouts


def _item_dict(item: ExpectedItem) -> dict[str, object]:
    return {
        "line": item.line,
        "gtin": item.gtin,
        "serial": item.serial,
        "quantity": item.quantity,
        "title": item.title,
        "category": item.category,
        "value": item.value,
    }


def _received_event(state: IntakeState, code: ReturnCode, approved_by: str | None) -> NewEvent:
    assert state.ret is not None
    data: dict[str, object] = {
        "rma": state.ret.rma,
        "return_code": code.code,
        "code_kind": code.kind,
        "order_number": state.ret.order_number,
        "expected": [_item_dict(i) for i in state.ret.items],
        "blind": state.blind,
    }
    if approved_by is not None:
        data["approved_by"] = approved_by
    if state.carried_flags:
        data["carried_flags"] = list(state.carried_flags)
    return NewEvent("return.received", state.ret.rma, data)


def on_return_code(state: IntakeState, code: ReturnCode) -> Step:
    if state.phase in (Phase.VERIFYING, Phase.GRADING):
        assert state.ret is not None
        raise FlowError(
            "Return {rma} is still open: finish or cancel it before scanning another return.",
            rma=state.ret.rma,
        )
    manifest = code.manifest
    if manifest is None:
        return IntakeState(Phase.AWAITING_OVERRIDE, pending_code=code.code, return_code=code.code), []
    if manifest.status == "received":
        raise FlowError(
            "Return {rma} was already received at this hub: put the parcel aside for a supervisor.",
            rma=manifest.rma,
        )
    if manifest.status == "cancelled":
        raise FlowError(
            "Return {rma} was cancelled by the OMS: do not accept it; call a supervisor.", rma=manifest.rma
        )
    new = IntakeState(Phase.VERIFYING, ret=manifest, return_code=code.code, carried_flags=code.carried_flags)
    return new, [_received_event(new, code, None)]


def on_blind_approval(state: IntakeState, approval: BlindApproval, operator_hint: str = "") -> Step:
    if state.phase is not Phase.AWAITING_OVERRIDE or state.pending_code is None:
        raise FlowError("There is no unknown return waiting for a supervisor; scan a return code first.")
    ret = ExpectedReturn(rma=state.pending_code, items=())
    new = IntakeState(Phase.VERIFYING, ret=ret, return_code=state.pending_code, blind=True)
    code = ReturnCode(state.pending_code, "unknown", None)
    return new, [_received_event(new, code, approval.supervisor)]


def _match(state: IntakeState, scan: ItemScan) -> tuple[Match, ExpectedItem | None]:
    assert state.ret is not None
    if state.blind:
        return Match.BLIND, None
    lines = [i for i in state.ret.items if i.gtin == scan.gtin]
    open_lines = [i for i in lines if state.received(i.line) < i.quantity]
    if not lines:
        return Match.WRONG_ITEM, None
    if not open_lines:
        return Match.EXTRA_ITEM, lines[0]
    for line in open_lines:
        if line.serial is not None and line.serial == scan.serial:
            return Match.MATCHED, line
    for line in open_lines:
        if line.serial is None:
            return Match.MATCHED, line
    if scan.serial is None:
        raise FlowError(
            "This item was authorized by serial number: scan the barcode that carries its serial (S/N)."
        )
    return Match.SERIAL_MISMATCH, open_lines[0]


def on_item(state: IntakeState, scan: ItemScan) -> Step:
    if state.phase is Phase.GRADING:
        unit = state.units[-1]
        raise FlowError("Grade {item} first, then scan the next item.", item=unit.title or unit.gtin)
    if state.phase is not Phase.VERIFYING:
        raise FlowError("Scan the return code (RMA or return QR) before the items.")
    assert state.ret is not None
    if scan.serial is not None:
        for unit in state.units:
            if unit.serial == scan.serial and unit.gtin == scan.gtin:
                raise FlowError(
                    "Serial {serial} was already scanned in this return (unit {index}).",
                    serial=scan.serial,
                    index=unit.index,
                )
    known = scan.known
    if known is not None and known.status is not UnitStatus.VOIDED:
        raise FlowError(
            "Serial {serial} is already a unit of this hub, {lpn}, {where}: it cannot be taken in again; put "
            "it aside for a supervisor.",
            serial=scan.serial,
            lpn=known.lpn,
            where=whereabouts(known),
        )
    try:
        match, line = _match(state, scan)
    except FlowError:
        if scan.gs_missing:
            raise _gs_missing() from None
        raise
    if scan.gs_missing and match not in (Match.MATCHED, Match.BLIND):
        # the fields may have been split wrongly: do not record a mismatch on data that may be misread
        raise _gs_missing()
    unit = Unit(
        index=len(state.units) + 1,
        gtin=scan.gtin,
        serial=scan.serial,
        match=match,
        stocked=scan.stocked,
        line=line.line if line is not None and match is Match.MATCHED else None,
        title=line.title if line else "",
        category=line.category if line else "",
        value=line.value if line else 0.0,
        source=scan.source,
    )
    rma = state.ret.rma
    if match in (Match.MATCHED, Match.BLIND):
        event = NewEvent(
            "return.item_verified",
            rma,
            {
                "rma": rma,
                "unit": unit.index,
                "line": unit.line,
                "gtin": scan.gtin,
                "serial": scan.serial,
                "blind": match is Match.BLIND,
                "source": scan.source,
            },
        )
    else:
        data: dict[str, object] = {
            "rma": rma,
            "unit": unit.index,
            "reason": match.value,
            "gtin": scan.gtin,
            "serial": scan.serial,
            "source": scan.source,
        }
        if line is not None:
            data["line"] = line.line
            if match is Match.SERIAL_MISMATCH:
                data["expected_serial"] = line.serial
        event = NewEvent("return.item_mismatch", rma, data)
    return replace(state, phase=Phase.GRADING, units=(*state.units, unit)), [event]


def _gs_missing() -> FlowError:
    """An item scan whose GS1 fields may have run together (the template is written out here, at the call,
    so the screen's catalog finds it)."""
    return FlowError(
        "This barcode's fields may have run together (the scanner dropped the GS separator): scan another "
        "barcode on the item, and have the scanner checked with 'station scanner check'."
    )
