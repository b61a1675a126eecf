"""Reading the Pi's clocks: wall time, monotonic time, the boot id, and whether NTP has synchronized.

A Pi has no real-time clock, so until NTP syncs the wall clock can be far off; every event records whether
it was synchronized. The sync state is read from the kernel (``adjtimex``) and cached for a few seconds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import time
import uuid
from pathlib import Path

from station.core.hlc import ClockReading

_BOOT_ID_FILE = Path("/proc/sys/kernel/random/boot_id")
_TIME_ERROR = 5  # adjtimex() returns TIME_ERROR while the clock is not synchronized
_RECHECK_NS = 5_000_000_000


class _Timex(ctypes.Structure):
    # struct timex is 208 bytes on 64-bit Linux; only the return value of adjtimex is used.
    _fields_ = [("modes", ctypes.c_uint), ("_rest", ctypes.c_byte * 204)]


def _read_boot_id() -> str:
    try:
        return _BOOT_ID_FILE.read_text().strip()
    except OSError:
        return str(uuid.uuid4())  # not Linux: a fresh id per process is the honest answer


def _ntp_synchronized() -> bool:
    libc_name = ctypes.util.find_library("c")
    if libc_name is None:
        return False
    try:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        state = int(libc.adjtimex(ctypes.byref(_Timex())))
    except (OSError, AttributeError):
        return False
    return state not in (-1, _TIME_ERROR)


class SystemClock:
    """Reads the clocks; ``synchronized`` is re-read at most every five seconds."""

    def __init__(self) -> None:
        self.boot_id = _read_boot_id()
        self._synced = _ntp_synchronized()
        self._checked_ns = time.monotonic_ns()

    def __call__(self) -> ClockReading:
        mono = time.monotonic_ns()
        if mono - self._checked_ns > _RECHECK_NS:
            self._synced = _ntp_synchronized()
            self._checked_ns = mono
        return ClockReading(time.time_ns() // 1_000_000, mono, self.boot_id, self._synced)
