"""Reprint you can trust, and restock shows the grade: a reprint of one label job sends exactly that job's
bytes (the carrier label of a shipping row included), labels are found by the LPN, RMA or order a person
scans (older than the last 8 too, newest first), and a unit's stock record carries its grade."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from click.testing import CliRunner

from station.cli import main
from station.devices.printers.simulator import PrinterSimulator
from station.devices.scanners import RawScan
from station.runtime.config import Config
from station.runtime.desk import Desk, Outcome, Touch
from station.runtime.service import Station
from station.store import stock as units
from station.store.database import open_database
from station.store.print_jobs import get_job, jobs, labels_of, recent_jobs
from tests.fixtures_hubwork import feed, make_desk, touch
from tests.sync_helpers import wait_for

PHONE = "]C1010950110153000321SNA1"
TABLET = "]C1010400638133393121TAB1"
CABLE = "0012345678905"
RETURN = ["BADGE-2001", "RMA-3000001", PHONE, "CMD:GRADE:A", TABLET, "CMD:GRADE:C", CABLE, "CMD:GRADE:B"]
RETURN += ["CMD:DONE"]


def ok(outcomes: list[Outcome]) -> None:
    assert all(o.ok for o in outcomes), [(o.input, o.message) for o in outcomes]


def printed(desk: Desk) -> None:
    """Mark every queued job printed, as the print worker would (the desk alone has no printer)."""
    with desk.store.write() as conn:
        conn.execute("UPDATE print_jobs SET state = 'printed' WHERE state = 'queued'")


def returned_and_packed(desk: Desk) -> tuple[str, str, str]:
    """A 3-unit return, the phone restocked and packed into ORD-4000001: the LPNs of phone and tablet and
    the shipping job's id."""
    ok(feed(desk, *RETURN))
    phone, tablet, _ = (j.lpn for j in jobs(desk.store))
    ok(feed(desk, "CMD:FLOW:RESTOCK", str(phone), "BIN-A-01", "ORD-4000001", PHONE, "CMD:DONE"))
    printed(desk)
    shipping = [j for j in jobs(desk.store) if j.template == "shipping"]
    assert len(shipping) == 1
    return str(phone), str(tablet), str(shipping[0].id)


def test_a_reprint_by_job_sends_exactly_that_labels_bytes(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, pins=False)
    phone, tablet, shipping = returned_and_packed(desk)
    tablet_job = next(j for j in jobs(desk.store) if j.lpn == tablet)

    # the carrier label's row: the carrier's bytes, not the last return label
    assert touch(desk, "reprint", "job", shipping).ok
    again = recent_jobs(desk.store, 1)[0]
    assert again.template == "shipping" and again.reprint_of == int(shipping)
    assert again.zpl == get_job(desk.store, int(shipping)).zpl
    assert b"DHL 4000001" in again.zpl and again.subject == "4000001"

    # the command barcode does the same for an older label
    ok(feed(desk, f"CMD:REPRINT:JOB:{tablet_job.id}"))
    again = recent_jobs(desk.store, 1)[0]
    assert (again.zpl, again.lpn, again.reprint_of) == (tablet_job.zpl, tablet, tablet_job.id)

    # a job not yet printed, an unknown job, a job without its number: refused with what to do
    queued = feed(desk, f"CMD:REPRINT:JOB:{again.id}")[0]
    assert not queued.ok and "has not printed yet" in queued.message
    unknown = touch(desk, "reprint", "job", "999")
    assert not unknown.ok and "no label job 999" in unknown.message
    bare = feed(desk, "CMD:REPRINT:JOB")[0]
    assert not bare.ok and "CMD:REPRINT:JOB:17" in bare.message
    # reprint by LPN still works
    assert touch(desk, "reprint", phone).ok and recent_jobs(desk.store, 1)[0].lpn == phone
    desk.store.close()


def test_labels_are_found_by_lpn_rma_or_order_newest_first_older_than_the_last_8(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, pins=False)
    phone, tablet, shipping = returned_and_packed(desk)
    first = [j.id for j in jobs(desk.store)]
    for _ in range(10):  # ten reprints of the tablet: the return's labels are no longer in the last 8
        assert touch(desk, "reprint", tablet).ok
        printed(desk)
    assert not set(first[:1]) & {j.id for j in recent_jobs(desk.store, 8)}

    by_rma = touch(desk, "find_labels", "RMA-3000001")
    assert by_rma.ok
    view = desk.view(by_rma)
    assert view.found_labels is not None
    code, found = view.found_labels
    assert code == "RMA-3000001"
    ids = [j.id for j in found]
    assert ids == sorted(ids, reverse=True) and set(first[:3]) <= set(ids)
    assert all(j.subject == "RMA-3000001" and j.created_at > 0 for j in found)
    assert {j.template for j in found} == {"return_lpn"}
    assert "for RMA-3000001 (Phone X)" in next(j.purpose for j in found if j.lpn == phone)

    # the scanned order finds its carrier label
    assert touch(desk, "find_labels", "ORD-4000001").ok
    assert desk.view().found_labels is not None
    _, found = desk.view().found_labels or ("", ())
    assert [str(j.id) for j in found] == [shipping]
    assert found[0].purpose == "carrier label for order 4000001"

    assert touch(desk, "find_labels", phone).ok
    assert [j.lpn for j in (desk.view().found_labels or ("", ()))[1]] == [phone]
    assert len(labels_of(desk.store, tablet)) == 11

    missing = touch(desk, "find_labels", "RMA-3000002")
    assert not missing.ok and "No label was printed for RMA-3000002" in missing.message
    desk.store.close()


def test_the_stock_record_carries_the_grade_from_intake_and_from_repair(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, pins=False)
    ok(feed(desk, *RETURN))
    phone, tablet, cable = (j.lpn for j in jobs(desk.store))
    grades = {lpn: u.grade for lpn, u in units.all_units(desk.store).items()}
    assert grades == {phone: "A", tablet: "C", cable: "B"}
    # the repair bench's close gives the tablet its new grade
    outs = feed(desk, "CMD:FLOW:REPAIR", str(tablet), "CMD:DIAG:SCREEN_CRACKED", "CMD:WIPE:purge:blancco")
    outs += feed(desk, "BADGE-2002", "keypad:135792", "CMD:CLOSE:repaired:B:restock_local")
    assert all(o.ok for o in outs[:3] + outs[4:]), [o.message for o in outs]
    assert units.find_unit(desk.store, str(tablet)).grade == "B"  # type: ignore[union-attr]
    ok(feed(desk, "CMD:FLOW:RESTOCK", str(phone)))
    waiting = desk.view().restock.unit  # what the restock screen shows while the unit waits for its bin
    assert waiting is not None and (waiting.lpn, waiting.grade) == (phone, "A")
    ok(feed(desk, "BIN-A-01", str(tablet), "BIN-A-02"))
    before = units.all_units(desk.store)
    units.rebuild(desk.store)
    assert units.all_units(desk.store) == before
    config = desk.config
    desk.store.close()

    result = CliRunner().invoke(main, ["--data-dir", str(config.data_dir), "stock", "--json"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert {(r["lpn"], r["grade"], r["bin"]) for r in rows} == {
        (phone, "A", "BIN-A-01"),
        (tablet, "B", "BIN-A-02"),
    }


def test_a_database_from_before_gets_subjects_and_grades(tmp_path: Path) -> None:
    """The appended migrations fill in what older rows lack: the subject of each label, units' grades."""
    desk = make_desk(tmp_path, pins=False)
    ok(feed(desk, *RETURN))
    path = desk.config.db_path
    desk.store.close()
    raw = sqlite3.connect(path)
    with raw:  # as an older station left it: no subjects, no grades
        raw.execute("UPDATE units SET grade = NULL")
        raw.execute("DROP INDEX print_jobs_subject")
        raw.execute("ALTER TABLE print_jobs DROP COLUMN subject")
        raw.execute("DELETE FROM _migrations WHERE name IN ('0600_print_job_subject', '0610_units_grade')")
    raw.close()
    store = open_database(path)
    assert {j.subject for j in jobs(store)} == {"RMA-3000001"}
    units.catch_up(store)
    assert sorted(str(u.grade) for u in units.all_units(store).values()) == ["A", "B", "C"]
    store.close()


def test_the_headless_station_reprints_a_rows_exact_bytes_on_the_tcp_printer(
    tmp_path: Path, printer_sim: PrinterSimulator
) -> None:
    seed = make_desk(tmp_path / "station", pins=False)  # the test data, loaded into the station's database
    seed.store.close()
    config = Config(data_dir=tmp_path / "station", scanners=(), printer=f"tcp://127.0.0.1:{printer_sim.port}")
    station = Station(config)
    got: list[Outcome] = []
    station.on_outcome(got.append)
    station.start()
    try:
        script = [*RETURN, "CMD:FLOW:RESTOCK"]
        for text in script:
            station.submit(RawScan(text, "test:", time.monotonic_ns()))
        station.wait_idle()
        ok(got)
        assert station.drain_prints(30) == 0
        phone = jobs(station.store)[0].lpn
        for text in (str(phone), "BIN-A-01", "ORD-4000001", PHONE, "CMD:DONE"):
            station.submit(RawScan(text, "test:", time.monotonic_ns()))
        station.wait_idle()
        ok(got)
        assert station.drain_prints(30) == 0
        wait_for(lambda: len(printer_sim.labels) == 4, what="four labels printed")
        shipping = next(j for j in jobs(station.store) if j.template == "shipping")
        tablet = jobs(station.store)[1]

        # the screen's rows come from the status thread; a tap on the shipping row, then a command barcode
        station.submit(Touch("reprint", ("job", str(shipping.id))))
        station.submit(RawScan(f"CMD:REPRINT:JOB:{tablet.id}", "test:", time.monotonic_ns()))
        station.wait_idle()
        ok(got)
        wait_for(lambda: len(printer_sim.labels) == 6, what="the two reprints printed")
        assert printer_sim.labels[-2] == shipping.zpl.rstrip(b"\n")
        assert printer_sim.labels[-1] == tablet.zpl.rstrip(b"\n")
        wait_for(
            lambda: any(row.get("subject") == "4000001" for row in station.status["labels"]),
            what="the status thread's rows naming the order",
        )
    finally:
        station.stop()
