"""One unit, one LPN, one refund, at the desk on a real station database: what a restart takes up again,
serials already at the hub, cancel and reopen, two stations on one RMA, typed codes."""

from __future__ import annotations

import json
from pathlib import Path

from station.core.intake import Phase
from station.runtime.clock import SystemClock
from station.runtime.config import Config
from station.runtime.desk import Desk
from station.runtime.sync_link import StationDownlink
from station.store import stock as units
from station.store.database import open_database
from station.store.events import EventLog
from station.store.manifests import load_manifest
from station.store.operators import load_operators
from station.store.print_jobs import jobs
from sync.downlink import DownlinkMessage
from sync.protocol import validator
from tests.fixtures_hubwork import DATA, SAM_PIN, feed, make_desk

PHONE = "]C1010950110153000321SNA1"
TABLET = "]C1010400638133393121TAB1"
CABLE = "0012345678905"


def reopen(desk: Desk) -> Desk:
    """The desk of a station started again on the same data folder (the old one is gone)."""
    config = desk.config
    desk.store.close()
    store = open_database(config.db_path)
    return Desk(config, store, EventLog(store, SystemClock()))


def of_type(desk: Desk, kind: str) -> list[dict]:
    return [dict(e.data) for e in desk.log.read(types=[kind])]


def test_a_restart_takes_up_the_open_return_where_it_was(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, pins=False)
    outs = feed(desk, "BADGE-2001", "RMA-3000001", PHONE, "CMD:GRADE:A", TABLET)
    assert all(o.ok for o in outs), [o.message for o in outs]
    first_lpn = of_type(desk, "return.dispositioned")[0]["lpn"]

    desk = reopen(desk)
    assert desk.operator is not None and desk.operator.name == "Rita"
    assert desk.intake.phase is Phase.GRADING and desk.intake.ret is not None
    assert [u.lpn for u in desk.intake.units] == [first_lpn, None]
    assert "Grade Tablet" in desk.prompt
    assert feed(desk, "CMD:GRADE:C")[0].ok
    # the phone scanned again is refused as already in this return, not labelled a second time
    again = feed(desk, PHONE)[0]
    assert not again.ok and "already scanned in this return" in again.message
    outs = feed(desk, CABLE, "CMD:GRADE:B", "CMD:DONE")
    assert all(o.ok for o in outs), [o.message for o in outs]
    lpns = [d["lpn"] for d in of_type(desk, "return.dispositioned")]
    assert len(lpns) == len(set(lpns)) == 3 and lpns[0] == first_lpn
    refund = of_type(desk, "refund.eligible")[0]
    assert refund["units"] == lpns
    before = units.all_units(desk.store)
    units.rebuild(desk.store)
    assert units.all_units(desk.store) == before and sorted(before) == sorted(lpns)
    desk.store.close()


def test_a_restart_takes_up_the_order_being_packed_and_the_work_order(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, pins=False)
    script = ["BADGE-2001", "RMA-3000001", PHONE, "CMD:GRADE:A", TABLET, "CMD:GRADE:C", "CMD:DONE"]
    assert all(o.ok for o in feed(desk, *script))
    phone, tablet = (d["lpn"] for d in of_type(desk, "return.dispositioned"))
    assert all(o.ok for o in feed(desk, "CMD:FLOW:RESTOCK", phone, "BIN-A-01", "ORD-4000001"))
    desk = reopen(desk)
    assert desk.packing.order is not None and desk.packing.order.number == "4000001"
    assert "Order 4000001" in desk.prompt
    outs = feed(desk, phone, "CMD:DONE", "CMD:FLOW:REPAIR", tablet, "CMD:DIAG:SCREEN_CRACKED")
    assert all(o.ok for o in outs), [o.message for o in outs]
    desk = reopen(desk)
    assert desk.repair.current is not None and desk.repair.current.diagnoses == ("SCREEN_CRACKED",)
    assert desk.flow.value == "repair" and "Work order" in desk.prompt
    outs = feed(desk, "CMD:WIPE:purge:blancco", "BADGE-2002", SAM_PIN, "CMD:CLOSE:repaired:B:restock_local")
    assert "second person" in outs[0].message and all(o.ok for o in outs[1:]), [o.message for o in outs]
    assert [u.status.value for u in units.all_units(desk.store).values()] == ["packed", "received"]
    desk.store.close()


def test_cancel_voids_the_label_and_reopening_gives_the_same_lpn_and_keeps_the_flag(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, pins=False)
    # first attempt: the tablet's serial does not match, the phone is labelled, then the return is cancelled
    outs = feed(desk, "BADGE-2001", "RMA-3000001", "]C1010400638133393121TABX", "CMD:GRADE:C", PHONE)
    outs += feed(desk, "CMD:GRADE:A", "CMD:CANCEL")
    assert all(o.ok for o in outs), [o.message for o in outs]
    lpns = [d["lpn"] for d in of_type(desk, "return.dispositioned")]
    assert "VOIDED" in outs[-1].message and all(lpn in outs[-1].message for lpn in lpns)
    assert sorted(d["lpn"] for d in of_type(desk, "label.voided")) == sorted(lpns)
    assert {u.status.value for u in units.all_units(desk.store).values()} == {"voided"}
    # their labels had not printed yet: they never will
    assert {(j.lpn, j.state.value) for j in jobs(desk.store)} == {(lpn, "failed") for lpn in lpns}
    refused = feed(desk, "CMD:FLOW:RESTOCK", lpns[1])[1]
    assert not refused.ok and "voided" in refused.message
    # second attempt: the same phone graded again keeps its LPN; the mismatch flag carries over
    outs = feed(desk, "RMA-3000001", PHONE, "CMD:GRADE:A", TABLET, "CMD:GRADE:C", "CMD:DONE")
    assert all(o.ok for o in outs), [o.message for o in outs]
    phone_lpns = {d["lpn"] for d in of_type(desk, "return.dispositioned") if d["serial"] == "SNA1"}
    assert phone_lpns == {lpns[1]}
    completed = of_type(desk, "return.completed")[0]
    assert completed["flagged_for_review"] is True and "serial_mismatch" in completed["review_reasons"]
    assert all(o.ok for o in feed(desk, "CMD:FLOW:RESTOCK", lpns[1], "BIN-A-01"))
    stock = units.in_stock(desk.store)
    assert [(u.lpn, u.serial) for u in stock] == [(lpns[1], "SNA1")]
    desk.store.close()


def test_a_serial_already_at_the_hub_is_refused_with_its_lpn_and_place(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, pins=False)
    second = {
        "returns": [
            {"rma": "RMA-3000002", "version": 1, "items": [{"gtin": "09501101530003", "serial": "SNA1"}]}
        ]
    }
    load_manifest(desk.store, second, desk.config.codes)
    outs = feed(desk, "BADGE-2001", "RMA-3000001", PHONE, "CMD:GRADE:A", "CMD:DONE")
    lpn = of_type(desk, "return.dispositioned")[0]["lpn"]
    outs += feed(desk, "CMD:FLOW:RESTOCK", lpn, "BIN-A-07", "RMA-3000002")
    assert all(o.ok for o in outs), [o.message for o in outs]
    refused = feed(desk, PHONE)[0]
    assert not refused.ok
    assert f"already a unit of this hub, {lpn}, in stock in BIN-A-07" in refused.message
    assert len(of_type(desk, "return.dispositioned")) == 1
    desk.store.close()


def _station_desk(tmp_path: Path, name: str) -> Desk:
    desk = make_desk(tmp_path / name, pins=False)
    config = Config(data_dir=desk.config.data_dir, station=name)
    return Desk(config, desk.store, desk.log)


def test_two_stations_receiving_one_rma_give_one_refund_id_and_a_review_flag(tmp_path: Path) -> None:
    a, b = _station_desk(tmp_path, "counter-1"), _station_desk(tmp_path, "counter-2")
    whole = ["BADGE-2001", "RMA-3000001", PHONE, "CMD:GRADE:A", TABLET, "CMD:GRADE:B", CABLE, "CMD:GRADE:B"]
    assert all(o.ok for o in feed(a, *whole, "CMD:DONE"))
    assert all(o.ok for o in feed(b, *whole))  # offline: counter-2 does not know yet
    # online again: the hub's manifest says the return was received (at counter-1)
    manifest = json.loads((DATA / "hubwork_manifest.json").read_text())
    ret = manifest["returns"][0] | {"version": 2, "status": "received"}
    message = DownlinkMessage("hubs/h/downlink/manifest", "manifest", "RMA-3000001", 2, {"returns": [ret]})
    assert StationDownlink(b.store, b.config.codes).apply(message)
    done = feed(b, "CMD:DONE")[0]
    assert done.ok and "flagged for review" in done.message
    refund_a, refund_b = of_type(a, "refund.eligible")[0], of_type(b, "refund.eligible")[0]
    assert refund_a["refund_id"] == refund_b["refund_id"]
    validator("event-data.json#/$defs/refund.eligible").validate(refund_b)  # the contract has the field
    assert refund_a["units"] != refund_b["units"]  # each station's own LPNs; one refund all the same
    assert of_type(a, "return.completed")[0]["flagged_for_review"] is False
    assert of_type(b, "return.completed")[0]["review_reasons"] == ["received_elsewhere"]
    # a third scan of the return at either counter is refused
    assert "already received at this hub" in feed(b, "RMA-3000001")[0].message
    a.store.close()
    b.store.close()


def test_items_record_their_source_and_keyed_items_are_flagged(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, pins=False)
    feed(desk, "BADGE-2001", "RMA-3000001")
    assert desk.handle_scan(PHONE, "serial:///dev/hub/scanner-1").ok
    assert all(o.ok for o in feed(desk, "CMD:GRADE:A"))
    assert desk.handle_scan(CABLE, "keyed:screen").ok
    assert all(o.ok for o in feed(desk, "CMD:GRADE:B", "CMD:DONE"))
    verified = of_type(desk, "return.item_verified")
    assert [v["source"] for v in verified] == ["serial:///dev/hub/scanner-1", "keyed:screen"]
    completed = of_type(desk, "return.completed")[0]
    assert completed["flagged_for_review"] is True and completed["review_reasons"] == ["missing", "keyed"]
    desk.store.close()


def test_a_regrade_keeps_the_lpn_and_voids_the_old_label_also_across_a_restart(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, pins=False)
    outs = feed(desk, "BADGE-2001", "RMA-3000001", PHONE, "CMD:GRADE:A")
    lpn = of_type(desk, "return.dispositioned")[0]["lpn"]
    outs += feed(desk, "CMD:REGRADE")
    assert all(o.ok for o in outs), [o.message for o in outs]
    assert f"label {lpn} VOIDED" in outs[-1].message and "Grade Phone X" in outs[-1].prompt
    desk = reopen(desk)  # a crash between the two taps
    assert desk.intake.phase is Phase.GRADING and desk.intake.units[0].lpn == lpn
    assert feed(desk, "CMD:GRADE:D")[0].ok
    dispositioned = of_type(desk, "return.dispositioned")
    assert [d["lpn"] for d in dispositioned] == [lpn, lpn]
    assert [d["disposition"] for d in dispositioned] == ["restock_local", "repair"]
    assert [(u.lpn, u.status.value, u.disposition) for u in units.all_units(desk.store).values()] == [
        (lpn, "received", "repair")
    ]
    assert [j.lpn for j in jobs(desk.store)] == [lpn, lpn]  # the new label, with the same LPN
    assert feed(desk, "CMD:REGRADE", "CMD:REGRADE")[1].ok is False  # only the unit graded last, once
    desk.store.close()


def test_open_work_of_someone_no_longer_allowed_in_is_cancelled_at_start(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, pins=False)
    outs = feed(desk, "BADGE-2001", "RMA-3000001", PHONE, "CMD:GRADE:A", TABLET)
    assert all(o.ok for o in outs), [o.message for o in outs]
    lpn = of_type(desk, "return.dispositioned")[0]["lpn"]
    with desk.store.write() as conn:  # Rita left the operator list while the station was down
        conn.execute("UPDATE operators SET active = 0 WHERE badge = '2001'")
    load_operators(
        desk.store,
        {"operators": [{"badge": "BADGE-2004", "name": "Ina", "roles": ["intake"]}]},
        desk.config.codes,
    )
    desk = reopen(desk)
    assert desk.operator is None and desk.intake.phase is Phase.IDLE
    cancelled = [e for e in desk.log.read(types=["return.cancelled", "label.voided"])]
    assert [(e.type, e.operator) for e in cancelled] == [
        ("label.voided", "system"),
        ("return.cancelled", "system"),
    ]
    outs = feed(desk, "BADGE-2004", "RMA-3000001", PHONE, "CMD:GRADE:A")
    assert all(o.ok for o in outs), [o.message for o in outs]
    assert [d["lpn"] for d in of_type(desk, "return.dispositioned")] == [lpn, lpn]
    desk.store.close()


def test_a_work_order_parked_for_other_work_is_not_put_back_on_the_bench(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, pins=False)
    script = ["BADGE-2001", "RMA-3000001", PHONE, "CMD:GRADE:A", TABLET, "CMD:GRADE:C", "CMD:DONE"]
    assert all(o.ok for o in feed(desk, *script))
    tablet = of_type(desk, "return.dispositioned")[1]["lpn"]
    outs = feed(desk, "CMD:FLOW:REPAIR", tablet, "CMD:DIAG:NO_POWER", "CMD:PARK", "ORD-4000001")
    assert all(o.ok for o in outs), [o.message for o in outs]
    desk = reopen(desk)
    assert desk.repair.current is None and desk.packing.order is not None and desk.flow.value == "pack"
    desk.store.close()
