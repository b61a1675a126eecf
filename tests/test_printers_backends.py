"""Printer backends against the simulator: TCP, USB (a pty standing in for usblp), spool, status parsing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from station.core.errors import UnknownDeviceURI
from station.devices.printers import PrinterState, PrinterUnavailable, open_printer
from station.devices.printers.simulator import PrinterSimulator
from station.devices.printers.status import (
    HostStatus,
    format_hqes,
    format_hs,
    parse_hi,
    parse_hqes,
    parse_hs,
)
from station.labels import render_label
from tests.fixtures_printers import SAMPLES, sim_on_pty

LABEL = render_label("return_lpn", SAMPLES["return_lpn"]).zpl


def test_host_status_round_trips_through_the_real_layout() -> None:
    s = HostStatus(
        paper_out=True, paused=False, formats_in_buffer=3, head_up=False, ribbon_out=True, labels_remaining=12
    )
    raw = format_hs(s, 1218)
    assert raw.count(b"\x02") == 3 and raw.count(b"\x03\r\n") == 3
    assert parse_hs(raw) == s
    assert parse_hs(raw[:-10]) is None  # the third string has not arrived yet
    assert parse_hqes(format_hqes(0x5)) == 0x5
    assert parse_hi(b"\x02ZD421-300dpi,V84.20.21Z,12,8192KB\x03\r\n") == {
        "model": "ZD421-300dpi",
        "firmware": "V84.20.21Z",
        "dpmm": "12",
    }


def test_malformed_status_is_an_error_not_a_state() -> None:
    with pytest.raises(ValueError, match="wrong layout"):
        parse_hs(b"\x02a,b\x03\x02c\x03\x02d\x03")


def test_tcp_prints_and_reads_status_and_counter(printer_sim: PrinterSimulator) -> None:
    printer = open_printer(f"tcp://127.0.0.1:{printer_sim.port}", timeout=0.3)
    assert printer.status().state is PrinterState.READY
    assert printer.label_count() == 0
    printer.send(LABEL, name="1")
    deadline = time.monotonic() + 10  # generous: a loaded CI machine; the loop ends as soon as it holds
    while printer_sim.label_count < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert printer_sim.labels == [LABEL.rstrip(b"\n")]
    assert printer.label_count() == 1


@pytest.mark.parametrize(
    ("fault", "state"),
    [
        ("paper_out", PrinterState.PAPER_OUT),
        ("head_open", PrinterState.HEAD_OPEN),
        ("ribbon_out", PrinterState.RIBBON_OUT),
        ("paused", PrinterState.PAUSED),
    ],
)
def test_each_fault_is_reported_and_holds_labels_until_cleared(
    printer_sim: PrinterSimulator, fault: str, state: PrinterState
) -> None:
    printer = open_printer(f"tcp://127.0.0.1:{printer_sim.port}", timeout=0.3)
    printer_sim.set_fault(fault)
    status = printer.status()
    assert status.state is state and status.detail
    printer.send(LABEL, name="1")
    time.sleep(0.1)
    assert printer_sim.labels == [] and printer.label_count() == 0
    printer_sim.set_fault("ready")
    assert printer.status().state is PrinterState.READY
    assert printer.label_count() == 1


def test_paper_out_leaves_hs_unanswered(printer_sim: PrinterSimulator) -> None:
    """As on a real Zebra: no answer to ~HS while media is out; ~HQES tells why."""
    printer_sim.set_fault("paper_out")
    answer, _ = printer_sim.handle(b"~HS")
    assert answer == b""
    answer, _ = printer_sim.handle(b"~HQES")
    assert parse_hqes(answer) == 1


def test_a_printer_that_answers_nothing_is_a_fault_not_offline() -> None:
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    accepted: list[socket.socket] = []
    threading.Thread(
        target=lambda: [accepted.append(server.accept()[0]) for _ in range(1)], daemon=True
    ).start()
    try:
        status = open_printer(f"tcp://127.0.0.1:{server.getsockname()[1]}", timeout=0.2).status()
        assert status.state is PrinterState.FAULT and "does not answer" in status.detail
    finally:
        for s in accepted:
            s.close()
        server.close()


def test_a_stopped_printer_is_unreachable_and_sending_says_so(printer_sim: PrinterSimulator) -> None:
    uri = f"tcp://127.0.0.1:{printer_sim.port}"
    printer_sim.stop()
    printer = open_printer(uri, timeout=0.2)
    assert printer.status().state is PrinterState.UNREACHABLE
    assert printer.label_count() is None
    with pytest.raises(PrinterUnavailable) as caught:
        printer.send(LABEL, name="1")
    assert caught.value.sent_nothing


def test_usb_backend_talks_to_the_printer_through_the_device_file() -> None:
    sim = PrinterSimulator()
    with sim_on_pty(sim) as path:
        printer = open_printer(f"usb://{path}", timeout=0.3)
        assert printer.status().state is PrinterState.READY
        printer.send(LABEL, name="1")
        deadline = time.monotonic() + 10  # generous: a loaded CI machine; the loop ends as soon as it holds
        while not sim.labels and time.monotonic() < deadline:
            time.sleep(0.01)
        assert printer.label_count() == 1
        sim.set_fault("head_open")
        assert printer.status().state is PrinterState.HEAD_OPEN


def test_usb_device_unplugged_is_unreachable(tmp_path: Path) -> None:
    printer = open_printer(f"usb://{tmp_path}/lp0", timeout=0.2)
    assert printer.status().state is PrinterState.UNREACHABLE
    with pytest.raises(PrinterUnavailable):
        printer.send(LABEL, name="1")


def test_spool_writes_zpl_and_png_whole_and_rewrites_the_same_name(tmp_path: Path) -> None:
    printer = open_printer(f"file://{tmp_path}/spool")
    assert printer.idempotent and printer.status().state is PrinterState.READY
    printer.send(LABEL, name="000007", preview=lambda: b"\x89PNG-preview")
    printer.send(LABEL, name="000007", preview=lambda: b"\x89PNG-preview")
    assert sorted(p.name for p in (tmp_path / "spool").iterdir()) == ["000007.png", "000007.zpl"]
    assert (tmp_path / "spool" / "000007.zpl").read_bytes() == LABEL


def test_spool_that_cannot_be_written_says_so(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("not a directory")
    printer = open_printer(f"file://{tmp_path}/file/spool")
    with pytest.raises(PrinterUnavailable, match="cannot be written"):
        printer.send(LABEL, name="1")


@pytest.mark.parametrize("uri", ["lpt://x", "tcp://", "cups://", "nonsense"])
def test_unknown_uri_names_the_schemes(uri: str) -> None:
    with pytest.raises(UnknownDeviceURI, match="tcp://host:9100"):
        open_printer(uri)


def test_control_file_sets_the_fault(tmp_path: Path) -> None:
    control = tmp_path / "control"
    sim = PrinterSimulator(directory=tmp_path / "labels", control_file=control)
    port = sim.start()
    try:
        printer = open_printer(f"tcp://127.0.0.1:{port}", timeout=0.3)
        control.write_text("paused\n")
        deadline = time.monotonic() + 10  # generous: a loaded CI machine; the loop ends as soon as it holds
        while printer.status().state is not PrinterState.PAUSED and time.monotonic() < deadline:
            time.sleep(0.05)
        assert printer.status().state is PrinterState.PAUSED
        control.write_text("ready\n")
        deadline = time.monotonic() + 10  # generous: a loaded CI machine; the loop ends as soon as it holds
        while printer.status().state is not PrinterState.READY and time.monotonic() < deadline:
            time.sleep(0.05)
        printer.send(LABEL, name="1")
        deadline = time.monotonic() + 10  # generous: a loaded CI machine; the loop ends as soon as it holds
        while sim.label_count < 1 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert (tmp_path / "labels" / "000001.zpl").exists()
    finally:
        sim.stop()
    assert PrinterSimulator(directory=tmp_path / "labels").label_count == 1  # the odometer survives a restart
