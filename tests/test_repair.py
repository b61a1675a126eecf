"""Repair work orders: open, diagnose, parts, data wipe, labour, notes, close; replay rebuilds them."""

from __future__ import annotations

from dataclasses import replace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.core import repair
from station.core.disposition import Disposition, Grade
from station.core.errors import FlowError
from station.core.operators import OverrideNeeded
from station.core.stock import UnitRecord, UnitStatus
from station.runtime.desk import Desk
from tests.fixtures_hubwork import SAM_PIN, feed

TABLET = UnitRecord(
    "LPN000002", "04006381333931", "TAB1", UnitStatus.RECEIVED, "repair", category="electronics"
)
CABLE = UnitRecord("LPN000003", "00012345678905", None, UnitStatus.RECEIVED, "liquidate")
SENT = repair.SentDown("500001", "LPNOMS000001", "04006381333931", "TAB9", data_bearing=True)


def run(*inputs: repair.RepairInput, state: repair.RepairState | None = None):
    state = state or repair.RepairState()
    events = []
    for inp in inputs:
        state, new = repair.step(state, inp)
        events.extend(new)
    return state, events


WORK = (
    repair.Open("WO1", unit=TABLET),
    repair.Diagnose("screen_cracked"),
    repair.UsePart("SCREEN-01"),
    repair.UsePart("09501101530003", "09501101530003", "P-1"),
    repair.RecordWipe("PURGE", "blancco", "2002"),
    repair.RecordWipe("clear", "nwipe", "2004"),
    repair.Labour(20),
    repair.Labour(5),
    repair.AddNote("replaced the screen", customer_visible=True),
    repair.AddNote("supplier batch 7", customer_visible=False),
)


def test_whole_work_order_and_its_events() -> None:
    state, events = run(*WORK)
    wo = state.current
    assert wo is not None and wo.labour_minutes == 25 and wo.diagnoses == ("SCREEN_CRACKED",)
    state, closing = run(repair.Close("repaired", "b", "restock_local"), state=state)
    assert state == repair.RepairState()
    types = [e.type for e in events + closing]
    assert types == [
        "workorder.opened",
        "workorder.diagnosed",
        "workorder.part_used",
        "workorder.part_used",
        "workorder.wiped",
        "workorder.wiped",
        "workorder.labour_logged",
        "workorder.labour_logged",
        "workorder.noted",
        "workorder.noted",
        "workorder.closed",
    ]
    closed = closing[0].data
    first = {"method": "purge", "tool": "blancco", "verified_by": "2002"}
    second = {"method": "clear", "tool": "nwipe", "verified_by": "2004"}
    assert closed["wipes"] == [first, second]  # a second wipe adds to the first, never replaces it
    assert closed["wipe"] == second
    assert closed["customer_notes"] == ["replaced the screen"]  # internal notes stay internal
    assert (closed["outcome"], closed["grade"], closed["disposition"]) == ("repaired", "B", "restock_local")
    rebuilt = repair.replay((e.type, e.data) for e in events + closing)
    assert rebuilt is not None and rebuilt.status == "closed"
    assert rebuilt == replace(
        wo,
        status="closed",
        outcome=repair.Outcome.REPAIRED,
        grade=Grade.B,
        disposition=Disposition.RESTOCK_LOCAL,
    )


def test_closing_needs_a_diagnosis_and_a_wipe_on_data_bearing_units() -> None:
    state, _ = run(repair.Open("WO1", unit=TABLET))
    with pytest.raises(FlowError, match="at least one diagnosis"):
        run(repair.Close("repaired", "B", "restock_local"), state=state)
    state, _ = run(repair.Diagnose("NO_POWER"), state=state)
    with pytest.raises(FlowError, match="holds data: record the data wipe"):
        run(repair.Close("repaired", "B", "restock_local"), state=state)
    state, _ = run(repair.RecordWipe("clear", "nwipe", "2001"), state=state)
    with pytest.raises(FlowError, match="repaired unit is graded A, B or C"):
        run(repair.Close("repaired", "junk", "recycle"), state=state)
    with pytest.raises(FlowError, match="harvested unit cannot be dispositioned restock_local"):
        run(repair.Close("harvested", "junk", "restock_local"), state=state)
    with pytest.raises(FlowError, match="Outcome 'fixed' does not exist: choose repaired"):
        run(repair.Close("fixed", "B", "restock_local"), state=state)
    _, events = run(repair.Close("harvested", "junk", "recycle"), state=state)
    assert events[0].data["outcome"] == "harvested"


@pytest.mark.parametrize(
    ("inp", "message"),
    [
        (repair.Diagnose("a b"), "is not a code"),
        (repair.Diagnose("no_power"), "already recorded"),
        (repair.Labour(0), "1 to 600 minutes"),
        (repair.AddNote("  ", True), "A note is 1 to 500 characters"),
        (
            repair.RecordWipe("destroy", "hammer", "2001"),
            "Wipe method 'destroy' does not exist: choose clear, purge",
        ),
        (repair.RecordWipe("purge", " ", "2001"), "needs the tool used"),
        (repair.Open("WO2", unit=TABLET), "is open: close or park it first"),
    ],
)
def test_bad_inputs_on_an_open_work_order(inp: repair.RepairInput, message: str) -> None:
    state, _ = run(repair.Open("WO1", unit=TABLET), repair.Diagnose("NO_POWER"))
    with pytest.raises(FlowError, match=message):
        run(inp, state=state)


def test_opening_rules() -> None:
    with pytest.raises(OverrideNeeded, match="dispositioned liquidate, not repair"):
        run(repair.Open("WO1", unit=CABLE))
    state, events = run(repair.Open("WO1", unit=CABLE, override="9001"))
    assert events[0].data["data_bearing"] is False and state.current is not None
    _, events = run(repair.Open(SENT.number, sent=SENT))
    assert events[0].data["source"] == "oms" and events[0].data["lpn"] == "LPNOMS000001"
    with pytest.raises(FlowError, match="not a unit this station knows"):
        run(repair.Open("WO1"))
    with pytest.raises(FlowError, match="Scan a unit's LPN or a work order first"):
        run(repair.Labour(5))
    parked, _ = run(repair.Open("WO1", unit=TABLET), repair.Park())
    assert parked == repair.RepairState()


INPUTS = st.one_of(
    st.builds(
        repair.Open,
        st.just("WO1"),
        st.sampled_from([None, TABLET, CABLE]),
        st.none(),
        st.sampled_from([None, "9"]),
    ),
    st.builds(repair.Diagnose, st.sampled_from(["NO_POWER", "SCREEN", "x", ""])),
    st.builds(repair.UsePart, st.sampled_from(["P1", "P2"]), st.none(), st.sampled_from([None, "S1"])),
    st.builds(
        repair.RecordWipe,
        st.sampled_from(["clear", "purge", "zap"]),
        st.sampled_from(["t", ""]),
        st.just("1"),
    ),
    st.builds(repair.Labour, st.integers(-5, 700)),
    st.builds(repair.AddNote, st.text(max_size=8), st.booleans()),
    st.builds(
        repair.Close,
        st.sampled_from(["repaired", "unrepairable", "harvested", "nope"]),
        st.sampled_from(["A", "B", "D", "junk", "missing", "Z"]),
        st.sampled_from(["restock_local", "recycle", "liquidate", "x"]),
    ),
    st.just(repair.Park()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(INPUTS, max_size=20))
def test_any_sequence_raises_only_flow_errors_and_replays_to_the_same_work_order(inputs) -> None:
    state = repair.RepairState()
    log: list[tuple[str, dict]] = []
    for inp in inputs:
        try:
            state, events = repair.step(state, inp)
        except FlowError:
            continue
        log.extend((e.type, dict(e.data)) for e in events)
        opened = [i for i, (t, _) in enumerate(log) if t == "workorder.opened"]
        if state.current is not None:
            assert repair.replay(log[opened[-1] :]) == state.current


def test_desk_opens_an_oms_work_order_and_resumes_it(hub_desk: Desk) -> None:
    out = feed(hub_desk, "BADGE-2001", "WO-500001", "CMD:DIAG:NO_POWER", "CMD:PARK", "WO-500001")
    assert [o.ok for o in out] == [True] * 5, [o.message for o in out]
    assert "work order 500001 opened on LPNOMS000001" in out[1].message
    assert hub_desk.repair.current is not None and hub_desk.repair.current.diagnoses == ("NO_POWER",)
    out = feed(
        hub_desk,
        "CMD:PARK",
        "LPNOMS000001",
        "CMD:WIPE:clear:nwipe",
        "BADGE-2002",
        SAM_PIN,
        "CMD:CLOSE:unrepairable:D:recycle",
    )
    assert [o.ok for o in out] == [True, True, False, True, True, True], [o.message for o in out]
    assert "a second person (repair or supervisor) scans their own badge" in out[2].message
    assert out[-1].events[-1].data["wipe"]["verified_by"] == "2002"  # a second person, with their PIN
    refused = feed(hub_desk, "WO-500001", "WO-999999", "CMD:DIAG:X1")
    assert "500001 is already closed: scan the unit's LPN to open a new one" in refused[0].message
    assert "was not sent to this hub" in refused[1].message
    assert "Scan a unit's LPN or a work order first" in refused[2].message


def test_a_wipe_waits_for_its_verifier() -> None:
    state, _ = run(repair.Open("WO1", unit=TABLET))
    with pytest.raises(OverrideNeeded, match=r"a second person .* scans their own badge") as asked:
        run(repair.RecordWipe("purge", "blancco"), state=state)
    assert (asked.value.kind.value, asked.value.subject) == ("wipe", TABLET.lpn)
