"""The persistent print queue and its worker against the printer simulator: faults, outages and restarts
leave every job printed exactly once, and only a person's reprint prints a label twice."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from station.core.errors import FlowError
from station.devices.printers import PrinterState, PrinterStatus, open_printer
from station.devices.printers.simulator import PrinterSimulator
from station.labels import LabelDataError
from station.runtime.clock import SystemClock
from station.runtime.print_worker import PrintWorker, enqueue, reprint
from station.store import StationDB, open_database
from station.store.events import EventLog
from station.store.print_jobs import JobState, get_job, jobs, set_state
from tests.fixtures_printers import SAMPLES


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StationDB]:
    db = open_database(tmp_path / "station.db")
    yield db
    db.close()


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def label(lpn: str) -> dict[str, str]:
    return SAMPLES["return_lpn"] | {"lpn": lpn}


def worker(store: StationDB, uri: str, states: list[PrinterStatus] | None = None) -> PrintWorker:
    return PrintWorker(
        store.path,
        uri,
        SystemClock(),
        states.append if states is not None else None,
        poll_interval=0.05,
        confirm_timeout=0.5,
        timeout=0.3,
    )


def printed_events(store: StationDB) -> list[dict[str, object]]:
    return [dict(e.data) for e in EventLog(store, SystemClock()).read(types=["label.printed"])]


def assert_each_printed_once(store: StationDB, sim: PrinterSimulator, ids: list[int]) -> None:
    for job_id in ids:
        job = get_job(store, job_id)
        assert job.state is JobState.PRINTED, (job.id, job.last_error)
        assert sim.labels.count(job.zpl.rstrip(b"\n")) == 1, (
            f"job {job_id} printed {sim.labels.count(job.zpl)}x"
        )
    assert sorted(e["job"] for e in printed_events(store)) == sorted(ids)


def test_jobs_print_in_order_with_an_event_each(store: StationDB, printer_sim: PrinterSimulator) -> None:
    ids = [
        enqueue(store, "return_lpn", label(f"LPN{i:08d}"), lpn=f"LPN{i:08d}", operator="ana")
        for i in range(3)
    ]
    w = worker(store, f"tcp://127.0.0.1:{printer_sim.port}")
    w.start()
    try:
        wait_for(lambda: len(printed_events(store)) == 3)
    finally:
        w.stop()
    assert_each_printed_once(store, printer_sim, ids)
    assert printer_sim.labels == [get_job(store, i).zpl.rstrip(b"\n") for i in ids]
    event = EventLog(store, SystemClock()).read(types=["label.printed"]).__next__()
    assert event.operator == "ana" and event.subject == "LPN00000000"
    assert dict(event.data) == {
        "job": ids[0],
        "template": "return_lpn",
        "lpn": "LPN00000000",
        "printer": f"tcp://127.0.0.1:{printer_sim.port}",
        "copies": 1,
        "reprint": False,
    }


def test_paper_out_in_the_middle_of_a_batch(store: StationDB, printer_sim: PrinterSimulator) -> None:
    states: list[PrinterStatus] = []
    ids = [enqueue(store, "return_lpn", label(f"LPN{i:08d}")) for i in range(8)]
    printer_sim.roll = 3  # the roll runs out after the third label
    w = worker(store, f"tcp://127.0.0.1:{printer_sim.port}", states)
    w.start()
    try:
        wait_for(lambda: any(s.state is PrinterState.PAPER_OUT for s in states))
        time.sleep(0.3)
        assert len(jobs(store, JobState.PRINTED)) == 3
        printer_sim.set_fault(None)  # a new roll
        wait_for(lambda: len(jobs(store, JobState.PRINTED)) == 8)
    finally:
        w.stop()
    assert_each_printed_once(store, printer_sim, ids)
    seen = [s.state for s in states]
    assert PrinterState.READY in seen[seen.index(PrinterState.PAPER_OUT) :]


def test_printer_gone_and_back(store: StationDB, printer_sim: PrinterSimulator) -> None:
    states: list[PrinterStatus] = []
    port = printer_sim.port
    w = worker(store, f"tcp://127.0.0.1:{port}", states)
    w.start()
    try:
        first = enqueue(store, "return_lpn", label("LPN00000001"))
        wait_for(lambda: get_job(store, first).state is JobState.PRINTED)
        printer_sim.stop()
        ids = [enqueue(store, "return_lpn", label(f"LPN{i:08d}")) for i in range(2, 6)]
        wait_for(lambda: w.state is not None and w.state.state is PrinterState.UNREACHABLE)
        time.sleep(0.2)
        assert all(get_job(store, i).state is JobState.QUEUED for i in ids)
        printer_sim.start(port=port)
        wait_for(lambda: len(jobs(store, JobState.PRINTED)) == 5)
    finally:
        w.stop()
    assert_each_printed_once(store, printer_sim, [first, *ids])


def test_station_restarted_with_jobs_pending(store: StationDB, printer_sim: PrinterSimulator) -> None:
    uri = f"tcp://127.0.0.1:{printer_sim.port}"
    ids = [enqueue(store, "return_lpn", label(f"LPN{i:08d}")) for i in range(6)]
    printer = open_printer(uri)
    # The station died twice while sending: once after the printer printed the label, once before.
    with store.write() as conn:
        set_state(conn, ids[0], JobState.PRINTING, counter_before=printer.label_count(), attempts=1)
    printer.send(get_job(store, ids[0]).zpl, name="x")
    wait_for(lambda: printer_sim.label_count == 1)
    with store.write() as conn:
        set_state(conn, ids[1], JobState.PRINTING, counter_before=printer.label_count(), attempts=1)
    store.close()
    restarted = open_database(store.path)
    w = worker(restarted, uri)
    w.start()
    try:
        wait_for(lambda: len(jobs(restarted, JobState.PRINTED)) == 6)
    finally:
        w.stop()
    assert_each_printed_once(restarted, printer_sim, ids)
    restarted.close()


def test_labels_lost_in_a_power_cut_are_sent_again(store: StationDB, printer_sim: PrinterSimulator) -> None:
    port = printer_sim.port
    printer_sim.set_fault("paused")  # the labels wait in the printer's buffer ...
    w = worker(store, f"tcp://127.0.0.1:{port}")
    ids = [enqueue(store, "return_lpn", label(f"LPN{i:08d}")) for i in range(2)]
    printer_sim.set_fault(None)
    printer_sim.set_fault("paused")
    with store.write() as conn:  # ... as if sent just before the pause
        set_state(conn, ids[0], JobState.PRINTING, counter_before=0, attempts=1)
    printer_sim.handle(get_job(store, ids[0]).zpl)
    assert printer_sim.pending
    printer_sim.stop()  # ... and the power goes
    printer_sim.start(port=port)
    printer_sim.set_fault(None)
    w.start()
    try:
        wait_for(lambda: len(jobs(store, JobState.PRINTED)) == 2)
    finally:
        w.stop()
    assert_each_printed_once(store, printer_sim, ids)


def test_uncertain_job_on_a_printer_without_counter_fails_for_a_person(store: StationDB) -> None:
    sim = PrinterSimulator(odometer_query=False)
    sim.start()
    try:
        ids = [enqueue(store, "return_lpn", label(f"LPN{i:08d}"), lpn=f"LPN{i:08d}") for i in range(2)]
        with store.write() as conn:
            set_state(conn, ids[0], JobState.PRINTING, attempts=1)
        w = worker(store, f"tcp://127.0.0.1:{sim.port}")
        w.start()
        try:
            wait_for(lambda: get_job(store, ids[1]).state is JobState.PRINTED)
        finally:
            w.stop()
    finally:
        sim.stop()
    failed = get_job(store, ids[0])
    assert failed.state is JobState.FAILED and "reprint" in (failed.last_error or "")
    event = next(EventLog(store, SystemClock()).read(types=["label.failed"]))
    assert event.data["job"] == ids[0] and event.data["lpn"] == "LPN00000000" and event.data["reason"]
    assert sim.labels == [get_job(store, ids[1]).zpl.rstrip(b"\n")]


def test_reprint_last_and_by_lpn(store: StationDB, printer_sim: PrinterSimulator) -> None:
    with pytest.raises(FlowError, match="nothing to reprint"):
        reprint(store)
    a = enqueue(store, "return_lpn", label("LPN0000000A"), lpn="LPN0000000A")
    b = enqueue(store, "return_lpn", label("LPN0000000B"), lpn="LPN0000000B")
    w = worker(store, f"tcp://127.0.0.1:{printer_sim.port}")
    w.start()
    try:
        wait_for(lambda: len(jobs(store, JobState.PRINTED)) == 2)
        again_a = reprint(store, lpn="LPN0000000A", operator="sup")
        wait_for(lambda: len(jobs(store, JobState.PRINTED)) == 3)
        again_last = reprint(store)  # the last label printed: the reprint of A
        wait_for(lambda: len(jobs(store, JobState.PRINTED)) == 4)
    finally:
        w.stop()
    assert get_job(store, again_a).reprint_of == a and get_job(store, again_a).zpl == get_job(store, a).zpl
    assert get_job(store, again_last).reprint_of == again_a
    assert printer_sim.labels.count(get_job(store, a).zpl.rstrip(b"\n")) == 3
    assert printer_sim.labels.count(get_job(store, b).zpl.rstrip(b"\n")) == 1
    reprints = [e for e in printed_events(store) if e["reprint"]]
    assert [e["job"] for e in reprints] == [again_a, again_last]
    with pytest.raises(FlowError, match="LPN0000000Z"):
        reprint(store, lpn="LPN0000000Z")


def test_spool_gets_zpl_and_png_per_job(store: StationDB, tmp_path: Path) -> None:
    ids = [
        enqueue(store, "restock_bin", SAMPLES["restock_bin"]),
        enqueue(store, "shipping", SAMPLES["shipping"]),
    ]
    w = worker(store, f"file://{tmp_path}/spool")
    w.start()
    try:
        wait_for(lambda: len(jobs(store, JobState.PRINTED)) == 2)
    finally:
        w.stop()
    names = sorted(p.name for p in (tmp_path / "spool").iterdir())
    assert names == [f"{ids[0]:06d}.png", f"{ids[0]:06d}.zpl", f"{ids[1]:06d}.zpl"]  # no preview of OMS ZPL
    assert (tmp_path / "spool" / f"{ids[1]:06d}.zpl").read_bytes() == SAMPLES["shipping"]["zpl"].encode()


def test_bad_label_data_is_refused_before_it_is_queued(store: StationDB) -> None:
    with pytest.raises(LabelDataError, match="lpn"):
        enqueue(store, "return_lpn", label(""))
    assert jobs(store) == []
