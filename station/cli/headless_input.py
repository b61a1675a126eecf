"""The headless station's standard input: one scan per line, and PINs on their own prompt line.

When the desk asks for a PIN (a badge with a PIN was scanned, or a second person's badge for an
approval), the PIN is read apart from the scans and never printed: on a terminal without echo (like
``getpass``), from a pipe as the next line, which the output then shows only as ``'PIN'``. A PIN is
never taken from a scan.
"""

from __future__ import annotations

import getpass
import os
import threading

import click

from station.core.operators import Pin
from station.devices.scanners.base import OnState, RawScan
from station.devices.scanners.stdin_reader import StdinScanner
from station.runtime.desk import Touch
from station.runtime.service import Station

URI = "stdin:"


class HeadlessInput:
    """Feeds standard input to the station one line at a time, each after the one before is handled."""

    def __init__(self, station: Station, on_state: OnState, fd: int = 0) -> None:
        self.station = station
        self.on_state = on_state
        self.reader = StdinScanner(URI, fd)
        self.tty = os.isatty(fd)
        self._pin_next = False

    def run(self, stop: threading.Event) -> None:
        """Read until standard input ends or ``stop`` is set."""
        self.reader.run(self._line, self.on_state, stop)

    def _line(self, raw: RawScan) -> None:
        if self._pin_next:
            self._pin_next = False
            self._submit(Touch("pin", (Pin(raw.text),)))
        else:
            self._submit(raw)
        self._ask_pin()

    def _submit(self, command: RawScan | Touch) -> None:
        self.station.submit(command)
        self.station.wait_idle()

    def _ask_pin(self) -> None:
        """While the desk waits for a PIN: prompt for it (a terminal reads it here, without echo)."""
        while (wait := self.station.desk.pin_wait) is not None:
            approves = f" to approve {wait.request.describe()}" if wait.request else ""
            prompt = f"PIN for {wait.operator.name}{approves}: "
            if not self.tty:
                click.echo(f"{prompt}the next line (not shown)", err=True)
                self._pin_next = True
                return
            try:
                typed = getpass.getpass(prompt)
            except EOFError:
                return
            self._submit(Touch("pin", (Pin(typed.strip()),)))
