"""Packing: scan the order, then each unit (LPN, serial or GTIN); finish prints the carrier's label."""

from __future__ import annotations

from station.runtime.desk import DeskView
from station.ui.screens.base import StationScreen


class PackScreen(StationScreen):
    kv_name = "pack"
    nav_title = "Pack"

    def show(self, view: DeskView) -> None:
        state = view.packing
        self.ids.prompt.text = state.prompt
        order = state.order
        if order is None:
            self.ids.lines.text = "[color=#b8bfcc]Scan the order's barcode.[/color]"
        else:
            rows = [f"[b]Order {order.number}[/b]  {order.carrier}"]
            for line in order.lines:
                got = state.count(line.line)
                colour = "33dd66" if got >= line.quantity else "ffffff"
                serial = f"  S/N {line.serial}" if line.serial else ""
                rows.append(
                    f"[color=#{colour}]{got}/{line.quantity}  {line.title or line.gtin}{serial}[/color]"
                )
            self.ids.lines.text = "\n".join(rows)
        self.ids.finish.disabled = order is None or bool(state.missing())
        self.ids.cancel.disabled = order is None
