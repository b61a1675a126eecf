"""What every scanner reader gives the station: raw scans, state changes, and a blocking ``run``."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

log = logging.getLogger(__name__)

#: Characters trimmed from both ends of a scan. Not ``str.strip()``: that would also eat a trailing GS (0x1D).
BLANKS = " \t\r\n\f\v\0"


@dataclass(frozen=True)
class RawScan:
    """One scan as the scanner sent it, before classification."""

    text: str
    source: str  # the reader's URI
    at_ns: int  # time.monotonic_ns() at the end of the scan
    terminated: bool | None = None  # ended by the scanner's Enter/CR (False: by a gap; None: cannot tell)
    lost: str | None = None  # not a whole scan: the sentence saying why (the station refuses it with it)


class ScannerState(StrEnum):
    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"  # gone for now; the reader keeps retrying
    FAILED = "failed"  # a retry alone cannot fix it; the detail says what to do
    STOPPED = "stopped"  # the service asked the reader to stop
    FINISHED = "finished"  # a finite source (replay:, stdin:) came to its end


OnScan = Callable[[RawScan], None]
OnState = Callable[[str, ScannerState, str], None]  # (uri, state, detail sentence)


class ScannerReader(Protocol):
    uri: str
    finite: bool  # True for replay: and stdin: (they end by themselves)

    def run(self, on_scan: OnScan, on_state: OnState, stop: threading.Event) -> None:
        """Read until ``stop`` is set or the source ends; never raises for device trouble."""


class Reporter:
    """Hands scans and states to the service's callbacks, so that a failing callback never kills a reader.

    Whitespace-only scans are dropped; a state equal to the last one reported (same detail) is not repeated.
    """

    def __init__(self, uri: str, on_scan: OnScan, on_state: OnState) -> None:
        self.uri = uri
        self._on_scan = on_scan
        self._on_state = on_state
        self._last: tuple[ScannerState, str] | None = None

    @property
    def state(self) -> ScannerState | None:
        return None if self._last is None else self._last[0]

    def scan(self, text: str, at_ns: int | None = None, terminated: bool | None = None) -> None:
        text = text.strip(BLANKS)
        if not text:
            return
        self._hand_on(RawScan(text, self.uri, time.monotonic_ns() if at_ns is None else at_ns, terminated))

    def lost(self, text: str, sentence: str) -> None:
        """Hand on what the scanner sent that is not a whole scan, with the sentence saying why."""
        self._hand_on(RawScan(text, self.uri, time.monotonic_ns(), lost=sentence))

    def _hand_on(self, raw: RawScan) -> None:
        try:
            self._on_scan(raw)
        except Exception:
            log.exception("The scan callback failed for %r from %s; the reader goes on.", raw.text, self.uri)

    def report(self, state: ScannerState, detail: str) -> None:
        if self._last == (state, detail):
            return
        self._last = (state, detail)
        log.info("Scanner %s: %s: %s", self.uri, state, detail)
        try:
            self._on_state(self.uri, state, detail)
        except Exception:
            log.exception("The state callback failed for %s; the reader goes on.", self.uri)
