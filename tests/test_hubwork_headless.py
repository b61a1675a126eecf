"""Restock, packing, repair and operators end to end: `station run --headless` reading scans and PINs
from standard input, then `station events --json` and `station stock --json`, the way a person at a
fresh station runs them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.test_headless import DATA, events, station

LPN1, LPN2, LPN3 = (f"LPNHUBON1{n:07d}" for n in (1, 2, 3))  # prefix of hub-local / station-1

SCRIPT = f"""\
# sign in, the PIN on the next line; a return: phone (restock_local), tablet (repair), cable (liquidate)
BADGE-2001
246813
RMA-3000001
]C1010950110153000321SNA1
CMD:GRADE:A
]C1010400638133393121TAB1
CMD:GRADE:C
0012345678905
CMD:GRADE:B
CMD:DONE
# restock the phone, then move it
CMD:FLOW:RESTOCK
{LPN1}
BIN-A-01
{LPN1}
BIN-A-02
# the cable is for liquidation: refused until a supervisor allows it (with their PIN)
{LPN3}
BADGE-2002
135792
BIN-B-01
# pack the order: a wrong item first, then the phone by its serial
ORD-4000001
0012345678905
]C1010950110153000321SNA1
CMD:DONE
# repair the tablet and put it back on the shelf
CMD:FLOW:REPAIR
{LPN2}
CMD:DIAG:SCREEN_CRACKED
PART-SCREEN-01
CMD:WIPE:purge:blancco
BADGE-2002
135792
CMD:LABOUR:25
CMD:NOTE:customer:Screen_replaced
CMD:CLOSE:repaired:B:restock_local
CMD:FLOW:RESTOCK
{LPN2}
BIN-A-03
"""


def load_hub(tmp_path: Path) -> None:
    """The hub-work manifest, operators and orders of tests/data, loaded by the real commands."""
    for args in (
        ("manifest", "load", str(DATA / "hubwork_manifest.json")),
        ("operators", "load", str(DATA / "hubwork_operators.json")),
        ("orders", "load", str(DATA / "hubwork_orders.json")),
    ):
        result = station(tmp_path, *args)
        assert result.returncode == 0, result.stderr


def test_restock_pack_repair_on_standard_input(tmp_path: Path) -> None:
    load_hub(tmp_path)
    lines_in = [line for line in SCRIPT.splitlines() if not line.startswith("#")]
    run = station(tmp_path, "run", "--headless", "--scanner", "stdin:", stdin="\n".join(lines_in) + "\n")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    refused = [line for line in lines if line.startswith("NO")]
    assert len(refused) == 3, run.stdout
    assert LPN3 in refused[0] and "liquidate" in refused[0] and "supervisor" in refused[0]
    assert "Wrong item" in refused[1]
    assert "Wipe of" in refused[2] and "scans their own badge and enters their PIN" in refused[2]
    assert "PIN for Sam to approve restock on" in run.stderr
    assert "246813" not in run.stdout + run.stderr and "135792" not in run.stdout + run.stderr

    log = events(tmp_path)
    assert all(e["operator"] for e in log)
    kinds = [e["type"] for e in log]
    assert kinds.count("inventory.restocked") == 3 and kinds.count("inventory.moved") == 1
    restocked = [e["data"] for e in log if e["type"] == "inventory.restocked"]
    assert [(r["lpn"], r["bin"], r["hub"]) for r in restocked] == [
        (LPN1, "BIN-A-01", "hub-local"),
        (LPN3, "BIN-B-01", "hub-local"),
        (LPN2, "BIN-A-03", "hub-local"),
    ]
    assert restocked[0]["gtin"] == "09501101530003" and restocked[0]["serial"] == "SNA1"
    override = next(e for e in log if e["type"] == "override.granted")
    assert override["data"] == {
        "kind": "restock",
        "subject": LPN3,
        "amount": None,
        "currency": None,
        "reason": "restock a unit dispositioned liquidate",
        "requester": "2001",
        "approver": "2002",
        "pin_verified": True,
    }
    assert restocked[1]["override"] == "2002"

    packed = next(e for e in log if e["type"] == "order.packed")
    assert packed["data"]["order"] == "4000001"
    assert packed["data"]["units"] == [{"line": 1, "lpn": LPN1, "gtin": "09501101530003", "serial": "SNA1"}]

    wo = [e for e in log if e["type"].startswith("workorder.")]
    assert [e["type"] for e in wo] == [
        "workorder.opened",
        "workorder.diagnosed",
        "workorder.part_used",
        "workorder.wiped",
        "workorder.labour_logged",
        "workorder.noted",
        "workorder.closed",
    ]
    closed = wo[-1]["data"]
    assert closed["lpn"] == LPN2 and closed["outcome"] == "repaired"
    assert (closed["grade"], closed["disposition"]) == ("B", "restock_local")
    assert closed["wipe"] == {"method": "purge", "tool": "blancco", "verified_by": "2002"}
    assert closed["labour_minutes"] == 25 and closed["parts"][0]["code"] == "SCREEN-01"
    assert closed["customer_notes"] == ["Screen_replaced"]

    # the stock: the phone left in the order; the cable and the repaired tablet are on the shelves
    result = station(tmp_path, "stock", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [(r["bin"], r["lpn"]) for r in rows] == [("BIN-A-03", LPN2), ("BIN-B-01", LPN3)]

    # the carrier label and the repaired unit's new label are in the print queue
    from station.store.database import open_database

    store = open_database(tmp_path / "data" / "station.db")
    try:
        jobs = store.conn.execute("SELECT template, lpn FROM print_jobs ORDER BY id").fetchall()
    finally:
        store.close()
    assert ("shipping", None) in jobs and ("return_lpn", LPN2) in jobs


def test_wrong_pins_lock_the_badge_and_roles_limit_flows(tmp_path: Path) -> None:
    load_hub(tmp_path)
    pins = "".join("000000\n" for _ in range(5))  # each on the PIN prompt line after the badge
    run = station(
        tmp_path,
        "run",
        "--headless",
        "--scanner",
        "stdin:",
        stdin=f"BADGE-2001\n{pins}BADGE-2001\nBADGE-2003\nRMA-3000001\nORD-4000001\nCMD:CANCEL\n",
    )
    lines = run.stdout.splitlines()
    assert lines[0].startswith("OK") and "PIN" in lines[0]
    assert all(line.startswith("NO") and "Wrong PIN" in line for line in lines[1:6])
    assert "locked" in lines[5]
    assert lines[6].startswith("NO") and "locked" in lines[6]  # the badge again: still locked
    assert lines[7].startswith("OK")  # Paul has no PIN: signed in at once, for packing only
    assert lines[8].startswith("NO") and "may not run intake" in lines[8]
    assert lines[9].startswith("OK") and "order 4000001 opened" in lines[9]
    log = events(tmp_path)
    assert [e["type"] for e in log].count("operator.pin_failed") == 5
    locked = next(e for e in log if e["type"] == "operator.locked_out")
    assert locked["operator"] == "2001" and locked["data"]["badge"] == "2001"


def test_orders_load_is_idempotent_and_refuses_bad_files(tmp_path: Path) -> None:
    load_hub(tmp_path)
    again = station(tmp_path, "orders", "load", str(DATA / "hubwork_orders.json"))
    assert again.stdout.strip() == "Loaded 0 orders (1 unchanged), 0 work orders (1 unchanged)."
    bad = tmp_path / "bad.json"
    bad.write_text(
        json.dumps(
            {
                "orders": [
                    {"order": "ORD-1234567", "carrier_label": "hello", "lines": [{"gtin": "4006381333931"}]}
                ]
            }
        )
    )
    result = station(tmp_path, "orders", "load", str(bad))
    assert result.returncode == 2
    assert "orders[0].carrier_label: expected ZPL of exactly one label format" in result.stderr
    bad.write_text("{not json")
    assert "expected JSON" in station(tmp_path, "orders", "load", str(bad)).stderr
