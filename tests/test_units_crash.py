"""The whole station process killed with SIGKILL while work is open or scans flow, then started again:
open work is taken up where it was, every acknowledged scan is in the log, and a unit has one LPN, one place
in stock and one printed label. Scans arrive over a pty (a serial scanner), labels go to the TCP printer
simulator, both kept by the test across the station's restarts."""

from __future__ import annotations

import json
import random
import re
import signal
import sqlite3
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from station.devices.printers.simulator import PrinterSimulator
from tests.fixtures_scanners import Pty
from tests.station_proc import PtyTaken, StationProc, cli_json
from tests.test_headless import DATA, station

GTIN_PHONE, GTIN_LAMP, GTIN_CABLE = "09501101530003", "04006381333931", "00012345678905"
OPERATORS = {
    "operators": [{"badge": "BADGE-2001", "name": "Rita", "roles": ["intake", "restock", "pack", "repair"]}]
}


def item(gtin: str, serial: str) -> str:
    return f"]C101{gtin}21{serial}"


def _setup(tmp_path: Path, sim: PrinterSimulator, returns: list[dict]) -> tuple[Path, Path]:
    config = tmp_path / "station.toml"
    config.write_text(f'printer = "tcp://127.0.0.1:{sim.port}"\n')
    data = tmp_path / "data"
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"returns": returns, "stocked_gtins": [GTIN_PHONE]}))
    operators = tmp_path / "operators.json"
    operators.write_text(json.dumps(OPERATORS))
    for args in (
        ("manifest", "load", str(manifest)),
        ("operators", "load", str(operators)),
        ("orders", "load", str(DATA / "hubwork_orders.json")),
    ):
        result = station(tmp_path, *args)
        assert result.returncode == 0, result.stderr
    return config, data


Start = Callable[[Path, Path], tuple[StationProc, str]]


@pytest.fixture
def start_station(make_pty: Callable[[], Pty]) -> Iterator[Start]:
    """Start a station process on a new pty and wait until it is ready: (process, its first prompt). Any
    still running at the end is killed."""
    started: list[StationProc] = []

    def start(config: Path, data: Path) -> tuple[StationProc, str]:
        for _ in range(5):
            pty = make_pty()
            started.append(StationProc(config, data, pty.path, pty.master))
            try:
                return started[-1], started[-1].ready()
            except PtyTaken:
                started[-1].kill()
        raise AssertionError("five new ptys in a row were taken by another process")

    yield start
    for proc in started:
        proc.kill()


def _lpn(line: str) -> str:
    found = re.search(r"label (LPN\w+)", line)
    assert found, line
    return found.group(1)


def _printed_lpns(sim: PrinterSimulator) -> Counter[str]:
    return Counter(m.decode() for label in sim.labels for m in re.findall(rb"LPN[A-Z0-9]+", label)[:1])


def _assert_log_and_stock(data: Path) -> list[dict]:
    log = cli_json(data, "events")
    assert [e["seq"] for e in log] == list(range(1, len(log) + 1)), "seq has a gap"
    by_serial: dict[str, set[str]] = {}
    for e in log:
        if e["type"] == "return.dispositioned":
            by_serial.setdefault(e["data"]["serial"] or e["data"]["lpn"], set()).add(e["data"]["lpn"])
    assert all(len(lpns) == 1 for lpns in by_serial.values()), by_serial
    stock = cli_json(data, "stock")
    assert len({u["lpn"] for u in stock}) == len(stock), stock
    assert len({u["serial"] for u in stock}) == len(stock), stock
    return log


def test_sigkill_during_an_open_return_pack_and_work_order_then_finish(
    tmp_path: Path, printer_sim: PrinterSimulator, start_station: Start
) -> None:
    items = [
        {"gtin": GTIN_PHONE, "serial": "SNA1", "title": "Phone X", "category": "electronics", "value": 300.0},
        {"gtin": GTIN_LAMP, "serial": "LMP1", "title": "Lamp", "category": "home", "value": 150.0},
        {"gtin": GTIN_CABLE, "title": "USB cable", "category": "accessories", "value": 10.0},
    ]
    config, data = _setup(tmp_path, printer_sim, [{"rma": "RMA-7000001", "version": 1, "items": items}])

    def start() -> tuple[StationProc, str]:
        return start_station(config, data)

    def ok(proc: StationProc, *scans: str) -> list[str]:
        lines = [proc.scan(s) for s in scans]
        assert all(line is not None and line.startswith("OK") for line in lines), proc.lines
        return [str(line) for line in lines]

    # a return open: the phone labelled, the lamp scanned and not yet graded
    proc, prompt = start()
    assert prompt == "Scan your badge to sign in."
    phone = _lpn(ok(proc, "BADGE-2001", "RMA-7000001", item(GTIN_PHONE, "SNA1"), "CMD:GRADE:A")[-1])
    ok(proc, item(GTIN_LAMP, "LMP1"))
    proc.kill()

    proc, prompt = start()
    assert prompt.startswith("Grade Lamp")  # where Rita was, still signed in
    lamp = _lpn(ok(proc, "CMD:GRADE:C")[0])
    ok(proc, GTIN_CABLE, "CMD:GRADE:B", "CMD:DONE", "CMD:FLOW:RESTOCK", phone, "BIN-A-01", "ORD-4000001")
    proc.kill()

    # an order open for packing
    proc, prompt = start()
    assert prompt.startswith("Order 4000001: scan the next unit")
    ok(proc, phone, "CMD:DONE", "CMD:FLOW:REPAIR", lamp, "CMD:DIAG:NO_POWER")
    proc.kill()

    # a work order open on the bench
    proc, prompt = start()
    assert prompt.startswith("Work order") and lamp in prompt
    ok(proc, "CMD:LABOUR:15", "CMD:CLOSE:repaired:B:restock_local", "CMD:FLOW:RESTOCK", lamp, "BIN-A-02")
    deadline = time.monotonic() + 30
    while len(printer_sim.labels) < 5 and time.monotonic() < deadline:
        time.sleep(0.05)
    proc.stop()

    log = _assert_log_and_stock(data)
    sources = {e["data"]["source"] for e in log if e["type"] == "return.item_verified"}
    assert len(sources) == 2 and all(s.startswith("serial:///dev/") for s in sources)  # one pty per run
    dispositioned = [e["data"]["lpn"] for e in log if e["type"] == "return.dispositioned"]
    assert len(dispositioned) == 3 and dispositioned[:2] == [phone, lamp]
    assert [e["type"] for e in log].count("return.completed") == 1
    assert [(u["lpn"], u["bin"]) for u in cli_json(data, "stock")] == [(lamp, "BIN-A-02")]
    # three LPN labels, the carrier label and the repaired lamp's new label: each printed once
    printed = _printed_lpns(printer_sim)
    assert printed == Counter({phone: 1, lamp: 2, dispositioned[2]: 1}), printed
    assert sum(b"DHL 4000001" in label for label in printer_sim.labels) == 1


KILLS = 100
RETURNS = 2000  # more than the 100 runs get through


def _read(db: Path, sql: str, *params: str) -> list[tuple]:
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def _script(db: Path, n: int) -> list[str]:
    """What is left to scan of return ``n``, judged from the log (as a person would look at the screen):
    return code, item, grade, finish, then restock (flow, LPN, bin)."""
    rma = f"RMA-8{n:06d}"
    types = {t for (t,) in _read(db, "SELECT type FROM events WHERE subject = ?", rma)}
    lpn = next(
        iter(
            _read(
                db,
                "SELECT json_extract(data, '$.lpn') FROM events WHERE subject = ? AND type = "
                "'return.dispositioned'",
                rma,
            )
        ),
        (None,),
    )[0]
    if lpn is not None and _read(
        db, "SELECT 1 FROM events WHERE subject = ? AND type = 'inventory.restocked'", lpn
    ):
        return []
    if "return.completed" in types:
        return ["CMD:FLOW:RESTOCK", str(lpn), "BIN-A-01"]
    script = [rma, item(GTIN_PHONE, f"SN{n}"), "CMD:GRADE:A", "CMD:DONE"]
    done = [k for k in ("return.received", "return.item_verified", "return.dispositioned") if k in types]
    return [*script[len(done) :], "CMD:FLOW:RESTOCK", lpn or "<lpn>", "BIN-A-01"]


def test_100_sigkills_while_scans_flow_lose_nothing_and_print_each_label_once(
    tmp_path: Path, printer_sim: PrinterSimulator, start_station: Start
) -> None:
    returns = [
        {
            "rma": f"RMA-8{n:06d}",
            "version": 1,
            "items": [{"gtin": GTIN_PHONE, "serial": f"SN{n}", "value": 50.0}],
        }
        for n in range(RETURNS)
    ]
    config, data = _setup(tmp_path, printer_sim, returns)
    db = data / "station.db"
    rng = random.Random(20261201)
    acked: list[tuple[str, str]] = []  # (return, scan) of every OK line seen
    refused: list[str] = []
    n = kills = 0
    started = time.monotonic()
    while kills <= KILLS and not refused:
        proc, prompt = start_station(config, data)
        last_run = kills == KILLS  # the run after the last kill finishes the return it finds open
        if prompt.startswith("Scan your badge") and proc.scan("BADGE-2001") is None:
            proc.kill()
            continue
        if not last_run:
            threading.Timer(rng.uniform(0.0, 0.08), proc.proc.send_signal, (signal.SIGKILL,)).start()
        alive = True
        while alive and not refused:
            script = _script(db, n)
            if not script:
                n += 1
                if last_run:
                    break
                continue
            lpn = None
            for scan in script:
                line = proc.scan(lpn if scan == "<lpn>" else scan)
                if line is None:
                    alive = False
                    break
                if line.startswith("NO"):
                    refused.append(line)
                    break
                acked.append((f"RMA-8{n:06d}", scan))
                if scan == "CMD:GRADE:A":
                    lpn = _lpn(line)
        if last_run:
            break
        proc.kill()
        kills += 1
    assert not refused, refused
    deadline = time.monotonic() + 60
    while _read(db, "SELECT 1 FROM print_jobs WHERE state != 'printed'") and time.monotonic() < deadline:
        time.sleep(0.1)
    proc.stop()
    print(
        f"{kills} SIGKILLs, {n} returns, {len(acked)} scans acknowledged, {time.monotonic() - started:.1f} s"
    )
    assert kills == KILLS and 0 < n < RETURNS

    log = _assert_log_and_stock(data)
    seen = {(e["subject"], e["type"]) for e in log}
    lpn_of = {e["subject"]: e["data"]["lpn"] for e in log if e["type"] == "return.dispositioned"}
    seen |= {(rma, "restocked") for rma, lpn in lpn_of.items() if (lpn, "inventory.restocked") in seen}
    event_of = {
        "CMD:GRADE:A": "return.dispositioned",
        "CMD:DONE": "return.completed",
        "BIN-A-01": "restocked",
    }
    for rma, scan in acked:
        kind = "return.received" if scan == rma else event_of.get(scan)
        if kind is not None:
            assert (rma, kind) in seen, f"{scan} of {rma} was acknowledged and is not in the log"
    lpns = [e["data"]["lpn"] for e in log if e["type"] == "return.dispositioned"]
    assert len(lpns) == len(set(lpns)) == n
    restocked = [e["data"]["lpn"] for e in log if e["type"] == "inventory.restocked"]
    assert sorted(restocked) == sorted(lpns)
    assert sorted(u["lpn"] for u in cli_json(data, "stock")) == sorted(lpns)
    assert _printed_lpns(printer_sim) == Counter(dict.fromkeys(lpns, 1))


def test_cancel_and_reopen_of_a_serial_unit_through_the_headless_station(
    tmp_path: Path, printer_sim: PrinterSimulator
) -> None:
    items = [
        {"gtin": GTIN_PHONE, "serial": "SNA1", "title": "Phone X", "category": "electronics", "value": 300}
    ]
    config, data = _setup(tmp_path, printer_sim, [{"rma": "RMA-7000002", "version": 1, "items": items}])
    lpn = "LPNHUBON10000001"
    script = tmp_path / "reopen.scans"
    script.write_text(
        "BADGE-2001\nRMA-7000002\n]C1010950110153000321SNA1\nCMD:GRADE:A\nCMD:CANCEL\n"
        f"RMA-7000002\n]C1010950110153000321SNA1\nCMD:GRADE:A\nCMD:DONE\nCMD:FLOW:RESTOCK\n{lpn}\nBIN-A-01\n"
    )
    run = station(tmp_path, "--config", str(config), "run", "--headless", "--scanner", f"replay:{script}")
    assert run.returncode == 0, run.stderr
    lines = [line for line in run.stdout.splitlines() if line.startswith(("OK", "NO"))]
    assert all(line.startswith("OK") for line in lines), run.stdout
    assert f"label {lpn} VOIDED: take it off the unit" in lines[4]
    log = _assert_log_and_stock(data)
    assert [e["data"]["lpn"] for e in log if e["type"] == "return.dispositioned"] == [lpn, lpn]
    assert [(u["lpn"], u["serial"]) for u in cli_json(data, "stock")] == [(lpn, "SNA1")]
