"""Label printers by URI: ``tcp://host:9100``, ``usb:///dev/usb/lp0``, ``cups://QUEUE``, ``file:///DIR``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlsplit

from station.core.errors import UnknownDeviceURI
from station.devices.printers.base import Printer, PrinterUnavailable
from station.devices.printers.cups import CupsPrinter
from station.devices.printers.spool import SpoolPrinter
from station.devices.printers.status import PrinterState, PrinterStatus
from station.devices.printers.tcp import tcp_printer
from station.devices.printers.usb import usb_printer

SCHEMES = "tcp://host:9100, usb:///dev/usb/lp0, cups://QUEUE, file:///DIR"


def open_printer(uri: str, timeout: float = 1.0) -> Printer:
    """The backend for ``uri`` (nothing is connected until it is used)."""
    parts = urlsplit(uri)
    if parts.scheme == "tcp" and parts.hostname:
        return tcp_printer(uri, parts.hostname, parts.port or 9100, timeout)
    if parts.scheme == "usb" and parts.path:
        return usb_printer(uri, unquote(parts.path), timeout)
    if parts.scheme == "cups" and (parts.netloc or parts.path.strip("/")):
        return CupsPrinter(uri, unquote(parts.netloc or parts.path.strip("/")))
    if parts.scheme == "file" and parts.path:
        return SpoolPrinter(uri, Path(unquote(parts.path)))
    raise UnknownDeviceURI(uri, SCHEMES)


__all__ = ["SCHEMES", "Printer", "PrinterState", "PrinterStatus", "PrinterUnavailable", "open_printer"]
