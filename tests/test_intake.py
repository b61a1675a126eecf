"""The return intake state machine, on the happy path and every mismatch path."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.core import intake
from station.core.disposition import DEFAULT_RULES, Disposition, DispositionRule, Grade
from station.core.errors import FlowError, StationError
from station.core.manifest import ExpectedItem, ExpectedReturn

PHONE = "09501101530003"
CABLE = "00012345678905"
OTHER = "04006381333931"

RET = ExpectedReturn(
    rma="1000001",
    items=(
        ExpectedItem(1, PHONE, 1, "Phone X", "electronics", 300.0, serial="SN-1"),
        ExpectedItem(2, CABLE, 2, "USB cable", "accessories", 10.0),
    ),
    currency="EUR",
    refund_cap=250.0,
)


def run(*inputs: intake.IntakeInput, state: intake.IntakeState | None = None):
    state = state or intake.IntakeState()
    events = []
    for inp in inputs:
        state, new = intake.step(state, inp)
        events.extend(new)
    return state, events


def types(events) -> list[str]:
    return [e.type for e in events]


OPEN = intake.ReturnCode("1000001", "rma", RET)


def test_whole_return_matches_grades_disposition_and_refund_capped() -> None:
    state, events = run(
        OPEN,
        intake.ItemScan(PHONE, "SN-1", stocked=True),
        intake.GradeUnit(Grade.A, "LPN1"),
        intake.ItemScan(CABLE),
        intake.GradeUnit(Grade.B, "LPN2", ("opened",)),
        intake.ItemScan(CABLE),
        intake.GradeUnit(Grade.JUNK, "LPN3"),
        intake.Finish(),
    )
    assert state == intake.IntakeState()
    assert types(events) == [
        "return.received",
        "return.item_verified",
        "return.graded",
        "return.dispositioned",
        "return.item_verified",
        "return.graded",
        "return.dispositioned",
        "return.item_verified",
        "return.graded",
        "return.dispositioned",
        "refund.eligible",
        "return.completed",
    ]
    dispositions = [e.data["disposition"] for e in events if e.type == "return.dispositioned"]
    assert dispositions == ["restock_local", "liquidate", "recycle"]
    assert events[3].data["rule"] == "sellable and stocked here: restock"
    refund = events[-2].data
    # phone 300 + cable 10 (the junk cable is not refundable) = 310, capped at 250
    assert refund["uncapped_amount"] == 310.0
    assert refund["amount"] == 250.0 and refund["capped"] is True
    assert refund["units"] == ["LPN1", "LPN2"]
    assert events[-1].data == {
        "rma": "1000001",
        "units": 3,
        "missing": 0,
        "blind": False,
        "flagged_for_review": False,
        "review_reasons": [],
    }


def test_wrong_item_is_a_mismatch_and_still_graded() -> None:
    state, events = run(OPEN, intake.ItemScan(OTHER))
    assert events[-1].type == "return.item_mismatch"
    assert events[-1].data["reason"] == "wrong_item"
    assert state.phase is intake.Phase.GRADING
    state, events = run(intake.GradeUnit(Grade.INCORRECT_ITEM, "LPN9"), state=state)
    assert events[-1].data["disposition"] == Disposition.RETURN_TO_DC.value


def test_extra_item_beyond_quantity() -> None:
    state, _ = run(
        OPEN,
        intake.ItemScan(CABLE),
        intake.GradeUnit(Grade.A, "L1"),
        intake.ItemScan(CABLE),
        intake.GradeUnit(Grade.A, "L2"),
    )
    state, events = run(intake.ItemScan(CABLE), state=state)
    assert events[-1].data["reason"] == "extra_item"


def test_serial_mismatch_and_serial_required() -> None:
    with pytest.raises(FlowError, match="serial"):
        run(OPEN, intake.ItemScan(PHONE, None))
    _, events = run(OPEN, intake.ItemScan(PHONE, "SN-OTHER"))
    assert events[-1].type == "return.item_mismatch"
    assert events[-1].data["reason"] == "serial_mismatch"
    assert events[-1].data["expected_serial"] == "SN-1"


def test_duplicate_serial_refused() -> None:
    state, _ = run(OPEN, intake.ItemScan(PHONE, "SN-1"), intake.GradeUnit(Grade.A, "L1"))
    with pytest.raises(FlowError, match="already scanned"):
        intake.step(state, intake.ItemScan(PHONE, "SN-1"))


def test_missing_items_reported_at_finish_and_flagged() -> None:
    _, events = run(OPEN, intake.ItemScan(CABLE), intake.GradeUnit(Grade.A, "L1"), intake.Finish())
    missing = [e.data for e in events if e.type == "return.item_mismatch"]
    assert {(m["line"], m["quantity"]) for m in missing} == {(1, 1), (2, 1)}
    assert events[-1].data["missing"] == 2 and events[-1].data["flagged_for_review"] is True


def test_empty_box_all_missing_no_refund() -> None:
    _, events = run(OPEN, intake.Finish())
    assert "refund.eligible" not in types(events)
    assert events[-1].data["missing"] == 3


def test_unknown_return_needs_supervisor_blind_receipt() -> None:
    state, events = run(intake.ReturnCode("9999999", "rma", None))
    assert state.phase is intake.Phase.AWAITING_OVERRIDE and events == []
    assert "supervisor" in state.prompt
    with pytest.raises(FlowError):
        intake.step(state, intake.ItemScan(CABLE))
    state, events = run(intake.BlindApproval("B-SUP"), state=state)
    assert types(events) == ["return.received"]  # the desk records override.granted with the PIN check
    assert events[0].data["blind"] is True and events[0].data["approved_by"] == "B-SUP"
    state, events = run(intake.ItemScan(CABLE), intake.GradeUnit(Grade.B, "L1"), intake.Finish(), state=state)
    assert events[0].data["blind"] is True
    assert "refund.eligible" not in types(events)
    assert events[-1].data["flagged_for_review"] is True


def test_out_of_order_inputs_are_flow_errors_with_a_sentence() -> None:
    idle = intake.IntakeState()
    for inp in (
        intake.ItemScan(CABLE),
        intake.GradeUnit(Grade.A, "L"),
        intake.Finish(),
        intake.Cancel(),
        intake.BlindApproval("S"),
    ):
        with pytest.raises(FlowError) as err:
            intake.step(idle, inp)
        assert str(err.value).endswith(".")
    grading, _ = run(OPEN, intake.ItemScan(CABLE))
    for inp in (intake.ItemScan(CABLE), intake.Finish(), OPEN):
        with pytest.raises(FlowError):
            intake.step(grading, inp)
    with pytest.raises(FlowError, match="missing"):
        intake.step(grading, intake.GradeUnit(Grade.MISSING, "L"))


def test_received_or_cancelled_returns_refused() -> None:
    from dataclasses import replace

    for status in ("received", "cancelled"):
        with pytest.raises(FlowError, match=status):
            intake.step(
                intake.IntakeState(), intake.ReturnCode("1000001", "rma", replace(RET, status=status))
            )


def test_cancel_records_event() -> None:
    state, events = run(OPEN, intake.ItemScan(CABLE), intake.Cancel())
    assert state.phase is intake.Phase.IDLE
    assert events[-1].type == "return.cancelled"


def test_gs_missing_scan_refused_unless_it_matches() -> None:
    # a possibly mis-split scan is never recorded as a mismatch...
    with pytest.raises(FlowError, match="GS separator"):
        run(OPEN, intake.ItemScan(OTHER, gs_missing=True))
    with pytest.raises(FlowError, match="GS separator"):
        run(OPEN, intake.ItemScan(PHONE, None, gs_missing=True))
    # ...but one whose GTIN and serial match the authorized unit is taken
    _, events = run(OPEN, intake.ItemScan(PHONE, "SN-1", gs_missing=True))
    assert events[-1].type == "return.item_verified"


def test_configured_rule_fires_and_is_recorded() -> None:
    rules = (DispositionRule("all to repair", Disposition.REPAIR),)
    state, _ = run(OPEN, intake.ItemScan(CABLE))
    _, events = intake.step(state, intake.GradeUnit(Grade.A, "L1"), rules)
    assert events[-1].data["disposition"] == "repair" and events[-1].data["rule"] == "all to repair"


_inputs = st.one_of(
    st.sampled_from(
        [
            OPEN,
            intake.ReturnCode("7", "rma", None),
            intake.Finish(),
            intake.Cancel(),
            intake.BlindApproval("S"),
        ]
    ),
    st.builds(
        intake.ItemScan,
        st.sampled_from([PHONE, CABLE, OTHER]),
        st.sampled_from([None, "SN-1", "SN-2"]),
        st.booleans(),
        st.booleans(),
    ),
    st.builds(intake.GradeUnit, st.sampled_from(list(Grade)), st.just("LPNX")),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_inputs, max_size=30))
def test_any_sequence_gives_events_or_flow_errors(inputs) -> None:
    state = intake.IntakeState()
    for inp in inputs:
        try:
            new_state, events = intake.step(state, inp, DEFAULT_RULES)
        except StationError:
            continue  # a refusal leaves the state as it was
        state = new_state
        assert all(e.subject for e in events)
        assert state.prompt
