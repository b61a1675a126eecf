"""Reprint: the last labels with their state; tap one to print it again (a ``label.printed`` records it)."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory

from station.runtime.desk import DeskView
from station.ui.screens.base import StationScreen


class ReprintScreen(StationScreen):
    kv_name = "reprint"
    nav_title = "Reprint"

    def on_enter(self, *_args: Any) -> None:
        self.refresh()

    def show(self, view: DeskView) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def refresh(self) -> None:
        rows = self.ids.jobs
        rows.clear_widgets()
        for job in self.app.station.status.get("labels", []):
            lpn = job["lpn"] or ""
            text = f"{lpn or job['template']}  ({job['template']}, {job['state']})"
            button = Factory.ChoiceButton(text=text, halign="left")
            button.bind(on_release=lambda _b, lpn=lpn: self.app.touch("reprint", *([lpn] if lpn else [])))
            rows.add_widget(button)
        if not rows.children:
            rows.add_widget(
                Factory.Label(
                    text="No labels printed yet.", font_size="20sp", size_hint_y=None, height="48dp"
                )
            )
