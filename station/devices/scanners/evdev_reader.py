"""``evdev:///dev/input/by-id/...-event-kbd?layout=us&gs=ctrl-]&gap=50``: a scanner that acts as a keyboard.

The device is grabbed (EVIOCGRAB) so its keys reach neither Kivy nor the desktop; key events become scans
through :class:`~station.devices.scanners.keydecoder.KeyDecoder`. ``gap`` is in milliseconds.
"""

from __future__ import annotations

import select
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

import evdev

from station.devices.scanners.base import OnScan, OnState, Reporter, ScannerState
from station.devices.scanners.gskey import GsKey, gs_key_option
from station.devices.scanners.keydecoder import DEFAULT_GAP_S, KeyDecoder
from station.devices.scanners.keymap import Layout
from station.devices.scanners.layouts import LAYOUTS
from station.devices.scanners.reconnect import DEFAULT_BACKOFF, Backoff, keep_connected
from station.devices.scanners.uri import parse_scanner_uri

FORM = (
    f"evdev:///dev/input/by-id/NAME-event-kbd?layout={'|'.join(LAYOUTS)}&gs=ctrl-]|f8&gap=MILLISECONDS (gap "
    "ends a scan without Enter; default 50)"
)
_FIX_ACCESS = 'add the user to group input, or give the scanner a udev rule with GROUP="input"'
_POLL_S = 0.2  # how often a quiet device checks the stop flag


class InputDevice(Protocol):
    """What the reader uses of :class:`evdev.InputDevice`."""

    fd: int

    def read(self) -> Iterable[evdev.InputEvent]: ...
    def grab(self) -> None: ...
    def close(self) -> None: ...


class EvdevScanner:
    """Reads a grabbed input device; survives unplug and replug."""

    finite = False

    def __init__(
        self,
        uri: str,
        path: str,
        layout: Layout,
        gs_key: GsKey = GsKey.CTRL_BRACKET,
        gap_s: float = DEFAULT_GAP_S,
        backoff: Backoff = DEFAULT_BACKOFF,
        open_device: Callable[[str], InputDevice] = evdev.InputDevice,
    ) -> None:
        self.uri = uri
        self.path = path
        self.layout = layout
        self.gs_key = gs_key
        self.gap_s = gap_s
        self.backoff = backoff
        self.open_device = open_device

    @classmethod
    def from_uri(cls, uri: str) -> EvdevScanner:
        parsed = parse_scanner_uri(uri, FORM, ("layout", "gs", "gap"), needs_path=True)
        layout = LAYOUTS[parsed.choice("layout", "us", tuple(LAYOUTS))]
        gap_ms = parsed.number("gap", DEFAULT_GAP_S * 1000, 1, 10_000)
        return cls(uri, parsed.path, layout, gs_key_option(parsed), gap_ms / 1000)

    def run(self, on_scan: OnScan, on_state: OnState, stop: threading.Event) -> None:
        reporter = Reporter(self.uri, on_scan, on_state)
        keep_connected(
            reporter,
            stop,
            self.backoff,
            self.path,
            "keyboard scanner",
            _FIX_ACCESS,
            lambda: _Grabbed(self, reporter),
        )


class _Grabbed:
    def __init__(self, scanner: EvdevScanner, reporter: Reporter) -> None:
        self._reporter = reporter
        self._decoder = KeyDecoder(scanner.layout, scanner.gs_key, scanner.gap_s)
        self._device = scanner.open_device(scanner.path)
        try:
            self._device.grab()
        except OSError:
            self._device.close()
            raise

    def pump(self, stop: threading.Event) -> None:
        decoder = self._decoder
        last_event = time.monotonic()
        while not stop.is_set():
            quiet = time.monotonic() - last_event
            timeout = max(0.0, decoder.gap_s - quiet) if decoder.pending else _POLL_S
            ready, _, _ = select.select([self._device.fd], [], [], timeout)
            if ready:
                last_event = time.monotonic()
                for event in self._device.read():
                    self._emit(decoder.feed_event(event))
            elif decoder.pending and time.monotonic() - last_event >= decoder.gap_s:
                self._emit(decoder.flush())

    def _emit(self, text: str | None) -> None:
        if text is not None:
            self._reporter.scan(text, terminated=self._decoder.ended_by_enter)
        if self._decoder.dropped:
            self._reporter.report(
                ScannerState.CONNECTED,
                f"Dropped {self._decoder.dropped} over-long scan(s) without Enter: "
                "set the scanner to send Enter after each scan.",
            )

    def close(self) -> None:
        self._device.close()  # closing the descriptor also releases the grab
