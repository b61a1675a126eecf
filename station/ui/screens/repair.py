"""Repair bench: a work order on a unit — diagnosis, parts (scanned), data wipe, labour — closed with an
outcome, a new grade and a disposition (which prints the unit's new label)."""

from __future__ import annotations

from kivy.factory import Factory
from kivy.utils import escape_markup

from station.core.operators import OverrideKind
from station.runtime.desk import DeskView
from station.ui.screens.base import StationScreen
from station.ui.screens.signin import PinPad

DIAGNOSES = ["SCREEN_CRACKED", "NO_POWER", "BATTERY", "BUTTONS", "COSMETIC", "NO_FAULT_FOUND"]
OUTCOMES = ["repaired", "unrepairable", "harvested"]
GRADES = ["A", "B", "C", "D"]
DISPOSITIONS = ["restock_local", "liquidate", "return_to_dc", "recycle"]


class RepairScreen(StationScreen):
    kv_name = "repair"
    nav_title = "Repair"

    def on_kv_post(self, _base: object) -> None:
        for code in DIAGNOSES:
            button = Factory.ChoiceButton(text=code.replace("_", " ").lower())
            button.bind(on_release=lambda b, c=code: self.app.touch("diag", c))
            self.ids.diagnoses.add_widget(button)
        for group, values in (("outcome", OUTCOMES), ("grade", GRADES), ("disposition", DISPOSITIONS)):
            for value in values:
                chip = Factory.ReasonChip(text=value.replace("_", " "), group=f"close-{group}")
                chip.value = value
                self.ids[f"{group}s"].add_widget(chip)

    def _chosen(self, group: str) -> str | None:
        return next((c.value for c in self.ids[f"{group}s"].children if c.state == "down"), None)

    def _tools(self) -> None:
        """One chip per configured wipe tool (the first chosen), once the app is known."""
        if self.ids.tools.children:
            return
        for i, tool in enumerate(self.app.station.config.wipe_tools):
            chip = Factory.ReasonChip(
                text=tool.replace("_", " "), group="wipe-tool", state="down" if i == 0 else "normal"
            )
            chip.value = tool
            self.ids.tools.add_widget(chip)

    def wipe(self, method: str) -> None:
        tool = self._chosen("tool")
        if tool:
            self.app.touch("wipe", method, tool)

    def close(self) -> None:
        outcome, grade, disposition = (self._chosen(g) for g in ("outcome", "grade", "disposition"))
        if outcome and grade and disposition:
            self.app.touch("close", outcome, grade, disposition)
        else:
            self.app.shell.feedback_text = "Choose an outcome, a grade and a disposition, then tap Close."

    def show(self, view: DeskView) -> None:
        self._tools()
        keypad: PinPad = self.ids.keypad
        asking = view.pin_approves is not None
        keypad.asking(asking)
        keypad.size_hint_y = 3 if asking else 0.01  # the keypad takes the column while it asks
        if view.pin_approves is not None:
            self.ids.verify.text = (
                f"{escape_markup(view.pin_for or '')}: enter your PIN to verify\n"
                f"[b]{escape_markup(view.pin_approves)}[/b]"
            )
        elif view.pending is not None and view.pending_kind is OverrideKind.WIPE:
            self.ids.verify.text = (
                f"[b]{escape_markup(view.pending)}[/b]\nThe person who verified it scans their own badge."
            )
        else:
            self.ids.verify.text = ""
        wo = view.repair.current
        self.ids.prompt.text = view.repair.prompt
        self.ids.work.disabled = wo is None
        if wo is None:
            self.ids.details.text = "[color=#b8bfcc]Scan the unit's LPN or the work order.[/color]"
            return
        wipes = [f"{w.method.value} with {w.tool}, verified by {w.verified_by}" for w in wo.wipes]
        wipe = "; ".join(wipes) or ("needed" if wo.data_bearing else "-")
        parts = ", ".join(p.code for p in wo.parts) or "-"
        self.ids.details.text = (
            f"[b]{wo.number}[/b]  {wo.lpn}\nDiagnosis: {', '.join(wo.diagnoses) or '-'}\n"
            f"Parts: {parts}\nData wipe: {wipe}\nLabour: {wo.labour_minutes} min"
        )
