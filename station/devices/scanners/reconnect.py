"""Keeping a plugged scanner read: open, read until it goes, report why, reopen with exponential backoff.

A path that exists but is no character device, or that the user may not open, is FAILED (a retry alone
cannot fix it; the detail says what to do). The reader still looks again every ``backoff.maximum`` seconds,
so that fixing it (a udev rule, a group, the right cable) needs no restart.
"""

from __future__ import annotations

import errno
import logging
import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from station.devices.scanners.base import Reporter, ScannerState

log = logging.getLogger(__name__)

_PERMISSION = {errno.EACCES, errno.EPERM}
_IN_USE = {errno.EBUSY, errno.EAGAIN}  # grabbed (evdev) or locked (serial, exclusive) by another program


@dataclass(frozen=True)
class Backoff:
    """Delays between reopen attempts: ``initial`` doubling up to ``maximum`` seconds."""

    initial: float = 0.1
    maximum: float = 5.0

    def next(self, delay: float) -> float:
        return min(delay * 2, self.maximum)


DEFAULT_BACKOFF = Backoff()


class Connection(Protocol):
    """An open device."""

    def pump(self, stop: threading.Event) -> None:
        """Read and report scans until ``stop`` is set; raise OSError when the device goes away."""

    def close(self) -> None: ...


@dataclass(frozen=True)
class Trouble:
    state: ScannerState
    detail: str


def check_path(path: str, kind: str, fix_access: str) -> Trouble | None:
    """Why ``path`` cannot be a scanner right now, or None if it is worth opening."""
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return Trouble(ScannerState.DISCONNECTED, f"{path} does not exist: plug the {kind} in (retrying).")
    except OSError as exc:
        return trouble_from(exc, path, kind, fix_access)
    if not stat.S_ISCHR(mode):
        return Trouble(
            ScannerState.FAILED,
            f"{path} is not a character device: point the URI at the {kind} "
            "(a /dev/serial/by-id/ or /dev/input/by-id/ name, or a udev SYMLINK).",
        )
    return None


def trouble_from(exc: OSError, path: str, kind: str, fix_access: str) -> Trouble:
    """The state and sentence for an error while opening or reading ``path``."""
    if exc.errno in _PERMISSION:
        return Trouble(ScannerState.FAILED, f"No permission to open {path}: {fix_access}.")
    reason = exc.strerror or str(exc) or type(exc).__name__
    if exc.errno in _IN_USE:
        return Trouble(
            ScannerState.DISCONNECTED,
            f"The {kind} at {path} is held by another program ({reason}): close it (another station "
            "instance, a terminal program); retrying.",
        )
    return Trouble(ScannerState.DISCONNECTED, f"The {kind} at {path} went away ({reason}); reconnecting.")


def keep_connected(
    reporter: Reporter,
    stop: threading.Event,
    backoff: Backoff,
    path: str,
    kind: str,
    fix_access: str,
    connect: Callable[[], Connection],
) -> None:
    """Run connections to ``path`` one after another until ``stop`` is set; report every change."""
    reporter.report(ScannerState.CONNECTING, f"Opening the {kind} at {path}.")
    delay = backoff.initial
    while not stop.is_set():
        trouble = check_path(path, kind, fix_access)
        if trouble is None:
            try:
                connection = connect()
            except Exception as exc:
                trouble = _trouble(exc, path, kind, fix_access)
            else:
                reporter.report(ScannerState.CONNECTED, f"Reading the {kind} at {path}.")
                delay = backoff.initial
                trouble = _pump(connection, stop, path, kind, fix_access)
        if trouble is not None:
            reporter.report(trouble.state, trouble.detail)
            stop.wait(delay)
            delay = backoff.next(delay)
    reporter.report(ScannerState.STOPPED, f"Stopped reading the {kind} at {path}.")


def _pump(connection: Connection, stop: threading.Event, path: str, kind: str, fix: str) -> Trouble | None:
    try:
        connection.pump(stop)
        return None
    except Exception as exc:
        return _trouble(exc, path, kind, fix)
    finally:
        try:
            connection.close()
        except Exception:
            log.debug("Closing %s failed", path, exc_info=True)


def _trouble(exc: Exception, path: str, kind: str, fix_access: str) -> Trouble:
    if isinstance(exc, OSError):
        return trouble_from(exc, path, kind, fix_access)
    # Not device trouble but a bug: it must not end the reader either. Log it, report it, reconnect.
    log.exception("Using %s failed unexpectedly", path)
    return Trouble(ScannerState.DISCONNECTED, f"Using the {kind} at {path} failed ({exc!r}); reconnecting.")
