"""Closing a return: finished (missing items reported, the refund the OMS may pay) or cancelled (its units
and their labels voided, its review reasons kept for the next attempt)."""

from __future__ import annotations

import uuid

from station.core.errors import FlowError
from station.core.events import NewEvent
from station.core.intake.model import SELLABLE_GRADES, Finish, IntakeState, Match, Phase, Step, Unit, is_keyed

#: The namespace of refund ids: UUIDv5 over hub, RMA and the units refunded (the OMS deduplicates on it).
REFUND_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://hubstation.example/refund")


def refund_id(hub: str, rma: str, units: list[Unit]) -> str:
    """The same id for the same refund wherever it is decided: hub, RMA and the authorized lines paid
    (with the serial, and the unit's place within its line), never an LPN (those differ per station)."""
    keys = []
    for unit in units:
        nth = sum(1 for u in units[: units.index(unit)] if u.line == unit.line)
        keys.append(f"{unit.line}:{unit.serial or ''}:{nth}")
    return str(uuid.uuid5(REFUND_NAMESPACE, "\n".join([hub, rma, *sorted(keys)])))


def review_reasons(state: IntakeState, missing: int = 0) -> list[str]:
    """Why a person should look at this return again (empty: nothing to review)."""
    reasons = list(state.carried_flags)
    if state.blind:
        reasons.append("blind")
    reasons += [u.match.value for u in state.units if u.match not in (Match.MATCHED, Match.BLIND)]
    if missing:
        reasons.append("missing")
    if any(is_keyed(u.source) for u in state.units):
        reasons.append("keyed")
    return list(dict.fromkeys(reasons))


def on_finish(state: IntakeState, finish: Finish) -> Step:
    if state.phase is Phase.GRADING:
        unit = state.units[-1]
        raise FlowError("Grade {item} before finishing the return.", item=unit.title or unit.gtin)
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
            "refund_id": refund_id(finish.hub, ret.rma, refundable),
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
    reasons = review_reasons(state, missing)
    if finish.received_elsewhere:
        reasons.append("received_elsewhere")
    events.append(
        NewEvent(
            "return.completed",
            ret.rma,
            {
                "rma": ret.rma,
                "units": len(state.units),
                "missing": missing,
                "blind": state.blind,
                "flagged_for_review": bool(reasons),
                "review_reasons": reasons,
            },
        )
    )
    return IntakeState(), events


def on_cancel(state: IntakeState) -> Step:
    """Cancel the open return: every unit labelled in it is voided with its label (remove them)."""
    if state.phase is Phase.IDLE:
        raise FlowError("There is nothing to cancel; scan a return code.")
    if state.ret is None:
        return IntakeState(), []
    rma = state.ret.rma
    labelled = [u for u in state.units if u.lpn is not None]
    voided = [
        NewEvent(
            "label.voided",
            str(u.lpn),
            {"lpn": u.lpn, "rma": rma, "gtin": u.gtin, "serial": u.serial, "reason": "return cancelled"},
        )
        for u in labelled
    ]
    data = {
        "rma": rma,
        "units": len(state.units),
        "voided": [u.lpn for u in labelled],
        "review_reasons": review_reasons(state),
    }
    return IntakeState(), [*voided, NewEvent("return.cancelled", rma, data)]
