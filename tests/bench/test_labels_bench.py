"""Issue 3 figures: ZPL render per label, PNG preview, and a scan to its label delivered to the simulator
over TCP (classify, render, persist the job, worker sends it), next to a bare TCP send in the same run.

Run: .venv/bin/python -m pytest tests/bench/test_labels_bench.py -s   (prints figures; asserts no times)
"""

from __future__ import annotations

import json
import socket
import statistics
import time
from pathlib import Path

from station.core.classify import classify
from station.devices.printers.simulator import PrinterSimulator
from station.labels import render_label, render_preview
from station.runtime.clock import SystemClock
from station.runtime.print_worker import PrintWorker, enqueue
from station.store import open_database
from station.store.print_jobs import JobState, get_job
from tests.fixtures_printers import SAMPLES


def _figures(name: str, samples_ns: list[int]) -> str:
    ms = sorted(s / 1e6 for s in samples_ns)
    p = statistics.quantiles(ms, n=100)
    return (
        f"{name}: mean {statistics.fmean(ms):.3f} ms  p50 {p[49]:.3f} ms  p99 {p[98]:.3f} ms  (n={len(ms)})"
    )


def _timed(fn: object, n: int) -> list[int]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        fn()  # type: ignore[operator]
        out.append(time.perf_counter_ns() - t0)
    return out


def test_render_times() -> None:
    data = SAMPLES["return_lpn"]
    print()
    print(_figures("baseline json.dumps of the label data", _timed(lambda: json.dumps(data), 2000)))
    for template in ("return_lpn", "item_relabel", "scanner_config"):
        samples = _timed(lambda t=template: render_label(t, SAMPLES[t]), 2000)  # type: ignore[misc]
        print(_figures(f"ZPL render {template} (goal <= 1 ms)", samples))
    for dpi in (203, 300):
        for template in ("return_lpn", "item_relabel"):
            # a new label each time: render_preview keeps the last few, and a cached one would measure nothing
            labels = iter({**SAMPLES[template], "title": f"Unit {n}"} for n in range(100))
            samples = _timed(lambda t=template, d=dpi, it=labels: render_preview(t, next(it), dpi=d), 100)  # type: ignore[misc]
            print(_figures(f"PNG preview {template} {dpi} dpi (goal <= 50 ms)", samples))


def _wait(condition: object, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError
        time.sleep(0.0002)


def test_scan_to_label_on_the_printer(tmp_path: Path) -> None:
    sim = PrinterSimulator()
    port = sim.start()
    store = open_database(tmp_path / "station.db")
    worker = PrintWorker(store.path, f"tcp://127.0.0.1:{port}", SystemClock(), poll_interval=0.5)
    worker.start()
    n = 300
    try:
        zpl = render_label("return_lpn", SAMPLES["return_lpn"]).zpl
        bare = []
        for i in range(n):
            t0 = time.perf_counter_ns()
            with socket.create_connection(("127.0.0.1", port)) as s:
                s.sendall(zpl)
            _wait(lambda i=i: sim.label_count >= i + 1)  # type: ignore[misc]
            bare.append(time.perf_counter_ns() - t0)
        samples = []
        for i in range(n):
            before = sim.label_count
            t0 = time.perf_counter_ns()
            scan = classify(f"LPN{i:08d}")
            job = enqueue(store, "return_lpn", SAMPLES["return_lpn"] | {"lpn": scan.value}, lpn=scan.value)
            worker.notify()
            _wait(lambda b=before: sim.label_count > b)  # type: ignore[misc]
            samples.append(time.perf_counter_ns() - t0)
            _wait(lambda j=job: get_job(store, j).state is JobState.PRINTED)  # type: ignore[misc]
    finally:
        worker.stop()
        sim.stop()
        store.close()
    print()
    print(_figures("baseline: bare TCP send of one label until the simulator has it", bare))
    print(
        _figures("scan -> classify -> render -> persist job -> TCP -> simulator (goal p99 <= 30 ms)", samples)
    )
