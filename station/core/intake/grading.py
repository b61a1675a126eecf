"""Grading a received unit: its grade, the disposition the rules give and its LPN; the refund-cap override."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from station.core.disposition import DispositionRule, Grade, decide
from station.core.errors import FlowError
from station.core.events import NewEvent
from station.core.intake.model import GradeUnit, IntakeState, Phase, RefundCapOverride, Step
from station.core.operators import OverrideKind, OverrideNeeded


def on_grade(state: IntakeState, grade: GradeUnit, rules: Sequence[DispositionRule]) -> Step:
    if state.phase is not Phase.GRADING:
        raise FlowError("Scan an item before grading it.")
    assert state.ret is not None
    if grade.grade is Grade.MISSING:
        raise FlowError(
            "A scanned item cannot be graded missing: grade it, or cancel; unscanned items count "
            "as missing when you finish."
        )
    unit = state.units[-1]
    rule = decide(rules, grade.grade, unit.category, unit.value, unit.stocked)
    done = replace(
        unit,
        grade=grade.grade,
        reasons=grade.reasons,
        disposition=rule.disposition,
        rule=rule.name,
        lpn=grade.lpn,
    )
    rma = state.ret.rma
    events = [
        NewEvent(
            "return.graded",
            rma,
            {
                "rma": rma,
                "unit": unit.index,
                "gtin": unit.gtin,
                "serial": unit.serial,
                "grade": grade.grade.value,
                "reasons": list(grade.reasons),
            },
        ),
        NewEvent(
            "return.dispositioned",
            rma,
            {
                "rma": rma,
                "unit": unit.index,
                "lpn": grade.lpn,
                "gtin": unit.gtin,
                "serial": unit.serial,
                "disposition": rule.disposition.value,
                "rule": rule.name,
                "category": unit.category,
                "value": unit.value,
            },
        ),
    ]
    return replace(state, phase=Phase.VERIFYING, units=(*state.units[:-1], done)), events


def on_cap_override(state: IntakeState, inp: RefundCapOverride) -> Step:
    if state.phase is not Phase.VERIFYING or state.ret is None or state.blind:
        raise FlowError("A refund cap can be lifted only on an open return from the manifest, between items.")
    if state.ret.refund_cap is None:
        raise FlowError("Return {rma} has no refund cap: there is nothing to lift.", rma=state.ret.rma)
    if inp.override is None:
        reason = f"refund above the cap of {state.ret.refund_cap:.2f} {state.ret.currency}"
        raise OverrideNeeded(
            OverrideKind.REFUND_CAP,
            state.ret.rma,
            reason,
            "Return {rma}: a supervisor scans their badge to pay the refund above its cap.",
            rma=state.ret.rma,
        )
    return replace(state, cap_override=inp.override), []


def on_regrade(state: IntakeState) -> Step:
    """The unit graded last goes back to grading; its label is voided and its LPN kept for the new one."""
    unit = state.units[-1] if state.units else None
    if state.phase is not Phase.VERIFYING or unit is None or unit.lpn is None:
        raise FlowError("Only the unit graded last can be graded again, before the next item is scanned.")
    assert state.ret is not None
    rma = state.ret.rma
    events = [
        NewEvent("return.regraded", rma, {"rma": rma, "unit": unit.index, "lpn": unit.lpn}),
        NewEvent(
            "label.voided",
            unit.lpn,
            {"lpn": unit.lpn, "rma": rma, "gtin": unit.gtin, "serial": unit.serial, "reason": "regraded"},
        ),
    ]
    again = replace(unit, grade=None, reasons=(), disposition=None, rule=None)
    return replace(state, phase=Phase.GRADING, units=(*state.units[:-1], again)), events
