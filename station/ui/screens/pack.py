"""Packing: scan the order, then each unit (LPN, serial or GTIN); finish prints the carrier's label."""

from __future__ import annotations

from kivy.factory import Factory

from station.runtime.desk import DeskView
from station.ui.i18n import N_, _
from station.ui.screens.base import StationScreen


class PackScreen(StationScreen):
    kv_name = "pack"
    nav_title = N_("Pack")

    def show(self, view: DeskView) -> None:
        state = view.packing
        order = state.order
        rows = self.ids.rows
        rows.clear_widgets()
        if order is None:
            self.ids.header.text = "[color=#b8bfcc]" + _("No order open.") + "[/color]"
        else:
            self.ids.header.text = _("Order {order}  ·  {carrier}").format(
                order=self.app.codes.shown(order.number), carrier=order.carrier
            )
            ordered = sorted(order.lines, key=lambda li: state.count(li.line) >= li.quantity)
            for line in ordered:  # the lines still to pack first
                got = state.count(line.line)
                colour = "33dd66" if got >= line.quantity else "ffffff"
                serial = _("  Serial {serial}").format(serial=line.serial) if line.serial else ""
                what = f"{line.title or line.gtin}{serial}"
                text = f"[color=#{colour}][b]{line.line}[/b]  {got}/{line.quantity}  {what}[/color]"
                rows.add_widget(Factory.ListRow(text=text))
        self.ids.finish.disabled = order is None or bool(state.missing())
        self.ids.cancel.disabled = order is None
