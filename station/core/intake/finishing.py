"""Closing a return: finished (missing items reported, the refund the OMS may pay) or cancelled."""

from __future__ import annotations

from station.core.errors import FlowError
from station.core.events import NewEvent
from station.core.intake.model import SELLABLE_GRADES, IntakeState, Match, Phase, Step


def on_finish(state: IntakeState) -> Step:
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


def on_cancel(state: IntakeState) -> Step:
    if state.phase is Phase.IDLE:
        raise FlowError("There is nothing to cancel; scan a return code.")
    if state.ret is None:
        return IntakeState(), []
    return IntakeState(), [
        NewEvent("return.cancelled", state.ret.rma, {"rma": state.ret.rma, "units": len(state.units)})
    ]
