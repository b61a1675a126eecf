"""Supervisor: what waits for a supervisor (amber, as "needs a supervisor" is everywhere), the reasons that
fit that request, and the refund-cap override only while a return is open. Approval is the badge scan."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty, ColorProperty

from station.core.intake import Phase
from station.core.operators import Flow
from station.runtime.desk import DeskView
from station.ui import theme
from station.ui.i18n import N_, _
from station.ui.screens.base import StationScreen

#: Reasons a supervisor gives, by the flow whose step waits.
REASONS = {
    Flow.INTAKE: {
        "customer_known": N_("customer known"),
        "manifest_late": N_("manifest late"),
        "damaged_in_transit": N_("damaged in transit"),
        "goodwill": N_("goodwill"),
    },
    Flow.RESTOCK: {
        "checked_sellable": N_("checked: sellable"),
        "grade_corrected": N_("grade corrected"),
        "urgent_stock": N_("stock urgently needed"),
    },
    Flow.REPAIR: {
        "repairable_after_all": N_("repairable after all"),
        "warranty_repair": N_("warranty repair"),
    },
    Flow.PACK: {},
}


class SupervisorScreen(StationScreen):
    kv_name = "supervisor"
    nav_title = N_("Supervisor")
    banner = ColorProperty(theme.PANEL)
    cap_allowed = BooleanProperty(False)
    waiting = BooleanProperty(False)

    def show(self, view: DeskView) -> None:
        waiting = view.pending or view.intake.pending_code
        if view.pending:
            self.ids.waiting.text = _(
                "Needs a supervisor: [b]{what}[/b]\nScan your badge to allow it."
            ).format(what=view.pending)
        elif view.intake.pending_code:
            self.ids.waiting.text = _(
                "Return [b]{code}[/b] is not in the manifest.\nScan your badge to take it as a blind receipt."
            ).format(code=self.app.codes.shown(view.intake.pending_code))
        else:
            self.ids.waiting.text = _("Nothing is waiting for a supervisor.")
        self.banner = theme.WARN if waiting else theme.PANEL
        self.waiting = bool(waiting)
        reasons = self.ids.reasons
        reasons.clear_widgets()
        if view.pending:
            for reason, words in REASONS[view.flow].items():
                button = Factory.ChoiceButton(text=_(words))
                button.bind(on_release=lambda _b, r=reason: self.app.touch("reason", r))
                reasons.add_widget(button)
        self.cap_allowed = view.flow is Flow.INTAKE and view.intake.phase is Phase.VERIFYING and not waiting
