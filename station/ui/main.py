"""Starting the touchscreen app: Kivy is configured before it is imported, then handed the station."""

from __future__ import annotations

import os
from pathlib import Path

from station.runtime.config import Config


def display_available() -> bool:
    """An X or Wayland session, or a DRM device for SDL's KMSDRM console mode (a Pi without a desktop)."""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return True
    return any(Path("/dev/dri").glob("card*"))


def ui_scanners(scanners: tuple[str, ...]) -> tuple[str, ...]:
    """The configured scanners for the app: the terminal is no scanner here, and keys typed into the
    window (a keyboard-wedge scanner) are always read."""
    kept = tuple(s for s in scanners if s != "stdin:")
    return kept if any(s.startswith("wedge:") for s in kept) else (*kept, "wedge:")


def configure_kivy(size: tuple[int, int] = (800, 480), kiosk: bool = False) -> None:
    """Kivy settings, made before the first kivy import that reads them (the window, the clock)."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    # The "interrupt" clock wakes the main loop as soon as the core worker hands over an outcome, instead
    # of sleeping out the rest of the frame: a scan is shown one frame sooner.
    os.environ.setdefault("KIVY_CLOCK", "interrupt")
    from kivy.config import Config as KivyConfig

    KivyConfig.set("graphics", "width", str(size[0]))
    KivyConfig.set("graphics", "height", str(size[1]))
    KivyConfig.set("kivy", "exit_on_escape", "0")
    KivyConfig.set("input", "mouse", "mouse,disable_multitouch")
    if kiosk:
        KivyConfig.set("graphics", "fullscreen", "auto")
        KivyConfig.set("graphics", "borderless", "1")
        KivyConfig.set("graphics", "show_cursor", "0")


def run_app(config: Config, *, kiosk: bool = False, size: tuple[int, int] = (800, 480)) -> None:
    configure_kivy(size, kiosk)
    from station.devices.scanners.wedge import WedgeScanner
    from station.runtime.service import Station
    from station.ui.app import StationApp

    station = Station(config.with_overrides(scanners=ui_scanners(config.scanners)))
    wedge = next(r for r in station.readers if isinstance(r, WedgeScanner))
    StationApp(station, wedge).run()
