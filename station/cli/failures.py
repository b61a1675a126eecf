"""What a person sees when a command fails: one sentence, never a traceback.

Expected failures (a StationError, a file or port problem, a database problem) become one sentence and a
non-zero exit. Anything unexpected is written with its traceback to the log file, and the sentence says where.
"""

from __future__ import annotations

import errno
import logging
import logging.handlers
import os
import sqlite3
import sys
import tempfile
import time
import traceback
from pathlib import Path

import platformdirs

from station.cli.terminal import clean

#: Exit codes: 2 for a refusal the person can fix (bad file, busy folder...), 3 for a bug, 130 for Ctrl-C.
EXIT_REFUSED, EXIT_BUG, EXIT_INTERRUPTED = 2, 3, 130
_HINTS = {
    errno.EADDRINUSE: "the port is in use by another program: stop it or choose another --port",
    errno.ENOENT: "it does not exist: check the path",
    errno.EACCES: "this user may not use it: check its owner and permissions",
    errno.EPERM: "this user may not use it: check its owner and permissions",
    errno.ENOSPC: "the disk is full: free some space and try again",
    errno.EROFS: "it is on a read-only filesystem: choose a writable place",
    errno.EISDIR: "it is a folder: give a file name",
    errno.ECONNREFUSED: "nothing answers there: check the address and that the device is on",
}


def log_path() -> Path:
    """The log file with the tracebacks: in the user's state dir, else the temporary dir."""
    for base in (Path(platformdirs.user_log_dir("hubstation")), Path(tempfile.gettempdir()) / "hubstation"):
        try:
            base.mkdir(parents=True, exist_ok=True)
            path = base / "station.log"
            path.touch()
            return path
        except OSError:
            continue
    return Path("/dev/null")


class _Sentence(logging.Formatter):
    """For the terminal: the message alone, no traceback (that goes to the log file)."""

    def __init__(self, where: Path) -> None:
        super().__init__("%(message)s")
        self.where = where

    def format(self, record: logging.LogRecord) -> str:
        text = clean(record.getMessage())
        return f"{text} (details in {self.where})" if record.exc_info else text


class _Terminal(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is now (a test runner may swap it between commands)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def setup_logging() -> Path:
    """Warnings to stderr as sentences, everything from INFO with tracebacks to the log file; once."""
    root = logging.getLogger()
    path = log_path()
    if any(h.get_name() == "station-terminal" for h in root.handlers):
        return path
    to_file = logging.handlers.RotatingFileHandler(path, maxBytes=2**20, backupCount=3, delay=True)
    to_file.setFormatter(logging.Formatter("%(asctime)s %(process)d %(name)s %(levelname)s %(message)s"))
    to_file.setLevel(logging.INFO)
    to_terminal = _Terminal()
    # the station's own sentences; Kivy's and other libraries' chatter only in the file
    to_terminal.addFilter(lambda r: r.name.partition(".")[0] in ("station", "sync", "root"))
    to_terminal.setFormatter(_Sentence(path))
    to_terminal.setLevel(logging.WARNING)
    to_file.set_name("station-file")
    to_terminal.set_name("station-terminal")
    root.addHandler(to_file)
    root.addHandler(to_terminal)
    root.setLevel(logging.INFO)
    return path


def os_error_sentence(exc: OSError) -> str:
    what = " -> ".join(str(f) for f in (exc.filename, exc.filename2) if f is not None)
    hint = _HINTS.get(exc.errno or 0, "check it and try again")
    return f"{what + ': ' if what else ''}{exc.strerror or exc}: {hint}."


def database_sentence(exc: sqlite3.Error, db_path: Path) -> str:
    from station.store.db_problems import explain

    return str(explain(exc, db_path, "reading or writing the database"))


def unexpected_sentence(exc: BaseException) -> str:
    """Log ``exc`` with its traceback; the sentence that says where."""
    path = log_path()
    try:
        with path.open("a", encoding="utf-8") as f:
            f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {os.getpid()} unexpected failure\n")
            f.write("".join(traceback.format_exception(exc)))
    except OSError:
        pass  # the sentence still goes out
    return (
        f"Unexpected failure ({type(exc).__name__}: {exc}); nothing more was done. The details are in "
        f"{path}: please send that file to support."
    )
