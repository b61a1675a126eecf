"""Scanners that lose scans say so: through the real headless station (a serial scanner on a pty), through
the desk's refusal path, and in `station doctor`'s scanner line; and the line splitter never drops
anything in silence."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from station.devices.scanners import ScannerState
from station.devices.scanners.base import BLANKS
from station.devices.scanners.lines import TERMINATORS, LineSplitter, Lost, LostReason
from station.devices.scanners.wedge import NO_ENTER, QUIET_S, SCANNER_KEY_GAP_S, WedgeScanner
from station.field.doctor_checks import scanner_check
from tests.fixtures_scanners import WAIT_S, Pty
from tests.station_cli import load_people

DEADLINE_S = 60.0  # generous: the machine may be busy


class Lines:
    """The lines a process writes to a pipe, read on a thread, with a wait for the next one."""

    def __init__(self, pipe) -> None:
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(pipe,), daemon=True).start()

    def _pump(self, pipe) -> None:
        for line in pipe:
            self._queue.put(line.rstrip("\n"))

    def wait_for(self, test: Callable[[str], bool], what: str) -> str:
        seen: list[str] = []
        while True:
            try:
                line = self._queue.get(timeout=DEADLINE_S)
            except queue.Empty:
                raise AssertionError(f"no line {what} within {DEADLINE_S} s; saw {seen}") from None
            seen.append(line)
            if test(line):
                return line


def test_an_lf_scanner_on_a_cr_port_gets_a_no_line_from_the_headless_station(
    tmp_path: Path, make_pty: Callable[[], Pty]
) -> None:
    pty = make_pty()
    config = tmp_path / "station.toml"
    config.write_text(f'scanners = ["serial://{pty.path}?terminator=cr"]\ndata_dir = "{tmp_path / "data"}"\n')
    load_people(tmp_path / "data")
    proc = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "--config", str(config), "run", "--headless"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ, DISPLAY=""),
    )
    try:
        out, err = Lines(proc.stdout), Lines(proc.stderr)
        err.wait_for(lambda line: f"scanner serial://{pty.path}" in line and "connected" in line, "connected")
        pty.write(b"BADGE-1001\n")  # the scanner sends LF; the port waits for CR
        refused = out.wait_for(lambda line: line.startswith(("OK", "NO")), "for the scan")
        assert refused == (
            "NO  'BADGE-1001': The scanner ended a scan with LF, not the CR this port expects, so it was not "
            "taken: set the scanner's suffix to CR (station scanner sheet MODEL --interface serial) or "
            "terminator=lf in its URI.  -> Scan your badge to sign in."
        )
        pty.write(b"BADGE-1001\r")  # set right, the same scan signs in
        assert out.wait_for(lambda line: line.startswith(("OK", "NO")), "for the scan").startswith("OK")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(WAIT_S * 4)
    assert proc.returncode == 0


def test_the_app_shows_a_lost_scan_in_the_feedback_bar(make_pty: Callable[[], Pty], run_ui) -> None:
    """The app, under Xvfb: an LF scanner on a CR port turns the feedback bar red with the sentence."""
    pty = make_pty()
    done = threading.Event()

    def scanner() -> None:  # the port is opened (and flushed) when the app starts: keep scanning until then
        while not done.wait(0.5):
            pty.write(b"BADGE-1001\n")

    thread = threading.Thread(target=scanner, daemon=True)
    thread.start()
    try:
        record = run_ui(
            [{"pause": 6}, {"pause": 0.5, "expect_feedback": "The scanner ended a scan with LF, not the CR"}],
            config=f'scanners = ["serial://{pty.path}"]\n',
        )
    finally:
        done.set()
        thread.join()
    last = record["steps"][-1]
    # the headline says what happened, the bar's second line names the setting that fixes it
    assert last["feedback"].startswith("The scanner ended a scan with LF, not the CR this port expects")
    assert "terminator=lf in its URI" in last["detail"] and last["operator"] in ("", "Not signed in")
    assert last["colour"][0] > last["colour"][1]  # red: refused


def test_a_keyboard_wedge_scan_without_enter_is_said_but_a_person_typing_waits(run_reader) -> None:
    wedge = WedgeScanner()
    running = run_reader(wedge)
    running.recorder.wait_state(ScannerState.CONNECTED)
    wedge.feed_text("RMA-1234567")  # a scanner's burst, no Enter
    assert running.recorder.wait_scans(1) == ["RMA-1234567"]
    assert running.recorder.scans[0].lost == NO_ENTER
    for char in "BIN-A-01":  # a person, slower than any scanner, pausing longer than the quiet time too
        wedge.feed_text(char)
        time.sleep(SCANNER_KEY_GAP_S * 2 if char != "-" else QUIET_S * 2)
    wedge.feed_key("enter")
    assert running.recorder.wait_scans(2)[1] == "BIN-A-01"
    assert running.recorder.scans[1].lost is None


def test_doctor_names_the_terminator_setting(make_pty: Callable[[], Pty]) -> None:
    pty = make_pty()
    (check,) = scanner_check(f"serial://{pty.path}?terminator=crlf")
    assert check.status.value == "ok"
    assert (
        "each scan must end with CR LF (terminator=crlf in the URI, the scanner's suffix setting"
        in check.detail
    )


_BYTES = st.lists(st.binary(max_size=10) | st.sampled_from([b"\r", b"\n", b"\r\n", b"AB"]), max_size=5)


@given(_BYTES, st.sampled_from(sorted(TERMINATORS)))
def test_every_byte_that_is_not_a_line_end_reaches_a_line_or_a_lost_report(chunks, terminator):
    lost: list[Lost] = []
    splitter = LineSplitter(TERMINATORS[terminator], lost.append, max_bytes=1000)
    lines = [line for chunk in chunks for line in splitter.feed(chunk, 0.0)]
    splitter.expire(10.0)  # quiet: whatever waits for a terminator is reported
    sent = b"".join(chunks).decode("utf-8", "replace")
    kept = "".join(lines) + "".join(x.text for x in lost)
    assert sorted(c for c in kept if c not in BLANKS) == sorted(c for c in sent if c not in BLANKS)
    assert all(x.reason is not LostReason.OVERLONG for x in lost)
