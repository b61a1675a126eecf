"""``serial:///dev/ttyACM0?baud=9600&terminator=cr``: a scanner in USB CDC (virtual COM port) mode."""

from __future__ import annotations

import threading
import time

import serial

from station.devices.scanners.base import OnScan, OnState, Reporter
from station.devices.scanners.lines import MAX_LINE_BYTES, TERMINATORS, LineSplitter, Lost, LostReason
from station.devices.scanners.reconnect import DEFAULT_BACKOFF, Backoff, keep_connected
from station.devices.scanners.uri import ScannerURI, parse_scanner_uri

FORM = "serial:///dev/PATH?baud=9600&terminator=cr|lf|crlf (e.g. serial:///dev/ttyACM0)"
_FIX_ACCESS = 'add the user to group dialout, or give the port a udev rule with GROUP="dialout"'
_POLL_S = 0.1  # how often a quiet port checks the stop flag
#: How each terminator is named to people.
END_NAMES = {"cr": "CR", "lf": "LF", "crlf": "CR LF"}
_SHEET = "station scanner sheet MODEL --interface serial"


class SerialScanner:
    """Reads terminated lines from a serial port; survives unplug and replug."""

    finite = False

    def __init__(
        self,
        uri: str,
        path: str,
        baud: int = 9600,
        terminator: str = "cr",
        backoff: Backoff = DEFAULT_BACKOFF,
        max_line: int = MAX_LINE_BYTES,
    ) -> None:
        self.uri = uri
        self.path = path
        self.baud = baud
        self.terminator = terminator
        self.backoff = backoff
        self.max_line = max_line

    @classmethod
    def from_uri(cls, uri: str) -> SerialScanner:
        parsed = parse_scanner_uri(uri, FORM, ("baud", "terminator"), needs_path=True)
        return cls(uri, parsed.path, _baud(parsed), parsed.choice("terminator", "cr", tuple(TERMINATORS)))

    def run(self, on_scan: OnScan, on_state: OnState, stop: threading.Event) -> None:
        reporter = Reporter(self.uri, on_scan, on_state)
        keep_connected(
            reporter,
            stop,
            self.backoff,
            self.path,
            "serial scanner",
            _FIX_ACCESS,
            lambda: _Port(self, reporter),
        )


def _baud(parsed: ScannerURI) -> int:
    text = parsed.option("baud", "9600")
    if not text.isdigit() or int(text) not in serial.Serial.BAUDRATES:
        raise parsed.error(f"baud={text!r} is not a standard rate such as 9600 or 115200")
    return int(text)


class _Port:
    def __init__(self, scanner: SerialScanner, reporter: Reporter) -> None:
        self._reporter = reporter
        self._terminator = scanner.terminator
        self._max_line = scanner.max_line
        self._port = serial.Serial(scanner.path, baudrate=scanner.baud, timeout=_POLL_S, exclusive=True)
        self._lines = LineSplitter(TERMINATORS[scanner.terminator], self._lost, scanner.max_line)

    def pump(self, stop: threading.Event) -> None:
        while not stop.is_set():
            data = self._port.read(max(1, self._port.in_waiting))
            for line in self._lines.feed(data, time.monotonic()):
                self._reporter.scan(line)
            self._lines.expire(time.monotonic())

    def _lost(self, lost: Lost) -> None:
        self._reporter.lost(lost.text, lost_sentence(lost, self._terminator, self._max_line))

    def close(self) -> None:
        self._port.close()


def lost_sentence(lost: Lost, terminator: str, max_line: int = MAX_LINE_BYTES) -> str:
    """One sentence on a scan a serial port lost, naming the setting that fixes it."""
    want = END_NAMES[terminator]
    if lost.reason is LostReason.OTHER_END:
        came = "lf" if lost.end == b"\n" else "cr"
        return (
            f"The scanner ended a scan with {END_NAMES[came]}, not the {want} this port expects, so it was "
            f"not taken: set the scanner's suffix to {want} ({_SHEET}) or terminator={came} in its URI."
        )
    if lost.reason is LostReason.NO_END:
        return (
            f"A scan came without the {want} suffix this port expects (or two ran together), so it was not "
            f"taken: set the scanner to send a {want} suffix ({_SHEET})."
        )
    return (
        f"A line of {lost.size} bytes (more than {max_line}) came without a {want} and was dropped: set the "
        f"scanner's suffix to {want} ({_SHEET}) or terminator= in its URI to what it sends."
    )
