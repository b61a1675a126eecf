"""``cups://QUEUE``: a raw CUPS queue, through the ``zebra`` package.

``zebra`` pipes bytes to ``lpr -P<queue> -oraw`` but ignores lpr's exit code, so this backend checks the
queue with ``lpstat`` and runs lpr through a subclass that does check it. CUPS raw queues give no printer
status back: a queue that exists and is enabled reads as ready.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable

import zebra

from station.devices.printers.base import PrinterUnavailable
from station.devices.printers.status import PrinterState, PrinterStatus

_TIMEOUT = 15


class _CheckedZebra(zebra.Zebra):  # type: ignore[misc,unused-ignore]
    def _output_unix(self, commands: bytes) -> None:
        try:
            done = subprocess.run(
                ["lpr", f"-P{self.queue}", "-oraw"], input=commands, capture_output=True, timeout=_TIMEOUT
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise PrinterUnavailable(
                f"lpr could not run for CUPS queue {self.queue} ({exc}).", sent_nothing=True
            ) from exc
        if done.returncode != 0:
            reason = done.stderr.decode(errors="replace").strip()
            raise PrinterUnavailable(
                f"CUPS refused the label for queue {self.queue}: {reason or f'lpr exit {done.returncode}'}.",
                sent_nothing=True,
            )


class CupsPrinter:
    idempotent = False

    def __init__(self, uri: str, queue: str) -> None:
        self.uri = uri
        self.queue = queue
        self._zebra = _CheckedZebra(queue)  # type: ignore[no-untyped-call]

    def _lpstat(self) -> tuple[int, str]:
        try:
            done = subprocess.run(
                ["lpstat", "-p", self.queue], capture_output=True, text=True, timeout=_TIMEOUT
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return -1, str(exc)
        return done.returncode, (done.stdout + done.stderr).strip()

    def send(self, zpl: bytes, *, name: str, preview: Callable[[], bytes] | None = None) -> None:
        code, text = self._lpstat()
        if code != 0:
            raise PrinterUnavailable(f"CUPS has no queue {self.queue!r} ({text}).", sent_nothing=True)
        self._zebra.output(zpl)  # type: ignore[no-untyped-call]

    def status(self) -> PrinterStatus:
        code, text = self._lpstat()
        if code != 0:
            return PrinterStatus(
                PrinterState.UNREACHABLE, f"CUPS has no queue {self.queue!r}: add it with lpadmin ({text})."
            )
        if "disabled" in text:
            return PrinterStatus(
                PrinterState.PAUSED, f"The CUPS queue {self.queue} is disabled: cupsenable it."
            )
        return PrinterStatus(
            PrinterState.READY, f"CUPS queue {self.queue} (a raw queue reports no paper state)."
        )

    def label_count(self) -> int | None:
        return None
