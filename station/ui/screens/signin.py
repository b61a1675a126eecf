"""Sign in: scan a badge. Nothing else works until someone is signed in."""

from __future__ import annotations

from station.ui.screens.base import StationScreen
from station.ui.view import DeskView


class SignInScreen(StationScreen):
    kv_name = "signin"

    def show(self, view: DeskView) -> None:
        self.ids.hint.text = (
            "Scan your badge" if view.operator is None else f"Signed in: {view.operator.name}"
        )
