"""The on-screen keyboard for a code that will not scan: big keys for gloved fingers; what is keyed goes to
the station as a scan whose source is ``keyed``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kivy.factory import Factory
from kivy.properties import StringProperty
from kivy.uix.modalview import ModalView

ROWS = ["1234567890", "QWERTYUIOP", "ASDFGHJKL-", "ZXCVBNM()/"]
MAX_CHARS = 120


class KeyedEntry(ModalView):
    """Type a code, then Enter: ``submit(text)`` gets it; Cancel closes with nothing sent."""

    typed = StringProperty("")

    def __init__(self, submit: Callable[[str], None], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._anim_duration = 0  # gone at once: the next tap reaches the screen
        self._submit = submit
        for row in ROWS:
            for key in row:
                button = Factory.KeyButton(text=key)
                button.bind(on_release=lambda b: self.press(b.text))
                self.ids.keypad.add_widget(button)

    def press(self, key: str) -> None:
        if len(self.typed) < MAX_CHARS:
            self.typed += key

    def back(self) -> None:
        self.typed = self.typed[:-1]

    def enter(self) -> None:
        text, self.typed = self.typed, ""
        self.dismiss()
        if text:
            self._submit(text)

    def cancel(self) -> None:
        self.typed = ""
        self.dismiss()
