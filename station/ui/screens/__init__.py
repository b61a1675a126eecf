"""One screen per module, one .kv per screen."""

from station.ui.screens.base import StationScreen
from station.ui.screens.intake import IntakeScreen
from station.ui.screens.signin import SignInScreen
from station.ui.screens.status import StatusScreen

SCREENS: list[type[StationScreen]] = [SignInScreen, IntakeScreen, StatusScreen]

__all__ = ["SCREENS", "StationScreen"]
