"""An open return rebuilt from its events after a crash: the expected lines, the units verified, graded and
labelled, in the state the counter had when the station stopped (so no unit is ever labelled twice)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace
from typing import Any

from station.core.disposition import Disposition, Grade
from station.core.intake.model import IntakeState, Match, Phase, Unit
from station.core.manifest import ExpectedItem, ExpectedReturn


def _expected(data: Mapping[str, Any]) -> tuple[ExpectedItem, ...]:
    return tuple(
        ExpectedItem(
            line=i["line"],
            gtin=i["gtin"],
            quantity=i["quantity"],
            title=i.get("title") or "",
            category=i.get("category") or "",
            value=float(i.get("value") or 0.0),
            serial=i.get("serial"),
        )
        for i in data.get("expected", ())
    )


def _unit(ret: ExpectedReturn | None, data: Mapping[str, Any], match: Match, stocked: bool) -> Unit:
    line = next((i for i in ret.items if i.line == data.get("line")), None) if ret else None
    return Unit(
        index=data["unit"],
        gtin=data["gtin"],
        serial=data.get("serial"),
        match=match,
        stocked=stocked,
        line=line.line if line is not None and match is Match.MATCHED else None,
        title=line.title if line else "",
        category=line.category if line else "",
        value=line.value if line else 0.0,
        source=data.get("source") or "",
    )


def _on_unit(state: IntakeState, index: int, **changes: Any) -> IntakeState:
    units = tuple(replace(u, **changes) if u.index == index else u for u in state.units)
    return replace(state, units=units)


def restore(
    events: Iterable[tuple[str, Mapping[str, Any]]],
    manifest: ExpectedReturn | None,
    stocked: Callable[[str], bool],
) -> IntakeState:
    """The open return after its events ``(type, data)``, from its ``return.received`` on.

    ``manifest`` is the return as the manifest holds it now (its cap and currency); without it the lines
    recorded in ``return.received`` are used. ``stocked`` says whether this hub stocks a GTIN.
    """
    state = IntakeState()
    for event_type, d in events:
        if event_type == "return.received":
            rma = d["rma"]
            ret = manifest if manifest is not None and not d["blind"] else None
            ret = ret or ExpectedReturn(rma=rma, items=_expected(d), order_number=d.get("order_number"))
            state = IntakeState(
                Phase.VERIFYING,
                ret=ret,
                return_code=d.get("return_code"),
                blind=bool(d["blind"]),
                carried_flags=tuple(d.get("carried_flags", ())),
            )
        elif state.ret is None:
            continue
        elif event_type == "override.granted" and d.get("kind") == "refund_cap":
            state = replace(state, cap_override=d["supervisor"])
        elif event_type == "return.item_verified":
            match = Match.BLIND if d.get("blind") else Match.MATCHED
            state = replace(state, units=(*state.units, _unit(state.ret, d, match, stocked(d["gtin"]))))
        elif event_type == "return.item_mismatch" and d["reason"] != "missing":
            unit = _unit(state.ret, d, Match(d["reason"]), stocked(d["gtin"]))
            state = replace(state, units=(*state.units, unit))
        elif event_type == "return.graded":
            state = _on_unit(state, d["unit"], grade=Grade(d["grade"]), reasons=tuple(d["reasons"]))
        elif event_type == "return.regraded":
            state = _on_unit(state, d["unit"], grade=None, reasons=(), disposition=None, rule=None)
        elif event_type == "return.dispositioned":
            changes = {"disposition": Disposition(d["disposition"]), "rule": d["rule"], "lpn": d["lpn"]}
            state = _on_unit(state, d["unit"], **changes)
    if state.units and state.units[-1].grade is None:
        state = replace(state, phase=Phase.GRADING)
    return state
