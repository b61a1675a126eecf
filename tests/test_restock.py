"""Restock put-away: LPN then bin, moves between bins, and refusals that say why."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.core import restock
from station.core.errors import FlowError
from station.core.operators import OverrideKind, OverrideNeeded
from station.core.stock import UnitRecord, UnitStatus
from station.runtime.desk import Desk
from tests.fixtures_hubwork import feed

PHONE = UnitRecord("LPN000001", "09501101530003", "SN1", UnitStatus.RECEIVED, "restock_local")
CABLE = UnitRecord("LPN000002", "00012345678905", None, UnitStatus.RECEIVED, "liquidate")


def run(*inputs: restock.RestockInput, state: restock.RestockState | None = None):
    state = state or restock.RestockState()
    events = []
    for inp in inputs:
        state, new = restock.step(state, inp, "hub-1")
        events.extend(new)
    return state, events


def test_lpn_then_bin_restocks_the_unit() -> None:
    state, events = run(restock.LpnScan(PHONE.lpn, PHONE), restock.BinScan("BIN-A-01"))
    assert state == restock.RestockState()
    assert [(e.type, e.subject) for e in events] == [("inventory.restocked", PHONE.lpn)]
    assert events[0].data == {
        "lpn": PHONE.lpn,
        "gtin": PHONE.gtin,
        "serial": "SN1",
        "bin": "BIN-A-01",
        "hub": "hub-1",
        "disposition": "restock_local",
        "override": None,
    }


def test_a_stocked_unit_moves_between_bins_but_not_to_its_own() -> None:
    stocked = UnitRecord(PHONE.lpn, PHONE.gtin, "SN1", UnitStatus.STOCKED, "restock_local", bin="BIN-A-01")
    state, _ = run(restock.LpnScan(stocked.lpn, stocked))
    assert "now in BIN-A-01" in state.prompt
    with pytest.raises(FlowError, match="already in BIN-A-01"):
        run(restock.BinScan("BIN-A-01"), state=state)
    _, events = run(restock.BinScan("BIN-B-02"), state=state)
    assert events[0].type == "inventory.moved"
    assert (events[0].data["from_bin"], events[0].data["to_bin"]) == ("BIN-A-01", "BIN-B-02")


def test_other_dispositions_need_a_supervisor() -> None:
    with pytest.raises(OverrideNeeded, match="dispositioned liquidate, not restock_local") as caught:
        run(restock.LpnScan(CABLE.lpn, CABLE))
    assert (caught.value.kind, caught.value.subject) == (OverrideKind.RESTOCK, CABLE.lpn)
    _, events = run(restock.LpnScan(CABLE.lpn, CABLE, override="9001"), restock.BinScan("BIN-X-1"))
    assert events[0].data["override"] == "9001"


@pytest.mark.parametrize(
    ("unit", "message"),
    [
        (None, "not a unit this station knows"),
        (UnitRecord("L", "g", None, UnitStatus.PACKED, order="4000001"), "packed into order 4000001"),
        (UnitRecord("L", "g", None, UnitStatus.IN_REPAIR), "open work order"),
    ],
)
def test_units_that_cannot_be_restocked(unit: UnitRecord | None, message: str) -> None:
    with pytest.raises(FlowError, match=message):
        run(restock.LpnScan("LPN000009", unit))


def test_out_of_order_inputs() -> None:
    with pytest.raises(FlowError, match="Scan the unit's LPN label first"):
        run(restock.BinScan("BIN-A-1"))
    with pytest.raises(FlowError, match="waiting for its bin"):
        run(restock.LpnScan(PHONE.lpn, PHONE), restock.LpnScan(PHONE.lpn, PHONE))
    with pytest.raises(FlowError, match="nothing to cancel"):
        run(restock.Cancel())
    assert run(restock.LpnScan(PHONE.lpn, PHONE), restock.Cancel()) == (restock.RestockState(), [])


UNITS = st.sampled_from(
    [None, PHONE, CABLE, UnitRecord("LPN3", "g", None, UnitStatus.STOCKED, bin="BIN-A-1")]
)
INPUTS = st.one_of(
    st.builds(restock.LpnScan, st.sampled_from(["LPN1", "LPN2"]), UNITS, st.sampled_from([None, "9001"])),
    st.builds(restock.BinScan, st.sampled_from(["BIN-A-1", "BIN-B-2"])),
    st.just(restock.Cancel()),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(INPUTS, max_size=12))
def test_any_sequence_gives_events_or_flow_errors(inputs: list[restock.RestockInput]) -> None:
    state = restock.RestockState()
    for inp in inputs:
        try:
            state, events = restock.step(state, inp, "hub-1")
        except FlowError:
            continue
        assert all(e.type in ("inventory.restocked", "inventory.moved") for e in events)


def test_desk_restock_refusals_say_what_to_do(hub_desk: Desk) -> None:
    out = feed(hub_desk, "BADGE-2003", "CMD:FLOW:RESTOCK")
    assert out[0].ok and not out[1].ok and "Paul may not run restock" in out[1].message
    out = feed(hub_desk, "BADGE-2001", "CMD:FLOW:RESTOCK", "LPNNOPE00001", "0012345678905", "BIN-A-01")
    assert [o.ok for o in out] == [True, True, False, False, False]
    assert "not a unit this station knows" in out[2].message
    assert "scan the LPN, not the product barcode" in out[3].message
    assert "Scan the unit's LPN label first" in out[4].message
