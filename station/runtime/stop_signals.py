"""Ctrl-C and SIGTERM (a stop from systemd) as an event, never as an exception in whatever code runs.

A ``KeyboardInterrupt`` raised while the main thread holds a lock (a queue's, a condition's, Kivy's clock's)
leaves that lock held, and the stop then waits for it forever: a station that ignores SIGTERM. Here the
Python handler does nothing; Python writes the signal's number to a pipe, and a thread reads it and sets
the event.
"""

from __future__ import annotations

import os
import signal
import threading


def stop_on_signals() -> threading.Event:
    """From now on, Ctrl-C and SIGTERM set the returned event (in the main thread only, as Python wants)."""
    stopping = threading.Event()
    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)  # a burst of signals never blocks the handler: one byte is enough

    def watch() -> None:
        os.read(read_end, 1)
        stopping.set()

    threading.Thread(target=watch, name="stop-signal", daemon=True).start()
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)  # the first byte is all that counts
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: None)
    return stopping
