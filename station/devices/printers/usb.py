"""``usb:///dev/usb/lp0``: the kernel's usblp device (group ``lp``), written and read like a stream.

Zebra printers are bidirectional over USB, so ``~HS`` answers come back on the same device file.
"""

from __future__ import annotations

import os
import select

from station.devices.printers.base import ZebraPrinter


class FileLink:
    def __init__(self, path: str) -> None:
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            view = view[os.write(self.fd, view) :]

    def read(self, timeout: float) -> bytes:
        ready, _, _ = select.select([self.fd], [], [], timeout)
        return os.read(self.fd, 65536) if ready else b""

    def close(self) -> None:
        os.close(self.fd)


def usb_printer(uri: str, path: str, timeout: float = 1.0) -> ZebraPrinter:
    return ZebraPrinter(uri, lambda: FileLink(path), timeout)
