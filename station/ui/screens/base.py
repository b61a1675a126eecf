"""What every screen has: its kv file name, its place in the navigation, and ``show(view)``."""

from __future__ import annotations

from typing import Any

from kivy.uix.screenmanager import Screen

from station.runtime.desk import DeskView


class StationScreen(Screen):
    kv_name = ""
    nav_title = ""  # empty: not in the navigation bar

    app: Any = None  # the StationApp, set when the shell is built

    def show(self, view: DeskView) -> None:
        """Redraw from the snapshot (called on the Kivy thread after each outcome)."""
