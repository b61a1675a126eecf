"""What the printer's font can show, and the visible replacement for what it cannot.

The station prints text with ``^A0`` (Zebra's resident scalable font, CG Triumvirate Bold Condensed) under
``^CI28`` (UTF-8). A stock printer's ``^A0`` shows printable ASCII and the Latin-1 supplement (accented
Latin letters, currency and punctuation); scripts such as Arabic, Hebrew, Cyrillic, CJK and emoji need a
downloaded font (``^CW``) that a stock printer does not have. Every other character, control characters
included, is printed as :data:`REPLACEMENT` and reported, never dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

#: Shown in place of a character the printer font cannot draw.
REPLACEMENT = "?"

_SHOWN = frozenset(chr(c) for c in [*range(0x20, 0x7F), *range(0xA0, 0x100), 0x20AC])


@dataclass(frozen=True)
class Replaced:
    """One character replaced on a label: where, which, and its code point (``U+1F600``)."""

    field: str
    char: str

    @property
    def codepoint(self) -> str:
        return f"U+{ord(self.char):04X}"


def printable(text: str) -> str:
    """``text`` with each character the printer font cannot show replaced by :data:`REPLACEMENT`."""
    return "".join(c if c in _SHOWN else REPLACEMENT for c in text)


def unprintable(text: str, field: str) -> list[Replaced]:
    """The characters of ``text`` that :func:`printable` replaces, to report to the person printing."""
    return [Replaced(field, c) for c in text if c not in _SHOWN]
