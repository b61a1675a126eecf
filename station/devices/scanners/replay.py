"""``replay:FILE``: a scan script, for demos and tests.

One scan per line; blank lines and lines starting with ``#`` are skipped; ``@sleep SECONDS`` waits.
In scan lines ``<GS>`` or ``\\x1d`` stand for the GS separator (0x1D) and ``\\\\`` for one backslash.
The file is read when the reader is opened; a relative path is relative to the current directory.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

from station.core.errors import DeviceError
from station.devices.scanners.base import OnScan, OnState, Reporter, ScannerState
from station.devices.scanners.uri import parse_scanner_uri

FORM = "replay:FILE (e.g. replay:scans.txt or replay:///srv/demo/scans.txt)"
_ESCAPES = {"<GS>": "\x1d", "\\x1d": "\x1d", "\\\\": "\\"}
_ESCAPE = re.compile("|".join(re.escape(e) for e in _ESCAPES))
_MAX_SLEEP_S = 3600.0


@dataclass(frozen=True)
class Sleep:
    seconds: float


Step = str | Sleep


def parse_script(text: str, name: str) -> list[Step]:
    """The steps of a scan script; ``name`` is used in error messages."""
    steps: list[Step] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            steps.append(_directive(line, f"{name} line {number}"))
        else:
            steps.append(_ESCAPE.sub(lambda m: _ESCAPES[m.group()], line))
    return steps


def _directive(line: str, where: str) -> Sleep:
    word, _, arg = line.partition(" ")
    try:
        seconds = float(arg) if word == "@sleep" else float("nan")
    except ValueError:
        seconds = float("nan")
    if not 0 <= seconds <= _MAX_SLEEP_S:
        raise DeviceError(
            f"{where}: {line!r} is not a directive; "
            f"expected '@sleep SECONDS' with 0 to {_MAX_SLEEP_S:g} seconds."
        )
    return Sleep(seconds)


class ReplayScanner:
    """Plays a scan script once, then reports FINISHED."""

    finite = True

    def __init__(self, uri: str, steps: list[Step]) -> None:
        self.uri = uri
        self.steps = steps

    @classmethod
    def from_uri(cls, uri: str) -> ReplayScanner:
        path = Path(parse_scanner_uri(uri, FORM, (), needs_path=True).path)
        try:
            text = path.read_text(encoding="utf-8", errors="replace")
        except OSError as exc:
            raise DeviceError(
                f"Scan script {str(path)!r} (from {uri!r}) cannot be read: {exc.strerror or exc}; "
                f"give an existing file, relative to {Path.cwd()} or absolute."
            ) from exc
        return cls(uri, parse_script(text, str(path)))

    def run(self, on_scan: OnScan, on_state: OnState, stop: threading.Event) -> None:
        reporter = Reporter(self.uri, on_scan, on_state)
        reporter.report(ScannerState.CONNECTED, f"Replaying {len(self.steps)} steps.")
        for step in self.steps:
            if stop.is_set():
                break
            if isinstance(step, Sleep):
                stop.wait(step.seconds)
            else:
                reporter.scan(step)
        if stop.is_set():
            reporter.report(ScannerState.STOPPED, "Stopped the replay before its end.")
        else:
            reporter.report(ScannerState.FINISHED, "The scan script has ended.")
