"""Keyboard (HID) scanners: the decoder fed with InputEvents shaped like a scanner's, and the device loop."""

from __future__ import annotations

import errno
import os
import struct
import threading
import time

import evdev
import pytest
from evdev import InputEvent
from evdev import ecodes as e
from hypothesis import given, settings
from hypothesis import strategies as st

from station.devices.scanners import ScannerState, open_scanner
from station.devices.scanners.evdev_reader import EvdevScanner
from station.devices.scanners.gskey import GsKey
from station.devices.scanners.keydecoder import KeyDecoder
from station.devices.scanners.keymap import Layout
from station.devices.scanners.layouts import LAYOUTS
from station.devices.scanners.reconnect import Backoff
from station.field import scan_input
from station.field.scanner_check import TEST_CODES, analyse

US, DE = LAYOUTS["us"], LAYOUTS["de"]
GS = "\x1d"
KEY_GAP_S = 0.002  # a scanner types a key every 1-4 ms


class Keyboard:
    """The events a scanner in keyboard mode sends: MSC_SCAN, EV_KEY and SYN_REPORT, as evtest shows."""

    def __init__(self, layout: Layout = US, start: float = 1_700_000_000.0) -> None:
        self.now = start
        self.events: list[InputEvent] = []
        self._where = {
            char: (code, shift) for code, pair in layout.keys.items() for shift, char in enumerate(pair)
        }

    def key(self, code: int, value: int) -> None:
        sec, usec = int(self.now), round((self.now % 1) * 1_000_000)
        self.events.append(InputEvent(sec, usec, e.EV_MSC, e.MSC_SCAN, 0x70000 + code))
        self.events.append(InputEvent(sec, usec, e.EV_KEY, code, value))
        self.events.append(InputEvent(sec, usec, e.EV_SYN, e.SYN_REPORT, 0))
        self.now += KEY_GAP_S

    def tap(self, code: int, *modifiers: int) -> Keyboard:
        for m in modifiers:
            self.key(m, 1)
        self.key(code, 1)
        self.key(code, 0)
        for m in reversed(modifiers):
            self.key(m, 0)
        return self

    def type(self, text: str) -> Keyboard:
        for char in text:
            if char == GS:
                self.tap(e.KEY_RIGHTBRACE, e.KEY_LEFTCTRL)
                continue
            code, shift = self._where[char]
            self.tap(code, *((e.KEY_LEFTSHIFT,) if shift else ()))
        return self

    def enter(self) -> Keyboard:
        return self.tap(e.KEY_ENTER)

    def pause(self, seconds: float) -> Keyboard:
        self.now += seconds
        return self


def decode(events: list[InputEvent], decoder: KeyDecoder | None = None) -> list[str]:
    decoder = decoder or KeyDecoder(US)
    scans = [decoder.feed_event(ev) for ev in events]
    return [s for s in scans if s is not None]


def test_capitals_digits_and_punctuation_with_shift():
    text = "RMA-1234567 Loop:ABC/x?y=1&z_(2)"
    assert decode(Keyboard().type(text).enter().events) == [text]


def test_right_shift_counts_as_shift():
    events = (
        Keyboard().tap(e.KEY_A, e.KEY_RIGHTSHIFT).tap(e.KEY_B).tap(e.KEY_1, e.KEY_RIGHTSHIFT).enter().events
    )
    assert decode(events) == ["Ab!"]


def test_gs_from_ctrl_right_brace():
    events = Keyboard().type("0109506000134352").tap(e.KEY_RIGHTBRACE, e.KEY_RIGHTCTRL).type("10LOT7").enter()
    assert decode(events.events) == ["0109506000134352" + GS + "10LOT7"]


def test_gs_from_f8_when_configured():
    events = (
        Keyboard().type("10A").tap(e.KEY_F8).type("21B").tap(e.KEY_RIGHTBRACE, e.KEY_LEFTCTRL).enter().events
    )
    assert decode(events, KeyDecoder(US, GsKey.F8)) == ["10A" + GS + "21B"]  # Ctrl+] types nothing then
    assert decode(events, KeyDecoder(US, GsKey.CTRL_BRACKET)) == ["10A21B" + GS]  # and F8 types nothing here


def test_gs_from_alt_keypad_029_as_zebra_sends_it():
    events = Keyboard().type("10A").tap(e.KEY_LEFTALT)  # Alt alone types nothing
    events.key(e.KEY_LEFTALT, 1)
    for digit in (e.KEY_KP0, e.KEY_KP2, e.KEY_KP9):
        events.tap(digit)
    events.key(e.KEY_LEFTALT, 0)
    assert decode(events.type("21B").enter().events) == ["10A" + GS + "21B"]


def test_key_repeat_types_nothing_more():
    kb = Keyboard()
    kb.key(e.KEY_A, 1)
    for _ in range(3):
        kb.key(e.KEY_A, 2)
    kb.key(e.KEY_A, 0)
    assert decode(kb.tap(e.KEY_A).enter().events) == ["aa"]  # a doubled letter is two presses


def test_a_gap_ends_a_scan_without_enter():
    events = Keyboard().type("ABC").pause(0.2).type("DEF").enter().events
    assert decode(events) == ["ABC", "DEF"]
    decoder = KeyDecoder(US)
    ended = [(decoder.feed_event(ev), decoder.ended_by_enter) for ev in events]
    assert [(scan, by_enter) for scan, by_enter in ended if scan] == [("ABC", False), ("DEF", True)]
    decoder = KeyDecoder(US, gap_s=0.5)
    assert decode(events, decoder) == ["ABCDEF"]


def test_flush_ends_a_scan_after_the_device_went_quiet():
    decoder = KeyDecoder(US)
    assert decode(Keyboard().type("LPN123456").events, decoder) == []
    assert decoder.pending
    assert decoder.flush() == "LPN123456"
    assert not decoder.pending and decoder.flush() is None


def test_keypad_digits_and_keypad_enter():
    kb = Keyboard()
    for code in (e.KEY_KP4, e.KEY_KP0, e.KEY_KPMINUS, e.KEY_KP7):
        kb.tap(code)
    assert decode(kb.tap(e.KEY_KPENTER).events) == ["40-7"]


def test_german_layout():
    events = (
        Keyboard(DE).tap(e.KEY_Y).tap(e.KEY_7, e.KEY_LEFTSHIFT).tap(e.KEY_Q, e.KEY_RIGHTALT).type("Ä").enter()
    )
    assert decode(events.events, KeyDecoder(DE)) == ["z/@Ä"]


def test_enter_alone_and_unmapped_keys_make_no_scan():
    events = Keyboard().enter().tap(e.KEY_F1).tap(e.KEY_UP).tap(e.KEY_C, e.KEY_LEFTCTRL).enter().events
    assert decode(events) == []


def test_over_long_scan_is_dropped_and_counted():
    decoder = KeyDecoder(US, max_chars=10)
    assert decode(Keyboard().type("A" * 11).enter().type("OK").enter().events, decoder) == ["OK"]
    assert decoder.dropped == 1


def test_every_layout_types_its_whole_table():
    for layout in LAYOUTS.values():
        chars = "".join(pair[0] + pair[1] for pair in layout.keys.values()).replace("\t", "").replace(" ", "")
        assert decode(Keyboard(layout).type(chars).enter().events, KeyDecoder(layout)) == [chars]


events_strategy = st.lists(
    st.tuples(
        st.one_of(st.sampled_from([e.EV_KEY, e.EV_SYN, e.EV_MSC]), st.integers(0, 0x1F)),
        st.one_of(
            st.sampled_from(
                [e.KEY_LEFTSHIFT, e.KEY_LEFTCTRL, e.KEY_LEFTALT, e.KEY_RIGHTALT, e.KEY_RIGHTBRACE]
            ),
            st.sampled_from([e.KEY_KP0, e.KEY_KP9, e.KEY_ENTER, e.KEY_F8]),
            st.integers(0, 0x2FF),
        ),
        st.integers(-3, 3),
        st.floats(allow_nan=True, allow_infinity=True),
    ),
    max_size=200,
)


@settings(max_examples=300, deadline=None)
@given(events_strategy, st.sampled_from(sorted(LAYOUTS)), st.sampled_from(list(GsKey)))
def test_fuzzed_event_streams_never_raise(events, layout, gs_key):
    decoder = KeyDecoder(LAYOUTS[layout], gs_key, max_chars=50)
    scans = [decoder.feed(*ev) for ev in events]
    scans.append(decoder.flush())
    for scan in scans:
        assert scan is None or (isinstance(scan, str) and 0 < len(scan) <= 50 and "\n" not in scan)


# --- the device loop ---------------------------------------------------------------------------------------

_EVENT = struct.Struct("llHHi")  # struct input_event on 64-bit Linux


class PipeDevice:
    """Stands in for evdev.InputDevice because this machine has no /dev/uinput (a mock, by necessity).

    It reads real ``struct input_event`` records from a pipe; when the writer closes the pipe it fails
    like an unplugged device (ENODEV). The uinput test below covers the real class where it can run.
    """

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.grabbed = False

    def grab(self) -> None:
        self.grabbed = True

    def read(self):
        data = os.read(self.fd, _EVENT.size * 64)
        if not data:
            raise OSError(errno.ENODEV, "No such device")
        for sec, usec, type_, code, value in _EVENT.iter_unpack(data):
            yield InputEvent(sec, usec, type_, code, value)

    def close(self) -> None:
        os.close(self.fd)


class PipePlug:
    """A place to plug PipeDevices in: ``path`` is a symlink to a character device while plugged."""

    def __init__(self, path) -> None:
        self.path = path
        self.writer: int | None = None
        self.devices: list[PipeDevice] = []
        self._reader: int | None = None

    def plug(self) -> None:
        self._reader, self.writer = os.pipe()
        self.path.symlink_to("/dev/null")

    def unplug(self) -> None:
        self.path.unlink()
        os.close(self.writer)
        self.writer = None

    def open(self, path: str) -> PipeDevice:
        if self._reader is None:
            raise OSError(errno.ENODEV, "No such device")
        device, self._reader = PipeDevice(self._reader), None
        self.devices.append(device)
        return device

    def send(self, events: list[InputEvent]) -> None:
        os.write(
            self.writer, b"".join(_EVENT.pack(ev.sec, ev.usec, ev.type, ev.code, ev.value) for ev in events)
        )


@pytest.fixture
def plug(tmp_path):
    plug = PipePlug(tmp_path / "scanner-event-kbd")
    yield plug
    if plug.writer is not None:
        os.close(plug.writer)


def pipe_reader(plug: PipePlug, query: str = "") -> EvdevScanner:
    reader = open_scanner(f"evdev://{plug.path}{query}")
    assert isinstance(reader, EvdevScanner)
    reader.backoff = Backoff(0.02, 0.2)
    reader.open_device = plug.open
    return reader


def test_device_loop_reads_grabs_and_ends_a_scan_on_a_quiet_gap(plug, run_reader):
    plug.plug()
    running = run_reader(pipe_reader(plug, "?gap=30"))
    running.recorder.wait_state(ScannerState.CONNECTED)
    assert plug.devices[0].grabbed
    plug.send(Keyboard().type("RMA-1234567").enter().type("NOENTER").events)
    assert running.recorder.wait_scans(2) == ["RMA-1234567", "NOENTER"]
    assert [s.terminated for s in running.recorder.scans] == [True, False]


def test_scanner_check_names_the_missing_suffix_of_a_keyboard_scanner(plug, monkeypatch):
    """The check reads a keyboard scanner whose scans end by the gap, not Enter: the suffix is named."""
    plug.plug()
    reader = pipe_reader(plug, "?gap=30")
    monkeypatch.setattr(scan_input, "open_scanner", lambda uri: reader)
    keyboard = Keyboard()
    for code in TEST_CODES:
        keyboard.type(code.aim + code.data).pause(0.1)
    threading.Timer(0.3, plug.send, (keyboard.events,)).start()
    received = scan_input.read_scans(reader.uri, len(TEST_CODES), timeout=5)
    assert [r.text for r in received] == [c.aim + c.data for c in TEST_CODES]
    assert [f.setting for f in analyse(received)] == ["suffix_cr"]


def test_device_loop_survives_unplug_and_replug(plug, run_reader):
    plug.plug()
    running = run_reader(pipe_reader(plug))
    recorder = running.recorder
    recorder.wait_state(ScannerState.CONNECTED)
    plug.send(Keyboard().type("A1").enter().events)
    assert recorder.wait_scans(1) == ["A1"]
    since = len(recorder.states)
    plug.unplug()
    assert "No such device" in recorder.wait_state(ScannerState.DISCONNECTED, since)
    plug.plug()
    recorder.wait_state(ScannerState.CONNECTED, since)
    plug.send(Keyboard().type("B2").enter().events)
    assert recorder.wait_scans(2) == ["A1", "B2"]


def test_a_path_that_is_no_device_fails(tmp_path, run_reader):
    (tmp_path / "kbd").write_text("")
    reader = open_scanner(f"evdev://{tmp_path / 'kbd'}")
    running = run_reader(reader)
    assert "not a character device" in running.recorder.wait_state(ScannerState.FAILED)


def test_uinput_virtual_scanner_through_the_real_reader(run_reader):
    try:
        ui = evdev.UInput({e.EV_KEY: list(range(1, 120))}, name="test-scanner")
    except (OSError, evdev.UInputError) as exc:
        pytest.skip(f"/dev/uinput is not usable here ({exc}); the PipeDevice tests cover the loop")
    with ui:
        time.sleep(0.2)  # let udev create the node
        reader = open_scanner(f"evdev://{ui.device.path}")
        running = run_reader(reader)
        running.recorder.wait_state(ScannerState.CONNECTED)
        for ev in Keyboard().type("LPN" + "0123456789" + GS + "X").enter().events:
            if ev.type == e.EV_KEY:
                ui.write(ev.type, ev.code, ev.value)
                ui.syn()
        assert running.recorder.wait_scans(1) == ["LPN0123456789" + GS + "X"]
