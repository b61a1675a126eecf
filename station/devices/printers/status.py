"""Zebra status answers: ``~HS`` (host status), ``~HQES`` (error flags), ``~HI`` (identity), and the state
the station shows. Pure parsing, shared by the backends and the simulator."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

STX, ETX = b"\x02", b"\x03"


class PrinterState(StrEnum):
    """What the station shows about its printer."""

    READY = "ready"
    PAPER_OUT = "paper_out"
    HEAD_OPEN = "head_open"
    PAUSED = "paused"
    RIBBON_OUT = "ribbon_out"
    #: Connected but silent to ~HS and ~HQES: Zebra printers stay silent while media is out, the head is
    #: open or the head is too hot, so this is an error on the printer, not a missing printer.
    FAULT = "fault"
    UNREACHABLE = "unreachable"


@dataclass(frozen=True)
class PrinterStatus:
    """A printer's state with a sentence for the person, and its queue as far as the printer tells."""

    state: PrinterState
    detail: str = ""
    formats_in_buffer: int = 0
    labels_remaining: int = 0

    @property
    def ready(self) -> bool:
        return self.state is PrinterState.READY

    @property
    def busy(self) -> bool:
        """The printer still holds labels it has not printed."""
        return self.formats_in_buffer > 0 or self.labels_remaining > 0


@dataclass(frozen=True)
class HostStatus:
    """The flags of a ``~HS`` answer (ZPL II guide, ~HS: strings 1 and 2)."""

    paper_out: bool
    paused: bool
    formats_in_buffer: int
    head_up: bool
    ribbon_out: bool
    labels_remaining: int


def frames(data: bytes) -> list[bytes]:
    """The ``<STX>...<ETX>`` strings in ``data``."""
    return re.findall(rb"\x02(.*?)\x03", data, re.S)


def parse_hs(data: bytes) -> HostStatus | None:
    """The ``~HS`` answer, or None while its three strings have not all arrived."""
    parts = frames(data)
    if len(parts) < 3:
        return None
    one, two = parts[0].split(b","), parts[1].split(b",")
    if len(one) < 12 or len(two) < 11:
        raise ValueError(f"~HS answer has the wrong layout: {data!r}")
    return HostStatus(
        paper_out=one[1] == b"1",
        paused=one[2] == b"1",
        formats_in_buffer=int(one[4]),
        head_up=two[2] == b"1",
        ribbon_out=two[3] == b"1",
        labels_remaining=int(two[8]),
    )


def format_hs(s: HostStatus, label_length: int) -> bytes:
    """A ``~HS`` answer in the real field layout (the simulator's answer)."""
    one = (
        f"030,{int(s.paper_out)},{int(s.paused)},{label_length:04d},{s.formats_in_buffer:03d},0,0,0,000,0,0,0"
    )
    two = f"001,0,{int(s.head_up)},{int(s.ribbon_out)},0,2,0,0,{s.labels_remaining:08d},1,000"
    return b"".join(STX + f.encode() + ETX + b"\r\n" for f in (one, two, "1234,0"))


#: ~HQES error bits (second group of the ERRORS line).
MEDIA_OUT, RIBBON_OUT, HEAD_OPEN = 0x1, 0x2, 0x4
_HQES = re.compile(rb"ERRORS:\s+(\d)\s+([0-9A-Fa-f]{8})\s+([0-9A-Fa-f]{8})")


def parse_hqes(data: bytes) -> int | None:
    """The error bits of a ``~HQES`` answer, or None while it has not arrived."""
    m = _HQES.search(data)
    return None if m is None or ETX not in data[m.end() :] else int(m.group(3), 16)


def format_hqes(errors: int) -> bytes:
    return (
        STX
        + b"\r\n  PRINTER STATUS\r\n"
        + f"   ERRORS:         {int(bool(errors))} 00000000 {errors:08X}\r\n".encode()
        + b"   WARNINGS:       0 00000000 00000000\r\n"
        + ETX
        + b"\r\n"
    )


def state_from_hs(s: HostStatus) -> PrinterStatus:
    queue = {"formats_in_buffer": s.formats_in_buffer, "labels_remaining": s.labels_remaining}
    if s.paper_out:
        return PrinterStatus(
            PrinterState.PAPER_OUT, "Out of labels: load a new roll and close the head.", **queue
        )
    if s.head_up:
        return PrinterStatus(PrinterState.HEAD_OPEN, "The print head is open: close it.", **queue)
    if s.ribbon_out:
        return PrinterStatus(PrinterState.RIBBON_OUT, "Out of ribbon: load a new ribbon.", **queue)
    if s.paused:
        return PrinterStatus(PrinterState.PAUSED, "The printer is paused: press its pause button.", **queue)
    return PrinterStatus(PrinterState.READY, "Ready.", **queue)


def state_from_hqes(errors: int | None) -> PrinterStatus:
    """The state when ~HS went unanswered, from the ~HQES error bits (None: no answer either)."""
    if errors is not None and errors & MEDIA_OUT:
        return PrinterStatus(PrinterState.PAPER_OUT, "Out of labels: load a new roll and close the head.")
    if errors is not None and errors & HEAD_OPEN:
        return PrinterStatus(PrinterState.HEAD_OPEN, "The print head is open: close it.")
    if errors is not None and errors & RIBBON_OUT:
        return PrinterStatus(PrinterState.RIBBON_OUT, "Out of ribbon: load a new ribbon.")
    return PrinterStatus(
        PrinterState.FAULT,
        "The printer is connected but does not answer: check labels, the head latch and its lights.",
    )


def parse_hi(data: bytes) -> dict[str, str] | None:
    """``~HI``: model, firmware and resolution (dots per mm: 8 = 203 dpi, 12 = 300 dpi)."""
    parts = frames(data)
    if not parts:
        return None
    fields = parts[0].decode("ascii", "replace").split(",")
    return {
        "model": fields[0],
        "firmware": fields[1] if len(fields) > 1 else "",
        "dpmm": fields[2] if len(fields) > 2 else "",
    }
