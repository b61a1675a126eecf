"""Cutting a byte stream into scan lines: terminator, UTF-8 with replacement, and scans that were lost.

Bytes that are not UTF-8 become U+FFFD, never an error. What cannot be a whole scan is reported to
``on_lost`` as a :class:`Lost`, never dropped in silence:

- another line end than the configured terminator (a scanner sending LF to a port set for CR or CR LF,
  or CR to one set for LF): the text before it is lost, at once (a CR alone inside a CR LF line is data);
- no terminator at all (a scanner without a suffix): after :data:`QUIET_S` without a byte, what came is
  lost (two scans within that time run together into one lost text);
- a line longer than ``max_bytes``: dropped whole, up to its terminator.

The rest of a CR LF pair right after the terminator (CR LF sent to a port set for CR or LF) is tolerated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from station.devices.scanners.base import BLANKS

TERMINATORS = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n"}
MAX_LINE_BYTES = 4096
#: Silence after which bytes without a terminator are taken as a scan that came without its suffix.
QUIET_S = 0.4
_PREVIEW = 60  # characters of a lost text quoted in a sentence


class LostReason(StrEnum):
    OTHER_END = "other_end"  # ended by a line end that is not the terminator
    NO_END = "no_end"  # no terminator came before a quiet gap
    OVERLONG = "overlong"  # longer than the line limit


@dataclass(frozen=True)
class Lost:
    """Bytes that could not be taken as one scan."""

    reason: LostReason
    text: str  # what came (stripped; cut to a preview when long)
    size: int  # bytes lost
    end: bytes = b""  # the other line end, for OTHER_END


class LineSplitter:
    """Feed bytes, get finished lines as text; what cannot be a scan goes to ``on_lost``."""

    def __init__(
        self,
        terminator: bytes,
        on_lost: Callable[[Lost], None],
        max_bytes: int = MAX_LINE_BYTES,
        quiet_s: float = QUIET_S,
    ) -> None:
        self._terminator = terminator
        self._on_lost = on_lost
        self._max = max_bytes
        self._quiet_s = quiet_s
        self._buffer = bytearray()
        self._dropping = 0  # bytes dropped so far of the current over-long line
        self._previous = 0  # the last byte taken off the buffer (a CR, for a CR LF pair split by it)
        self._last_at = 0.0

    def feed(self, data: bytes, now: float = 0.0) -> list[str]:
        if data:
            self._last_at = now
        self._buffer += data
        lines: list[str] = []
        while True:
            end = self._buffer.find(self._terminator)
            other = self._other_end()
            if other >= 0 and (end < 0 or other < end):
                self._take(other, LostReason.OTHER_END, bytes(self._buffer[other : other + 1]))
                continue
            if end < 0:
                break
            line = bytes(self._buffer[:end])
            self._cut(end + len(self._terminator))
            if self._dropping or len(line) > self._max:
                self._lose(LostReason.OVERLONG, line, self._dropping + len(line))
                self._dropping = 0
            else:
                lines.append(line.decode("utf-8", errors="replace"))
        if len(self._buffer) > self._max:
            # Keep the tail that could start the terminator; drop the rest now to bound memory.
            cut = len(self._buffer) - (len(self._terminator) - 1)
            self._dropping += cut
            self._cut(cut)
        return lines

    def expire(self, now: float) -> None:
        """Report what waits for a terminator once nothing came for the quiet time."""
        if (self._buffer or self._dropping) and now - self._last_at >= self._quiet_s:
            if self._dropping:
                self._lose(LostReason.OVERLONG, bytes(self._buffer), self._dropping + len(self._buffer))
                self._dropping = 0
                self._cut(len(self._buffer))
            elif self._buffer.endswith(b"\r") and self._terminator != b"\r":  # a CR, alone at the end
                self._take(len(self._buffer) - 1, LostReason.OTHER_END, b"\r")
            else:
                self._take(len(self._buffer), LostReason.NO_END, b"")

    def finish(self) -> list[str]:
        """The last line of a stream that ended without a terminator."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        if self._dropping:
            self._lose(LostReason.OVERLONG, rest, self._dropping + len(rest))
            self._dropping = 0
            return []
        return [rest.decode("utf-8", errors="replace")] if rest else []

    def _other_end(self) -> int:
        """Where the first line end that is not the terminator stands (-1: none decided yet)."""
        buf, term = self._buffer, self._terminator
        if b"\n" not in buf and b"\r" not in buf:
            return -1
        for i, byte in enumerate(buf):
            before = buf[i - 1] if i else self._previous
            if byte == 0x0A and term != b"\n" and before != 0x0D:
                return i
            if byte == 0x0D and term == b"\n" and i + 1 < len(buf) and buf[i + 1] != 0x0A:
                return i
        return -1

    def _take(self, stop: int, reason: LostReason, end: bytes) -> None:
        """Report ``buffer[:stop]`` as lost and cut it (with ``end``) off the buffer."""
        data = bytes(self._buffer[:stop])
        self._cut(stop + len(end))
        if self._dropping or len(data) > self._max:
            self._lose(LostReason.OVERLONG, data, self._dropping + len(data))
            self._dropping = 0
        else:
            self._lose(reason, data, len(data), end)

    def _cut(self, n: int) -> None:
        if n:
            self._previous = self._buffer[n - 1]
            del self._buffer[:n]

    def _lose(self, reason: LostReason, data: bytes, size: int, end: bytes = b"") -> None:
        text = data.decode("utf-8", errors="replace").strip(BLANKS)
        if not text and reason is not LostReason.OVERLONG:
            return  # only line ends: nothing was scanned
        self._on_lost(Lost(reason, text[:_PREVIEW], size, end))
