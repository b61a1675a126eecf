"""Restock: scan an LPN, then the bin label; the unit becomes sellable stock at this hub."""

from __future__ import annotations

from station.runtime.desk import DeskView
from station.ui.screens.base import StationScreen


class RestockScreen(StationScreen):
    kv_name = "restock"
    nav_title = "Restock"

    def show(self, view: DeskView) -> None:
        unit = view.restock.unit
        self.ids.prompt.text = view.restock.prompt
        if unit is None:
            self.ids.unit.text = "[color=#b8bfcc]Scan the LPN label on the unit.[/color]"
        else:
            where = f"now in {unit.bin}" if unit.bin else "not on a shelf yet"
            self.ids.unit.text = (
                f"[b]{unit.lpn}[/b]\nGTIN {unit.gtin}"
                + (f"  S/N {unit.serial}" if unit.serial else "")
                + f"\n{unit.disposition or '-'}, grade {unit.grade or '-'}, {where}"
            )
        self.ids.cancel.disabled = unit is None
        outcome = view.outcome
        if outcome is not None and outcome.ok:
            done = [e for e in outcome.events if e.type in ("inventory.restocked", "inventory.moved")]
            if done:
                d = done[-1].data
                self.ids.last.text = f"Last: {d.get('lpn')} -> [b]{d.get('bin') or d.get('to_bin')}[/b]"
