"""Serial scanners, read through a real pseudo-terminal standing in for /dev/ttyACM0."""

from __future__ import annotations

import errno
import time

import pytest
import serial
from hypothesis import given
from hypothesis import strategies as st

from station.devices.scanners import RawScan, ScannerState, open_scanner
from station.devices.scanners.lines import TERMINATORS, LineSplitter, Lost
from station.devices.scanners.reconnect import Backoff, trouble_from
from station.devices.scanners.serial_reader import SerialScanner
from tests.fixtures_scanners import Recorder

FAST = Backoff(initial=0.02, maximum=0.2)


def serial_reader(path: str, query: str = "") -> SerialScanner:
    reader = open_scanner(f"serial://{path}{query}")
    assert isinstance(reader, SerialScanner)
    reader.backoff = FAST
    return reader


def test_scans_arrive_as_lines(make_pty, run_reader):
    pty = make_pty()
    running = run_reader(serial_reader(pty.path))
    running.recorder.wait_state(ScannerState.CONNECTED)
    before = time.monotonic_ns()
    pty.write(b"RMA-1234567\r0109506000134352\x1d10LOT7\r")
    assert running.recorder.wait_scans(2) == ["RMA-1234567", "0109506000134352\x1d10LOT7"]
    scan = running.recorder.scans[0]
    assert scan.source == f"serial://{pty.path}"
    assert before <= scan.at_ns <= time.monotonic_ns()
    assert not running.reader.finite


@pytest.mark.parametrize(
    ("terminator", "sent", "expected"),
    [
        ("cr", b"A1\rB2\r", ["A1", "B2"]),
        ("lf", b"A1\nB2\n", ["A1", "B2"]),
        ("crlf", b"A1\r\nB2\r\n", ["A1", "B2"]),
        ("cr", b"A1\r\nB2\r\n", ["A1", "B2"]),  # a stray LF after CR is not part of the next scan
        ("crlf", b"A\r1\r\n", ["A\r1"]),  # a lone CR inside a CRLF line stays
    ],
)
def test_terminators(make_pty, run_reader, terminator, sent, expected):
    pty = make_pty()
    running = run_reader(serial_reader(pty.path, f"?terminator={terminator}&baud=115200"))
    running.recorder.wait_state(ScannerState.CONNECTED)
    pty.write(sent)
    assert running.recorder.wait_scans(len(expected)) == expected


def test_garbage_bytes_and_blank_lines_never_crash(make_pty, run_reader):
    pty = make_pty()
    running = run_reader(serial_reader(pty.path))
    running.recorder.wait_state(ScannerState.CONNECTED)
    pty.write(b"\xff\xfeAB\x80\r   \r\t\r\r")
    pty.write(b"caf\xc3")  # a UTF-8 character split across two reads
    time.sleep(0.05)
    pty.write(b"\xa9\rLPN00001234\r")
    assert running.recorder.wait_scans(3) == ["\ufffd\ufffdAB\ufffd", "café", "LPN00001234"]
    time.sleep(0.05)
    assert len(running.recorder.scans) == 3


def test_over_long_line_is_dropped_and_said(make_pty, run_reader):
    pty = make_pty()
    running = run_reader(serial_reader(pty.path))
    running.recorder.wait_state(ScannerState.CONNECTED)
    pty.write(b"X" * 5000)
    pty.write(b"Y" * 100 + b"\rBIN-A-01\r")
    assert running.recorder.wait_scans(2)[1] == "BIN-A-01"
    lost = running.recorder.scans[0]
    assert lost.lost == (
        "A line of 5100 bytes (more than 4096) came without a CR and was dropped: set the scanner's suffix "
        "to CR (station scanner sheet MODEL --interface serial) or terminator= in its URI to what it sends."
    )
    assert running.recorder.scans[1].lost is None


def test_an_lf_scanner_on_a_cr_port_loses_each_scan_out_loud(make_pty, run_reader):
    pty = make_pty()
    running = run_reader(serial_reader(pty.path))  # terminator=cr, the default
    running.recorder.wait_state(ScannerState.CONNECTED)
    pty.write(b"RMA-1234567\n")
    assert running.recorder.wait_scans(1) == ["RMA-1234567"]
    assert running.recorder.scans[0].lost == (
        "The scanner ended a scan with LF, not the CR this port expects, so it was not taken: set the "
        "scanner's suffix to CR (station scanner sheet MODEL --interface serial) or terminator=lf in its URI."
    )
    pty.write(b"LPN00001234\nBIN-A-01\r")  # one lost, then a good one: each said once, in order
    assert running.recorder.wait_scans(3)[1:] == ["LPN00001234", "BIN-A-01"]
    assert [s.lost is not None for s in running.recorder.scans] == [True, True, False]


@pytest.mark.parametrize(
    ("terminator", "sent", "came", "want"),
    [
        ("lf", b"A1\rB2\n", "CR", "LF"),
        ("crlf", b"A1\n", "LF", "CR LF"),
        ("crlf", b"A1\r", "CR", "CR LF"),  # said once the line stays quiet
        ("lf", b"A1\r", "CR", "LF"),
    ],
)
def test_other_line_ends_are_said(make_pty, run_reader, terminator, sent, came, want):
    pty = make_pty()
    running = run_reader(serial_reader(pty.path, f"?terminator={terminator}"))
    running.recorder.wait_state(ScannerState.CONNECTED)
    pty.write(sent)
    assert running.recorder.wait_scans(1)[0] == "A1"
    lost = running.recorder.scans[0].lost
    assert lost is not None and lost.startswith(f"The scanner ended a scan with {came}, not the {want} this")


def test_scans_without_a_suffix_are_said_even_when_two_run_together(make_pty, run_reader):
    pty = make_pty()
    running = run_reader(serial_reader(pty.path))
    running.recorder.wait_state(ScannerState.CONNECTED)
    pty.write(b"RMA-1234567")
    pty.write(b"LPN00001234")  # the next scan, before the quiet gap: the two run together
    assert running.recorder.wait_scans(1) == ["RMA-1234567LPN00001234"]
    assert running.recorder.scans[0].lost == (
        "A scan came without the CR suffix this port expects (or two ran together), so it was not taken: "
        "set the scanner to send a CR suffix (station scanner sheet MODEL --interface serial)."
    )
    pty.write(b"BIN-A-01\r")
    assert running.recorder.wait_scans(2)[1] == "BIN-A-01"


def test_unplug_and_replug(make_pty, run_reader, tmp_path):
    link = tmp_path / "ttyACM-scanner"
    first = make_pty()
    link.symlink_to(first.path)
    running = run_reader(serial_reader(str(link)))
    recorder = running.recorder
    recorder.wait_state(ScannerState.CONNECTED)
    first.write(b"BEFORE-1\r")
    assert recorder.wait_scans(1) == ["BEFORE-1"]

    link.unlink()
    first.unplug()
    since = len(recorder.states)
    detail = recorder.wait_state(ScannerState.DISCONNECTED, since)
    assert str(link) in detail

    second = make_pty()
    link.symlink_to(second.path)
    recorder.wait_state(ScannerState.CONNECTED, since)
    second.write(b"AFTER-2\r")
    assert recorder.wait_scans(2) == ["BEFORE-1", "AFTER-2"]
    assert running.thread.is_alive()


def test_starts_before_the_scanner_is_plugged_in(make_pty, run_reader, tmp_path):
    link = tmp_path / "later"
    running = run_reader(serial_reader(str(link)))
    detail = running.recorder.wait_state(ScannerState.DISCONNECTED)
    assert "does not exist" in detail and "plug" in detail
    pty = make_pty()
    link.symlink_to(pty.path)
    running.recorder.wait_state(ScannerState.CONNECTED)
    pty.write(b"HELLO\r")
    assert running.recorder.wait_scans(1) == ["HELLO"]


def test_a_path_that_is_no_device_fails_with_the_fix(run_reader, tmp_path):
    plain = tmp_path / "scanner.txt"
    plain.write_text("not a tty")
    running = run_reader(serial_reader(str(plain)))
    detail = running.recorder.wait_state(ScannerState.FAILED)
    assert "not a character device" in detail
    assert running.stop_and_join() < 1


def test_a_port_held_by_another_program_is_retried_until_free(make_pty, run_reader):
    pty = make_pty()
    other = serial.Serial(pty.path, exclusive=True)  # e.g. a second station instance, or minicom
    running = run_reader(serial_reader(pty.path))
    assert "held by another program" in running.recorder.wait_state(ScannerState.DISCONNECTED)
    other.close()
    running.recorder.wait_state(ScannerState.CONNECTED)
    pty.write(b"FREE\r")
    assert running.recorder.wait_scans(1) == ["FREE"]


def test_permission_denied_is_failed_with_the_group_to_join():
    # Tests run as root, who may open everything: the classification is checked on the error itself.
    trouble = trouble_from(
        PermissionError(errno.EACCES, "Permission denied"),
        "/dev/ttyACM0",
        "serial scanner",
        "add the user to group dialout",
    )
    assert trouble.state is ScannerState.FAILED
    assert "dialout" in trouble.detail and "/dev/ttyACM0" in trouble.detail


class GrumpyService(Recorder):
    """A service whose scan callback raises on one scan."""

    def on_scan(self, scan: RawScan) -> None:
        super().on_scan(scan)
        if scan.text == "BOOM":
            raise RuntimeError("the service had a bad moment")


def test_a_failing_scan_callback_does_not_stop_the_reader(make_pty, run_reader, caplog):
    pty = make_pty()
    running = run_reader(serial_reader(pty.path), GrumpyService())
    running.recorder.wait_state(ScannerState.CONNECTED)
    pty.write(b"BOOM\rLPN00000042\r")
    assert running.recorder.wait_scans(2) == ["BOOM", "LPN00000042"]
    assert "the service had a bad moment" in caplog.text


def test_stop_ends_run_quickly(make_pty, run_reader):
    pty = make_pty()
    running = run_reader(serial_reader(pty.path))
    running.recorder.wait_state(ScannerState.CONNECTED)
    assert running.stop_and_join() < 1
    assert running.recorder.states[-1][0] is ScannerState.STOPPED


@given(st.lists(st.binary(max_size=40), max_size=20), st.sampled_from(sorted(TERMINATORS)))
def test_lines_do_not_depend_on_how_bytes_are_chunked(chunks, terminator):
    drops: list[Lost] = []
    whole = LineSplitter(TERMINATORS[terminator], drops.append, max_bytes=64)
    pieces = LineSplitter(TERMINATORS[terminator], drops.append, max_bytes=64)
    expected = whole.feed(b"".join(chunks)) + whole.finish()
    got = [line for chunk in chunks for line in pieces.feed(chunk)] + pieces.finish()
    assert got == expected


def test_uri_path_forms():
    assert serial_reader("/dev/ttyACM0").path == "/dev/ttyACM0"
    other = open_scanner("serial:/dev/serial/by-id/usb-Honeywell-if00?baud=115200")
    assert isinstance(other, SerialScanner)
    assert (other.path, other.baud, other.terminator) == (
        "/dev/serial/by-id/usb-Honeywell-if00",
        115200,
        "cr",
    )
