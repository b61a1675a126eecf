"""One line for what a batch of committed events did: what the headless station prints, the screen shows."""

from __future__ import annotations

from collections.abc import Sequence

from station.core.events import Event

_MISMATCH = {
    "wrong_item": "wrong item: not on this return",
    "extra_item": "extra item: more than the return authorized",
    "serial_mismatch": "serial mismatch: not the unit the return authorized",
}


def _summary(event: Event) -> str | None:
    d = event.data
    match event.type:
        case "operator.signed_in":
            return f"signed in: {d['name']}"
        case "operator.signed_out":
            how = " automatically after no input" if d.get("automatic") else ""
            parked = f"; {d['parked']} is parked for them" if d.get("parked") else ""
            return f"signed out{how}: {d['badge']}{parked}"
        case "operator.unlocked":
            return f"badge {d['badge']} unlocked"
        case "return.received":
            return f"return {d['rma']}" + (" taken as a blind receipt" if d["blind"] else " opened")
        case "return.item_verified":
            return "item taken in (blind receipt)" if d["blind"] else f"item matches line {d['line']}"
        case "return.item_mismatch":
            if d["reason"] == "missing":
                return f"line {d['line']} missing ({d['quantity']})"
            return _MISMATCH.get(d["reason"], str(d["reason"]))
        case "return.dispositioned":
            return f"{d['disposition']} ({d['rule']}), label {d['lpn']}"
        case "refund.eligible":
            return f"refund {d['amount']:.2f} {d['currency']}" + (" (capped)" if d["capped"] else "")
        case "return.completed":
            review = ", flagged for review" if d["flagged_for_review"] else ""
            return f"return {d['rma']} done: {d['units']} units, {d['missing']} missing{review}"
        case "return.cancelled":
            return f"return {d['rma']} cancelled"
        case "return.regraded":
            return f"grade unit {d['unit']} again; it keeps {d['lpn']}"
        case "label.voided":
            return f"label {d['lpn']} VOIDED: take it off the unit"
        case "label.failed":
            return f"NO LABEL for {event.subject}: {d['reason']}"
        case "override.granted":
            return f"{d['kind']} allowed by {d['approver']} (asked by {d['requester']})"
        case "operator.pin_failed":
            return f"wrong PIN ({d['failures']} in a row)"
        case "operator.locked_out":
            return f"badge {d['badge']} locked out" + (
                " until a supervisor unlocks it" if d["needs_unlock"] else ""
            )
        case "inventory.restocked":
            return f"{d['lpn']} restocked in {d['bin']}"
        case "inventory.moved":
            return f"{d['lpn']} moved {d['from_bin']} -> {d['to_bin']}"
        case "order.pack_started":
            return f"order {d['order']} opened"
        case "order.unit_scanned":
            return f"{d['lpn']} packed on line {d['line']}"
        case "order.packed":
            return f"order {d['order']} packed: {len(d['units'])} units, carrier label queued"
        case "order.pack_cancelled":
            return f"order {d['order']} cancelled"
        case "workorder.opened":
            return f"work order {d['workorder']} opened on {d['lpn']}"
        case "workorder.closed":
            return (
                f"work order {d['workorder']} closed: {d['outcome']}, grade {d['grade']}, {d['disposition']}"
            )
    if event.type.startswith("workorder."):
        return event.type.removeprefix("workorder.").replace("_", " ") + f" on {d['workorder']}"
    return None


def summarize(events: Sequence[Event]) -> str:
    """One line for what the events say happened (the headless station prints it)."""
    return "; ".join(s for s in map(_summary, events) if s)
