"""Starting the touchscreen app: Kivy is configured before it is imported, then handed the station."""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import threading
from pathlib import Path

from station.runtime.config import Config
from station.runtime.stop_signals import stop_on_signals


def display_available() -> bool:
    """An X or Wayland session, or a DRM device for SDL's KMSDRM console mode (a Pi without a desktop)."""
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        return True
    return any(Path("/dev/dri").glob("card*"))


#: Longest wait for the X server to answer before the display is called unusable.
DISPLAY_TIMEOUT_S = 4.0


def _x_display_opens(name: str) -> bool | None:
    """Whether libX11 can open display ``name`` within the timeout (None: no libX11 to ask)."""
    path = ctypes.util.find_library("X11")
    if path is None:
        return None
    x11 = ctypes.CDLL(path)
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    opened: list[bool] = []

    def try_open() -> None:  # XOpenDisplay can block for minutes on a host that does not answer
        handle = x11.XOpenDisplay(name.encode())
        if handle:
            x11.XCloseDisplay(handle)
        opened.append(bool(handle))

    thread = threading.Thread(target=try_open, name="display-check", daemon=True)
    thread.start()
    thread.join(DISPLAY_TIMEOUT_S)
    return bool(opened and opened[0])


def display_problem() -> str | None:
    """One sentence when the X display named by DISPLAY cannot be opened (checked within a few seconds,
    instead of the app hanging on it); None when it opens or cannot be checked."""
    name = os.environ.get("DISPLAY")
    if not name or os.environ.get("WAYLAND_DISPLAY"):
        return None
    if _x_display_opens(name) is False:
        return (
            f"The display {name!r} cannot be opened (no X server answers there within "
            f"{DISPLAY_TIMEOUT_S:g} s, or this user may not use it): check DISPLAY and XAUTHORITY, or run "
            "'station run --headless' to scan without a screen."
        )
    return None


def ui_scanners(scanners: tuple[str, ...]) -> tuple[str, ...]:
    """The configured scanners for the app: the terminal is no scanner here, and keys typed into the
    window (a keyboard-wedge scanner) are always read."""
    kept = tuple(s for s in scanners if s != "stdin:")
    return kept if any(s.startswith("wedge:") for s in kept) else (*kept, "wedge:")


def configure_kivy(size: tuple[int, int] = (800, 480), kiosk: bool = False) -> None:
    """Kivy settings, made before the first kivy import that reads them (the window, the clock)."""
    os.environ.setdefault("KIVY_NO_ARGS", "1")
    os.environ.setdefault("KIVY_NO_CONSOLELOG", "1")
    # Kivy's records go to Python logging (the station's log file; warnings as sentences on stderr), and
    # sys.stderr stays the terminal, so that a refusal at start-up is still printed.
    os.environ.setdefault("KIVY_LOG_MODE", "PYTHON")
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
    stopping = stop_on_signals()  # SIGTERM (systemd) and Ctrl-C close the app as its window would
    configure_kivy(size, kiosk)
    from kivy.clock import Clock

    from station.devices.scanners.wedge import WedgeScanner
    from station.runtime.service import Station
    from station.ui.app import StationApp

    station = Station(config.with_overrides(scanners=ui_scanners(config.scanners)))
    wedge = next(r for r in station.readers if isinstance(r, WedgeScanner))
    app = StationApp(station, wedge)

    def stop_when_asked() -> None:
        stopping.wait()
        Clock.schedule_once(lambda _dt: app.stop())  # Kivy's clock takes work from any thread

    threading.Thread(target=stop_when_asked, name="app-stop", daemon=True).start()
    try:
        app.run()
    finally:
        station.stop()  # once more if the app ended without its on_stop (a window that never opened)
