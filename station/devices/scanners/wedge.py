"""``wedge:?gs=ctrl-]|f8``: scans typed into the app window by a keyboard-wedge scanner, fed by the UI.

The UI calls :meth:`WedgeScanner.feed_text` with typed text and :meth:`WedgeScanner.feed_key` with the
names of keys that type no text: ``enter`` (or ``return``, ``kp_enter``) ends a scan, the GS key (``ctrl-]``
or ``f8``, as chosen in the URI) types a GS. CR or LF inside fed text also end a scan. Both are thread-safe.

A scanner types faster than :data:`SCANNER_KEY_GAP_S` a key; text typed that fast and then left without
Enter for :data:`QUIET_S` came from a scanner that sends no suffix: it is
handed on as a lost scan (with the setting to fix), not left to run into the next scan. Text a person types
by hand (slower) waits for Enter as long as it takes.
"""

from __future__ import annotations

import queue
import threading
import time

from station.devices.scanners.base import OnScan, OnState, Reporter, ScannerState
from station.devices.scanners.gskey import GS, GsKey, gs_key_option
from station.devices.scanners.uri import parse_scanner_uri

FORM = "wedge: or wedge:?gs=ctrl-]|f8"
_END_KEYS = frozenset({"enter", "return", "kp_enter", "kpenter", "numpadenter"})
_GS_NAMES = {
    GsKey.CTRL_BRACKET: frozenset({"ctrl-]", "ctrl-bracketright", "ctrl-rightbracket"}),
    GsKey.F8: frozenset({"f8"}),
}
_POLL_S = 0.1
#: The longest gap between keys a scanner leaves; a person typing leaves longer ones.
SCANNER_KEY_GAP_S = 0.05
#: Silence after a scanner's burst of keys without Enter that makes it a lost scan (longer than a serial
#: port's: the app's event loop may hold keys back for a moment).
QUIET_S = 1.0
NO_ENTER = (
    "A scan was typed without Enter (the scanner sends no suffix), so it was not taken: set the scanner "
    "to send Enter after each scan (station scanner sheet MODEL --interface keyboard)."
)


class WedgeScanner:
    """Collects fed keys into scans; ``run`` hands them to the service."""

    finite = False

    def __init__(self, uri: str = "wedge:", gs_key: GsKey = GsKey.CTRL_BRACKET) -> None:
        self.uri = uri
        self.gs_key = gs_key
        self._lock = threading.Lock()
        self._typed: list[str] = []
        self._last_key = 0.0  # time.monotonic() of the last key typed
        self._by_hand = False  # the text typed so far had a gap no scanner leaves
        self._done: queue.SimpleQueue[tuple[str, int]] = queue.SimpleQueue()

    @classmethod
    def from_uri(cls, uri: str) -> WedgeScanner:
        return cls(uri, gs_key_option(parse_scanner_uri(uri, FORM, ("gs",), needs_path=False)))

    def feed_text(self, text: str) -> None:
        """Typed characters; CR and LF end the scan typed so far."""
        with self._lock:
            for char in text:
                if char in "\r\n":
                    self._end()
                else:
                    self._type(char)

    def feed_key(self, name: str) -> None:
        """A key that types no text, by name (``enter``, ``ctrl-]``, ``f8``...); other keys are ignored."""
        key = name.strip().lower().replace("+", "-").replace(" ", "")
        with self._lock:
            if key in _END_KEYS:
                self._end()
            elif key in _GS_NAMES[self.gs_key]:
                self._type(GS)

    def _type(self, char: str) -> None:
        now = time.monotonic()
        self._by_hand = self._by_hand or bool(self._typed and now - self._last_key > SCANNER_KEY_GAP_S)
        self._typed.append(char)
        self._last_key = now

    def _end(self) -> None:
        if self._typed:
            self._done.put(("".join(self._typed), time.monotonic_ns()))
            self._typed.clear()
        self._by_hand = False

    def _left_without_enter(self) -> str | None:
        """Text a scanner typed and left without Enter for the quiet time (taken off), else None."""
        with self._lock:
            if not self._typed or self._by_hand or time.monotonic() - self._last_key < QUIET_S:
                return None
            text = "".join(self._typed)
            self._typed.clear()
            return text

    def run(self, on_scan: OnScan, on_state: OnState, stop: threading.Event) -> None:
        reporter = Reporter(self.uri, on_scan, on_state)
        reporter.report(ScannerState.CONNECTED, "Reading scans typed into the station window.")
        while not stop.is_set():
            try:
                text, at_ns = self._done.get(timeout=_POLL_S)
            except queue.Empty:
                lost = self._left_without_enter()
                if lost is not None:
                    reporter.lost(lost, NO_ENTER)
                continue
            reporter.scan(text, at_ns)
        reporter.report(ScannerState.STOPPED, "Stopped reading typed scans.")
