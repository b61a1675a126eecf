"""Reading the test scans of ``station scanner check`` from a scanner URI.

A serial scanner is read raw, so that a scan without its CR suffix shows (it ends by a quiet gap instead);
every other kind of scanner goes through its ordinary reader, which says how a scan ended where it can (a
keyboard scanner's ends on Enter or on a gap between keys).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import serial

from station.devices.scanners.base import RawScan, ScannerState
from station.devices.scanners.opener import open_scanner
from station.devices.scanners.serial_reader import SerialScanner
from station.field.scanner_check import Received

QUIET_S = 0.4  # a serial scan with no terminator is taken as ended after this much silence


def read_scans(
    uri: str, count: int, timeout: float, prompt: Callable[[int], None] = lambda n: None
) -> list[Received]:
    """Up to ``count`` scans from ``uri``, waiting at most ``timeout`` seconds in all."""
    reader = open_scanner(uri)
    if isinstance(reader, SerialScanner):
        return _serial(reader, count, timeout, prompt)
    got: list[Received] = []
    stop = threading.Event()
    problems: list[str] = []

    def on_scan(scan: RawScan) -> None:
        got.append(Received(scan.text, scan.terminated))
        if len(got) >= count:
            stop.set()
        else:
            prompt(len(got) + 1)

    def on_state(_: str, state: ScannerState, detail: str) -> None:
        if state in (ScannerState.FAILED, ScannerState.FINISHED):
            problems.append(detail)
            stop.set()

    prompt(1)
    thread = threading.Thread(target=reader.run, args=(on_scan, on_state, stop), daemon=True)
    thread.start()
    stop.wait(timeout)
    stop.set()
    thread.join(2)
    return got


def _serial(
    reader: SerialScanner, count: int, timeout: float, prompt: Callable[[int], None]
) -> list[Received]:
    got: list[Received] = []
    buffer = b""
    last = time.monotonic()
    deadline = last + timeout
    prompt(1)
    with serial.Serial(reader.path, baudrate=reader.baud, timeout=0.05, exclusive=True) as port:
        while len(got) < count and time.monotonic() < deadline:
            data = port.read(max(1, port.in_waiting))
            now = time.monotonic()
            if data:
                buffer, last = buffer + data, now
            while (
                end := min((i for i in (buffer.find(b"\r"), buffer.find(b"\n")) if i >= 0), default=-1)
            ) >= 0:
                text = buffer[:end].decode("utf-8", "replace")
                buffer = buffer[end + 1 :].lstrip(b"\r\n")
                if text:
                    got.append(Received(text, terminated=True))
                    prompt(len(got) + 1)
            if buffer and now - last >= QUIET_S:
                got.append(Received(buffer.decode("utf-8", "replace"), terminated=False))
                buffer = b""
                prompt(len(got) + 1)
    return got[:count]
