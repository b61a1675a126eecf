"""Printing: queue a label (:func:`enqueue`, :func:`reprint`) and the worker thread that prints the queue.

Nothing is printed twice unless a person asks for a reprint. Before a label is sent the job is marked
``printing`` together with the printer's label counter (odometer, read over the same socket); it is marked
``printed`` once the counter has moved by the job's copies. A job found ``printing`` (after a crash, a
fault or a lost connection) is settled from the counter: moved -> printed; unmoved while the printer is
ready with an empty buffer -> the label never printed, so it is sent again. Where no counter can be read
(CUPS, USB without answers), a delivered label counts as printed, and one whose fate is unknown ends
``failed`` with a reason asking a person to check and reprint. The spool is idempotent: it is rewritten.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from station.core.events import NewEvent
from station.core.hlc import ClockReading
from station.devices.printers import Printer, PrinterStatus, PrinterUnavailable, open_printer
from station.labels import get_template, render_label, render_preview
from station.store.database import StationDB, open_database
from station.store.events import EventLog
from station.store.print_jobs import (
    JobState,
    PrintJob,
    add_job,
    last_printed,
    next_job,
    printed_job,
    set_state,
)

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5


def enqueue(
    store: StationDB,
    template: str,
    data: Mapping[str, Any],
    *,
    lpn: str | None = None,
    copies: int = 1,
    dpi: int = 203,
    operator: str = "station",
    printer: str | None = None,
) -> int:
    """Render ``template`` with ``data`` and queue it (for ``printer`` only, when given); returns the job
    id (raises LabelDataError at once)."""
    rendered = render_label(template, data, dpi=dpi, copies=copies)
    return add_job(
        store, template, data, rendered.zpl, lpn=lpn, copies=copies, operator=operator, printer=printer
    )


def reprint(
    store: StationDB, *, lpn: str | None = None, job: int | None = None, operator: str = "station"
) -> int:
    """Queue the same label bytes again: job ``job`` exactly, else the last label for ``lpn``, else the
    last label; returns the new job's id (FlowError when there is nothing to reprint)."""
    old = printed_job(store, job) if job is not None else last_printed(store, lpn)
    return add_job(
        store,
        old.template,
        old.data,
        old.zpl,
        lpn=old.lpn,
        copies=old.copies,
        operator=operator,
        reprint_of=old.id,
    )


class PrintWorker:
    """Drains the print queue to one printer in a thread; ``state`` is the printer's last known status.

    ``on_state`` is called (from the worker thread) whenever the printer's state or detail changes. It
    prints the jobs queued for its printer and, unless ``any_printer`` is False, those queued for none.
    With ``idle_status_every`` it also asks the printer for its state that often while nothing is queued,
    so paper out shows with nothing printing (the worker is the one thread that talks to the printer).
    """

    def __init__(
        self,
        db_path: Path | str,
        printer_uri: str,
        clock: Callable[[], ClockReading],
        on_state: Callable[[PrinterStatus], None] | None = None,
        *,
        poll_interval: float = 0.5,
        confirm_timeout: float = 10.0,
        timeout: float = 1.0,
        dpi: int = 203,
        draw_preview: Callable[[str, Mapping[str, Any]], bytes] | None = None,
        any_printer: bool = True,
        idle_status_every: float | None = None,
    ) -> None:
        self.db_path = Path(db_path)
        self.any_printer = any_printer
        self.printer: Printer = open_printer(printer_uri, timeout)
        self.clock = clock
        self.on_state = on_state
        self.poll_interval = poll_interval
        self.confirm_timeout = confirm_timeout
        self.idle_status_every = idle_status_every
        # the spool's PNG, drawn at the printer's resolution
        self.draw_preview = draw_preview or (lambda template, data: render_preview(template, data, dpi=dpi))
        self.state: PrinterStatus | None = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- thread -----------------------------------------------------------------------------------------
    def start(self) -> None:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="print-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def notify(self) -> None:
        """A job was queued: look at the queue now rather than at the next poll."""
        self._wake.set()

    def _run(self) -> None:
        store = open_database(self.db_path, check=False)
        try:
            try:
                self._status()  # so the screen shows the printer's state before the first label
            except Exception:
                log.exception("Asking the printer for its state failed; it is asked again with each label.")
            asked = time.monotonic()
            while not self._stop.is_set():
                try:
                    busy = self.step(store)
                except Exception:  # a worker that dies silently loses labels: log, wait, go on
                    log.exception("The print worker failed; retrying.")
                    busy = False
                if busy:
                    asked = time.monotonic()  # each label asks the printer's state
                    continue
                every = self.idle_status_every
                if every is not None and time.monotonic() - asked >= every:
                    asked = time.monotonic()
                    try:
                        self._status()
                    except Exception:
                        log.exception("Asking the idle printer for its state failed; trying again.")
                self._wake.wait(self.poll_interval)
                self._wake.clear()
        finally:
            store.close()

    # --- one step ---------------------------------------------------------------------------------------
    def _status(self) -> PrinterStatus:
        status = self.printer.status()
        changed = self.state is None or (status.state, status.detail) != (self.state.state, self.state.detail)
        if changed and self.on_state is not None:
            self.on_state(status)
        self.state = status
        return status

    def step(self, store: StationDB) -> bool:
        """Work on the next job; True when something moved (so the next step should follow at once)."""
        job = next_job(store, self.printer.uri, any_printer=self.any_printer)
        if job is None:
            return False
        status = self._status()
        if job.state is JobState.PRINTING:
            return self._settle(store, job, status)
        if not status.ready:
            return False
        return self._send(store, job)

    def _send(self, store: StationDB, job: PrintJob) -> bool:
        before = self.printer.label_count()
        with store.write() as conn:
            claimed = set_state(
                conn,
                job.id,
                JobState.PRINTING,
                claim=job,
                attempts=job.attempts + 1,
                counter_before=before,
                printer=self.printer.uri,
            )
        if not claimed:
            return True  # another worker took it
        try:
            self.printer.send(job.zpl, name=f"{job.id:06d}", preview=self._preview(job))
        except PrinterUnavailable as exc:
            if exc.sent_nothing:
                self._retry_or_fail(store, job.attempts + 1, job, str(exc))
            return False  # else the job stays printing and is settled from the counter
        if before is None:
            self._done(store, job)
            return True
        deadline = time.monotonic() + self.confirm_timeout
        while time.monotonic() < deadline and not self._stop.is_set():
            count = self.printer.label_count()
            if count is not None and count >= before + job.copies:
                self._done(store, job)
                return True
            time.sleep(0.005)
        return False

    def _settle(self, store: StationDB, job: PrintJob, status: PrinterStatus) -> bool:
        """Decide a job left ``printing``: printed, send again, wait, or ask a person."""
        if self.printer.idempotent:
            return self._send(store, job)
        count = self.printer.label_count() if job.counter_before is not None else None
        if count is not None and job.counter_before is not None:
            if count >= job.counter_before + job.copies:
                self._done(store, job)
                return True
            if status.ready and not status.busy:
                if count == job.counter_before:
                    return self._send(store, job)  # the printer is idle and never printed it
                self._fail(
                    store,
                    job,
                    f"The printer printed only {count - job.counter_before} of {job.copies} "
                    "copies; check the labels and reprint what is missing.",
                )
                return True
            return False  # still printing, or in a fault: wait
        if job.counter_before is not None and not status.ready:
            return False  # the counter is unreadable now; ask again when the printer is back
        self._fail(
            store,
            job,
            "The station stopped while this label was being sent and the printer cannot "
            "say whether it printed: check for the label and reprint it if it is missing.",
        )
        return True

    def _preview(self, job: PrintJob) -> Callable[[], bytes] | None:
        if get_template(job.template).passthrough:
            return None
        return lambda: self.draw_preview(job.template, job.data)

    def _retry_or_fail(self, store: StationDB, attempts: int, job: PrintJob, reason: str) -> None:
        if attempts >= MAX_ATTEMPTS:
            self._fail(store, job, f"{reason} (after {attempts} attempts)")
            return
        with store.write() as conn:
            set_state(conn, job.id, JobState.QUEUED, last_error=reason)

    def _done(self, store: StationDB, job: PrintJob) -> None:
        data = {
            "job": job.id,
            "template": job.template,
            "lpn": job.lpn,  # None (the key still there) for a label naming no unit: the carrier's
            "printer": self.printer.uri,
            "copies": job.copies,
            "reprint": job.reprint_of is not None,
        }
        with store.write() as conn:
            set_state(conn, job.id, JobState.PRINTED, last_error=None)
            EventLog(store, self.clock).append_in(
                conn, [NewEvent("label.printed", job.lpn or f"print-job/{job.id}", data)], job.operator
            )

    def _fail(self, store: StationDB, job: PrintJob, reason: str) -> None:
        data = {
            "job": job.id,
            "template": job.template,
            "lpn": job.lpn,
            "printer": self.printer.uri,
            "reason": reason,
        }
        with store.write() as conn:
            set_state(conn, job.id, JobState.FAILED, last_error=reason)
            EventLog(store, self.clock).append_in(
                conn, [NewEvent("label.failed", job.lpn or f"print-job/{job.id}", data)], job.operator
            )
