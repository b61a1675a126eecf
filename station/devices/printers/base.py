"""What every printer backend offers, and the Zebra dialogue shared by the byte-stream backends (TCP, USB)."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

from station.core.errors import DeviceError
from station.devices.printers.status import (
    PrinterState,
    PrinterStatus,
    parse_hqes,
    parse_hs,
    state_from_hqes,
    state_from_hs,
)


class PrinterUnavailable(DeviceError):
    """The printer could not be reached or written; ``sent_nothing`` says no byte of the label left us."""

    def __init__(self, message: str, *, sent_nothing: bool) -> None:
        self.sent_nothing = sent_nothing
        super().__init__(message)


class Printer(Protocol):
    """A label printer behind a URI. ``idempotent`` backends may be sent the same label twice harmlessly."""

    uri: str
    idempotent: bool

    def send(self, zpl: bytes, *, name: str, preview: Callable[[], bytes] | None = None) -> None:
        """Deliver one label format (raises :class:`PrinterUnavailable`)."""
        ...

    def status(self) -> PrinterStatus: ...

    def label_count(self) -> int | None:
        """The printer's total label counter, or None when it cannot tell."""
        ...


class Link(Protocol):
    """One open byte stream to a printer."""

    def write(self, data: bytes) -> None: ...

    def read(self, timeout: float) -> bytes:
        """What arrived within ``timeout`` seconds (empty when nothing did)."""
        ...

    def close(self) -> None: ...


#: Zebra Set-Get-Do query for the odometer's label count (Link-OS printers answer ``"1234"``).
LABEL_COUNT_QUERY = b'! U1 getvar "odometer.total_label_count"\r\n'
_QUOTED_NUMBER = re.compile(rb'"(\d+)"')

T = TypeVar("T")


class ZebraPrinter:
    """A ZPL printer on a byte stream that also answers status queries (raw TCP 9100, USB printer class)."""

    idempotent = False

    def __init__(self, uri: str, connect: Callable[[], Link], timeout: float = 1.0) -> None:
        self.uri = uri
        self._connect = connect
        self.timeout = timeout

    def _open(self) -> Link:
        try:
            return self._connect()
        except OSError as exc:
            raise PrinterUnavailable(
                f"Printer {self.uri} cannot be reached ({exc}).", sent_nothing=True
            ) from exc

    def _ask(self, link: Link, query: bytes, done: Callable[[bytes], T | None]) -> T | None:
        link.write(query)
        got = b""
        deadline = time.monotonic() + self.timeout
        while (left := deadline - time.monotonic()) > 0:
            got += link.read(left)
            answer = done(got)
            if answer is not None:
                return answer
        return None

    def send(self, zpl: bytes, *, name: str, preview: Callable[[], bytes] | None = None) -> None:
        link = self._open()
        try:
            link.write(zpl)
        except OSError as exc:
            raise PrinterUnavailable(
                f"Printer {self.uri} dropped the label ({exc}).", sent_nothing=False
            ) from exc
        finally:
            link.close()

    def status(self) -> PrinterStatus:
        try:
            link = self._open()
        except PrinterUnavailable as exc:
            return PrinterStatus(PrinterState.UNREACHABLE, str(exc))
        try:
            hs = self._ask(link, b"~HS", parse_hs)
            if hs is not None:
                return state_from_hs(hs)
            errors = self._ask(link, b"~HQES", parse_hqes)
            if errors == 0:  # no error any more: the fault cleared between the two questions
                hs = self._ask(link, b"~HS", parse_hs)
                if hs is not None:
                    return state_from_hs(hs)
            return state_from_hqes(errors)
        except (OSError, ValueError) as exc:
            return PrinterStatus(PrinterState.UNREACHABLE, f"Printer {self.uri} failed to answer ({exc}).")
        finally:
            link.close()

    def label_count(self) -> int | None:
        try:
            link = self._open()
        except PrinterUnavailable:
            return None
        try:
            m = self._ask(link, LABEL_COUNT_QUERY, _QUOTED_NUMBER.search)
            return None if m is None else int(m.group(1))
        except OSError:
            return None
        finally:
            link.close()
