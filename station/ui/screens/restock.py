"""Restock: scan an LPN, then the bin label; the unit becomes sellable stock at this hub."""

from __future__ import annotations

from station.runtime.desk import DeskView
from station.ui.i18n import N_, _
from station.ui.screens.base import StationScreen
from station.ui.words import disposition_words, grade_words


class RestockScreen(StationScreen):
    kv_name = "restock"
    nav_title = N_("Restock")

    def show(self, view: DeskView) -> None:
        unit = view.restock.unit
        if unit is None:
            self.ids.unit.text = "[color=#b8bfcc]" + _("No unit scanned.") + "[/color]"
        else:
            where = _("now in {bin}").format(bin=unit.bin) if unit.bin else _("not on a shelf yet")
            serial = _("  Serial {serial}").format(serial=unit.serial) if unit.serial else ""
            self.ids.unit.text = (
                f"[b]{unit.lpn}[/b]\n"
                + (
                    _("Grade {grade}").format(grade=grade_words(unit.grade))
                    if unit.grade
                    else _("Grade not recorded")
                )
                + f"\n{disposition_words(unit.disposition)}, {where}\n"
                + _("GTIN {gtin}").format(gtin=unit.gtin)
                + serial
            )
        self.ids.cancel.disabled = unit is None
        outcome = view.outcome
        if outcome is not None and outcome.ok:
            done = [e for e in outcome.events if e.type in ("inventory.restocked", "inventory.moved")]
            if done:
                d = done[-1].data
                bin_ = d.get("bin") or d.get("to_bin")
                self.ids.last.text = _("Last: {lpn} in [b]{bin}[/b]").format(lpn=d.get("lpn"), bin=bin_)
