"""Running scanner readers in a thread the way the station service does, and recording what they report."""

from __future__ import annotations

import os
import threading
import time
import tty
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from station.devices.scanners import RawScan, ScannerReader, ScannerState

WAIT_S = 5.0


@dataclass
class Recorder:
    """The service's side of a reader: every scan and state it reported, with waits for the next ones."""

    scans: list[RawScan] = field(default_factory=list)
    states: list[tuple[ScannerState, str]] = field(default_factory=list)
    uris: set[str] = field(default_factory=set)
    _changed: threading.Condition = field(default_factory=threading.Condition)

    def on_scan(self, scan: RawScan) -> None:
        with self._changed:
            self.scans.append(scan)
            self._changed.notify_all()

    def on_state(self, uri: str, state: ScannerState, detail: str) -> None:
        with self._changed:
            self.uris.add(uri)
            self.states.append((state, detail))
            self._changed.notify_all()

    @property
    def texts(self) -> list[str]:
        return [s.text for s in self.scans]

    def wait_scans(self, count: int) -> list[str]:
        """The texts of the first ``count`` scans, waiting for them."""
        with self._changed:
            assert self._changed.wait_for(lambda: len(self.scans) >= count, WAIT_S), (
                f"expected {count} scans, got {self.texts}; states {self.states}"
            )
            return self.texts[:count]

    def wait_state(self, state: ScannerState, since: int = 0) -> str:
        """The detail of the first ``state`` reported at or after index ``since`` of :attr:`states`."""

        def found() -> str | None:
            return next((d for s, d in self.states[since:] if s is state), None)

        with self._changed:
            assert self._changed.wait_for(lambda: found() is not None, WAIT_S), (
                f"expected {state} after {since}, got {self.states}"
            )
            detail = found()
            assert detail is not None
            return detail


@dataclass
class Running:
    reader: ScannerReader
    recorder: Recorder
    stop: threading.Event
    thread: threading.Thread

    def stop_and_join(self) -> float:
        """Set stop, wait for ``run`` to return; the seconds that took."""
        started = time.monotonic()
        self.stop.set()
        self.thread.join(WAIT_S)
        assert not self.thread.is_alive(), f"{self.reader.uri} did not stop"
        return time.monotonic() - started


@pytest.fixture
def run_reader() -> Iterator[Callable[[ScannerReader], Running]]:
    """Start readers in threads (as the service does); every one is stopped at the end of the test."""
    started: list[Running] = []

    def start(reader: ScannerReader, recorder: Recorder | None = None) -> Running:
        recorder = recorder or Recorder()
        stop = threading.Event()
        thread = threading.Thread(
            target=reader.run, args=(recorder.on_scan, recorder.on_state, stop), daemon=True
        )
        running = Running(reader, recorder, stop, thread)
        started.append(running)
        thread.start()
        return running

    yield start
    for running in started:
        running.stop_and_join()


@dataclass
class Pty:
    """A pseudo-terminal standing in for a USB CDC scanner: write scans into ``master``."""

    master: int
    slave: int
    path: str
    plugged: bool = True

    def write(self, data: bytes) -> None:
        os.write(self.master, data)

    def unplug(self) -> None:
        """Close both ends: a reader of the slave gets an I/O error, as from an unplugged USB port."""
        if self.plugged:
            self.plugged = False
            os.close(self.master)
            os.close(self.slave)


@pytest.fixture
def make_pty() -> Iterator[Callable[[], Pty]]:
    """New pseudo-terminals in raw mode; all closed at the end of the test."""
    made: list[Pty] = []

    def make() -> Pty:
        master, slave = os.openpty()
        tty.setraw(slave)
        made.append(Pty(master, slave, os.ttyname(slave)))
        return made[-1]

    yield make
    for pty in made:
        pty.unplug()
