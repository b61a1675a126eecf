"""One screen per module, one .kv per screen."""

from station.ui.screens.base import StationScreen
from station.ui.screens.intake import IntakeScreen
from station.ui.screens.pack import PackScreen
from station.ui.screens.repair import RepairScreen
from station.ui.screens.reprint import ReprintScreen
from station.ui.screens.restock import RestockScreen
from station.ui.screens.signin import SignInScreen
from station.ui.screens.status import StatusScreen
from station.ui.screens.supervisor import SupervisorScreen

SCREENS: list[type[StationScreen]] = [
    SignInScreen,
    IntakeScreen,
    RestockScreen,
    PackScreen,
    RepairScreen,
    ReprintScreen,
    StatusScreen,
    SupervisorScreen,
]

__all__ = ["SCREENS", "StationScreen"]
