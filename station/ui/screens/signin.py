"""Sign in: scan a badge; where the person has a PIN, type it on the keypad (no keyboard needed)."""

from __future__ import annotations

from kivy.factory import Factory

from station.runtime.desk import DeskView
from station.ui.i18n import _
from station.ui.screens.base import StationScreen

KEYS = ["1", "2", "3", "4", "5", "6", "7", "8", "9", "Clear", "0", "OK"]


class SignInScreen(StationScreen):
    kv_name = "signin"
    nav_title = ""

    def on_kv_post(self, _base: object) -> None:
        self.digits = ""
        for key in KEYS:
            button = Factory.BigButton(text=_("Clear") if key == "Clear" else key, size_hint_y=1)
            button.key = key
            button.bind(on_release=lambda b: self._key(b.key))
            self.ids.keypad.add_widget(button)

    def _key(self, key: str) -> None:
        if key == "Clear":
            self.digits = ""
        elif key == "OK":
            pin, self.digits = self.digits, ""
            self.app.touch("pin", pin)
        elif len(self.digits) < 8:
            self.digits += key
        self.ids.dots.text = "*" * len(self.digits)

    def show(self, view: DeskView) -> None:
        asking = view.pin_for is not None
        self.ids.hint.text = _("PIN for {name}").format(name=view.pin_for) if asking else _("Scan your badge")
        self.ids.keypad.opacity = 1 if asking else 0
        self.ids.keypad.disabled = not asking
        if not asking:
            self.digits = ""
            self.ids.dots.text = ""
