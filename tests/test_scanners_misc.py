"""replay:, stdin:, wedge: and choosing a reader by URI."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from station.core.errors import DeviceError, UnknownDeviceURI
from station.devices.scanners import ScannerState, open_scanner
from station.devices.scanners.replay import ReplayScanner, Sleep, parse_script
from station.devices.scanners.stdin_reader import StdinScanner
from station.devices.scanners.wedge import WedgeScanner

GS = "\x1d"

SCRIPT = r"""# a return at the counter
RMA-1234567

  # indented comment
0109506000134352<GS>10LOT7\x1d21SER9
@sleep 0.25
C:\\temp\\x  # not a comment: only whole lines are
"""


def test_replay_plays_the_script_with_escapes_and_sleeps(tmp_path, run_reader):
    script = tmp_path / "counter.scans"
    script.write_text(SCRIPT)
    reader = open_scanner(f"replay:{script}")
    assert reader.finite
    running = run_reader(reader)
    texts = running.recorder.wait_scans(3)
    assert texts == [
        "RMA-1234567",
        f"0109506000134352{GS}10LOT7{GS}21SER9",
        r"C:\temp\x  # not a comment: only whole lines are",
    ]
    assert running.recorder.wait_state(ScannerState.FINISHED)
    scans = running.recorder.scans
    assert scans[2].at_ns - scans[1].at_ns >= 250_000_000
    assert all(s.source == f"replay:{script}" for s in scans)
    running.thread.join(1)
    assert not running.thread.is_alive()  # a finite reader returns by itself


def test_replay_path_is_relative_to_the_working_directory(tmp_path, monkeypatch, run_reader):
    (tmp_path / "demo.txt").write_text("LPN00000001\n")
    monkeypatch.chdir(tmp_path)
    running = run_reader(open_scanner("replay:demo.txt"))
    assert running.recorder.wait_scans(1) == ["LPN00000001"]


def test_replay_of_a_missing_file_names_the_path(tmp_path):
    with pytest.raises(DeviceError, match=r"nothing-here\.txt"):
        open_scanner(f"replay:{tmp_path}/nothing-here.txt")


@pytest.mark.parametrize("line", ["@sleep", "@sleep soon", "@sleep -1", "@wait 2", "@sleep nan"])
def test_replay_bad_directive_names_the_line(tmp_path, line):
    script = tmp_path / "bad.txt"
    script.write_text(f"A\n\n{line}\n")
    with pytest.raises(DeviceError, match=r"bad\.txt line 3.*@sleep SECONDS"):
        open_scanner(f"replay://{script}")


def test_replay_stops_in_the_middle_of_a_sleep(run_reader):
    running = run_reader(ReplayScanner("replay:test", ["FIRST", Sleep(30), "NEVER"]))
    assert running.recorder.wait_scans(1) == ["FIRST"]
    assert running.stop_and_join() < 1
    assert running.recorder.texts == ["FIRST"]
    assert running.recorder.states[-1][0] is ScannerState.STOPPED


@given(st.text())
def test_any_script_text_parses_or_says_which_line(text):
    try:
        steps = parse_script(text, "fuzz")
    except DeviceError as exc:
        assert "fuzz line" in str(exc)
    else:
        assert all(isinstance(s, (str, Sleep)) for s in steps)


def test_stdin_reads_lines_until_end_of_input(run_reader):
    read_end, write_end = os.pipe()
    running = run_reader(StdinScanner("stdin:", read_end))
    os.write(write_end, b"RMA-1234567\r\n\n   \nBIN-A-01\n\xffLAST")
    os.close(write_end)
    assert running.recorder.wait_scans(3) == ["RMA-1234567", "BIN-A-01", "\ufffdLAST"]
    running.recorder.wait_state(ScannerState.FINISHED)
    os.close(read_end)


def test_stdin_of_a_real_process():
    code = (
        "import threading\n"
        "from station.devices.scanners import open_scanner\n"
        "r = open_scanner('stdin:')\n"
        "r.run(lambda s: print('SCAN', repr(s.text)), lambda u, s, d: print('STATE', s), threading.Event())\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=b"LPN123456\nORD-1234567\n", capture_output=True, timeout=20
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.decode().splitlines() == [
        "STATE connected",
        "SCAN 'LPN123456'",
        "SCAN 'ORD-1234567'",
        "STATE finished",
    ]


def test_wedge_collects_typed_keys_into_scans(run_reader):
    wedge = open_scanner("wedge:")
    assert isinstance(wedge, WedgeScanner) and not wedge.finite
    running = run_reader(wedge)
    running.recorder.wait_state(ScannerState.CONNECTED)
    wedge.feed_text("0109506000134352")
    wedge.feed_key("ctrl-]")
    wedge.feed_text("10LOT7")
    wedge.feed_key("shift")  # keys that type nothing are ignored
    wedge.feed_key("Enter")
    wedge.feed_key("enter")  # an empty scan is none
    wedge.feed_text("RMA-1234567\nLPN0000\r\n")
    wedge.feed_text("BIN-")
    wedge.feed_text("A-01")
    wedge.feed_key("KP_Enter")
    assert running.recorder.wait_scans(4) == [
        f"0109506000134352{GS}10LOT7",
        "RMA-1234567",
        "LPN0000",
        "BIN-A-01",
    ]


def test_wedge_gs_key_is_configurable(run_reader):
    wedge = open_scanner("wedge:?gs=f8")
    assert isinstance(wedge, WedgeScanner)
    wedge.feed_text("10A")
    wedge.feed_key("ctrl+]")  # not the GS key here: ignored
    wedge.feed_key("F8")
    wedge.feed_text("21B\n")  # fed before run: delivered once it runs
    running = run_reader(wedge)
    assert running.recorder.wait_scans(1) == [f"10A{GS}21B"]


def test_wedge_is_fed_from_other_threads_while_it_runs(run_reader):
    wedge = WedgeScanner()
    running = run_reader(wedge)
    expected = [f"LPN{n:08d}" for n in range(300)]

    def ui_thread():
        for text in expected:
            wedge.feed_text(text)
            wedge.feed_key("enter")

    feeder = threading.Thread(target=ui_thread)
    feeder.start()
    feeder.join(5)
    assert running.recorder.wait_scans(300) == expected
    ends = [s.at_ns for s in running.recorder.scans]
    assert ends == sorted(ends)


@pytest.mark.parametrize(
    ("uri", "error", "says"),
    [
        ("usb:///dev/ttyACM0", UnknownDeviceURI, "serial:///dev/PATH"),
        ("/dev/ttyACM0", UnknownDeviceURI, "replay:FILE"),
        ("", UnknownDeviceURI, "wedge:"),
        ("serial://dev/ttyACM0", DeviceError, "three slashes"),
        ("serial://", DeviceError, "path is missing"),
        ("serial:///dev/ttyACM0?baud=fast", DeviceError, "standard rate"),
        ("serial:///dev/ttyACM0?terminator=tab", DeviceError, "cr, lf, crlf"),
        ("serial:///dev/ttyACM0?baud=9600&baud=19200", DeviceError, "given twice"),
        ("serial:///dev/ttyACM0?parity=N", DeviceError, "accepted: baud, terminator"),
        ("serial:///dev/ttyACM0?baud", DeviceError, "key=value"),
        ("evdev:///dev/input/event3?layout=fr", DeviceError, "us, de"),
        ("evdev:///dev/input/event3?gap=0", DeviceError, "from 1 to 10000"),
        ("evdev:///dev/input/event3?gs=alt-029", DeviceError, "ctrl-], f8"),
        ("stdin:?x=1", DeviceError, "no options"),
        ("wedge:/dev/x", DeviceError, "not used"),
        ("replay:", DeviceError, "path is missing"),
    ],
)
def test_open_scanner_errors_show_the_accepted_forms(uri, error, says):
    with pytest.raises(error) as caught:
        open_scanner(uri)
    assert says in str(caught.value)
    assert repr(uri) in str(caught.value)


@given(st.text(max_size=60))
def test_any_uri_opens_or_raises_a_device_error(uri):
    if uri.lower().startswith("replay:"):
        uri = "replay:/nonexistent/" + uri[7:]
    try:
        reader = open_scanner(uri)
    except DeviceError:
        return
    assert reader.uri == uri
