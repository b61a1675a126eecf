"""Return intake: the return's lines (what is in, what is still to scan), and beside them one panel for the
step: the grade buttons, the destination of the unit just labelled, or the check before finishing a return
with lines missing."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory
from kivy.properties import ColorProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.widget import Widget

from station.core.intake import IntakeState, Match, Phase, Unit
from station.runtime.desk import DeskView
from station.ui import theme
from station.ui.i18n import N_, _, ngettext
from station.ui.messages import shortened
from station.ui.screens.base import StationScreen
from station.ui.words import DISPOSITION_COLOURS, disposition_words, grade_words, tote

GRADES = ["A", "B", "C", "D", "incorrect_item", "junk"]
REASONS = {
    "opened": N_("opened"),
    "no_box": N_("no box"),
    "scratched": N_("scratched"),
    "missing_parts": N_("parts missing"),
    "not_working": N_("not working"),
    "water_damage": N_("water damage"),
}
GREEN, AMBER, MUTED = "33dd66", "ffbb33", "b8bfcc"


class IntakeDestination(BoxLayout):
    """Where the unit just labelled goes, in the colour of its disposition, beside its label's preview."""

    colour = ColorProperty(theme.NEUTRAL)


Factory.register("IntakeDestination", cls=IntakeDestination)


class IntakeScreen(StationScreen):
    """The work list on the left; on the right the panel for the step."""

    kv_name = "intake"
    nav_title = N_("Returns")

    def on_kv_post(self, _base: object) -> None:
        self.grading = Factory.IntakeGrading()
        self.destination = IntakeDestination()
        self.confirm = Factory.IntakeConfirm()
        self.placeholder = Factory.IntakePlaceholder()
        self.asking = False  # the finish check is shown
        self._preview_for: str | None = None
        self._seen: object = None  # the outcome last shown
        for grade in GRADES:
            button = Factory.BigButton(text=grade_words(grade), size_hint_y=1)
            button.grade = grade
            button.bind(on_release=lambda b: self._grade(b.grade))
            self.grading.ids.grades.add_widget(button)
        for reason, words in REASONS.items():
            chip = Factory.ReasonChip(text=_(words))
            chip.reason = reason
            self.grading.ids.reasons.add_widget(chip)

    def _grade(self, grade: str) -> None:
        chips = self.grading.ids.reasons.children
        reasons = [c.reason for c in chips[::-1] if c.state == "down"]
        for chip in chips:
            chip.state = "normal"
        self.app.touch("grade", grade, ",".join(reasons))

    def finish(self) -> None:
        """One tap with everything in; with lines missing, the check in the other panel first."""
        state = self.app.view.intake
        if _missing(state) and not state.blind:
            self.asking = True
            self.show(self.app.view)
        else:
            self.app.touch("finish")

    def finish_anyway(self) -> None:
        self.asking = False
        self.app.touch("finish")

    def keep_scanning(self) -> None:
        self.asking = False
        self.show(self.app.view)

    def _side(self, panel: Widget) -> None:
        side = self.ids.side
        if panel.parent is not side:
            side.clear_widgets()
            side.add_widget(panel)

    def show(self, view: DeskView) -> None:
        state = view.intake
        if view.outcome is not self._seen:
            self._seen = view.outcome
            self.asking = False  # something happened: the check is asked again at the next Finish
        self._list(state)
        self.ids.finish.disabled = state.phase is not Phase.VERIFYING
        self.ids.cancel.disabled = state.phase is Phase.IDLE
        last = state.units[-1] if state.units else None
        if state.phase is Phase.GRADING:
            self._side(self.grading)
        elif self.asking and state.phase is Phase.VERIFYING:
            self._ask(state)
        elif last is not None and last.disposition is not None and last.lpn is not None:
            self._destination(view, last)
        else:
            text = self.placeholder.ids.text
            text.text = (
                _("Scan the return label to start.")
                if state.ret is None
                else _("Scan an item: its grade buttons, then where it goes, show here.")
            )
            self._side(self.placeholder)

    def _ask(self, state: IntakeState) -> None:
        missing = _missing(state)
        n = sum(left for _line, _title, left in missing)
        lines = "\n".join(
            f"[b]{line}[/b]  {shortened(title, 40)}  ({left})" for line, title, left in missing[:6]
        )
        more = len(missing) - 6
        if more > 0:
            lines += "\n" + ngettext("and {n} more line", "and {n} more lines", more).format(n=more)
        self.confirm.ids.question.text = (
            ngettext("[b]{n} item not scanned:[/b]", "[b]{n} items not scanned:[/b]", n).format(n=n)
            + "\n"
            + lines
        )
        self._side(self.confirm)

    def _destination(self, view: DeskView, unit: Unit) -> None:
        panel = self.destination
        disposition = unit.disposition.value if unit.disposition else None
        panel.colour = DISPOSITION_COLOURS.get(disposition or "", panel.colour)
        panel.ids.where.text = disposition_words(disposition)
        panel.ids.tote.text = tote(disposition)
        panel.ids.lpn.text = f"{unit.lpn}  ·  {grade_words(unit.grade.value if unit.grade else None)}"
        label = view.last_label
        if label is not None and label[1].get("lpn") == unit.lpn and self._preview_for != unit.lpn:
            self._preview_for = unit.lpn
            panel.ids.preview.texture = None  # never an earlier unit's label while this one is drawn
            self.app.previewer.request(label[0], label[1], self._show_preview)
        self._side(panel)

    def _show_preview(self, texture: Any) -> None:
        self.destination.ids.preview.texture = texture

    def _list(self, state: IntakeState) -> None:
        rows = self.ids.rows
        rows.clear_widgets()
        if state.ret is None:
            self.ids.header.text = f"[color=#{MUTED}]{_('No return open')}[/color]"
            return
        total = state.expected_count
        got = sum(1 for u in state.units if u.match is Match.MATCHED)
        blind = _(" (blind receipt)") if state.blind else ""
        self.ids.header.text = _("{rma}{blind}: {got} of {total} in").format(
            rma=state.ret.rma, blind=blind, got=got, total=total
        )
        done = [str(item.line) for item in state.ret.items if state.received(item.line) >= item.quantity]
        if done:
            rows.add_widget(
                Factory.ListRow(
                    text=f"[color=#{GREEN}]"
                    + ngettext("In: line {lines}", "In: lines {lines}", len(done)).format(
                        lines=", ".join(done)
                    )
                    + "[/color]"
                )
            )
        for text in _missing_rows(state):
            rows.add_widget(Factory.ListRow(text=text))
        for unit in state.units:
            if unit.match not in (Match.MATCHED, Match.BLIND):
                words = (
                    _("not on the return") if unit.match is Match.WRONG_ITEM else _("extra or other serial")
                )
                rows.add_widget(
                    Factory.ListRow(text=f"[color=#{AMBER}]!  {unit.title or unit.gtin}: {words}[/color]")
                )
            elif state.blind:
                rows.add_widget(Factory.ListRow(text=f"[color=#{GREEN}]{unit.title or unit.gtin}[/color]"))
        self.ids.list_scroll.scroll_y = 1  # the lines still to scan first, at the top


def _missing(state: IntakeState) -> list[tuple[int, str, int]]:
    """(line, title, how many still to scan) of each line not complete."""
    if state.ret is None:
        return []
    return [
        (item.line, item.title or item.gtin, item.quantity - state.received(item.line))
        for item in state.ret.items
        if state.received(item.line) < item.quantity
    ]


def _missing_rows(state: IntakeState) -> list[str]:
    """The list's row of each line still to scan: number, count, title, and "by S/N" where the line wants a
    serial (never the serial itself: it must be scanned from the unit, not typed from the screen)."""
    if state.ret is None:
        return []
    rows = []
    for item in state.ret.items:
        if state.received(item.line) < item.quantity:
            serial = "  " + _("by S/N") if item.serial else ""
            count = f"{state.received(item.line)}/{item.quantity}"
            rows.append(f"[b]{item.line}[/b]  {count}  {item.title or item.gtin}{serial}")
    return rows
