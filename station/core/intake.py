"""Return intake as a pure state machine: ``step(state, input) -> (state, events)``.

Return code -> expected items (from the manifest, offline) -> each item scanned and matched (GTIN, and
serial where the OMS authorized a specific unit) -> graded -> dispositioned by the configured rules, with
an LPN -> finished: missing items reported and the refund the OMS may pay at once. An unknown return is
taken only as a blind receipt approved by a supervisor and flagged for review. An input that does not fit
the current step raises :class:`FlowError` with one sentence saying what to do; the state is unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from station.core.disposition import DEFAULT_RULES, Disposition, DispositionRule, Grade, decide
from station.core.errors import FlowError, NeedsOverride
from station.core.events import NewEvent
from station.core.manifest import ExpectedItem, ExpectedReturn
from station.core.operators import OverrideKind, OverrideNeeded

_GS_MISSING = (
    "This barcode's fields may have run together (the scanner dropped the GS separator): scan another "
    "barcode on the item, and have the scanner checked with 'station scanner check'."
)
SELLABLE_GRADES = frozenset({Grade.A, Grade.B, Grade.C, Grade.D})


class Phase(StrEnum):
    IDLE = "idle"
    AWAITING_OVERRIDE = "awaiting_override"
    VERIFYING = "verifying"
    GRADING = "grading"


class Match(StrEnum):
    MATCHED = "matched"
    WRONG_ITEM = "wrong_item"
    EXTRA_ITEM = "extra_item"
    SERIAL_MISMATCH = "serial_mismatch"
    BLIND = "blind"


@dataclass(frozen=True)
class Unit:
    """One physical unit taken in at the counter."""

    index: int
    gtin: str
    serial: str | None
    match: Match
    stocked: bool
    line: int | None = None
    title: str = ""
    category: str = ""
    value: float = 0.0
    grade: Grade | None = None
    reasons: tuple[str, ...] = ()
    disposition: Disposition | None = None
    rule: str | None = None
    lpn: str | None = None


@dataclass(frozen=True)
class IntakeState:
    phase: Phase = Phase.IDLE
    ret: ExpectedReturn | None = None
    return_code: str | None = None
    blind: bool = False
    units: tuple[Unit, ...] = ()
    pending_code: str | None = None
    cap_override: str | None = None  # the supervisor who lifted the refund cap

    @property
    def current(self) -> Unit | None:
        """The unit being graded."""
        return self.units[-1] if self.phase is Phase.GRADING else None

    def received(self, line: int) -> int:
        return sum(1 for u in self.units if u.line == line and u.match is Match.MATCHED)

    @property
    def expected_count(self) -> int:
        return sum(i.quantity for i in self.ret.items) if self.ret else 0

    @property
    def prompt(self) -> str:
        """What the person at the counter should do next, in one sentence."""
        if self.phase is Phase.IDLE:
            return "Scan a return code (RMA or return QR)."
        if self.phase is Phase.AWAITING_OVERRIDE:
            return (
                f"Return {self.pending_code} is not in the manifest: a supervisor scans their badge to "
                "take it as a blind receipt, or scan another return code."
            )
        assert self.ret is not None
        if self.phase is Phase.GRADING:
            unit = self.units[-1]
            return f"Grade {unit.title or unit.gtin}: A, B, C, D, incorrect item or junk."
        matched = sum(1 for u in self.units if u.match is Match.MATCHED)
        if self.blind:
            return (
                f"Blind receipt {self.ret.rma}: scan the next item, or finish ({len(self.units)} taken in)."
            )
        if matched >= self.expected_count:
            return f"Return {self.ret.rma}: all {self.expected_count} items are in; finish the return."
        return f"Return {self.ret.rma}: scan item {matched + 1} of {self.expected_count}, or finish."


@dataclass(frozen=True)
class ReturnCode:
    """A scanned return code with the manifest entry the station found for it (None: unknown)."""

    code: str
    kind: str
    manifest: ExpectedReturn | None


@dataclass(frozen=True)
class ItemScan:
    gtin: str
    serial: str | None = None
    stocked: bool = False  # whether this hub stocks the GTIN (looked up by the caller)
    gs_missing: bool = False


@dataclass(frozen=True)
class GradeUnit:
    grade: Grade
    lpn: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class BlindApproval:
    supervisor: str
    reason: str = "unknown return code"
    operator: str = ""  # who asked for it


@dataclass(frozen=True)
class RefundCapOverride:
    """Pay the whole refund above the return's cap: allowed by a supervisor (``override``: their badge)."""

    override: str | None = None


@dataclass(frozen=True)
class Finish:
    pass


@dataclass(frozen=True)
class Cancel:
    pass


IntakeInput = ReturnCode | ItemScan | GradeUnit | BlindApproval | RefundCapOverride | Finish | Cancel
Step = tuple[IntakeState, list[NewEvent]]


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
    return NewEvent("return.received", state.ret.rma, data)


def _on_return_code(state: IntakeState, code: ReturnCode) -> Step:
    if state.phase in (Phase.VERIFYING, Phase.GRADING):
        assert state.ret is not None
        raise FlowError(
            f"Return {state.ret.rma} is still open: finish or cancel it before scanning another return."
        )
    manifest = code.manifest
    if manifest is None:
        return IntakeState(Phase.AWAITING_OVERRIDE, pending_code=code.code, return_code=code.code), []
    if manifest.status == "received":
        raise FlowError(
            f"Return {manifest.rma} was already received here: put the parcel aside for a supervisor."
        )
    if manifest.status == "cancelled":
        raise FlowError(
            f"Return {manifest.rma} was cancelled by the OMS: do not accept it; call a supervisor."
        )
    new = IntakeState(Phase.VERIFYING, ret=manifest, return_code=code.code)
    return new, [_received_event(new, code, None)]


def _on_blind_approval(state: IntakeState, approval: BlindApproval, operator_hint: str = "") -> Step:
    if state.phase is not Phase.AWAITING_OVERRIDE or state.pending_code is None:
        raise FlowError("There is no unknown return waiting for a supervisor; scan a return code first.")
    ret = ExpectedReturn(rma=state.pending_code, items=())
    new = IntakeState(Phase.VERIFYING, ret=ret, return_code=state.pending_code, blind=True)
    override = NewEvent(
        "override.granted",
        ret.rma,
        {
            "kind": "blind_receipt",
            "subject": ret.rma,
            "reason": approval.reason,
            "supervisor": approval.supervisor,
            "operator": approval.operator,
        },
    )
    code = ReturnCode(state.pending_code, "unknown", None)
    return new, [override, _received_event(new, code, approval.supervisor)]


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


def _on_item(state: IntakeState, scan: ItemScan) -> Step:
    if state.phase is Phase.GRADING:
        unit = state.units[-1]
        raise FlowError(f"Grade {unit.title or unit.gtin} first, then scan the next item.")
    if state.phase is not Phase.VERIFYING:
        raise FlowError("Scan the return code (RMA or return QR) before the items.")
    assert state.ret is not None
    if scan.serial is not None:
        for unit in state.units:
            if unit.serial == scan.serial and unit.gtin == scan.gtin:
                raise FlowError(
                    f"Serial {scan.serial} was already scanned in this return (unit {unit.index})."
                )
    try:
        match, line = _match(state, scan)
    except FlowError:
        if scan.gs_missing:
            raise FlowError(_GS_MISSING) from None
        raise
    if scan.gs_missing and match not in (Match.MATCHED, Match.BLIND):
        # the fields may have been split wrongly: do not record a mismatch on data that may be misread
        raise FlowError(_GS_MISSING)
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
            },
        )
    else:
        data: dict[str, object] = {
            "rma": rma,
            "unit": unit.index,
            "reason": match.value,
            "gtin": scan.gtin,
            "serial": scan.serial,
        }
        if line is not None:
            data["line"] = line.line
            if match is Match.SERIAL_MISMATCH:
                data["expected_serial"] = line.serial
        event = NewEvent("return.item_mismatch", rma, data)
    return replace(state, phase=Phase.GRADING, units=(*state.units, unit)), [event]


def _on_grade(state: IntakeState, grade: GradeUnit, rules: Sequence[DispositionRule]) -> Step:
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


def _on_cap_override(state: IntakeState, inp: RefundCapOverride) -> Step:
    if state.phase is not Phase.VERIFYING or state.ret is None or state.blind:
        raise FlowError("A refund cap can be lifted only on an open return from the manifest, between items.")
    if state.ret.refund_cap is None:
        raise FlowError(f"Return {state.ret.rma} has no refund cap: there is nothing to lift.")
    if inp.override is None:
        raise OverrideNeeded(
            OverrideKind.REFUND_CAP,
            state.ret.rma,
            f"refund above the cap of {state.ret.refund_cap:.2f} {state.ret.currency}",
            f"Return {state.ret.rma}: a supervisor scans their badge to pay the refund above its cap.",
        )
    return replace(state, cap_override=inp.override), []


def _on_finish(state: IntakeState) -> Step:
    if state.phase is Phase.GRADING:
        unit = state.units[-1]
        raise FlowError(f"Grade {unit.title or unit.gtin} before finishing the return.")
    if state.phase is not Phase.VERIFYING:
        raise FlowError("There is no open return to finish; scan a return code.")
    ret = state.ret
    assert ret is not None
    events: list[NewEvent] = []
    missing = 0
    for item in ret.items:
        short = item.quantity - state.received(item.line)
        if short > 0:
            missing += short
            events.append(
                NewEvent(
                    "return.item_mismatch",
                    ret.rma,
                    {
                        "rma": ret.rma,
                        "reason": "missing",
                        "line": item.line,
                        "gtin": item.gtin,
                        "serial": item.serial,
                        "quantity": short,
                    },
                )
            )
    refundable = [u for u in state.units if u.match is Match.MATCHED and u.grade in SELLABLE_GRADES]
    if refundable and not state.blind:
        amount = round(sum(u.value for u in refundable), 2)
        cap = ret.refund_cap
        capped = cap is not None and amount > cap and state.cap_override is None
        refund: dict[str, object] = {
            "rma": ret.rma,
            "amount": cap if capped else amount,
            "currency": ret.currency,
            "cap": cap,
            "capped": capped,
            "uncapped_amount": amount,
            "units": [u.lpn for u in refundable],
        }
        if state.cap_override is not None:
            refund["cap_lifted_by"] = state.cap_override
        events.append(NewEvent("refund.eligible", ret.rma, refund))
    mismatched = any(u.match is not Match.MATCHED for u in state.units) or missing > 0
    events.append(
        NewEvent(
            "return.completed",
            ret.rma,
            {
                "rma": ret.rma,
                "units": len(state.units),
                "missing": missing,
                "blind": state.blind,
                "flagged_for_review": state.blind or mismatched,
            },
        )
    )
    return IntakeState(), events


def _on_cancel(state: IntakeState) -> Step:
    if state.phase is Phase.IDLE:
        raise FlowError("There is nothing to cancel; scan a return code.")
    if state.ret is None:
        return IntakeState(), []
    return IntakeState(), [
        NewEvent("return.cancelled", state.ret.rma, {"rma": state.ret.rma, "units": len(state.units)})
    ]


def step(state: IntakeState, inp: IntakeInput, rules: Sequence[DispositionRule] = DEFAULT_RULES) -> Step:
    """Apply one input to the intake; the returned events are to be committed together."""
    match inp:
        case ReturnCode():
            return _on_return_code(state, inp)
        case BlindApproval():
            return _on_blind_approval(state, inp)
        case RefundCapOverride():
            return _on_cap_override(state, inp)
        case ItemScan():
            return _on_item(state, inp)
        case GradeUnit():
            return _on_grade(state, inp, rules)
        case Finish():
            return _on_finish(state)
        case Cancel():
            return _on_cancel(state)
    raise FlowError(f"Intake cannot take {type(inp).__name__} here.")  # pragma: no cover - exhaustive above


__all__ = [
    "BlindApproval",
    "Cancel",
    "Finish",
    "GradeUnit",
    "IntakeInput",
    "IntakeState",
    "ItemScan",
    "Match",
    "NeedsOverride",
    "Phase",
    "RefundCapOverride",
    "ReturnCode",
    "Unit",
    "step",
]
