"""Repair bench: a work order on a unit — diagnosis, parts (scanned), data wipe, labour — closed with an
outcome, a new grade and a disposition (which prints the unit's new label). The choices start empty for
each work order; every control fits on the screen without scrolling."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.properties import BooleanProperty
from kivy.utils import escape_markup

from station.core.operators import OverrideKind
from station.core.repair import WorkOrder
from station.runtime.desk import DeskView
from station.ui import theme
from station.ui.i18n import N_, _
from station.ui.screens.base import StationScreen
from station.ui.screens.signin import PinPad
from station.ui.words import diagnosis_words, disposition_words, repair_outcome_words, request_words

DIAGNOSES = ["SCREEN_CRACKED", "NO_POWER", "BATTERY", "BUTTONS", "COSMETIC", "NO_FAULT_FOUND"]
OUTCOMES = ["repaired", "unrepairable", "harvested"]
GRADES = ["A", "B", "C", "D"]
DISPOSITIONS = ["restock_local", "liquidate", "return_to_dc", "recycle"]


class RepairScreen(StationScreen):
    kv_name = "repair"
    nav_title = N_("Repair")
    verifying = BooleanProperty(False)  # a wipe waits for its verifier: the request shows beside the details
    asking = BooleanProperty(False)  # the verifier types their PIN on the keypad

    def on_kv_post(self, _base: object) -> None:
        self._for: str | None = None  # the work order the choices belong to
        self._work = self.ids.work.__self__  # held here while the keypad takes its place (ids are weak)
        self._names: dict[str, str] = {}  # verifiers' names by badge, learned from the keypad's request
        self._verifier: tuple[str, int] | None = None  # who types their PIN, and the wipes before theirs
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

    def _tools(self) -> None:
        """One chip per configured wipe tool, once the app is known (chosen per work order, as the rest)."""
        if "tool" in self.chips:
            return
        self.chips["tool"] = []
        for tool in self.app.station.config.wipe_tools:
            chip = Factory.ReasonChip(text=tool.replace("_", " "), group="wipe-tool")
            chip.value = tool
            self.ids.tools.add_widget(chip)
            self.chips["tool"].append(chip)

    def wipe(self, method: str) -> None:
        tool = self._chosen("tool")
        if tool:
            self.app.touch("wipe", method, tool)
            return
        self._ask(_("Choose the tool the wipe was made with"), _("Then tap the wipe again."))

    def close(self) -> None:
        outcome, grade, disposition = (self._chosen(g) for g in ("outcome", "grade", "disposition"))
        if outcome and grade and disposition:
            self.app.touch("close", outcome, grade, disposition)
            return
        self._ask(_("Choose an outcome, a grade and where it goes"), _("Then tap Close work order."))

    def _ask(self, headline: str, detail: str) -> None:
        """Amber: a choice is missing before the tap can be done."""
        shell = self.app.shell
        shell.feedback_text, shell.feedback_detail, shell.feedback_colour = headline, detail, theme.WARN

    def show(self, view: DeskView) -> None:
        self._tools()
        keypad: PinPad = self.ids.keypad
        self.asking = view.pin_approves is not None
        # waiting for the verifier's badge: beside the details at 1280x800; at 800x480 the bar says it
        wiping = view.pending_kind is OverrideKind.WIPE and not self.app.compact
        self.verifying = self.asking or wiping
        keypad.asking(self.asking)
        work, body = self._work, self.ids.body
        if self.asking and work.parent is not None:
            body.remove_widget(work)  # the keypad takes its place (hidden buttons would take its touches)
        elif not self.asking and work.parent is None:
            body.add_widget(work)  # back below the details
        if view.pin_approves is not None:
            self.ids.verify.text = _("{name}: enter your PIN to verify\n[b]{what}[/b]").format(
                name=escape_markup(view.pin_for or ""),
                what=escape_markup(request_words(view.approving)),
            )
        elif view.pending is not None and view.pending_kind is OverrideKind.WIPE:
            self.ids.verify.text = _(
                "[b]{what}[/b]\nThe person who verified it scans their own badge."
            ).format(what=escape_markup(request_words(view.pending_request)))
        else:
            self.ids.verify.text = ""
        wo = view.repair.current
        work.disabled = wo is None
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
        self._learn(view, wo)
        wipe = "; ".join(
            _("{method} with {tool}, verified by {who}").format(
                method=w.method.value,
                tool=w.tool.replace("_", " "),
                who=self._names.get(w.verified_by, w.verified_by),
            )
            for w in wo.wipes
        ) or (_("wipe needed") if wo.data_bearing else _("no data"))
        parts = ", ".join(p.code for p in wo.parts) or _("no parts")
        diagnosed = ", ".join(diagnosis_words(d) for d in wo.diagnoses) or _("no diagnosis yet")
        facts = [diagnosed, wipe, parts, _("{n} min").format(n=wo.labour_minutes)]
        head = f"[b]{self.app.codes.shown(wo.number)}[/b]  {wo.lpn}"
        if self.app.compact and not self.asking:  # one line above the controls
            self.ids.details.text = "  ·  ".join([head, *facts[1:]])
        else:
            self.ids.details.text = "\n".join([head, *facts])

    def _learn(self, view: DeskView, wo: WorkOrder) -> None:
        """The verifier's name for the wipe their PIN recorded (the view has the name, the wipe the badge)."""
        if view.pin_approves is not None and view.pin_for is not None:
            self._verifier = (view.pin_for, len(wo.wipes))
        elif self._verifier is not None and len(wo.wipes) > self._verifier[1]:
            self._names[wo.wipes[-1].verified_by] = self._verifier[0]
            self._verifier = None
