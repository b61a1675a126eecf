"""Scanner reader figures: key decoder throughput and serial scan latency, each next to a baseline."""

from __future__ import annotations

import os
import statistics
import time

import pytest

from station.devices.scanners import ScannerState, open_scanner
from station.devices.scanners.keydecoder import KeyDecoder
from station.devices.scanners.layouts import LAYOUTS
from tests.test_scanners_evdev import Keyboard

pytestmark = pytest.mark.bench


def test_key_decoder_throughput():
    keyboard = Keyboard()
    for n in range(2000):
        keyboard.type(f"0109506000134352\x1d10LOT{n}").enter()
    events = [(ev.type, ev.code, ev.value, ev.timestamp()) for ev in keyboard.events]

    started = time.perf_counter()
    for ev in events:
        tuple(ev)  # baseline: touching every event
    baseline = time.perf_counter() - started

    decoder = KeyDecoder(LAYOUTS["us"])
    started = time.perf_counter()
    scans = [s for ev in events if (s := decoder.feed(*ev)) is not None]
    elapsed = time.perf_counter() - started
    assert len(scans) == 2000
    print(
        f"\nkey decoder: {len(events) / elapsed:,.0f} events/s, {len(scans) / elapsed:,.0f} scans/s "
        f"({len(events)} events); baseline loop {len(events) / baseline:,.0f} events/s"
    )


def test_serial_scan_latency(make_pty, run_reader):
    pty = make_pty()

    # baseline: a byte through the same kind of pty, read by a plain os.read
    other = make_pty()
    raw = []
    for _ in range(200):
        started = time.perf_counter_ns()
        os.write(other.master, b"x")
        os.read(other.slave, 1)
        raw.append(time.perf_counter_ns() - started)

    reader = open_scanner(f"serial://{pty.path}")
    running = run_reader(reader)
    running.recorder.wait_state(ScannerState.CONNECTED)
    latencies = []
    for n in range(200):
        started = time.monotonic_ns()
        pty.write(f"LPN{n:08d}\r".encode())
        running.recorder.wait_scans(n + 1)
        latencies.append(running.recorder.scans[n].at_ns - started)
    print(
        f"\nserial scan latency (write -> on_scan): median {statistics.median(latencies) / 1e3:.0f} µs, "
        f"max {max(latencies) / 1e3:.0f} µs over 200 scans; "
        f"baseline pty byte round trip median {statistics.median(raw) / 1e3:.0f} µs"
    )
