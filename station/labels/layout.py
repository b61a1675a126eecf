"""A small declarative label layout: positions and sizes in millimetres, drawn by both renderers.

One :class:`Layout` becomes ZPL bytes (:mod:`station.labels.zpl`) and a PNG preview
(:mod:`station.labels.png`); neither renderer knows about templates.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum

from station.core.errors import StationError


class LabelDataError(StationError):
    """Label data that does not fit its template or symbology (the message names the field and the limit)."""


class LabelSize(Enum):
    """The label stocks the station prints on, in inches (width, length)."""

    L4X6 = (4, 6)
    L4X2 = (4, 2)
    L2X1 = (2, 1)

    @property
    def label(self) -> str:
        return f"{self.value[0]}x{self.value[1]}"

    def dots(self, dpi: int) -> tuple[int, int]:
        """Width and length in printer dots (``^PW``, ``^LL``): 4x6 at 203 dpi is 812 x 1218."""
        return self.value[0] * dpi, self.value[1] * dpi


DPIS = (203, 300)


def dots_per_mm(dpi: int) -> int:
    """Zebra heads have 8 dots/mm (203 dpi) or 12 dots/mm (300 dpi)."""
    if dpi not in DPIS:
        raise LabelDataError(f"Printer resolution {dpi} dpi is not supported; expected one of {DPIS}.")
    return 8 if dpi == 203 else 12


def mm(value_mm: float, dpi: int) -> int:
    """Millimetres to whole printer dots (at least one)."""
    return max(1, round(value_mm * dots_per_mm(dpi)))


class Symbology(StrEnum):
    """Barcode symbologies a layout can hold."""

    CODE128 = "code128"
    GS1_128 = "gs1-128"
    DATAMATRIX = "datamatrix"
    GS1_DATAMATRIX = "gs1-datamatrix"
    QR = "qr"

    @property
    def is_gs1(self) -> bool:
        return self in (Symbology.GS1_128, Symbology.GS1_DATAMATRIX)

    @property
    def is_linear(self) -> bool:
        return self in (Symbology.CODE128, Symbology.GS1_128)


@dataclass(frozen=True)
class Text:
    """One line of text in the printer's scalable font; ``height`` is the character height.

    ``field`` names the data field the text came from, for reporting replaced characters.
    """

    x: float
    y: float
    height: float
    text: str
    field: str = ""


@dataclass(frozen=True)
class Barcode:
    """A barcode with its top-left corner at (x, y).

    ``module`` is the narrow bar or matrix cell size; ``height`` the bar height of a linear symbol.
    GS1 data is written with parentheses: ``(01)09506000134352(21)ABC``. ``reader_init`` puts FNC3 into a
    Code 128 symbol, which marks it as a reader programming code (ISO/IEC 15417): first, or after the data
    with ``fnc3_last`` (as Honeywell prints its menu codes).
    """

    x: float
    y: float
    symbology: Symbology
    data: str
    module: float = 0.25
    height: float = 12.0
    reader_init: bool = False
    fnc3_last: bool = False

    def __post_init__(self) -> None:
        if self.reader_init and self.symbology is not Symbology.CODE128:
            raise LabelDataError(f"FNC3 (reader programming) is for Code 128 only, not {self.symbology}.")
        if self.fnc3_last and not self.reader_init:
            raise LabelDataError("fnc3_last places FNC3 after the data; it needs reader_init (FNC3) as well.")

    @property
    def fnc3(self) -> str | None:
        """Where FNC3 goes in the symbol: ``"first"``, ``"last"``, or None."""
        if not self.reader_init:
            return None
        return "last" if self.fnc3_last else "first"


@dataclass(frozen=True)
class Box:
    """A rectangle outline (a line when ``width`` or ``height`` equals ``thickness``)."""

    x: float
    y: float
    width: float
    height: float
    thickness: float = 0.3


Element = Text | Barcode | Box


@dataclass(frozen=True)
class Layout:
    """A whole label: its stock size, copies to print, and what is drawn on it."""

    size: LabelSize
    elements: tuple[Element, ...]
    copies: int = 1
