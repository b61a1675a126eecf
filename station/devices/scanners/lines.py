"""Cutting a byte stream into scan lines: terminator, UTF-8 with replacement, a cap on line length."""

from __future__ import annotations

from collections.abc import Callable

TERMINATORS = {"cr": b"\r", "lf": b"\n", "crlf": b"\r\n"}
MAX_LINE_BYTES = 4096


class LineSplitter:
    """Feed bytes, get finished lines as text; bytes that are not UTF-8 become U+FFFD, never an error.

    A line longer than ``max_bytes`` is dropped whole (up to its terminator) and ``on_overlong`` is told
    how many bytes were dropped; the usual cause is a scanner that ends lines with another terminator.
    """

    def __init__(
        self, terminator: bytes, on_overlong: Callable[[int], None], max_bytes: int = MAX_LINE_BYTES
    ) -> None:
        self._terminator = terminator
        self._on_overlong = on_overlong
        self._max = max_bytes
        self._buffer = bytearray()
        self._dropping = 0  # bytes dropped so far of the current over-long line

    def feed(self, data: bytes) -> list[str]:
        self._buffer += data
        lines: list[str] = []
        while True:
            end = self._buffer.find(self._terminator)
            if end < 0:
                break
            line = bytes(self._buffer[:end])
            del self._buffer[: end + len(self._terminator)]
            if self._dropping or len(line) > self._max:
                self._on_overlong(self._dropping + len(line))
                self._dropping = 0
            else:
                lines.append(line.decode("utf-8", errors="replace"))
        if len(self._buffer) > self._max:
            # Keep the tail that could start the terminator; drop the rest now to bound memory.
            keep = len(self._terminator) - 1
            cut = len(self._buffer) - keep
            self._dropping += cut
            del self._buffer[:cut]
        return lines

    def finish(self) -> list[str]:
        """The last line of a stream that ended without a terminator."""
        rest = bytes(self._buffer)
        self._buffer.clear()
        if self._dropping:
            self._on_overlong(self._dropping + len(rest))
            self._dropping = 0
            return []
        return [rest.decode("utf-8", errors="replace")] if rest else []
