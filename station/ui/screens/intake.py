"""Return intake: the expected items with their match status, grade buttons with reason chips, the
disposition with the rule that fired, and finish/cancel."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty

from station.core.disposition import Grade
from station.core.intake import IntakeState, Match, Phase
from station.runtime.desk import DeskView
from station.ui import theme
from station.ui.screens.base import StationScreen

GRADES = [
    (Grade.A, "A  like new"),
    (Grade.B, "B  opened"),
    (Grade.C, "C  worn"),
    (Grade.D, "D  damaged"),
    (Grade.INCORRECT_ITEM, "Wrong item"),
    (Grade.JUNK, "Junk"),
]
REASONS = ["opened", "no_box", "scratched", "missing_parts", "not_working", "water_damage"]


class IntakeScreen(StationScreen):
    """While an item is graded the grade buttons show; otherwise the preview of the last label."""

    kv_name = "intake"
    nav_title = "Returns"
    grading = BooleanProperty(False)

    def on_kv_post(self, _base: object) -> None:
        for grade, text in GRADES:
            button = Factory.BigButton(text=text)
            button.grade = grade.value
            button.bind(on_release=lambda b: self._grade(b.grade))
            self.ids.grades.add_widget(button)
        for reason in REASONS:
            chip = Factory.ReasonChip(text=reason.replace("_", " "))
            chip.reason = reason
            self.ids.reasons.add_widget(chip)

    def _grade(self, grade: str) -> None:
        reasons = [c.reason for c in self.ids.reasons.children[::-1] if c.state == "down"]
        for chip in self.ids.reasons.children:
            chip.state = "normal"
        self.app.touch("grade", grade, ",".join(reasons))

    def _show_preview(self, texture: object) -> None:
        self.ids.preview.texture = texture

    def show(self, view: DeskView) -> None:
        state = view.intake
        self.ids.item_list.text = _items_text(state)
        self.grading = state.phase is Phase.GRADING
        self.ids.finish.disabled = state.phase is not Phase.VERIFYING
        self.ids.cancel.disabled = state.phase is Phase.IDLE
        if view.last_label is not None and view.last_label[0] == "return_lpn":
            template, data = view.last_label
            self.app.previewer.request(template, data, self._show_preview)
        last = next((u for u in reversed(state.units) if u.disposition is not None), None)
        if last is not None and last.disposition is not None:
            self.ids.result.text = (
                f"Last: [b]{last.disposition.value.replace('_', ' ').upper()}[/b]  {last.lpn}\n"
                f"[size=14sp]rule: {last.rule}[/size]"
            )
        else:
            self.ids.result.text = ""


_MARK = {Match.MATCHED: "OK", Match.BLIND: "IN"}


def _items_text(state: IntakeState) -> str:
    if state.ret is None:
        return "[color=#b8bfcc]No return open.[/color]"
    lines = [f"[b]{state.ret.rma}[/b]" + ("  (blind receipt)" if state.blind else "")]
    for item in state.ret.items:
        got = state.received(item.line)
        colour = "33dd66" if got >= item.quantity else "ffffff"
        serial = "  by S/N" if item.serial else ""  # never the number itself: it must be scanned, not typed
        category = f" ({item.category})" if item.category else ""
        lines.append(
            f"[color=#{colour}]{got}/{item.quantity}  {item.title or item.gtin}{category}{serial}[/color]"
        )
    for unit in state.units:
        if unit.match not in _MARK:
            lines.append(f"[color=#ff6666]!  {unit.match.value.replace('_', ' ')}: {unit.gtin}[/color]")
        elif state.blind:
            lines.append(f"IN  {unit.gtin}")
    return "\n".join(lines)


__all__ = ["IntakeScreen", "theme"]
