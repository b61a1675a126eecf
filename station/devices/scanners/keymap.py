"""Keyboard layouts as data: which character a key position types, plain, with Shift, with AltGr."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from evdev import ecodes as e


@dataclass(frozen=True)
class Layout:
    """A layout the scanner emulates; ``keys`` maps a key code to (plain, shifted) text."""

    name: str
    keys: Mapping[int, tuple[str, str]]
    altgr: Mapping[int, str] = field(default_factory=dict)

    def char(self, code: int, shift: bool, altgr: bool) -> str | None:
        """The text a key types, or None for a key that types nothing here (and for ``KEY_ENTER``)."""
        if altgr:
            return self.altgr.get(code)
        pair = self.keys.get(code) or KEYPAD.get(code)
        return None if pair is None else pair[shift]


def letters(row: str, positions: str) -> dict[int, tuple[str, str]]:
    """Letter keys, lower case plain and upper case with Shift, at key positions named as on a US keyboard."""
    return {e.ecodes[f"KEY_{p}"]: (char, char.upper()) for char, p in zip(row, positions, strict=True)}


#: The keypad with NumLock on types the same in every layout.
KEYPAD: Mapping[int, tuple[str, str]] = {
    e.KEY_KP0: ("0", "0"),
    e.KEY_KP1: ("1", "1"),
    e.KEY_KP2: ("2", "2"),
    e.KEY_KP3: ("3", "3"),
    e.KEY_KP4: ("4", "4"),
    e.KEY_KP5: ("5", "5"),
    e.KEY_KP6: ("6", "6"),
    e.KEY_KP7: ("7", "7"),
    e.KEY_KP8: ("8", "8"),
    e.KEY_KP9: ("9", "9"),
    e.KEY_KPDOT: (".", "."),
    e.KEY_KPPLUS: ("+", "+"),
    e.KEY_KPMINUS: ("-", "-"),
    e.KEY_KPASTERISK: ("*", "*"),
    e.KEY_KPSLASH: ("/", "/"),
}
KEYPAD_DIGITS: Mapping[int, str] = {code: pair[0] for code, pair in KEYPAD.items() if pair[0].isdigit()}
