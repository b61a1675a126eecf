"""Repair bench: a work order on a unit — diagnosis, parts (scanned), data wipe, labour — closed with an
outcome, a new grade and a disposition (which prints the unit's new label). The choices start empty for
each work order; every control fits on the screen without scrolling."""

from __future__ import annotations

from kivy.factory import Factory

from station.runtime.desk import DeskView
from station.ui import theme
from station.ui.i18n import N_, _
from station.ui.screens.base import StationScreen
from station.ui.words import diagnosis_words, disposition_words, repair_outcome_words

DIAGNOSES = ["SCREEN_CRACKED", "NO_POWER", "BATTERY", "BUTTONS", "COSMETIC", "NO_FAULT_FOUND"]
OUTCOMES = ["repaired", "unrepairable", "harvested"]
GRADES = ["A", "B", "C", "D"]
DISPOSITIONS = ["restock_local", "liquidate", "return_to_dc", "recycle"]


class RepairScreen(StationScreen):
    kv_name = "repair"
    nav_title = N_("Repair")

    def on_kv_post(self, _base: object) -> None:
        self._for: str | None = None  # the work order the choices belong to
        self.diagnosis_chips = {}
        for code in DIAGNOSES:
            chip = Factory.ReasonChip(text=diagnosis_words(code))
            chip.bind(on_release=lambda _c, c=code: self.app.touch("diag", c))
            self.diagnosis_chips[code] = chip
            self.ids.diagnoses.add_widget(chip)
        self.chips: dict[str, list[object]] = {}
        groups = (
            ("outcome", OUTCOMES, repair_outcome_words, self.ids.choices),
            ("grade", GRADES, lambda g: _("Grade {grade}").format(grade=g), self.ids.choices),
            ("disposition", DISPOSITIONS, disposition_words, self.ids.dispositions),
        )
        for group, values, words, grid in groups:
            self.chips[group] = []
            for value in values:
                chip = Factory.ReasonChip(text=words(value), group=f"close-{group}")
                chip.value = value
                grid.add_widget(chip)
                self.chips[group].append(chip)

    def _chosen(self, group: str) -> str | None:
        return next((c.value for c in self.chips[group] if c.state == "down"), None)  # type: ignore[attr-defined]

    def wipe(self, method: str) -> None:
        self.app.touch("wipe", method, "station")

    def close(self) -> None:
        outcome, grade, disposition = (self._chosen(g) for g in ("outcome", "grade", "disposition"))
        if outcome and grade and disposition:
            self.app.touch("close", outcome, grade, disposition)
            return
        shell = self.app.shell
        shell.feedback_text = _("Choose an outcome, a grade and where it goes")
        shell.feedback_detail = _("Then tap Close work order.")
        shell.feedback_colour = theme.WARN

    def show(self, view: DeskView) -> None:
        wo = view.repair.current
        self.ids.work.disabled = wo is None
        number = wo.number if wo else None
        if number != self._for:  # a new work order: nothing chosen yet
            self._for = number
            for chips in self.chips.values():
                for chip in chips:
                    chip.state = "normal"  # type: ignore[attr-defined]
        for code, chip in self.diagnosis_chips.items():
            chip.state = "down" if wo is not None and code in wo.diagnoses else "normal"
        if wo is None:
            self.ids.details.text = "[color=#b8bfcc]" + _("No work order open.") + "[/color]"
            return
        wipe = (
            _("wiped ({method})").format(method=wo.wipe.method.value)
            if wo.wipe
            else (_("wipe needed") if wo.data_bearing else _("no data"))
        )
        parts = ", ".join(p.code for p in wo.parts) or _("no parts")
        diagnosed = ", ".join(diagnosis_words(d) for d in wo.diagnoses) or _("no diagnosis yet")
        facts = [diagnosed, wipe, parts, _("{n} min").format(n=wo.labour_minutes)]
        head = f"[b]{self.app.codes.shown(wo.number)}[/b]  {wo.lpn}"
        if self.app.compact:  # one line above the controls
            self.ids.details.text = "  ·  ".join([head, *facts[1:]])
        else:
            self.ids.details.text = "\n".join([head, *facts])
