"""Supervisor: what waits for a second person's approval (blind receipt, refund above cap, a restock or
repair against the disposition) with its kind, subject and amount, a reason to give, the refund-cap
override, and the keypad for the approver's PIN once they have scanned their own badge."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.utils import escape_markup

from station.runtime.desk import DeskView
from station.ui.screens.base import StationScreen
from station.ui.screens.signin import PinPad

REASONS = ["customer_known", "manifest_late", "damaged_in_transit", "goodwill"]


class SupervisorScreen(StationScreen):
    kv_name = "supervisor"
    nav_title = "Supervisor"

    def on_kv_post(self, _base: object) -> None:
        for reason in REASONS:
            button = Factory.ChoiceButton(text=reason.replace("_", " "))
            button.bind(on_release=lambda _b, r=reason: self.app.touch("reason", r))
            self.ids.reasons.add_widget(button)

    def show(self, view: DeskView) -> None:
        keypad: PinPad = self.ids.keypad
        if view.pin_approves is not None:
            self.ids.waiting.text = (
                f"{escape_markup(view.pin_for or '')}: enter your PIN to approve\n"
                f"[b]{escape_markup(view.pin_approves)}[/b]"
            )
        elif view.pending is not None:
            self.ids.waiting.text = (
                f"Waiting for approval: [b]{escape_markup(view.pending)}[/b]\n"
                "A supervisor scans their own badge, then types their PIN here."
            )
        else:
            self.ids.waiting.text = "Nothing is waiting for a supervisor."
        keypad.asking(view.pin_approves is not None)
        # a reason is chosen before the badge: changing it after would void the approval
        self.ids.reasons.disabled = (
            view.pending is None or view.intake.pending_code is not None or view.pin_approves is not None
        )
        self.ids.waiting.color = (1, 0.8, 0.3, 1) if view.pending else (0.72, 0.75, 0.8, 1)
