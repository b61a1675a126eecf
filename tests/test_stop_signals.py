"""Ctrl-C and SIGTERM become an event and never an exception inside the code they land in: a
KeyboardInterrupt raised while Kivy's clock lock was held left a station (started by a test) deaf to
SIGTERM for hours; gdb showed its main thread waiting for that lock inside ``Clock.schedule_once``."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator

import pytest

from station.runtime.stop_signals import stop_on_signals


@pytest.fixture
def own_signals() -> Iterator[None]:
    """Put pytest's handlers and wakeup fd back afterwards."""
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    wakeup = signal.set_wakeup_fd(-1)
    signal.set_wakeup_fd(wakeup)
    yield
    signal.set_wakeup_fd(wakeup)
    for sig, handler in handlers.items():
        signal.signal(sig, handler)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_a_stop_signal_sets_the_event_and_raises_nothing(own_signals: None, sig: signal.Signals) -> None:
    stopping = stop_on_signals()
    held = threading.Lock()
    try:
        with held:  # the main thread inside a lock, as in a queue's put or Kivy's clock
            os.kill(os.getpid(), sig)
            for _ in range(1000):  # bytecodes run: Python calls its handler between them
                pass
            assert stopping.wait(10), "the signal did not set the event"
    except KeyboardInterrupt:
        pytest.fail("the signal raised inside the code it landed in")


def test_a_burst_of_signals_never_blocks_the_handler(own_signals: None) -> None:
    stopping = stop_on_signals()
    for _ in range(70_000):  # more bytes than a pipe holds (64 KiB): a blocking write would hang here
        os.kill(os.getpid(), signal.SIGTERM)
    assert stopping.wait(10)
