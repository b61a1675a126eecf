"""One process at a time writes a data folder: an ``flock``'d ``station.lock`` naming its holder.

The kernel drops the lock when the holder exits in any way (a SIGKILL, a power cut), so a lock is never
stale: a file left behind by a dead process is simply taken by the next one.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from station.core.errors import DataDirBusy, StoreError
from station.store.db_problems import folder_problem

LOCK_NAME = "station.lock"


class DataDirLock:
    """The lock on one data folder, held from :func:`hold_data_dir` until :meth:`release`."""

    def __init__(self, data_dir: Path, fd: int) -> None:
        self.data_dir = data_dir
        self._fd: int | None = fd

    def release(self) -> None:
        """Let go: the file is emptied (a holder that still names itself did not stop cleanly), then the
        descriptor closed, which drops the flock."""
        if self._fd is not None:
            with contextlib.suppress(OSError):  # a lock file of another user's, opened read-only
                os.ftruncate(self._fd, 0)
            os.close(self._fd)
            self._fd = None


def _holder(fd: int) -> str:
    """What the lock file says about its holder: ``PID 123 (station run)``, or a plain word if unreadable."""
    os.lseek(fd, 0, os.SEEK_SET)
    pid, _, what = os.read(fd, 256).decode("utf-8", "replace").strip().partition(" ")
    return f"PID {pid} ({what})" if pid.isdigit() else "another process (PID not yet written)"


def _open_lock_file(path: Path) -> int:
    """Open for writing the holder's PID; a lock file another user made is locked read-only all the same."""
    try:
        return os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    except PermissionError:
        if not path.exists():
            raise
        return os.open(path, os.O_RDONLY | os.O_CLOEXEC)


def hold_data_dir(data_dir: Path, what: str) -> DataDirLock:
    """Take the data folder's lock for ``what`` (``station run``, ``station manifest load``...).

    Raises :class:`DataDirBusy` naming the folder and the holder's PID when another process holds it.
    """
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = _open_lock_file(data_dir / LOCK_NAME)
    except PermissionError:
        raise folder_problem(data_dir) from None
    except OSError as exc:
        raise StoreError(
            f"The data folder {data_dir} cannot be used ({exc.strerror}): check it with 'station doctor', "
            "or pick another with --data-dir."
        ) from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = _holder(fd)
        os.close(fd)
        raise DataDirBusy(
            f"The data folder {data_dir} is in use by {holder}: '{what}' cannot run beside it. Stop that "
            "process first (systemctl stop hubstation, or Ctrl-C in its terminal), or give this one its "
            "own --data-dir."
        ) from None
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()} {what}\n".encode(), 0)
    except OSError:
        pass  # a full disk: the lock holds all the same, only its holder goes unnamed
    return DataDirLock(data_dir, fd)
