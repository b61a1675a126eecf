"""Every label a scan says was made has a print job or a ``label.failed`` event; a job for a named printer
stays with that printer."""

from __future__ import annotations

import json
from pathlib import Path

from station.core.packing import Order, OrderLine
from station.devices.printers.simulator import PrinterSimulator
from station.runtime.clock import SystemClock
from station.runtime.print_worker import PrintWorker
from station.store.database import open_database
from station.store.orders import apply_orders
from station.store.print_jobs import JobState, get_job, jobs
from tests.fixtures_hubwork import feed, make_desk
from tests.fixtures_printers import SAMPLES
from tests.test_labels_cli import run

PHONE = "]C1010950110153000321SNA1"


def test_a_label_that_cannot_be_made_is_a_label_failed_event_and_said_at_once(tmp_path: Path) -> None:
    desk = make_desk(tmp_path, pins=False)
    # an order whose carrier label is empty got past loading (older data): packing it still works
    with desk.store.write() as conn:
        apply_orders(conn, [Order("4000002", (OrderLine(1, "09501101530003", 1, "SNA1"),), "DHL", "")])
    outs = feed(desk, "BADGE-2001", "RMA-3000001", PHONE, "CMD:GRADE:A", "CMD:DONE")
    lpn = next(e.data["lpn"] for e in desk.log.read(types=["return.dispositioned"]))
    outs += feed(desk, "CMD:FLOW:RESTOCK", lpn, "BIN-A-01", "ORD-4000002", lpn)
    assert all(o.ok for o in outs), [o.message for o in outs]
    packed = feed(desk, "CMD:DONE")[0]
    assert packed.ok and "NO LABEL for 4000002" in packed.message and "supervisor" in packed.message
    failed = [dict(e.data) for e in desk.log.read(types=["label.failed"])]
    assert len(failed) == 1 and failed[0]["template"] == "shipping" and "not made" in failed[0]["reason"]
    assert [j.template for j in jobs(desk.store)] == ["return_lpn"]  # no job that can never print
    desk.store.close()


def test_a_job_for_a_named_printer_never_lands_in_the_spool(
    tmp_path: Path, printer_sim: PrinterSimulator
) -> None:
    data = tmp_path / "lpn.json"
    data.write_text(json.dumps(SAMPLES["return_lpn"]))
    uri = f"tcp://127.0.0.1:{printer_sim.port}"
    printer_sim.set_fault("paper_out")
    code, out = run(tmp_path, "print", "return_lpn", "--data", str(data), "--printer", uri, "--wait", "1")
    assert code == 1 and "still queued" in out
    store = open_database(tmp_path / "data" / "station.db")
    spool = tmp_path / "spool"
    try:
        job = get_job(store, 1)
        assert (job.state, job.printer) == (JobState.QUEUED, uri)
        # the station's own worker (spool) does not take it ...
        assert PrintWorker(store.path, f"file://{spool}", SystemClock()).step(store) is False
        assert get_job(store, 1).state is JobState.QUEUED and not list(spool.glob("*.zpl"))
        # ... the printer it was sent to prints it once it has paper
        printer_sim.set_fault(None)
        assert PrintWorker(store.path, uri, SystemClock()).step(store) is True
        assert get_job(store, 1).state is JobState.PRINTED and len(printer_sim.labels) == 1
    finally:
        store.close()
