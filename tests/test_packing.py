"""Packing: order, then units by LPN, GTIN or serial; wrong item, over-pack and short-pack caught."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.core import packing
from station.core.errors import FlowError
from station.core.packing import Order, OrderLine, ScannedBy, UnitScan
from station.core.stock import UnitRecord, UnitStatus

PHONE, CABLE, OTHER = "09501101530003", "00012345678905", "04006381333931"
ORDER = Order(
    "4000001",
    (OrderLine(1, PHONE, 1, serial="SN2"), OrderLine(2, CABLE, 2)),
    carrier="DHL",
    carrier_label="^XA^XZ",
)


def unit(
    lpn: str, gtin: str, serial: str | None = None, status: UnitStatus = UnitStatus.STOCKED
) -> UnitRecord:
    return UnitRecord(lpn, gtin, serial, status, "restock_local", bin="BIN-A-1")


def by_lpn(u: UnitRecord | None, text: str = "LPN") -> UnitScan:
    return UnitScan(u.lpn if u else text, ScannedBy.LPN, u)


def run(*inputs: packing.PackingInput, state: packing.PackingState | None = None):
    state = state or packing.PackingState()
    events = []
    for inp in inputs:
        state, new = packing.step(state, inp, "hub-1")
        events.extend(new)
    return state, events


OPEN = packing.OrderScan("4000001", ORDER)


def test_whole_order_packed_names_exactly_the_units() -> None:
    state, events = run(
        OPEN,
        by_lpn(unit("L1", CABLE)),
        UnitScan(CABLE, ScannedBy.GTIN, unit("L2", CABLE)),
        UnitScan("SN2", ScannedBy.SERIAL, unit("L3", PHONE, "SN2")),
        packing.Finish(),
    )
    assert state == packing.PackingState()
    assert [e.type for e in events] == ["order.pack_started", *["order.unit_scanned"] * 3, "order.packed"]
    assert events[-1].data == {
        "order": "4000001",
        "hub": "hub-1",
        "carrier": "DHL",
        "units": [
            {"line": 2, "lpn": "L1", "gtin": CABLE, "serial": None},
            {"line": 2, "lpn": "L2", "gtin": CABLE, "serial": None},
            {"line": 1, "lpn": "L3", "gtin": PHONE, "serial": "SN2"},
        ],
    }


def test_wrong_item_over_pack_and_wrong_serial_are_refused() -> None:
    state, _ = run(OPEN, by_lpn(unit("L1", CABLE)), by_lpn(unit("L2", CABLE)))
    with pytest.raises(FlowError, match="Wrong item: 04006381333931 is not on order"):
        run(by_lpn(unit("L9", OTHER)), state=state)
    with pytest.raises(FlowError, match=r"Over-pack: .* needs no more of 00012345678905"):
        run(by_lpn(unit("L3", CABLE)), state=state)
    with pytest.raises(FlowError, match="wants serial SN2, this is SN7"):
        run(UnitScan("SN7", ScannedBy.SERIAL, unit("L4", PHONE, "SN7")), state=state)
    with pytest.raises(FlowError, match="scan the unit's LPN or the barcode with its serial"):
        run(UnitScan(PHONE, ScannedBy.GTIN, unit("L4", PHONE, "SN7")), state=state)
    with pytest.raises(FlowError, match="already in this order"):
        run(by_lpn(unit("L1", CABLE)), state=state)


def test_short_pack_refused_until_complete_or_cancelled() -> None:
    state, _ = run(OPEN, by_lpn(unit("L1", CABLE)))
    with pytest.raises(FlowError, match="Short pack: line 1 needs 1 more of SN2; line 2 needs 1 more of"):
        run(packing.Finish(), state=state)
    _, events = run(packing.Cancel(), state=state)
    assert events[0].type == "order.pack_cancelled" and events[0].data == {"order": "4000001", "units": 1}


@pytest.mark.parametrize(
    ("inp", "message"),
    [
        (packing.OrderScan("4000002", None), "not routed to this hub"),
        (packing.OrderScan("4000001", Order("4000001", (), status="packed")), "already packed"),
        (by_lpn(unit("L1", CABLE)), "Scan the order first"),
        (packing.Finish(), "no order to finish"),
        (packing.Cancel(), "nothing to cancel"),
    ],
)
def test_out_of_order_inputs(inp: packing.PackingInput, message: str) -> None:
    with pytest.raises(FlowError, match=message):
        run(inp)


@pytest.mark.parametrize(
    ("u", "message"),
    [
        (None, "not a unit in this hub's stock"),
        (unit("L1", CABLE, status=UnitStatus.PACKED), "not in stock \\(packed\\)"),
        (unit("L1", CABLE, status=UnitStatus.RECEIVED), "not in stock \\(received\\)"),
    ],
)
def test_units_not_in_stock_refused(u: UnitRecord | None, message: str) -> None:
    with pytest.raises(FlowError, match=message):
        run(OPEN, by_lpn(u))


UNITS = st.builds(
    unit,
    st.sampled_from(["L1", "L2", "L3"]),
    st.sampled_from([PHONE, CABLE, OTHER]),
    st.sampled_from([None, "SN2", "SN7"]),
    st.sampled_from(list(UnitStatus)),
)
INPUTS = st.one_of(
    st.builds(packing.OrderScan, st.just("4000001"), st.sampled_from([ORDER, None])),
    st.builds(UnitScan, st.just("x"), st.sampled_from(list(ScannedBy)), st.one_of(st.none(), UNITS)),
    st.just(packing.Finish()),
    st.just(packing.Cancel()),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(INPUTS, max_size=15))
def test_any_sequence_never_over_packs(inputs: list[packing.PackingInput]) -> None:
    state = packing.PackingState()
    for inp in inputs:
        try:
            state, events = packing.step(state, inp, "hub-1")
        except FlowError:
            continue
        for event in events:
            if event.type == "order.packed":
                lpns = [u["lpn"] for u in event.data["units"]]
                assert len(lpns) == len(set(lpns)) == 3  # exactly the order: 1 phone + 2 cables
        if state.order is not None:
            assert all(state.count(li.line) <= li.quantity for li in state.order.lines)
