"""The CUPS path against a real cupsd with a raw queue pointing at the simulator (socket://)."""

from __future__ import annotations

import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.devices.printers import PrinterState, PrinterUnavailable, open_printer
from station.devices.printers.simulator import PrinterSimulator
from station.runtime.clock import SystemClock
from station.runtime.print_worker import PrintWorker, enqueue
from station.store import open_database
from station.store.print_jobs import JobState, get_job
from tests.fixtures_printers import SAMPLES
from tests.system_packages import find_program


@pytest.fixture
def cups_queue(cupsd: str, printer_sim: PrinterSimulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """A raw CUPS queue ``zebra`` sending to the simulator; CUPS_SERVER points lpr and lpstat at our cupsd."""
    monkeypatch.setenv("CUPS_SERVER", cupsd)
    lpadmin = find_program("lpadmin")
    assert lpadmin is not None
    subprocess.run(
        [
            lpadmin,
            "-h",
            cupsd,
            "-p",
            "zebra",
            "-E",
            "-v",
            f"socket://127.0.0.1:{printer_sim.port}",
            "-m",
            "raw",
        ],
        check=True,
        capture_output=True,
    )
    yield "zebra"
    subprocess.run([lpadmin, "-h", cupsd, "-x", "zebra"], capture_output=True)


def wait_for(condition: object, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_cups_queue_delivers_the_label_bytes_unchanged(
    cups_queue: str, printer_sim: PrinterSimulator
) -> None:
    printer = open_printer(f"cups://{cups_queue}")
    assert printer.status().state is PrinterState.READY
    zpl = SAMPLES["shipping"]["zpl"].encode()
    printer.send(zpl, name="1")
    wait_for(lambda: printer_sim.labels)
    assert printer_sim.labels == [zpl]


def test_missing_cups_queue_is_unreachable_and_refuses_to_send(cups_queue: str) -> None:
    printer = open_printer("cups://no-such-queue")
    status = printer.status()
    assert status.state is PrinterState.UNREACHABLE and "no-such-queue" in status.detail
    with pytest.raises(PrinterUnavailable, match="no queue"):
        printer.send(b"^XA^XZ", name="1")


def test_print_worker_prints_through_cups(
    cups_queue: str, printer_sim: PrinterSimulator, tmp_path: Path
) -> None:
    store = open_database(tmp_path / "station.db")
    job = enqueue(store, "return_lpn", SAMPLES["return_lpn"], lpn="LPN00012345")
    worker = PrintWorker(store.path, f"cups://{cups_queue}", SystemClock(), poll_interval=0.05)
    worker.start()
    try:
        wait_for(lambda: get_job(store, job).state is JobState.PRINTED)
        wait_for(lambda: printer_sim.labels)
    finally:
        worker.stop()
    assert printer_sim.labels == [get_job(store, job).zpl.rstrip(b"\n")]
    store.close()
