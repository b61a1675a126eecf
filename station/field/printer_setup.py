"""``station printer setup``: the family's settings (darkness, speed, media, label size), calibration, and a
test label, sent to the printer; then its status."""

from __future__ import annotations

import time
from dataclasses import dataclass

from station.devices.printers import PrinterStatus, open_printer
from station.field.profiles import PrinterFamily
from station.labels.layout import Barcode, Box, LabelSize, Layout, Symbology, Text
from station.labels.zpl import render_zpl


def label_size(name: str) -> LabelSize:
    """``"4x6"`` -> :class:`LabelSize`."""
    return next(s for s in LabelSize if s.label == name)


def settings_zpl(family: PrinterFamily, size: LabelSize, dpi: int) -> bytes:
    """One format holding the family's settings for this label size and resolution, saved with ^JUS."""
    width, length = size.dots(dpi)
    body = "".join(c.zpl.format(width=width, length=length) for c in family.commands)
    return f"^XA{body}^XZ".encode("ascii")


def test_label(size: LabelSize, station: str, dpi: int) -> bytes:
    """A label that shows size, darkness and both barcode kinds: a frame 1 mm inside the edges."""
    w, h = size.value[0] * 25.4, size.value[1] * 25.4
    elements = (
        Box(1, 1, w - 2, h - 2, 0.5),
        Text(4, 4, min(5.0, h / 6), "PRINTER TEST"),
        Text(4, 4 + min(6.0, h / 5), min(3.0, h / 8), station[:24]),
        Barcode(4, h * 0.45, Symbology.CODE128, "TEST-123", height=min(10.0, h / 3)),
        Barcode(w - 4 - min(15.0, h / 2.5), 4, Symbology.DATAMATRIX, "PRINTER TEST", module=0.5),
    )
    return render_zpl(Layout(size, elements), dpi)


@dataclass(frozen=True)
class SetupResult:
    uri: str
    sent: tuple[str, ...]
    status: PrinterStatus


def set_up_printer(
    uri: str, family: PrinterFamily, size: LabelSize, dpi: int, station: str, calibrate: bool = True
) -> SetupResult:
    """Send the settings, calibrate (``~JC`` feeds a few labels), print a test label; raises
    :class:`~station.devices.printers.PrinterUnavailable` when the printer cannot be reached."""
    printer = open_printer(uri, timeout=2.0)
    sent = []
    printer.send(settings_zpl(family, size, dpi), name="printer-setup")
    sent.append("settings")
    if calibrate:
        printer.send(family.calibration.zpl.encode("ascii"), name="printer-calibrate")
        sent.append("calibration")
        time.sleep(0.5)  # the printer feeds labels while it calibrates
    printer.send(test_label(size, station, dpi), name="printer-test")
    sent.append("test label")
    return SetupResult(uri, tuple(sent), printer.status())
