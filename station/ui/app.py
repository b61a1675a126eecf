"""The Kivy app: a shell (who is signed in, device and sync chips, the feedback bar, navigation) around one
screen per job. It is handed the headless station (``runtime.service``) and only ever talks to it by
``submit`` (scans and touches) and by the outcomes it is sent; no SQL, serial or socket on this thread.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kivy.app import App
from kivy.clock import Clock
from kivy.core.window import Window
from kivy.factory import Factory
from kivy.lang import Builder
from kivy.properties import BooleanProperty, ColorProperty, StringProperty
from kivy.uix.boxlayout import BoxLayout
from kivy.uix.screenmanager import NoTransition

from station.core.operators import Flow, OverrideKind
from station.devices.scanners import RawScan, ScannerState
from station.devices.scanners.wedge import WedgeScanner
from station.runtime.desk import DeskView, Outcome, Touch
from station.runtime.service import Station
from station.ui import theme
from station.ui.feedback import Beeper
from station.ui.i18n import _, set_language
from station.ui.keyboard import KeyedEntry
from station.ui.messages import ScannedCodes, feedback, said
from station.ui.preview import Previewer
from station.ui.prompts import prompt_for
from station.ui.screens import SCREENS
from station.ui.words import printer_problem, printer_words

_HERE = Path(__file__).parent
LOW_DISK_BYTES = 200 * 1024 * 1024
#: Below this window height the compact layout (800x480) is used; the large one (1280x800) above it.
COMPACT_BELOW_HEIGHT = 640
#: The source of a code keyed in on the screen (recorded with the scan, as the scanners' URIs are).
KEYED_SOURCE = "keyed:screen"
FLOW_SCREENS = {Flow.INTAKE: "intake", Flow.RESTOCK: "restock", Flow.PACK: "pack", Flow.REPAIR: "repair"}
_KEY_ENTER = (13, 271)
_KEY_F8 = 289
_KEY_RIGHT_BRACKET = 93


class Shell(BoxLayout):
    """Who is signed in and the chips; what to do now; the screen; the feedback bar; the navigation."""

    operator_text = StringProperty("")
    printer_text = StringProperty("")
    printer_colour = ColorProperty(theme.NEUTRAL)
    sync_text = StringProperty("")
    sync_colour = ColorProperty(theme.WARN)
    scanner_text = StringProperty("")
    scanner_colour = ColorProperty(theme.NEUTRAL)
    prompt_text = StringProperty("")
    feedback_text = StringProperty("")
    feedback_detail = StringProperty("")
    feedback_colour = ColorProperty(theme.NEUTRAL)
    can_key_in = BooleanProperty(False)


class StationApp(App):
    """Runs the station with a screen. ``on_view`` hooks let tests and the benchmark see each update."""

    title = "Hub station"
    compact = BooleanProperty(True)  # the 800x480 layout; False: the 1280x800 one

    def __init__(self, station: Station, wedge: WedgeScanner, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        set_language(station.config.language)
        self.station = station
        self.wedge = wedge
        self.view = station.desk.view()
        self.view_listeners: list[Callable[[DeskView], None]] = []
        self._pending: list[DeskView] = []
        self._lock = threading.Lock()
        self._apply_trigger = Clock.create_trigger(self._apply_pending)
        self.shell: Shell | None = None
        self.previewer = Previewer(station.previews)
        self.previous_flow = Flow.INTAKE
        self._nav_built = False
        self._last_input = 0.0
        self.last_message = ""  # the whole sentence of the last outcome (the status screen shows it)
        self.keyboard: KeyedEntry | None = None
        self.codes = ScannedCodes()

    # -- building -------------------------------------------------------------------------------------

    def build(self) -> Shell:
        self._fit_layout(Window, Window.size)
        Window.bind(size=self._fit_layout)
        Builder.load_file(str(_HERE / "shell.kv"))
        for screen_cls in SCREENS:
            Builder.load_file(str(_HERE / "screens" / f"{screen_cls.kv_name}.kv"))
        shell = Shell()
        manager = shell.ids.screens
        manager.transition = NoTransition()
        for screen_cls in SCREENS:
            screen = screen_cls(name=screen_cls.kv_name)
            screen.app = self
            manager.add_widget(screen)
        self.shell = shell
        self.beeper = Beeper(Path(self.user_data_dir) / "sounds")
        Window.bind(on_key_down=self._on_key_down, on_textinput=self._on_textinput)
        Window.bind(on_touch_down=self._touched, on_key_down=self._touched)
        idle_s = self.station.config.idle_signout_minutes * 60
        if idle_s:
            Clock.schedule_interval(self._check_idle, min(15.0, max(0.5, idle_s / 4)))
        self.station.on_outcome(self._from_worker)
        refresh = Clock.create_trigger(self._refresh_chips)
        self.station.on_scanner_state(lambda *_: refresh())
        self.station.on_printer_state(lambda _status: refresh())
        self.station.on_status(lambda _status: refresh())
        self._render(self.view)
        return shell

    def on_start(self) -> None:
        self.station.start()

    def on_stop(self) -> None:
        self.previewer.close()
        self.station.stop()

    def _fit_layout(self, _window: Any, size: tuple[int, int]) -> None:
        self.compact = size[1] < COMPACT_BELOW_HEIGHT

    # -- input ----------------------------------------------------------------------------------------

    def _on_key_down(
        self, _window: Any, key: int, _scancode: int, _codepoint: str | None, modifiers: list[str]
    ) -> bool:
        if key in _KEY_ENTER:
            self.wedge.feed_key("enter")
            return True
        if key == _KEY_F8:
            self.wedge.feed_key("f8")
            return True
        if key == _KEY_RIGHT_BRACKET and "ctrl" in modifiers:
            self.wedge.feed_key("ctrl-]")
            return True
        return False

    def _on_textinput(self, _window: Any, text: str) -> bool:
        self.wedge.feed_text(text)
        return True

    def touch(self, action: str, *args: str) -> None:
        """A button was tapped: hand it to the core worker like a scan."""
        self.station.submit(Touch(action, args))

    def open_keyboard(self) -> None:
        """The on-screen keyboard, for a code that will not scan."""
        if self.keyboard is None:
            self.keyboard = KeyedEntry(self.key_in)
        self.keyboard.open()

    def key_in(self, text: str) -> None:
        """A code keyed in on the screen: classified like a scan, recorded as keyed."""
        self.station.submit(RawScan(text, KEYED_SOURCE, time.monotonic_ns(), terminated=True))

    # -- updates from the core worker -----------------------------------------------------------------

    def _from_worker(self, outcome: Outcome) -> None:
        view = self.station.desk.view(outcome)
        with self._lock:
            self._pending.append(view)
        self._apply_trigger()

    def _apply_pending(self, _dt: float) -> None:
        with self._lock:
            views, self._pending = self._pending, []
        for view in views:  # beep for each; draw only the last
            if view.outcome is not None:
                self.beeper.play(view.outcome.ok)
                self._touched()
        if views:
            self._render(views[-1])

    def _render(self, view: DeskView) -> None:
        assert self.shell is not None
        if (view.operator, view.flows) != (self.view.operator, self.view.flows) or not self._nav_built:
            self._build_nav(view)
        before, self.view = self.view, view
        shell = self.shell
        operator = view.operator
        shell.operator_text = operator.name if operator else _("Not signed in")
        shell.can_key_in = operator is not None
        self.codes.saw(view)
        shell.prompt_text = prompt_for(view, self.codes)
        if view.outcome is not None:
            self.last_message = said(view.outcome)
        printer = self.station.printer.state
        state = printer.state.value if printer else "unknown"
        bar = feedback(view, self.station.config.codes, state, self.codes, before)
        shell.feedback_text, shell.feedback_detail, shell.feedback_colour = (
            bar.headline,
            bar.detail,
            bar.colour,
        )
        target = self._screen_for(view)
        if target is not None and target != shell.ids.screens.current:
            self.show_screen(target)  # draws the new screen from this view
        else:
            shell.ids.screens.current_screen.show(view)  # hidden screens are drawn when they are shown
        for listener in self.view_listeners:
            listener(view)

    def _screen_for(self, view: DeskView) -> str | None:
        """The screen an outcome calls for: sign-in and PIN first, then a supervisor, then the flow in use."""
        if view.operator is None or (view.pin_for is not None and view.pin_approves is None):
            return "signin"
        if view.pending_kind is OverrideKind.WIPE:
            return "repair"  # a wipe's verifier: badge and PIN on the repair screen
        if view.pending is not None or view.intake.pending_code is not None:
            return "supervisor"
        outcome = view.outcome
        current = self.shell.ids.screens.current if self.shell else ""
        flow_changed = view.flow != self.previous_flow
        self.previous_flow = view.flow
        if outcome is None or not (outcome.events or flow_changed or current in ("signin", "supervisor")):
            return None  # a refusal or a touch that changed nothing: stay where the person is
        return FLOW_SCREENS[view.flow]

    def _build_nav(self, view: DeskView) -> None:
        """Navigation for what the signed-in person may do: their flows, reprint, status, supervisor."""
        assert self.shell is not None
        nav = self.shell.ids.nav
        nav.clear_widgets()
        self._nav_built = True
        if view.operator is None:
            return
        entries: list[tuple[str, Flow | None]] = [(FLOW_SCREENS[f], f) for f in view.flows]
        entries += [("reprint", None), ("status", None)]
        if view.operator.is_supervisor:
            entries.append(("supervisor", None))
        titles = {s.kv_name: _(s.nav_title) for s in SCREENS}
        for name, flow in entries:
            button = Factory.NavButton(text=titles[name])
            button.screen_name = name
            button.flow = flow
            button.bind(on_release=self._nav_tapped)
            nav.add_widget(button)
        signout = Factory.NavAction(text=_("Sign out"))
        signout.bind(on_release=lambda _b: self.touch("sign_out"))
        nav.add_widget(signout)

    def _nav_tapped(self, button: Any) -> None:
        if button.flow is not None and button.flow != self.view.flow:
            self.touch("flow", button.flow.value)
        self.show_screen(button.screen_name)

    # -- idle sign-out --------------------------------------------------------------------------------

    def _touched(self, *_args: Any) -> None:
        self._last_input = Clock.get_time()

    def _check_idle(self, _dt: float) -> None:
        minutes = self.station.config.idle_signout_minutes
        if minutes and self.view.operator is not None and Clock.get_time() - self._last_input > minutes * 60:
            self._last_input = Clock.get_time()
            self.touch("sign_out", "idle")

    def show_screen(self, name: str) -> None:
        assert self.shell is not None
        manager = self.shell.ids.screens
        if manager.current != name:
            manager.current = name
            manager.current_screen.show(self.view)
        for button in self.shell.ids.nav.children:
            button.state = "down" if getattr(button, "screen_name", None) == name else "normal"

    def _refresh_chips(self, _dt: float = 0) -> None:
        """New device, sync or label news: the chips, and the status or reprint screen when shown."""
        assert self.shell is not None
        shell = self.shell
        if shell.ids.screens.current in ("status", "reprint"):
            shell.ids.screens.current_screen.show(self.view)
        states = self.station.scanner_states
        bad = [
            uri
            for uri, (state, _) in states.items()
            if state in (ScannerState.DISCONNECTED, ScannerState.FAILED)
        ]
        shell.scanner_text = (
            _("Scanner off: {n}").format(n=len(bad)) if bad else _("Scanners {n}").format(n=len(states))
        )
        shell.scanner_colour = theme.BAD if bad else theme.GOOD
        printer = self.station.printer.state
        word = printer.state.value if printer else "unknown"
        shell.printer_text = printer_words(word)
        shell.printer_colour = theme.STATE_COLOURS.get(word, theme.WARN)
        waiting = sum(1 for job in self.station.status["labels"] if job["state"] == "queued")
        if waiting and word not in ("ready", "printing", "unknown") and shell.feedback_colour != theme.BAD:
            shell.feedback_text = _("Label waiting: {problem}").format(problem=printer_problem(word))
            shell.feedback_colour = theme.WARN
        sync = self.station.status["sync"]
        if sync.get("online"):
            shell.sync_text, shell.sync_colour = _("Online"), theme.GOOD
        else:
            backlog = sync.get("backlog")
            shell.sync_text = _("Offline") + (f" ({backlog})" if backlog else "")
            shell.sync_colour = theme.WARN
        free = self.station.status["health"].get("disk_free_bytes")
        if free is not None and free < LOW_DISK_BYTES:
            shell.feedback_text = _("Disk almost full: call IT")
            shell.feedback_detail = _("{mb} MB free").format(mb=free // (1024 * 1024))
            shell.feedback_colour = theme.WARN
