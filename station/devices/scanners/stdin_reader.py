"""``stdin:``: one scan per line of standard input, for headless use and piping; end of input ends it."""

from __future__ import annotations

import os
import select
import threading

from station.devices.scanners.base import OnScan, OnState, Reporter, ScannerState
from station.devices.scanners.lines import TERMINATORS, LineSplitter, Lost, LostReason
from station.devices.scanners.uri import parse_scanner_uri

FORM = "stdin:"
_POLL_S = 0.1


class StdinScanner:
    """Reads lines from a file descriptor (standard input unless told otherwise); CR before LF is trimmed."""

    finite = True

    def __init__(self, uri: str = "stdin:", fd: int = 0) -> None:
        self.uri = uri
        self.fd = fd

    @classmethod
    def from_uri(cls, uri: str) -> StdinScanner:
        parse_scanner_uri(uri, FORM, (), needs_path=False)
        return cls(uri)

    def run(self, on_scan: OnScan, on_state: OnState, stop: threading.Event) -> None:
        reporter = Reporter(self.uri, on_scan, on_state)

        def lost(what: Lost) -> None:
            problem = (
                f"a line of {what.size} bytes, longer than any scan"
                if what.reason is LostReason.OVERLONG
                else "a CR inside a line"
            )
            reporter.lost(what.text, f"Standard input sent {problem}; it was not taken: one scan per line.")

        lines = LineSplitter(TERMINATORS["lf"], lost)
        reporter.report(ScannerState.CONNECTED, "Reading scans from standard input, one per line.")
        try:
            while not stop.is_set():
                ready, _, _ = select.select([self.fd], [], [], _POLL_S)
                if not ready:
                    continue
                data = os.read(self.fd, 65536)
                for line in lines.feed(data) if data else lines.finish():
                    reporter.scan(line)
                if not data:
                    reporter.report(ScannerState.FINISHED, "Standard input ended.")
                    return
        except (OSError, ValueError) as exc:
            reporter.report(
                ScannerState.FAILED, f"Standard input cannot be read ({exc}): start with a readable stdin."
            )
            return
        reporter.report(ScannerState.STOPPED, "Stopped reading standard input.")
