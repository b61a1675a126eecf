"""Supervisor: what is waiting for a supervisor's approval (blind receipt, refund above cap, a restock
without restock disposition), a reason to give, and the refund-cap override. Approval is the badge scan."""

from __future__ import annotations

from kivy.factory import Factory

from station.runtime.desk import DeskView
from station.ui.screens.base import StationScreen

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
        waiting = view.pending or view.intake.pending_code
        if view.pending:
            self.ids.waiting.text = (
                f"Waiting for a supervisor: [b]{view.pending}[/b]\nScan your badge to allow it."
            )
        elif view.intake.pending_code:
            self.ids.waiting.text = (
                f"Return [b]{view.intake.pending_code}[/b] is not in the manifest.\n"
                "Scan your badge to take it as a blind receipt (flagged for review)."
            )
        else:
            self.ids.waiting.text = "Nothing is waiting for a supervisor."
        self.ids.reasons.disabled = not view.pending
        self.ids.waiting.color = (1, 0.8, 0.3, 1) if waiting else (0.72, 0.75, 0.8, 1)
