"""Repair work orders as a pure state machine: open on a unit, record the work, close with a new grade.

Each input is decided into events (:func:`step`), and a work order is only ever changed by folding its
events (:func:`evolve`), so replaying the log rebuilds exactly the work order the bench saw. A work order
opens on an LPN whose disposition is ``repair`` (or with a supervisor's override), or on one the OMS sent
down. Data-bearing units need a data-wipe record (NIST SP 800-88: clear or purge) before they close.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum
from typing import Any

from station.core.disposition import Disposition, Grade
from station.core.errors import FlowError
from station.core.events import NewEvent
from station.core.operators import OverrideKind, OverrideNeeded
from station.core.stock import UnitRecord, UnitStatus

DATA_BEARING_CATEGORIES = frozenset({"electronics", "computers", "phones", "storage"})
DIAGNOSIS = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,31}")
MAX_LABOUR_MINUTES = 600
MAX_NOTE = 500


class Outcome(StrEnum):
    REPAIRED = "repaired"
    UNREPAIRABLE = "unrepairable"
    HARVESTED = "harvested"  # taken apart for parts


class WipeMethod(StrEnum):
    """NIST SP 800-88 Rev. 1 sanitization methods a hub performs (destroy is the recycler's)."""

    CLEAR = "clear"
    PURGE = "purge"


@dataclass(frozen=True)
class Part:
    code: str  # what was scanned: the part code, or the GTIN
    gtin: str | None = None
    serial: str | None = None


@dataclass(frozen=True)
class Wipe:
    method: WipeMethod
    tool: str
    verified_by: str  # the badge of a second person present, whose PIN was checked

    def as_dict(self) -> dict[str, str]:
        return {"method": self.method.value, "tool": self.tool, "verified_by": self.verified_by}


@dataclass(frozen=True)
class Note:
    text: str
    customer_visible: bool


@dataclass(frozen=True)
class WorkOrder:
    number: str
    lpn: str
    gtin: str
    serial: str | None
    source: str  # "disposition" (opened here) or "oms" (sent down)
    data_bearing: bool
    status: str = "open"  # open, closed
    diagnoses: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    wipes: tuple[Wipe, ...] = ()  # every wipe recorded: a second one adds to the first
    labour_minutes: int = 0
    notes: tuple[Note, ...] = ()
    outcome: Outcome | None = None
    grade: Grade | None = None
    disposition: Disposition | None = None


@dataclass(frozen=True)
class RepairState:
    current: WorkOrder | None = None

    @property
    def prompt(self) -> str:
        wo = self.current
        if wo is None:
            return "Repair: scan a unit's LPN or a work order."
        todo = []
        if not wo.diagnoses:
            todo.append("a diagnosis")
        if wo.data_bearing and not wo.wipes:
            todo.append("the data wipe")
        need = f" (still needs {' and '.join(todo)})" if todo else ""
        return f"Work order {wo.number} on {wo.lpn}{need}: record the work, then close it."


@dataclass(frozen=True)
class SentDown:
    """A work order the OMS sent down for this hub."""

    number: str
    lpn: str
    gtin: str
    serial: str | None = None
    data_bearing: bool = False
    problem: str = ""
    status: str = "sent"  # sent, open, closed


@dataclass(frozen=True)
class Open:
    """Open a work order: ``number`` is the new number, on ``unit`` (scanned by LPN) or ``sent`` (by WO)."""

    number: str
    unit: UnitRecord | None = None
    sent: SentDown | None = None
    override: str | None = None


@dataclass(frozen=True)
class Resume:
    """Take up a work order that is still open (scanned again by its LPN or number)."""

    work_order: WorkOrder


@dataclass(frozen=True)
class Diagnose:
    code: str


@dataclass(frozen=True)
class UsePart:
    code: str
    gtin: str | None = None
    serial: str | None = None


@dataclass(frozen=True)
class RecordWipe:
    """A data wipe; ``verified_by`` is set by the desk once a second person's badge and PIN were checked."""

    method: str
    tool: str
    verified_by: str | None = None


@dataclass(frozen=True)
class Labour:
    minutes: int


@dataclass(frozen=True)
class AddNote:
    text: str
    customer_visible: bool


@dataclass(frozen=True)
class Close:
    outcome: str
    grade: str
    disposition: str


@dataclass(frozen=True)
class Park:
    """Leave the work order open and free the bench for another unit."""


RepairInput = Open | Resume | Diagnose | UsePart | RecordWipe | Labour | AddNote | Close | Park
Step = tuple[RepairState, list[NewEvent]]


def _choice(enum: type[StrEnum], value: str, what: str) -> Any:
    try:
        return enum(value.lower() if len(value) > 1 else value.upper())
    except ValueError:
        raise FlowError(
            f"{what} {value!r} does not exist: choose {', '.join(m.value for m in enum)}."
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


def _decide_open(state: RepairState, inp: Open) -> list[NewEvent]:
    if state.current is not None:
        raise FlowError(f"Work order {state.current.number} is open: close or park it first.")
    if inp.sent is not None:
        s = inp.sent
        if s.status != "sent":
            raise FlowError(
                f"Work order {s.number} is already {s.status}: scan the unit's LPN to open a new one."
            )
        return [_opened(s.number, s.lpn, s.gtin, s.serial, "oms", s.data_bearing)]
    unit = inp.unit
    if unit is None:
        raise FlowError(
            "That LPN is not a unit this station knows: scan the work order the OMS sent, "
            "or ask a supervisor."
        )
    if unit.status in (UnitStatus.PACKED, UnitStatus.IN_REPAIR, UnitStatus.VOIDED):
        raise FlowError(f"{unit.lpn} is {unit.status.value}: it cannot get a new work order here.")
    if unit.disposition != Disposition.REPAIR and inp.override is None:
        raise OverrideNeeded(
            OverrideKind.REPAIR,
            unit.lpn,
            f"repair a unit dispositioned {unit.disposition}",
            f"{unit.lpn} is dispositioned {unit.disposition}, not repair: have a supervisor scan their badge "
            "to repair it anyway, or scan another unit.",
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
        raise FlowError(f"Record at least one diagnosis code on {wo.number} before closing it.")
    if wo.data_bearing and not wo.wipes:
        raise FlowError(f"{wo.lpn} holds data: record the data wipe (clear or purge) before closing.")
    if grade is Grade.MISSING:
        raise FlowError("A unit on the bench is not missing: choose A, B, C, D or junk.")
    if outcome is Outcome.REPAIRED and grade not in (Grade.A, Grade.B, Grade.C):
        raise FlowError(
            f"A repaired unit is graded A, B or C, not {grade.value}: grade it again or change the outcome."
        )
    if outcome is not Outcome.REPAIRED and disposition in (Disposition.RESTOCK_LOCAL, Disposition.REPAIR):
        raise FlowError(
            f"An {outcome.value} unit cannot be dispositioned {disposition.value}: choose liquidate, donate, "
            "recycle or return_to_dc."
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


def _decide(wo: WorkOrder, inp: RepairInput) -> list[NewEvent]:
    match inp:
        case Diagnose():
            code = inp.code.upper()
            if not DIAGNOSIS.fullmatch(code):
                raise FlowError(
                    f"Diagnosis code {inp.code!r} is not a code: use 2-32 letters, digits, '_' or '-'."
                )
            if code in wo.diagnoses:
                raise FlowError(f"{code} is already recorded on {wo.number}.")
            return [_event(wo, "diagnosed", code=code)]
        case UsePart():
            if inp.serial is not None and any(
                p.serial == inp.serial and p.code == inp.code for p in wo.parts
            ):
                raise FlowError(
                    f"Part serial {inp.serial} is already recorded on {wo.number}: scan the next part."
                )
            return [_event(wo, "part_used", code=inp.code, part_gtin=inp.gtin, part_serial=inp.serial)]
        case RecordWipe():
            method: WipeMethod = _choice(WipeMethod, inp.method, "Wipe method")
            tool = inp.tool.strip()
            if not tool:
                raise FlowError("A data wipe record needs the tool used, e.g. wipe:purge:blancco.")
            if inp.verified_by is None:
                raise OverrideNeeded(
                    OverrideKind.WIPE,
                    wo.lpn,
                    f"verify the {method.value} wipe with {tool[:100]}",
                    f"Wipe of {wo.lpn}: a second person (repair or supervisor) scans their own badge and "
                    "enters their PIN to verify it.",
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
                    f"Labour is 1 to {MAX_LABOUR_MINUTES} minutes per entry, found {inp.minutes}."
                )
            return [_event(wo, "labour_logged", minutes=inp.minutes)]
        case AddNote():
            text = inp.text.strip()
            if not text or len(text) > MAX_NOTE:
                raise FlowError(f"A note is 1 to {MAX_NOTE} characters, found {len(text)}: write it again.")
            return [_event(wo, "noted", text=text, customer_visible=inp.customer_visible)]
        case Close():
            return _decide_close(wo, inp)
    raise FlowError(f"Work order {wo.number} is open: close or park it before {type(inp).__name__.lower()}.")


def evolve(wo: WorkOrder | None, event_type: str, data: Mapping[str, Any]) -> WorkOrder | None:
    """The work order after one of its events (``workorder.opened`` starts it)."""
    if event_type == "workorder.opened":
        return WorkOrder(
            data["workorder"], data["lpn"], data["gtin"], data["serial"], data["source"], data["data_bearing"]
        )
    if wo is None:
        return None
    match event_type:
        case "workorder.diagnosed":
            return replace(wo, diagnoses=(*wo.diagnoses, data["code"]))
        case "workorder.part_used":
            return replace(wo, parts=(*wo.parts, Part(data["code"], data["part_gtin"], data["part_serial"])))
        case "workorder.wiped":
            wipe = Wipe(WipeMethod(data["method"]), data["tool"], data["verified_by"])
            return replace(wo, wipes=(*wo.wipes, wipe))
        case "workorder.labour_logged":
            return replace(wo, labour_minutes=wo.labour_minutes + data["minutes"])
        case "workorder.noted":
            return replace(wo, notes=(*wo.notes, Note(data["text"], data["customer_visible"])))
        case "workorder.closed":
            return replace(
                wo,
                status="closed",
                outcome=Outcome(data["outcome"]),
                grade=Grade(data["grade"]),
                disposition=Disposition(data["disposition"]),
            )
    return wo


def replay(events: Iterable[tuple[str, Mapping[str, Any]]]) -> WorkOrder | None:
    """One work order rebuilt from its events ``(type, data)``, in order."""
    wo: WorkOrder | None = None
    for event_type, data in events:
        wo = evolve(wo, event_type, data)
    return wo


def step(state: RepairState, inp: RepairInput) -> Step:
    """Apply one input; the returned events are to be committed together."""
    if isinstance(inp, Open):
        new = _decide_open(state, inp)
    elif isinstance(inp, Resume):
        if state.current is not None:
            raise FlowError(f"Work order {state.current.number} is open: close or park it first.")
        if inp.work_order.status != "open":
            raise FlowError(
                f"Work order {inp.work_order.number} is closed: scan the unit's LPN to open a new one."
            )
        return RepairState(inp.work_order), []
    elif state.current is None:
        raise FlowError("Scan a unit's LPN or a work order first.")
    elif isinstance(inp, Park):
        return RepairState(), []
    else:
        new = _decide(state.current, inp)
    wo = state.current
    for event in new:
        wo = evolve(wo, event.type, event.data)
    return RepairState(wo if wo is not None and wo.status == "open" else None), new
