"""Sign in: scan a badge; where the person has a PIN, type it on the keypad (no keyboard needed).

:class:`PinPad` is the keypad every PIN goes through (sign-in here, approvals on the supervisor screen, a
wipe's verifier on the repair screen): a PIN is typed, never scanned.
"""

from __future__ import annotations

from typing import Any

from kivy.app import App
from kivy.factory import Factory
from kivy.metrics import dp, sp
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.gridlayout import GridLayout
from kivy.uix.label import Label

from station.core.operators import DEFAULT_PIN_POLICY, Pin
from station.runtime.desk import DeskView
from station.ui import theme
from station.ui.i18n import _
from station.ui.screens.base import StationScreen

KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "Clear", "0", "OK"]


class PinPad(BoxLayout):
    """Digits shown as dots; OK hands the PIN to the desk as a touch. Hidden and disabled unless asking."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(orientation="vertical", spacing=dp(6), **kwargs)
        self.digits = ""
        self.dots = Label(font_size=sp(32), color=theme.TEXT, size_hint_y=None, height=dp(34))
        self.add_widget(self.dots)
        keys = GridLayout(cols=3, spacing=dp(6))
        for key in KEYS:
            button = Factory.BigButton(text=_("Clear") if key == "Clear" else key, size_hint_y=1)
            button.key = key  # the rows share the pad's height; the key, not its translated text
            button.bind(on_release=lambda b: self._key(b.key))
            keys.add_widget(button)
        self.add_widget(keys)
        self.asking(False)

    def asking(self, on: bool) -> None:
        self.opacity = 1 if on else 0
        self.disabled = not on
        if not on:
            self._set("")

    def _key(self, key: str) -> None:
        if key == "Clear":
            self._set("")
        elif key == "OK":
            pin = self.digits
            self._set("")
            App.get_running_app().touch("pin", Pin(pin))
        elif len(self.digits) < DEFAULT_PIN_POLICY.max_length:
            self._set(self.digits + key)

    def _set(self, digits: str) -> None:
        self.digits = digits
        self.dots.text = "*" * len(digits)


Factory.register("PinPad", cls=PinPad)


class SignInScreen(StationScreen):
    kv_name = "signin"
    nav_title = ""

    def show(self, view: DeskView) -> None:
        asking = view.pin_for is not None
        self.ids.hint.text = _("PIN for {name}").format(name=view.pin_for) if asking else _("Scan your badge")
        self.ids.keypad.asking(asking)
