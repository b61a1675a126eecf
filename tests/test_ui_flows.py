"""Every role's work through the touchscreen app under Xvfb: scans typed as key events, taps on buttons,
PINs on the keypad; asserted in the events, the stock and the labels in the spool or on the printer."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.fixtures_printers import controlled_printer
from tests.fixtures_ui import RunUI

DATA = Path(__file__).parent / "data"
LPN1, LPN2 = "LPNHUBON10000001", "LPNHUBON10000002"  # the first LPNs of hub-local / station-1
BAD = [0.8, 0.12, 0.12, 1.0]


def _cli(data: Path, *args: str, stdin: str | None = None) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "station.cli", "--data-dir", str(data), *args],
        capture_output=True,
        text=True,
        input=stdin,
        timeout=60,
        env={"STATION_CONFIG": "", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr


def _prepare(data: Path, scans: str = "") -> None:
    """A station with the hub-work manifest, operators and orders loaded, and ``scans`` already done."""
    _cli(data, "manifest", "load", str(DATA / "hubwork_manifest.json"))
    _cli(data, "operators", "load", str(DATA / "hubwork_operators.json"))
    _cli(data, "orders", "load", str(DATA / "hubwork_orders.json"))
    if scans:
        _cli(data, "run", "--headless", "--scanner", "stdin:", stdin=scans)


def _events(data: Path, *types: str) -> list[dict[str, Any]]:
    conn = sqlite3.connect(data / "station.db")
    try:
        rows = conn.execute("SELECT type, data FROM events ORDER BY seq").fetchall()
    finally:
        conn.close()
    return [{"type": t, **json.loads(d)} for t, d in rows if not types or t in types]


def _pin(pin: str) -> list[dict[str, Any]]:
    return [{"tap": digit, "outcome": False} for digit in pin] + [{"tap": "OK"}]


INTAKE_PHONE_AND_TABLET = (
    "BADGE-2001\n246813\nRMA-3000001\n]C1010950110153000321SNA1\nCMD:GRADE:A\n"
    "]C1010400638133393121TAB1\nCMD:GRADE:C\nCMD:DONE\nCMD:SIGN_OUT\n"
)


def test_restock_by_scan_lpn_then_bin(run_ui: RunUI, tmp_path: Path, shots: Path) -> None:
    data = tmp_path / "data"
    _prepare(data, INTAKE_PHONE_AND_TABLET)
    result = run_ui(
        [
            {"scan": "BADGE-2001"},
            *_pin("246813"),
            {"tap": "Restock", "outcome": True},
            {"scan": LPN1},
            {"screenshot": str(shots / "restock-unit-800x480.png")},
            {"scan": "BIN-A-01", "expect_feedback": "BIN-A-01"},
        ],
        data_dir=data,
    )
    screens = [s["screen"] for s in result["steps"]]
    assert screens[0] == "signin" and screens[7] == "intake"  # the keypad, then the person's first flow
    assert result["steps"][7]["nav"][:4] == ["Returns", "Restock", "Pack", "Repair"]
    assert screens[-1] == "restock"
    (restocked,) = _events(data, "inventory.restocked")
    assert restocked["lpn"] == LPN1 and restocked["bin"] == "BIN-A-01"


def test_pack_an_order_prints_the_carrier_label(run_ui: RunUI, tmp_path: Path, shots: Path) -> None:
    data = tmp_path / "data"
    _prepare(data, INTAKE_PHONE_AND_TABLET + f"BADGE-2001\n246813\nCMD:FLOW:RESTOCK\n{LPN1}\nBIN-A-01\n")
    result = run_ui(
        [
            {"scan": "BADGE-2003"},  # Paul packs; he has no PIN
            {"scan": "ORD-4000001"},
            {"scan": "0012345678905"},  # not on the order: refused, red
            {"scan": "]C1010950110153000321SNA1"},
            {"screenshot": str(shots / "pack-order-800x480.png")},
            {"tap": "Finish: print label"},
            {"wait_printed": 3},  # the two LPN labels from intake, then the carrier label
        ],
        data_dir=data,
    )
    steps = result["steps"]
    assert steps[1]["screen"] == "pack" and steps[1]["nav"][0] == "Pack"
    assert steps[2]["colour"] == BAD
    (packed,) = _events(data, "order.packed")
    assert packed["units"][0]["lpn"] == LPN1
    spool = sorted((data / "spool").glob("*.zpl"))
    assert b"DHL 4000001" in spool[-1].read_bytes()  # sent unchanged, as the carrier made it


def test_repair_work_order_closed_with_new_label(run_ui: RunUI, tmp_path: Path, shots: Path) -> None:
    data = tmp_path / "data"
    _prepare(data, INTAKE_PHONE_AND_TABLET)
    result = run_ui(
        [
            {"scan": "BADGE-2001"},
            *_pin("246813"),
            {"tap": "Repair", "outcome": True},
            {"scan": LPN2},
            {"tap": "Screen cracked"},
            {"tap": "Wipe: purge", "outcome": False, "expect_feedback": "the wipe was made with"},  # tool?
            {"tap": "blancco", "outcome": False},
            {"tap": "Wipe: purge", "expect_feedback": "scans their own badge"},
            {"scan": "BADGE-2004"},  # Tom verifies the wipe: his badge, then his PIN on the repair screen
            {"screenshot": str(shots / "repair-verify-1280x800.png")},
            *_pin("864209"),
            {"tap": "+15 min"},
            {"tap": "Repaired", "outcome": False},
            {"tap": "Grade B", "outcome": False},
            {"tap": "Restock here", "outcome": False},
            {"screenshot": str(shots / "repair-work-order-1280x800.png")},
            {"tap": "Close work order"},
            {"wait_printed": 3},
        ],
        data_dir=data,
        size=(1280, 800),
    )
    assert result["steps"][-2]["colour"] != BAD, result["steps"][-2]["feedback"]
    types = [e["type"] for e in _events(data) if e["type"].startswith("workorder.")]
    assert types[0] == "workorder.opened" and types[-1] == "workorder.closed"
    assert {"workorder.diagnosed", "workorder.wiped", "workorder.labour_logged"} <= set(types)
    assert [s["screen"] for s in result["steps"][11:21]] == ["repair"] * 10  # the keypad on the bench
    assert _events(data, "workorder.wiped")[0]["verified_by"] == "2004"
    assert "purge with blancco, verified by Tom" in result["steps"][-3]["texts"]  # his name, not his badge
    closed = _events(data, "workorder.closed")[-1]
    assert (closed["outcome"], closed["grade"], closed["disposition"]) == ("repaired", "B", "restock_local")
    relabel = _events(data, "label.printed")[-1]
    assert relabel["lpn"] == LPN2


def test_intake_goes_on_while_the_broker_is_down(run_ui: RunUI, tmp_path: Path, shots: Path) -> None:
    data = tmp_path / "data"
    _prepare(data)
    result = run_ui(
        [
            {"scan": "BADGE-2001"},
            *_pin("246813"),
            {"scan": "RMA-3000001"},
            {"scan": "0012345678905"},
            {"tap": "B: opened"},
            {"pause": 2.5},  # a status poll
            {"screenshot": str(shots / "intake-offline-800x480.png")},
        ],
        data_dir=data,
        config='[broker]\nurl = "mqtt://127.0.0.1:9"\n',  # nothing listens there
    )
    last = result["steps"][-1]
    assert last["sync"].startswith("Offline") and last["colour"] != BAD
    dispositioned = _events(data, "return.dispositioned")
    assert len(dispositioned) == 1
    conn = sqlite3.connect(data / "station.db")
    unacked = conn.execute("SELECT count(*) FROM events WHERE acked_at IS NULL").fetchone()[0]
    conn.close()
    assert unacked == len(_events(data))  # all kept for when the broker is back


def test_paper_out_during_intake_then_the_label_prints(run_ui: RunUI, tmp_path: Path, shots: Path) -> None:
    data = tmp_path / "data"
    _prepare(data)
    with controlled_printer(tmp_path, "paper_out") as (sim, control):
        result = run_ui(
            [
                {"scan": "BADGE-2001"},
                *_pin("246813"),
                {"scan": "RMA-3000001"},
                {"scan": "0012345678905"},
                {"tap": "B: opened"},
                {"pause": 1.5},
                {"screenshot": str(shots / "intake-paper-out-800x480.png")},
                {"write_file": str(control), "text": "ready"},  # the roll is changed
                {"wait_printed": 1, "timeout": 20},
            ],
            data_dir=data,
            config=f'printer = "tcp://127.0.0.1:{sim.port}"\n',
        )
    paper_out = result["steps"][-3]
    assert paper_out["printer"] == "Paper out" and paper_out["colour"] != BAD
    lpn = _events(data, "return.dispositioned")[0]["lpn"]
    assert [e["lpn"] for e in _events(data, "label.printed")] == [lpn]
    assert len(sim.labels) == 1 and lpn.encode() in sim.labels[0]


def test_idle_sign_out(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _prepare(data)
    result = run_ui(
        [{"scan": "BADGE-2003"}, {"pause": 6}],
        data_dir=data,
        config="idle_signout_minutes = 0.05\n",  # 3 s
    )
    assert result["steps"][-1]["operator"] == "Not signed in"
    assert result["steps"][-1]["screen"] == "signin"
    (signed_out,) = _events(data, "operator.signed_out")
    assert signed_out["reason"] == "idle" and signed_out["automatic"] is True


def test_reprint_from_the_screen(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _prepare(data, INTAKE_PHONE_AND_TABLET)
    run_ui(
        [
            {"scan": "BADGE-2001"},
            *_pin("246813"),
            {"tap": "Reprint", "outcome": False},
            {"tap": ["RMA-3000001", LPN2, "Unit label (LPN)", "printed"]},  # with the next status poll
            {"wait_printed": 3},
            {"scan": LPN2},  # on the Reprint screen a scan finds that unit's labels, the reprint too
            {"tap": ["RMA-3000001", LPN2, "Unit label (LPN)", "printed"]},
            {"wait_printed": 4},
        ],
        data_dir=data,
    )
    printed = _events(data, "label.printed")
    assert [(e["lpn"], e["reprint"]) for e in printed] == [
        (LPN1, False),
        (LPN2, False),
        (LPN2, True),
        (LPN2, True),
    ]


def test_an_unplugged_scanner_shows_and_work_goes_on(run_ui: RunUI, tmp_path: Path, shots: Path) -> None:
    data = tmp_path / "data"
    _prepare(data)
    missing = tmp_path / "scanner-1"  # a udev name whose device is unplugged
    result = run_ui(
        [
            {"scan": "BADGE-2003"},  # typed into the window: the wedge still works
            {"pause": 1.0},
            {"screenshot": str(shots / "scanner-unplugged-800x480.png")},
        ],
        data_dir=data,
        config=f'scanners = ["serial://{missing}?baud=9600"]\n',
    )
    last = result["steps"][-1]
    assert last["scanners"] == "Scanner off: 1"
    assert last["operator"] == "Paul"
