"""The headless station: scanners -> one core worker -> the event log, and outcomes to whoever listens.

Every scanner has a reader thread that only queues what it read. One core worker thread owns the desk
(:mod:`station.runtime.desk`) and so every write of domain state; the UI (or the terminal, headless) is
told each outcome through listeners and never touches the database itself. The print worker drains the
print queue to the printer, and when a broker is configured the sync link sends the event log up and
applies what the OMS sends down; each has its own thread and database connection.
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from station import __version__
from station.devices.printers.spool import SpoolPrinter
from station.devices.printers.status import PrinterStatus
from station.devices.scanners import RawScan, ScannerReader, ScannerState, open_scanner
from station.runtime.clock import SystemClock
from station.runtime.config import Config
from station.runtime.desk import Desk, Outcome, Touch
from station.runtime.preview_drawer import PreviewDrawer
from station.runtime.print_worker import PrintWorker
from station.runtime.remote_control import RemoteControl
from station.runtime.sync_link import SyncLink, read_status, settings_from_config, start_sync
from station.store.database import open_database
from station.store.events import EventLog
from station.store.lock import hold_data_dir
from station.store.print_jobs import JobState, PrintJob, jobs, recent_jobs

log = logging.getLogger(__name__)

STATUS_EVERY_S = 2.0

Listener = Callable[[Outcome], None]
StateListener = Callable[[str, ScannerState, str], None]


@dataclass(frozen=True)
class _Stop:
    pass


@dataclass(frozen=True)
class _Job:
    """Work for the core worker from elsewhere (the centre's config and commands)."""

    fn: Callable[[], None]


_Command = RawScan | Touch | _Job | _Stop


def label_row(job: PrintJob) -> dict[str, Any]:
    """One row of the reprint screen: the job (its id is what a tap reprints), what it is for, when."""
    return {
        "job": job.id,
        "lpn": job.lpn,
        "template": job.template,
        "state": job.state.value,
        "subject": job.subject,
        "for": job.subject or "",  # the RMA or order the label belongs to
        "purpose": job.purpose,
        "title": job.data.get("title"),
        "created_at": job.created_at,
    }


class Station:
    """Wires the pieces; ``start()`` runs them in threads, ``stop()`` ends them cleanly."""

    def __init__(self, config: Config) -> None:
        self.config = config
        #: one station per data folder: a second one stops here, naming the holder's PID
        self._lock = hold_data_dir(config.data_dir, "station run")
        try:
            self._build(config)
        except BaseException:
            self._lock.release()
            raise

    def _build(self, config: Config) -> None:
        self.store = open_database(config.db_path, move_corrupt=True)
        self.clock = SystemClock()
        self.log = EventLog(self.store, self.clock)
        self.previews = PreviewDrawer(config.label_dpi)
        self.printer = PrintWorker(
            config.db_path,
            config.printer_uri,
            self.clock,
            self._printer_state,
            dpi=config.label_dpi,
            draw_preview=self.previews.draw,
            idle_status_every=STATUS_EVERY_S,
        )
        self.desk = Desk(config, self.store, self.log, labels_queued=self.printer.notify)
        self.sync: SyncLink | None = None
        self.remote: RemoteControl | None = None
        self.readers: list[ScannerReader] = [open_scanner(uri) for uri in config.scanners]
        self.scanner_states: dict[str, tuple[ScannerState, str]] = {
            r.uri: (ScannerState.CONNECTING, "") for r in self.readers
        }
        self._readers_stop = threading.Event()  # stops the readers running now (the scanners may change)
        self._queue: queue.Queue[_Command] = queue.Queue()
        self._listeners: list[Listener] = []
        self._state_listeners: list[StateListener] = []
        self._printer_listeners: list[Callable[[PrinterStatus], None]] = []
        self._status_listeners: list[Callable[[dict[str, Any]], None]] = []
        #: the last health and sync snapshot (replaced whole, so any thread may read it)
        self.status: dict[str, Any] = {
            "health": {},
            "sync": {"state": "starting", "online": False},
            "labels": [],
        }
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._worker: threading.Thread | None = None

    # -- wiring ---------------------------------------------------------------------------------------

    def on_outcome(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def on_scanner_state(self, listener: StateListener) -> None:
        self._state_listeners.append(listener)

    def on_printer_state(self, listener: Callable[[PrinterStatus], None]) -> None:
        self._printer_listeners.append(listener)

    def health(self) -> dict[str, Any]:
        """What the periodic health message and the status screen report."""
        status = self.printer.state
        return {
            "printer": status.state.value if status else "unknown",
            "printer_detail": status.detail if status else "",
            "disk_free_bytes": shutil.disk_usage(self.config.data_dir).free,
            "clock_synced": self.clock().synchronized,
            "scanners": {uri: state.value for uri, (state, _) in self.scanner_states.items()},
            "version": __version__,
            "config_version": self.remote.applied if self.remote else None,
        }

    def _poll_status(self) -> None:
        """Every few seconds, on its own thread and connection: health, sync state and the latest labels (the
        print worker asks the printer for its state)."""
        store = open_database(self.config.db_path, check=False)
        try:
            while not self._stop.is_set():
                try:
                    no_broker = {"state": "no broker", "online": False}
                    self.status = {
                        "health": self.health(),
                        "sync": read_status(self.config.db_path) if self.sync else no_broker,
                        "labels": [label_row(j) for j in recent_jobs(store, 8)],
                    }
                except Exception:
                    log.exception("Reading the station status failed; trying again.")
                for listener in self._status_listeners:
                    listener(self.status)
                if self.remote is not None:
                    self.run_on_worker(self.remote.check_config)
                self._stop.wait(STATUS_EVERY_S)
        finally:
            store.close()

    def on_status(self, listener: Callable[[dict[str, Any]], None]) -> None:
        """Called (from the status thread) with ``{"health": ..., "sync": ...}`` every few seconds."""
        self._status_listeners.append(listener)

    def run_on_worker(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the core worker, between scans (safe from any thread)."""
        self._queue.put(_Job(fn))

    def submit(self, command: RawScan | Touch) -> None:
        """Queue a scan or a touch for the core worker (safe from any thread)."""
        self._queue.put(command)

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> None:
        if isinstance(self.printer.printer, SpoolPrinter):
            self.previews.warm()  # the spool draws a PNG of every label
        self.printer.start()
        self._start_readers()  # before the remote control, which may replace them
        settings = settings_from_config(self.config, version=__version__)
        if settings is not None:
            self.sync = start_sync(settings, self.config.db_path, self.health, patterns=self.config.codes)
            self.remote = RemoteControl(self)
            self.sync.on_command(self.remote.on_command)
            self.run_on_worker(self.remote.restore)
        poller = threading.Thread(target=self._poll_status, name="status", daemon=True)
        poller.start()
        self._worker = threading.Thread(target=self._work, name="core-worker", daemon=True)
        self._worker.start()

    def _start_readers(self) -> None:
        for reader in self.readers:
            t = threading.Thread(
                target=self._read,
                args=(reader, self._readers_stop),
                name=f"scanner {reader.uri}",
                daemon=True,
            )
            t.start()
            self._threads.append(t)

    def use_scanners(self, uris: tuple[str, ...]) -> None:
        """Stop the scanner readers and read ``uris`` instead (URIs checked by the caller: a reader that
        cannot open its device reports it and retries, as at start)."""
        readers = [open_scanner(uri) for uri in uris]
        self._readers_stop.set()
        for t in self._threads:
            t.join(timeout=2)
        self._readers_stop = threading.Event()
        self.readers, self._threads = readers, []
        self.scanner_states = {r.uri: (ScannerState.CONNECTING, "") for r in readers}
        self._start_readers()

    def wait_for_finite_scanners(self, stop: threading.Event) -> bool:
        """Block until every finite scanner (replay:, stdin:) has ended or ``stop`` is set; False at once
        if some scanner never ends."""
        if not all(r.finite for r in self.readers):
            return False
        while any(t.is_alive() for t in self._threads) and not stop.wait(0.1):
            pass
        return True

    def wait_idle(self) -> None:
        """Block until every queued scan and touch has been handled."""
        self._queue.join()

    def drain_prints(self, timeout: float) -> int:
        """Wait up to ``timeout`` seconds for queued labels to print; returns how many are still pending."""
        deadline = time.monotonic() + timeout
        store = open_database(self.config.db_path, check=False)  # this thread's own connection
        try:
            while True:
                pending = len(jobs(store, JobState.QUEUED, JobState.PRINTING))
                if pending == 0 or time.monotonic() > deadline:
                    return pending
                self.printer.notify()
                time.sleep(0.05)
        finally:
            store.close()

    def stop(self) -> None:
        """Stop the readers, let the worker finish what is queued, close the database."""
        self._stop.set()
        self._readers_stop.set()
        self._queue.put(_Stop())
        if self._worker is not None:
            self._worker.join()
        for t in self._threads:
            t.join(timeout=2)
        if self.sync is not None:
            self.sync.stop()
        self.printer.stop()
        self.previews.close()
        self.store.close()
        self._lock.release()

    # -- threads --------------------------------------------------------------------------------------

    def _read(self, reader: ScannerReader, stop: threading.Event) -> None:
        reader.run(self.submit, self._scanner_state, stop)

    def _printer_state(self, status: PrinterStatus) -> None:
        for listener in self._printer_listeners:
            listener(status)

    def _scanner_state(self, uri: str, state: ScannerState, detail: str) -> None:
        self.scanner_states[uri] = (state, detail)
        for listener in self._state_listeners:
            listener(uri, state, detail)

    def _work(self) -> None:
        while True:
            command = self._queue.get()
            try:
                if isinstance(command, _Stop):
                    return
                if isinstance(command, _Job):
                    self._run_job(command)
                else:
                    self._handle(command)
            finally:
                self._queue.task_done()

    def _run_job(self, job: _Job) -> None:
        try:
            job.fn()
        except Exception:
            log.exception("The core worker failed on %r", job)

    def _handle(self, command: RawScan | Touch) -> None:
        try:
            if isinstance(command, Touch):
                outcome = self.desk.handle_touch(command)
            elif command.lost is not None:  # the reader could not take it as a whole scan, and says why
                outcome = replace(self.desk.handle_lost(command.text, command.lost), scanned_ns=command.at_ns)
            else:
                outcome = self.desk.handle_scan(command.text, command.source)
                outcome = replace(outcome, scanned_ns=command.at_ns)
        except Exception:  # a bug must not stop the counter: log it, refuse the input, go on
            log.exception("The core worker failed on %r", command)
            outcome = Outcome(False, "Internal error: the input was not recorded. Try again.", repr(command))
        for listener in self._listeners:
            try:
                listener(outcome)
            except Exception:
                log.exception("A listener failed on %r", outcome)
