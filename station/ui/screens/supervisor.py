"""Supervisor: what waits for a second person's approval (blind receipt, refund above cap, a restock or
repair against the disposition) with its kind, subject and amount, in amber as "needs a supervisor" is
everywhere; the reasons that fit that request; the refund-cap override only while a return is open; and the
keypad for the approver's PIN once they have scanned their own badge."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, ColorProperty
from kivy.utils import escape_markup

from station.core.intake import Phase
from station.core.operators import Flow
from station.runtime.desk import DeskView
from station.ui import theme
from station.ui.i18n import N_, _
from station.ui.screens.base import StationScreen
from station.ui.screens.signin import PinPad
from station.ui.words import OVERRIDE_REASONS, request_words


#: Reasons a supervisor gives, by the flow whose step waits.
class SupervisorScreen(StationScreen):
    kv_name = "supervisor"
    nav_title = N_("Supervisor")
    banner = ColorProperty(theme.PANEL)
    cap_allowed = BooleanProperty(False)
    waiting = BooleanProperty(False)

    def show(self, view: DeskView) -> None:
        keypad: PinPad = self.ids.keypad
        approves = view.pin_approves
        waiting = view.pending or view.intake.pending_code
        if approves is not None:
            self.ids.waiting.text = _("{name}: enter your PIN to approve\n[b]{what}[/b]").format(
                name=escape_markup(view.pin_for or ""),
                what=escape_markup(
                    self.app.codes.shown_in(request_words(view.approving), view.intake.pending_code)
                ),
            )
        elif view.intake.pending_code:
            self.ids.waiting.text = _(
                "Return [b]{code}[/b] is not in the manifest.\n"
                "A supervisor scans their own badge, then types their PIN here."
            ).format(code=escape_markup(self.app.codes.shown(view.intake.pending_code)))
        elif view.pending:
            self.ids.waiting.text = _(
                "Needs a supervisor: [b]{what}[/b]\n"
                "A supervisor scans their own badge, then types their PIN here."
            ).format(what=escape_markup(request_words(view.pending_request)))
        else:
            self.ids.waiting.text = _("Nothing is waiting for a supervisor.")
        self.banner = theme.WARN if waiting else theme.PANEL
        self.waiting = bool(waiting)
        keypad.asking(approves is not None)
        keypad.size_hint_x = 0.4 if approves is not None else 0.001  # the keypad takes room only to ask
        reasons = self.ids.reasons
        reasons.clear_widgets()
        # a reason is chosen before the badge (changing it after would void the approval); a blind receipt
        # has its own
        if view.pending and view.intake.pending_code is None and approves is None:
            for reason, words in OVERRIDE_REASONS[view.flow].items():
                button = Factory.ChoiceButton(text=_(words))
                button.bind(on_release=lambda _b, r=reason: self.app.touch("reason", r))
                reasons.add_widget(button)
        self.cap_allowed = view.flow is Flow.INTAKE and view.intake.phase is Phase.VERIFYING and not waiting
