"""Each bench input decided into the events it makes, or refused with a sentence (FlowError)."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from station.core.disposition import Disposition, Grade
from station.core.errors import FlowError
from station.core.events import NewEvent
from station.core.operators import OverrideKind, OverrideNeeded
from station.core.repair.model import (
    DATA_BEARING_CATEGORIES,
    DIAGNOSIS,
    MAX_LABOUR_MINUTES,
    MAX_NOTE,
    AddNote,
    Close,
    Diagnose,
    Labour,
    Open,
    Outcome,
    RecordWipe,
    RepairInput,
    RepairState,
    UsePart,
    WipeMethod,
    WorkOrder,
)
from station.core.stock import UnitStatus


def _choice(enum: type[StrEnum], value: str, what: str) -> Any:
    try:
        return enum(value.lower() if len(value) > 1 else value.upper())
    except ValueError:
        raise FlowError(
            "{what} {value!r} does not exist: choose {choices}.",
            what=what,
            value=value,
            choices=", ".join(m.value for m in enum),
        ) from None


def _opened(
    number: str, lpn: str, gtin: str, serial: str | None, source: str, data_bearing: bool
) -> NewEvent:
    data = {
        "workorder": number,
        "lpn": lpn,
        "gtin": gtin,
        "serial": serial,
        "source": source,
        "data_bearing": data_bearing,
    }
    return NewEvent("workorder.opened", number, data)


def decide_open(state: RepairState, inp: Open) -> list[NewEvent]:
    if state.current is not None:
        raise FlowError("Work order {number} is open: close or park it first.", number=state.current.number)
    if inp.sent is not None:
        s = inp.sent
        if s.status != "sent":
            raise FlowError(
                "Work order {number} is already {status}: scan the unit's LPN to open a new one.",
                number=s.number,
                status=s.status,
            )
        return [_opened(s.number, s.lpn, s.gtin, s.serial, "oms", s.data_bearing)]
    unit = inp.unit
    if unit is None:
        raise FlowError(
            "That LPN is not a unit this station knows: scan the work order the OMS sent, "
            "or ask a supervisor."
        )
    if unit.status in (UnitStatus.PACKED, UnitStatus.IN_REPAIR, UnitStatus.VOIDED):
        raise FlowError(
            "{lpn} is {status}: it cannot get a new work order here.", lpn=unit.lpn, status=unit.status.value
        )
    if unit.disposition != Disposition.REPAIR and inp.override is None:
        reason = f"repair a unit dispositioned {unit.disposition}"
        raise OverrideNeeded(
            OverrideKind.REPAIR,
            unit.lpn,
            reason,
            "{lpn} is dispositioned {disposition}, not repair: have a supervisor scan their badge to repair "
            "it anyway, or scan another unit.",
            lpn=unit.lpn,
            disposition=unit.disposition,
        )
    data_bearing = unit.category in DATA_BEARING_CATEGORIES
    return [_opened(inp.number, unit.lpn, unit.gtin, unit.serial, "disposition", data_bearing)]


def _event(wo: WorkOrder, kind: str, **data: Any) -> NewEvent:
    return NewEvent(f"workorder.{kind}", wo.number, {"workorder": wo.number, "lpn": wo.lpn, **data})


def _decide_close(wo: WorkOrder, inp: Close) -> list[NewEvent]:
    outcome: Outcome = _choice(Outcome, inp.outcome, "Outcome")
    grade: Grade = _choice(Grade, inp.grade, "Grade")
    disposition: Disposition = _choice(Disposition, inp.disposition, "Disposition")
    if not wo.diagnoses:
        raise FlowError("Record at least one diagnosis code on {number} before closing it.", number=wo.number)
    if wo.data_bearing and not wo.wipes:
        raise FlowError("{lpn} holds data: record the data wipe (clear or purge) before closing.", lpn=wo.lpn)
    if grade is Grade.MISSING:
        raise FlowError("A unit on the bench is not missing: choose A, B, C, D or junk.")
    if outcome is Outcome.REPAIRED and grade not in (Grade.A, Grade.B, Grade.C):
        raise FlowError(
            "A repaired unit is graded A, B or C, not {grade}: grade it again or change the outcome.",
            grade=grade.value,
        )
    if outcome is not Outcome.REPAIRED and disposition in (Disposition.RESTOCK_LOCAL, Disposition.REPAIR):
        raise FlowError(
            "An {outcome} unit cannot be dispositioned {disposition}: choose liquidate, donate, recycle or "
            "return_to_dc.",
            outcome=outcome.value,
            disposition=disposition.value,
        )
    return [
        _event(
            wo,
            "closed",
            gtin=wo.gtin,
            serial=wo.serial,
            outcome=outcome.value,
            grade=grade.value,
            disposition=disposition.value,
            diagnoses=list(wo.diagnoses),
            parts=[{"code": p.code, "gtin": p.gtin, "serial": p.serial} for p in wo.parts],
            wipe=wo.wipes[-1].as_dict() if wo.wipes else None,
            wipes=[w.as_dict() for w in wo.wipes],
            labour_minutes=wo.labour_minutes,
            customer_notes=[n.text for n in wo.notes if n.customer_visible],
        )
    ]


def decide(wo: WorkOrder, inp: RepairInput) -> list[NewEvent]:
    match inp:
        case Diagnose():
            code = inp.code.upper()
            if not DIAGNOSIS.fullmatch(code):
                raise FlowError(
                    "Diagnosis code {code!r} is not a code: use 2-32 letters, digits, '_' or '-'.",
                    code=inp.code,
                )
            if code in wo.diagnoses:
                raise FlowError("{code} is already recorded on {number}.", code=code, number=wo.number)
            return [_event(wo, "diagnosed", code=code)]
        case UsePart():
            if inp.serial is not None and any(
                p.serial == inp.serial and p.code == inp.code for p in wo.parts
            ):
                raise FlowError(
                    "Part serial {serial} is already recorded on {number}: scan the next part.",
                    serial=inp.serial,
                    number=wo.number,
                )
            return [_event(wo, "part_used", code=inp.code, part_gtin=inp.gtin, part_serial=inp.serial)]
        case RecordWipe():
            method: WipeMethod = _choice(WipeMethod, inp.method, "Wipe method")
            tool = inp.tool.strip()
            if not tool:
                raise FlowError("A data wipe record needs the tool used, e.g. wipe:purge:blancco.")
            if inp.verified_by is None:
                reason = f"verify the {method.value} wipe with {tool[:100]}"
                raise OverrideNeeded(
                    OverrideKind.WIPE,
                    wo.lpn,
                    reason,
                    "Wipe of {lpn}: a second person (repair or supervisor) scans their own badge and enters "
                    "their PIN to verify it.",
                    lpn=wo.lpn,
                )
            return [
                _event(
                    wo,
                    "wiped",
                    method=method.value,
                    tool=tool[:100],
                    verified_by=inp.verified_by,
                    pin_verified=True,
                )
            ]
        case Labour():
            if not 0 < inp.minutes <= MAX_LABOUR_MINUTES:
                raise FlowError(
                    "Labour is 1 to {max} minutes per entry, found {minutes}.",
                    max=MAX_LABOUR_MINUTES,
                    minutes=inp.minutes,
                )
            return [_event(wo, "labour_logged", minutes=inp.minutes)]
        case AddNote():
            text = inp.text.strip()
            if not text or len(text) > MAX_NOTE:
                raise FlowError(
                    "A note is 1 to {max} characters, found {n}: write it again.",
                    max=MAX_NOTE,
                    n=len(text),
                )
            return [_event(wo, "noted", text=text, customer_visible=inp.customer_visible)]
        case Close():
            return _decide_close(wo, inp)
    raise FlowError(
        "Work order {number} is open: close or park it before {step}.",
        number=wo.number,
        step=type(inp).__name__.lower(),
    )
