"""``file:///DIR``: the spool, the embedded default. Each label is ``NAME.zpl`` plus ``NAME.png`` when it
has a preview; files are written whole (temporary file, fsync, rename), so sending again is harmless."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from station.devices.printers.base import PrinterUnavailable
from station.devices.printers.status import PrinterState, PrinterStatus


def _write_whole(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    tmp.replace(path)


class SpoolPrinter:
    idempotent = True

    def __init__(self, uri: str, directory: Path) -> None:
        self.uri = uri
        self.directory = directory

    def send(self, zpl: bytes, *, name: str, preview: Callable[[], bytes] | None = None) -> None:
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            if preview is not None:
                _write_whole(self.directory / f"{name}.png", preview())
            _write_whole(self.directory / f"{name}.zpl", zpl)
        except OSError as exc:
            raise PrinterUnavailable(
                f"The label spool {self.directory} cannot be written ({exc}); free space or fix its "
                "permissions.",
                sent_nothing=True,
            ) from exc

    def status(self) -> PrinterStatus:
        probe = self.directory  # the folder, or the nearest folder above it that exists (it is made on use)
        while not probe.exists() and probe != probe.parent:
            probe = probe.parent
        if os.access(probe, os.W_OK):
            return PrinterStatus(PrinterState.READY, f"Labels go to {self.directory}.")
        return PrinterStatus(PrinterState.UNREACHABLE, f"The label spool {self.directory} is not writable.")

    def label_count(self) -> int | None:
        return None
