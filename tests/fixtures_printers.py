"""Shared label data and printer fixtures: the printer simulator on a free port, and a private cupsd."""

from __future__ import annotations

import os
import pty
import select
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import tty
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from station.devices.printers.simulator import PrinterSimulator
from tests.system_packages import ensure

#: Valid data for each template, as the station would send it.
SAMPLES: dict[str, dict[str, Any]] = {
    "return_lpn": {
        "lpn": "LPN00012345",
        "rma": "RMA-100200",
        "grade": "B",
        "disposition": "RESTOCK",
        "bin": "BIN-A1-02",
        "date": "2024-05-01",
        "operator": "Ana",
        "title": "Trail shoe 42",
        "note": "box damaged",
    },
    "restock_bin": {"bin": "BIN-A1-02", "zone": "Aisle A"},
    "work_order": {
        "work_order": "WO-0012345",
        "lpn": "LPN00012345",
        "title": "Espresso machine",
        "fault": "no pressure",
        "technician": "Sam",
        "date": "2024-05-02",
        "link": "https://repair.example/wo/12345",
    },
    "item_relabel": {"gtin": "09506000134352", "serial": "SN-123/A", "title": "Headphones", "grade": "A"},
    "scanner_config": {
        "title": "Scanner setup",
        "codes": [
            {"caption": "Enable AIM code IDs", "data": "PAPAIM1"},
            {"caption": "Suffix: Enter", "data": "PSUFX0D", "fnc3": True},
        ],
    },
    "shipping": {"zpl": "^XA^PW812^LL1218^FO50,50^A0N,40,40^FDSHIP TO^FS^XZ"},
}


def expected_barcodes(template: str, data: dict[str, Any]) -> list[tuple[str, str]]:
    """(symbology identifier, text) of every barcode the template's label carries, sorted."""
    if template == "return_lpn":
        found = [("]C0", data["lpn"])]
    elif template == "restock_bin":
        found = [("]C0", data["bin"])]
    elif template == "work_order":
        found = [("]C0", data["work_order"])] + ([("]Q", data["link"])] if data.get("link") else [])
    elif template == "item_relabel":
        gs1 = f"(01){data['gtin']}(21){data['serial']}"
        found = [("]C1", gs1), ("]d2", gs1)]
    elif template == "scanner_config":
        found = [("]C0", c["data"]) for c in data["codes"]]
    else:
        found = []
    return sorted(found)


@pytest.fixture
def printer_sim() -> Iterator[PrinterSimulator]:
    """A printer simulator serving on a free local port (``sim.port``); stopped afterwards."""
    sim = PrinterSimulator()
    sim.start()
    yield sim
    sim.stop()


@contextmanager
def controlled_printer(folder: Path, state: str) -> Iterator[tuple[PrinterSimulator, Path]]:
    """A simulator on a free port whose state (``ready``, ``paper_out``...) is the text of a control file
    in ``folder``, starting as ``state``; yields the simulator and the file (write it to change the state)."""
    control = folder / "printer-control"
    control.write_text(state)
    sim = PrinterSimulator(control_file=control)
    sim.start()
    try:
        yield sim, control
    finally:
        sim.stop()


@contextmanager
def sim_on_pty(sim: PrinterSimulator) -> Iterator[str]:
    """Serve ``sim`` on a pseudo-terminal, standing in for /dev/usb/lp0; yields the device path."""
    master, slave = pty.openpty()
    tty.setraw(slave)
    path = os.ttyname(slave)
    stop = threading.Event()

    def serve() -> None:
        rest = b""
        while not stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                answer, rest = sim.handle(rest + os.read(master, 65536))
                if answer:
                    os.write(master, answer)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield path
    finally:
        stop.set()
        thread.join(2)
        os.close(master)
        os.close(slave)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def cupsd() -> Iterator[str]:
    """A private cupsd on a free local port (its own config and spool dirs); yields its CUPS_SERVER."""
    paths = ensure("cupsd", "lpadmin", "lpstat", "lpr")
    root = Path(tempfile.mkdtemp(prefix="station-cups-"))
    root.chmod(0o755)  # the backends run as the lp user
    for sub in ("spool", "cache", "state", "tmp", "ppd"):
        (root / sub).mkdir(mode=0o755)
    port = _free_port()
    (root / "cupsd.conf").write_text(
        f"Listen 127.0.0.1:{port}\nLogLevel warn\nDefaultAuthType None\nWebInterface No\n"
        "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
        "<Policy default>\n  <Limit All>\n    Order deny,allow\n  </Limit>\n</Policy>\n"
    )
    (root / "cups-files.conf").write_text(
        f"ServerRoot {root}\nRequestRoot {root}/spool\nCacheDir {root}/cache\nStateDir {root}/state\n"
        f"TempDir {root}/tmp\nErrorLog {root}/error_log\nAccessLog {root}/access_log\n"
        f"PageLog {root}/page_log\n"
    )
    proc = subprocess.Popen(
        [paths["cupsd"], "-f", "-c", str(root / "cupsd.conf"), "-s", str(root / "cups-files.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = f"127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 15
        while (
            subprocess.run(
                [paths["lpstat"], "-h", server, "-r"], capture_output=True, text=True
            ).stdout.strip()
            != "scheduler is running"
        ):
            if proc.poll() is not None or time.monotonic() > deadline:
                log = (root / "error_log").read_text() if (root / "error_log").exists() else ""
                raise RuntimeError(
                    f"cupsd did not start: {proc.stderr.read() if proc.stderr else b''!r} {log}"
                )
            time.sleep(0.1)
        yield server
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(root, ignore_errors=True)
