"""The hub's stock: a pure fold over events, kept up to date as events commit, rebuilt from the log alone.

The property tests drive a real desk on a real database with random scans and commands per flow, then
check what a stock controller would: no refusal other than the station's own, the stock table equals a
replay of the log, every packed unit was in stock when it was packed, and no unit is counted twice."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.core.events import Event
from station.core.hlc import Hlc
from station.core.stock import UnitRecord, UnitStatus, apply, fold, in_stock
from station.runtime.desk import Desk
from station.store import stock as units
from tests.fixtures_hubwork import KEYPAD, SAM_PIN, feed, make_desk

LPNS = [f"LPNHUBON1{n:07d}" for n in (1, 2, 3)]
INTAKE = [
    "BADGE-2001",
    "RMA-3000001",
    "]C1010950110153000321SNA1",
    "CMD:GRADE:A",
    "]C1010400638133393121TAB1",
    "CMD:GRADE:C",
    "0012345678905",
    "CMD:GRADE:B",
    "CMD:DONE",
]
#: After the return: the phone put away, and the cable too with a supervisor's override.
SHELVED = [*INTAKE, "CMD:FLOW:RESTOCK", LPNS[0], "BIN-A-01", LPNS[2], "BADGE-2002", SAM_PIN, "BIN-B-01"]
COMMON = [
    *LPNS,
    "LPNOMS000001",
    "BADGE-2001",
    "BADGE-2002",
    "BADGE-2003",
    "CMD:CANCEL",
    "CMD:SIGN_OUT",
    "CMD:REASON:recount",
    KEYPAD + "1234",
    SAM_PIN,
    "CMD:DONE",
    "hello",
    "",
    "0012345678906",
]
BY_FLOW = {
    "intake": [
        "RMA-3000001",
        "RMA-9999999",
        "0012345678905",
        "CMD:GRADE:A",
        "CMD:GRADE:junk",
        "CMD:FLOW:INTAKE",
    ],
    "restock": ["CMD:FLOW:RESTOCK", "BIN-A-01", "BIN-B-02", "BIN-A-01"],
    "pack": [
        "CMD:FLOW:PACK",
        "ORD-4000001",
        "ORD-4000009",
        "]C1010950110153000321SNA1",
        "09501101530003",
        "0012345678905",
        LPNS[2],
        "CMD:DONE",
    ],
    "repair": [
        "CMD:FLOW:REPAIR",
        "WO-500001",
        "CMD:DIAG:NO_POWER",
        "PART-SCREEN-01",
        "]C1010950110153000321P1",
        "CMD:WIPE:purge:blancco",
        "BADGE-2002",
        SAM_PIN,
        "CMD:LABOUR:15",
        "CMD:NOTE:internal:ok",
        "CMD:CLOSE:repaired:B:restock_local",
        "CMD:CLOSE:harvested:junk:recycle",
        "CMD:PARK",
        "CMD:FLOW:RESTOCK",
        "BIN-A-01",
    ],
}


def event(seq: int, type_: str, **data: object) -> Event:
    return Event(seq, f"id{seq}", type_, "s", "op", Hlc(seq), "boot", 0, True, data)


def test_fold_follows_a_unit_from_intake_to_order() -> None:
    log = [
        event(1, "return.dispositioned", lpn="L1", gtin="g1", serial="S1", disposition="restock_local"),
        event(2, "inventory.restocked", lpn="L1", gtin="g1", serial="S1", bin="BIN-A", hub="h"),
        event(3, "inventory.moved", lpn="L1", from_bin="BIN-A", to_bin="BIN-B"),
        event(4, "return.dispositioned", lpn="L2", gtin="g2", serial=None, disposition="repair"),
        event(5, "workorder.opened", lpn="L2", workorder="W", gtin="g2", serial=None),
        event(6, "workorder.closed", lpn="L2", workorder="W", grade="B", disposition="restock_local"),
        event(7, "inventory.restocked", lpn="L2", gtin="g2", serial=None, bin="BIN-A", hub="h"),
    ]
    units_now = fold(log)
    assert [(u.lpn, u.bin) for u in in_stock(units_now)] == [("L2", "BIN-A"), ("L1", "BIN-B")]
    assert units_now["L2"].grade == "B" and units_now["L1"].stocked_seq == 2
    packed = apply(units_now, event(8, "order.packed", order="O1", units=[{"lpn": "L1"}, {"lpn": "nope"}]))
    assert packed["L1"].status is UnitStatus.PACKED and packed["L1"].order == "O1"
    assert units_now["L1"].status is UnitStatus.STOCKED  # apply leaves its input as it was
    assert [u.lpn for u in in_stock(packed)] == ["L2"]
    assert apply(packed, event(9, "operator.signed_in", badge="x")) == packed


def _check_invariants(desk: Desk) -> None:
    store = desk.store
    table = units.all_units(store)
    replayed = fold(desk.log.read())
    assert table == replayed  # kept up to date as events commit == the log replayed
    seen: dict[str, UnitRecord] = {}
    for e in desk.log.read():  # every packed unit was in stock when it was packed
        if e.type == "order.packed":
            for u in e.data["units"]:
                assert seen[u["lpn"]].status is UnitStatus.STOCKED
        seen = dict(apply(seen, e))
    stocked = in_stock(table)
    keys = [(u.gtin, u.serial) for u in stocked if u.serial]
    assert len(keys) == len(set(keys))  # no unit counted twice
    assert all(u.bin for u in stocked)
    assert units.rebuild(store) == len(table)
    assert units.all_units(store) == table


@pytest.mark.parametrize("flow", sorted(BY_FLOW))
def test_random_scans_per_flow_keep_stock_exact(flow: str) -> None:
    vocabulary = st.sampled_from(COMMON + BY_FLOW[flow] * 3)

    @settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(st.lists(vocabulary, max_size=30))
    def check(tail: list[str]) -> None:
        with tempfile.TemporaryDirectory() as tmp:
            desk = make_desk(Path(tmp), pins=False)
            try:
                outcomes = feed(desk, *SHELVED, *tail)  # anything but a StationError propagates
                assert all(o.ok for o in outcomes[: len(SHELVED)] if o.input != LPNS[2])
                assert all(o.ok or o.message for o in outcomes)
                _check_invariants(desk)
            finally:
                desk.store.close()

    check()


def test_table_catches_up_on_events_committed_elsewhere(hub_desk: Desk) -> None:
    feed(hub_desk, *INTAKE, "CMD:FLOW:RESTOCK", LPNS[0], "BIN-A-01")
    hub_desk.store.conn.execute("DELETE FROM units")
    hub_desk.store.conn.execute("UPDATE meta SET value = '0' WHERE key = 'units_seq'")
    assert units.catch_up(hub_desk.store) > 0
    assert [u.lpn for u in units.in_stock(hub_desk.store)] == [LPNS[0]]
