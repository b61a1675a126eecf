"""Repair work orders as a pure state machine: open on a unit, record the work, close with a new grade.

Each input is decided into events (:func:`step`), and a work order is only ever changed by folding its
events (:func:`evolve`), so replaying the log rebuilds exactly the work order the bench saw. A work order
opens on an LPN whose disposition is ``repair`` (or with a supervisor's override), or on one the OMS sent
down. Data-bearing units need a data-wipe record (NIST SP 800-88: clear or purge) before they close.

``model`` holds the work order and the bench's inputs, ``deciding`` turns an input into events or a
refusal, ``history`` folds events into the work order.
"""

from __future__ import annotations

from station.core.errors import FlowError
from station.core.repair.deciding import decide, decide_open
from station.core.repair.history import evolve, replay
from station.core.repair.model import (
    DATA_BEARING_CATEGORIES,
    DIAGNOSIS,
    MAX_LABOUR_MINUTES,
    MAX_NOTE,
    AddNote,
    Close,
    Diagnose,
    Labour,
    Note,
    Open,
    Outcome,
    Park,
    Part,
    RecordWipe,
    RepairInput,
    RepairState,
    Resume,
    SentDown,
    Step,
    UsePart,
    Wipe,
    WipeMethod,
    WorkOrder,
)


def step(state: RepairState, inp: RepairInput) -> Step:
    """Apply one input; the returned events are to be committed together."""
    if isinstance(inp, Open):
        new = decide_open(state, inp)
    elif isinstance(inp, Resume):
        if state.current is not None:
            raise FlowError(
                "Work order {number} is open: close or park it first.", number=state.current.number
            )
        if inp.work_order.status != "open":
            raise FlowError(
                "Work order {number} is closed: scan the unit's LPN to open a new one.",
                number=inp.work_order.number,
            )
        return RepairState(inp.work_order), []
    elif state.current is None:
        raise FlowError("Scan a unit's LPN or a work order first.")
    elif isinstance(inp, Park):
        return RepairState(), []
    else:
        new = decide(state.current, inp)
    wo = state.current
    for event in new:
        wo = evolve(wo, event.type, event.data)
    return RepairState(wo if wo is not None and wo.status == "open" else None), new


__all__ = [
    "DATA_BEARING_CATEGORIES",
    "DIAGNOSIS",
    "MAX_LABOUR_MINUTES",
    "MAX_NOTE",
    "AddNote",
    "Close",
    "Diagnose",
    "Labour",
    "Note",
    "Open",
    "Outcome",
    "Park",
    "Part",
    "RecordWipe",
    "RepairInput",
    "RepairState",
    "Resume",
    "SentDown",
    "Step",
    "UsePart",
    "Wipe",
    "WipeMethod",
    "WorkOrder",
    "evolve",
    "replay",
    "step",
]
