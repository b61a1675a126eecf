"""What went wrong with the station database, in one sentence each, with the command that fixes it.

Only corruption (``SQLITE_CORRUPT``, ``SQLITE_NOTADB``, a failing ``quick_check``) is
:class:`DatabaseCorrupt`; a full disk, a permission problem, a lost ``-wal``, an I/O error and an empty file
are each their own sentence, and none of them is a reason to move a database aside.
"""

from __future__ import annotations

import os
import pwd
import shutil
import sqlite3
import struct
from pathlib import Path

from station.core.errors import DatabaseCorrupt, DatabaseUnusable, DiskFull, StoreError

SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY, SQLITE_IOERR = 3, 5, 6, 8, 10
SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 11, 13, 14, 26
#: Below this much free space an I/O error is taken for a full disk (SQLite reports a full tmpfs as
#: SQLITE_IOERR_SHMSIZE when it cannot size its shared-memory file).
NEARLY_FULL = 64 * 1024
#: SQLITE_IOERR_WRITE, _FSYNC, _TRUNCATE, _SHMSIZE: the I/O errors a full disk gives (never a failed read).
IOERR_WHEN_FULL = (778, 1034, 1546, 4874)
SERVICE = "hubstation"
RELOAD = (
    "load the manifest, operators and orders again (station manifest load FILE, station operators load "
    "FILE, station orders load FILE) or let the OMS send them down when sync reconnects"
)


def _owner(path: Path) -> str:
    try:
        return pwd.getpwuid(path.stat().st_uid).pw_name
    except (OSError, KeyError):
        return "another user"


def _me() -> str:
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


def permission_problem(path: Path) -> DatabaseUnusable:
    """``path`` (the data folder or a database file) cannot be written by this user."""
    folder = path if path.is_dir() else path.parent
    return DatabaseUnusable(
        f"{path} belongs to {_owner(path)} and this user ({_me()}) cannot write it, so the station does "
        f"not start: give the folder to the station's user (sudo chown -R {_me()}: {folder}) or run the "
        "station as its owner."
    )


def folder_problem(folder: Path) -> DatabaseUnusable:
    """``folder`` (the data folder) cannot be used: missing and not creatable here, or not writable."""
    if folder.is_dir():
        return permission_problem(folder)
    parent = folder.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    return DatabaseUnusable(
        f"The data folder {folder} does not exist and this user ({_me()}) cannot create it in {parent} "
        f"(owned by {_owner(parent)}): create it for the station (sudo mkdir -p {folder} && sudo chown "
        f"{_me()}: {folder}), or pick another with --data-dir."
    )


def check_access(path: Path) -> None:
    """Raise a permission sentence when this user could not write the database or create its -wal/-shm."""
    folder = path.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        raise folder_problem(folder)
    for part in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        if part.exists() and not os.access(part, os.R_OK | os.W_OK):
            raise permission_problem(part)


def check_files(path: Path) -> None:
    """Refuse the states in which opening would silently start empty or drop committed scans."""
    wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
    if not path.exists():
        if wal.exists():
            raise DatabaseUnusable(
                f"{path} is missing but its write-ahead log {wal.name} is still there: the database file "
                f"was deleted or moved, and starting a new one would lose every return in it. Put "
                f"{path.name} back from where it went (or a backup), then start the station again."
            )
        return
    if path.stat().st_size == 0:
        raise DatabaseUnusable(
            f"{path} is an empty file (0 bytes): it was truncated (a full disk, a failed copy), and the "
            f"station does not start empty on top of it. Restore it from a backup, or if this station never "
            f"held data, delete it (rm {path}) and start again."
        )
    if shm.exists() and not wal.exists() and _unsaved_frames(shm):
        raise DatabaseUnusable(
            f"The write-ahead log {wal} is missing while its index {shm.name} is still there: it was deleted "
            "after the station stopped uncleanly, and the scans of its last minutes are gone from this "
            f"station. Put {wal.name} back if you have it; otherwise accept the loss (rm {shm}), start "
            "again and compare with the OMS, which received every synced event."
        )


def _unsaved_frames(shm: Path) -> bool:
    """Whether the -shm index says its -wal held frames not yet copied into the database (``mxFrame``,
    offset 16 of the WAL index header, above ``nBackfill``, offset 96); unreadable counts as yes."""
    try:
        with shm.open("rb") as f:
            head = f.read(100)
    except OSError:
        return True
    if len(head) < 100:
        return len(head) > 0
    (frames,) = struct.unpack_from("=I", head, 16)
    (saved,) = struct.unpack_from("=I", head, 96)
    return bool(frames > saved)


def wal_deleted(path: Path) -> DatabaseUnusable:
    return DatabaseUnusable(
        f"The write-ahead log {path}-wal was deleted while the station ran: everything committed until now "
        "was saved into the database, and this input was not recorded. Restart the station "
        f"(systemctl restart {SERVICE}, or Ctrl-C and 'station run') to go on."
    )


def _free_bytes(path: Path) -> int:
    try:
        return shutil.disk_usage(path.parent).free
    except OSError:
        return NEARLY_FULL + 1


def disk_full(path: Path, doing: str) -> DiskFull:
    return DiskFull(
        f"The disk under {path.parent} is full ({_free_bytes(path) // 1024} KB free), so {doing} failed "
        f"and nothing was recorded. Free some space (old labels in {path.parent / 'spool'}, "
        "journalctl --vacuum-size=100M), then try again."
    )


def is_corruption(exc: sqlite3.Error) -> bool:
    return (getattr(exc, "sqlite_errorcode", 0) or 0) & 0xFF in (SQLITE_CORRUPT, SQLITE_NOTADB)


def corrupt(path: Path, found: str) -> DatabaseCorrupt:
    return DatabaseCorrupt(
        f"The station database {path} is corrupt ({found}). The station moves it aside when it next starts "
        f"(systemctl restart {SERVICE}, or 'station run'); then {RELOAD}. Keep the moved file for support."
    )


def explain(exc: sqlite3.Error, path: Path, doing: str) -> StoreError:
    """The sentence for a SQLite failure while ``doing`` something (``starting``, ``recording``, ...)."""
    code = getattr(exc, "sqlite_errorcode", 0) or 0
    primary = code & 0xFF
    if is_corruption(exc):
        return corrupt(path, str(exc))
    if primary == SQLITE_FULL or (code in IOERR_WHEN_FULL and _free_bytes(path) < NEARLY_FULL):
        return disk_full(path, doing)
    if primary in (SQLITE_READONLY, SQLITE_PERM, SQLITE_CANTOPEN):
        problem = permission_problem(path if path.exists() else path.parent)
        return DatabaseUnusable(f"{doing.capitalize()} failed ({exc}): {problem}")
    if primary == SQLITE_IOERR:
        return DatabaseUnusable(
            f"Reading or writing the station database {path} failed with an I/O error ({exc}) while "
            f"{doing}: the storage may be failing. Nothing was moved or deleted; run 'station doctor' and "
            "check 'dmesg' for disk errors, then try again."
        )
    if primary in (SQLITE_BUSY, SQLITE_LOCKED):
        return DatabaseUnusable(
            f"The station database {path} stayed locked by another process while {doing} ({exc}): wait for "
            "it to finish (a load, a print) and try again."
        )
    return StoreError(f"The station database {path} failed while {doing}: {exc}. Run 'station doctor'.")
