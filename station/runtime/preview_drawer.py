"""Label previews (PNG) drawn in one helper process.

Drawing a preview is 5-20 ms of Python. In the station's own process it holds the GIL that long, and the core
worker, which must commit each scan within a few milliseconds, waits for it. So previews are drawn in a
separate process (started on first use, or by :meth:`PreviewDrawer.warm`). One process serves both the spool
and the screen, and :func:`~station.labels.render_preview` keeps its last few drawings there, so a label is
drawn once for both. If the helper process cannot start or dies, previews are drawn here, as before.
"""

from __future__ import annotations

import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from collections.abc import Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from station.labels import render_preview

log = logging.getLogger(__name__)

#: Longest wait for one drawing before it is drawn here instead (a stuck helper must not stop printing).
DRAW_TIMEOUT_S = 20.0
#: Helper processes that may fail before previews are drawn in-process for good.
MAX_FAILURES = 3


def _die_with_station() -> None:
    """Runs first in the helper: a thread that ends the helper as soon as the station process is gone.

    The spawn start method hands every child a pipe whose other end only the parent holds; it reads as
    closed when the parent exits in any way, a SIGKILL included. (With the helper gone, multiprocessing's
    resource tracker, whose pipe the helper also held, sees its end and exits too.)
    """
    parent = multiprocessing.parent_process()
    if parent is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([parent.sentinel])
        os._exit(0)

    threading.Thread(target=watch, name="station-watch", daemon=True).start()


def _ready() -> bool:
    """Runs in the helper: its first task, which imports the drawing code before any label needs it."""
    return True


class PreviewDrawer:
    """Draws label previews in a helper process; thread-safe."""

    def __init__(self, dpi: int) -> None:
        self.dpi = dpi
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._failures = 0  # helpers that could not start or died; at MAX_FAILURES, draw in this process

    def warm(self) -> None:
        """Start the helper process now (without waiting), so the first label's preview is not late; a
        helper already started is left as it is."""
        with self._lock:
            started = self._pool is not None
        pool = self._get_pool()
        if pool is not None and not started:
            pool.submit(_ready)

    def draw(self, template: str, data: Mapping[str, Any]) -> bytes:
        """The PNG of ``template`` with ``data``; raises as :func:`render_preview` does (LabelDataError)."""
        pool = self._get_pool()
        if pool is not None:
            try:
                future: Future[bytes] = pool.submit(render_preview, template, dict(data), dpi=self.dpi)
                return future.result(timeout=DRAW_TIMEOUT_S)
            except (BrokenProcessPool, TimeoutError, OSError) as exc:
                log.warning("The preview helper process failed (%r); this preview is drawn in-process.", exc)
                self._failed()
        return render_preview(template, data, dpi=self.dpi)

    def close(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def _get_pool(self) -> ProcessPoolExecutor | None:
        with self._lock:
            if self._pool is None and self._failures < MAX_FAILURES:
                try:
                    context = multiprocessing.get_context("spawn")  # no fork of a process with threads
                    self._pool = ProcessPoolExecutor(
                        max_workers=1, mp_context=context, initializer=_die_with_station
                    )
                except OSError as exc:
                    log.warning("No preview helper process (%s); previews are drawn in-process.", exc)
                    self._failures = MAX_FAILURES
            return self._pool

    def _failed(self) -> None:
        with self._lock:
            pool, self._pool = self._pool, None
            self._failures += 1
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
