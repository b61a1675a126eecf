"""Key events of a keyboard-emulating scanner -> scans. Pure: no device, no clock but the events' own.

What it does with each key event (``EV_KEY``; every other type is ignored):

- Shift (left or right), Ctrl, Alt and AltGr (right Alt) are tracked while held.
- A key press (value 1) types the layout's character. A key release (value 0) types nothing.
- Key repeat (value 2) types nothing. A scanner sends a press and a release for every character, also
  for doubled ones ("AA" is two presses); repeats come only from the kernel's soft auto-repeat when a key
  is held longer than the repeat delay (250 ms), which for a scanner means a stuck key, not data.
- The GS separator (0x1D) is typed by the configured GS key: Ctrl + the ``]`` key position
  (``KEY_RIGHTBRACE``, whatever the layout prints on it) or F8. Other Ctrl and Alt combinations type
  nothing, except Alt + keypad digits, composed on Alt's release as Windows does (``Alt+029`` is GS, the
  form Zebra scanners use; a leading 0 means code page 1252, else 437). Linux itself does not compose them.
- A scan ends on Enter or keypad Enter, or when a key press comes more than ``gap_s`` after the previous
  key event (the previous scan then ends without Enter). The device loop also calls :meth:`flush` when
  the device has been quiet for ``gap_s``.
- A scan longer than ``max_chars`` is dropped whole and counted in ``dropped``.
"""

from __future__ import annotations

from evdev import InputEvent
from evdev import ecodes as e

from station.devices.scanners.gskey import GS, GsKey
from station.devices.scanners.keymap import KEYPAD_DIGITS, Layout
from station.devices.scanners.lines import MAX_LINE_BYTES

DEFAULT_GAP_S = 0.05
_SHIFT = frozenset({e.KEY_LEFTSHIFT, e.KEY_RIGHTSHIFT})
_CTRL = frozenset({e.KEY_LEFTCTRL, e.KEY_RIGHTCTRL})
_ALT = frozenset({e.KEY_LEFTALT})
_ALTGR = frozenset({e.KEY_RIGHTALT})
_MODIFIERS = _SHIFT | _CTRL | _ALT | _ALTGR
_ENTER = frozenset({e.KEY_ENTER, e.KEY_KPENTER})
_GS_CODES = {GsKey.CTRL_BRACKET: e.KEY_RIGHTBRACE, GsKey.F8: e.KEY_F8}
_PRESS, _RELEASE = 1, 0


class KeyDecoder:
    """Feed key events in order; a call returns the scan that event completed, if any."""

    def __init__(
        self,
        layout: Layout,
        gs_key: GsKey = GsKey.CTRL_BRACKET,
        gap_s: float = DEFAULT_GAP_S,
        max_chars: int = MAX_LINE_BYTES,
    ) -> None:
        self.layout = layout
        self.gs_key = gs_key
        self.gap_s = gap_s
        self.max_chars = max_chars
        self.dropped = 0
        self.ended_by_enter = False  # how the last scan returned ended: Enter, or a gap (no suffix)
        self._held: set[int] = set()
        self._typed: list[str] = []
        self._alt_digits: list[str] = []
        self._last_ts: float | None = None

    @property
    def pending(self) -> bool:
        """Whether a scan has begun and not ended."""
        return bool(self._typed)

    def feed_event(self, event: InputEvent) -> str | None:
        return self.feed(event.type, event.code, event.value, event.timestamp())

    def feed(self, type_: int, code: int, value: int, timestamp: float) -> str | None:
        if type_ != e.EV_KEY:
            return None
        ended = None
        if value == _PRESS and self._last_ts is not None and timestamp - self._last_ts > self.gap_s:
            ended = self.flush()
        self._last_ts = timestamp
        if code in _MODIFIERS:
            self._modifier(code, value)
        elif value == _PRESS:
            if code in _ENTER:
                return ended if ended is not None else self.flush(by_enter=True)
            self._press(code)
        return ended

    def flush(self, by_enter: bool = False) -> str | None:
        """End the scan typed so far (on a gap): its text, or None if nothing (or too much) was typed."""
        text = "".join(self._typed)
        self._typed.clear()
        self.ended_by_enter = by_enter
        if len(text) > self.max_chars:
            self.dropped += 1
            return None
        return text or None

    def _modifier(self, code: int, value: int) -> None:
        if value == _PRESS:
            self._held.add(code)
        elif value == _RELEASE:
            self._held.discard(code)
            if code in _ALT and self._alt_digits:
                self._type(_compose(self._alt_digits))
                self._alt_digits.clear()

    def _press(self, code: int) -> None:
        held = self._held
        if code == _GS_CODES[self.gs_key] and (self.gs_key is GsKey.F8 or held & _CTRL):
            self._type(GS)
        elif held & _ALT:
            if code in KEYPAD_DIGITS:
                self._alt_digits.append(KEYPAD_DIGITS[code])
        elif not held & _CTRL:
            char = self.layout.char(code, shift=bool(held & _SHIFT), altgr=bool(held & _ALTGR))
            if char is not None:
                self._type(char)

    def _type(self, text: str) -> None:
        if len(self._typed) <= self.max_chars:
            self._typed.append(text)


def _compose(digits: list[str]) -> str:
    code = int("".join(digits)[-6:]) % 256
    return bytes([code]).decode("cp1252" if digits[0] == "0" else "cp437", errors="replace")
