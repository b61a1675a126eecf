"""Issue 13 under Xvfb, driven by typed scans and taps: a stray Finish does not close a return, a 6-line
return shows every line still to scan at 800x480, the refusal fits the bar, paper-out shows while idle,
a second work order starts with nothing chosen, kiosk fills the display, a keyed code opens its return."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tests.fixtures_printers import controlled_printer
from tests.fixtures_ui import RunUI
from tests.test_ui_flows import INTAKE_PHONE_AND_TABLET, LPN1, LPN2, _events, _pin, _prepare
from tests.test_ui_intake import ANA

WARN = [0.85, 0.55, 0.05, 1.0]
GOOD = [0.05, 0.55, 0.22, 1.0]
BAD = [0.8, 0.12, 0.12, 1.0]


def _six_lines(data: Path) -> None:
    from station.core.codes import DEFAULT_CODE_PATTERNS
    from station.store.database import open_database
    from station.store.manifests import load_manifest
    from station.store.operators import load_operators

    gtins = ["09501101530003", "04006381333931", "00012345678905", "05012345678900", "04012345678901"]
    gtins.append("09506000134352")
    store = open_database(data / "station.db")
    load_manifest(
        store,
        {
            "returns": [
                {
                    "rma": "RMA-1000001",
                    "items": [
                        {"gtin": g, "quantity": 1, "title": f"Item {n} " + "long title " * 5, "value": 5.0}
                        for n, g in enumerate(gtins, 1)
                    ],
                }
            ],
        },
        DEFAULT_CODE_PATTERNS,
    )
    load_operators(store, ANA, DEFAULT_CODE_PATTERNS)
    store.close()


def test_stray_finish_with_lines_missing_does_not_close_the_return(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _prepare(data)
    result = run_ui(
        [
            {"scan": "BADGE-2001"},
            *_pin("246813"),
            {"scan": "RMA-3000001"},
            {"scan": "]C1010950110153000321SNA1"},
            {"tap": "A: like new"},
            {"tap": "Finish", "outcome": False},  # the stray tap: two lines are not in
            {"pause": 0.5},
        ],
        data_dir=data,
    )
    assert _events(data, "return.completed") == []
    last = result["steps"][-1]
    assert last["screen"] == "intake"
    # the check names what is missing, and Finish with items missing is a second, separate button
    assert "Finish with items missing" in last["buttons"]
    assert "2 items not scanned" in last["texts"]
    assert "Tablet" in last["texts"] and "USB cable" in last["texts"]


def test_finish_with_everything_in_is_one_tap(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _six_lines(data)
    gtins = ["09501101530003", "04006381333931", "00012345678905", "05012345678900", "04012345678901"]
    steps: list[dict[str, Any]] = [{"scan": "BADGE-1001"}, {"scan": "RMA-1000001"}]
    for gtin in [*gtins, "09506000134352"]:
        steps += [{"scan": gtin}, {"tap": "A: like new"}]
    steps.append({"tap": "Finish"})
    result = run_ui(steps, data_dir=data)
    (done,) = _events(data, "return.completed")
    assert done["missing"] == 0
    assert result["steps"][-1]["colour"] == GOOD


def test_six_line_return_shows_every_line_still_to_scan(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _six_lines(data)
    result = run_ui(
        [
            {"scan": "BADGE-1001"},
            {"scan": "RMA-1000001"},
            {"layout": True},
            {"scan": "00012345678905"},  # line 3
            {"tap": "B: opened"},
            {"layout": True},
        ],
        data_dir=data,
    )
    opened, _, _, graded, _ = result["steps"][1:]
    assert len(opened["rows"]["shown"]) == 6 and opened["rows"]["hidden"] == []
    rows = graded["rows"]
    assert rows["hidden"] == []
    to_scan = [r for r in rows["shown"] if "0/1" in r]
    assert len(to_scan) == 5 and not any("[b]3[/b]" in r for r in to_scan)
    assert "line 3" in rows["shown"][0]  # the line just scanned, at the top
    assert result.get("layout", []) == []


def test_refusal_for_an_unknown_code_fits_in_the_bar(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _prepare(data)
    long_code = "X" * 30 + "-this-is-no-code-the-station-knows-" + "9" * 40
    result = run_ui(
        [{"scan": "BADGE-2003"}, {"scan": long_code}, {"layout": True}],
        data_dir=data,
    )
    refused = result["steps"][1]
    assert refused["colour"] == BAD
    assert refused["feedback"] == "Not a code this station knows: scan the return label or the item's barcode"
    assert refused["detail"].startswith("Scanned: XXXX") and "…" in refused["detail"]
    assert len(refused["detail"]) < 60
    assert result["layout"] == [], result["layout"]


def test_wrong_item_is_amber_not_green(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _prepare(data)
    result = run_ui(
        [{"scan": "BADGE-2001"}, *_pin("246813"), {"scan": "RMA-3000001"}, {"scan": "09506000134352"}],
        data_dir=data,
    )
    wrong = result["steps"][-1]
    assert wrong["colour"] == WARN, wrong
    assert wrong["feedback"].startswith("Wrong item")


def test_paper_out_while_idle_turns_the_chip_within_5_s(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _prepare(data)
    with controlled_printer(tmp_path, "ready") as (sim, control):
        result = run_ui(
            [
                {"scan": "BADGE-2003"},
                {"wait_for": {"printer": "Printer ready"}, "timeout": 10},
                {"write_file": str(control), "text": "paper_out"},  # nothing is printing
                {"wait_for": {"printer": "Paper out"}, "timeout": 5},
            ],
            data_dir=data,
            config=f'printer = "tcp://127.0.0.1:{sim.port}"\n',
        )
    assert result["waited_s"] <= 5
    assert result["steps"][-1]["printer"] == "Paper out"


def test_label_waiting_for_paper_says_so(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _prepare(data)
    with controlled_printer(tmp_path, "paper_out") as (sim, control):
        result = run_ui(
            [
                {"scan": "BADGE-2001"},
                *_pin("246813"),
                {"wait_for": {"printer": "Paper out"}, "timeout": 10},
                {"scan": "RMA-3000001"},
                {"scan": "0012345678905"},
                {"tap": "B: opened"},
                {"write_file": str(control), "text": "ready"},
            ],
            data_dir=data,
            config=f'printer = "tcp://127.0.0.1:{sim.port}"\n',
        )
    graded = result["steps"][-2]
    assert graded["feedback"] == "Label waiting: printer out of paper" and graded["colour"] == WARN


def test_second_work_order_starts_with_no_choices(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _prepare(data, INTAKE_PHONE_AND_TABLET)
    result = run_ui(
        [
            {"scan": "BADGE-2001"},
            *_pin("246813"),
            {"tap": "Repair", "outcome": True},
            {"scan": LPN2},
            {"tap": "Screen cracked"},
            {"tap": "nwipe", "outcome": False},
            {"tap": "Wipe: purge"},
            {"scan": "BADGE-2004"},  # Tom verifies the wipe with his badge and PIN
            *_pin("864209"),
            {"tap": "Repaired", "outcome": False},
            {"tap": "Grade B", "outcome": False},
            {"tap": "Restock here", "outcome": False},
            {"layout": True},
            {"tap": "Close work order"},
            {"scan": "WO-500001"},
            {"layout": True},
        ],
        data_dir=data,
    )
    chosen = result["steps"][-5]["selected"]
    assert {"Screen cracked", "Repaired", "Grade B", "Restock here"} <= set(chosen)
    second = result["steps"][-1]
    assert "WO-500001" in second["prompt"]
    assert second["selected"] == [], second["selected"]
    assert result["layout"] == [], result["layout"]


def test_kiosk_fills_a_1280x800_display(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _prepare(data)
    result = run_ui(
        [{"scan": "BADGE-2003"}, {"layout": True}],
        data_dir=data,
        options={"kiosk": True},  # the Xvfb display is 1280x800
    )
    last = result["steps"][-1]
    assert last["window"] == [1280, 800] and last["compact"] is False
    assert result["layout"] == [], result["layout"]


def test_code_keyed_on_the_screen_opens_its_return(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _prepare(data)
    result = run_ui(
        [{"scan": "BADGE-2001"}, *_pin("246813"), {"key_in": "RMA-3000001"}, {"key_in": "0012345678905"}],
        data_dir=data,
    )
    opened = result["steps"][-2]
    assert opened["screen"] == "intake" and opened["feedback"] == "Return RMA-3000001 opened"
    (received,) = _events(data, "return.received")
    assert received["rma"] == "RMA-3000001"
    (verified,) = _events(data, "return.item_verified")  # recorded as keyed, not scanned: flagged for review
    assert verified["gtin"] == "00012345678905" and verified["source"] == "keyed:screen"


def test_reprint_of_a_shipping_row_sends_the_carrier_label(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _prepare(data, INTAKE_PHONE_AND_TABLET + f"BADGE-2001\n246813\nCMD:FLOW:RESTOCK\n{LPN1}\nBIN-A-01\n")
    carrier_row = ["4000001", "Carrier label", "printed"]
    result = run_ui(
        [
            {"scan": "BADGE-2003"},
            {"scan": "ORD-4000001"},
            {"scan": "]C1010950110153000321SNA1"},
            {"tap": "Finish: print label"},
            {"wait_printed": 3},
            {"tap": "Reprint", "outcome": False},
            {"wait_for": {"screen": "reprint"}, "timeout": 5},
            {"tap": carrier_row},  # the label list comes with the next status poll
            {"wait_printed": 4},
        ],
        data_dir=data,
    )
    spool = sorted((data / "spool").glob("*.zpl"))
    assert spool[-1].read_bytes() == spool[-2].read_bytes()  # the carrier's label, byte for byte
    assert b"DHL 4000001" in spool[-1].read_bytes()
    rows = result["steps"][-2]["buttons"]  # as the row was tapped
    assert any(all(part in row for part in carrier_row) for row in rows), rows
    # the LPN rows say what they are for (the return, the LPN, the item, the label) and when it was made
    made = re.compile(
        rf"^RMA-3000001  ·  {LPN1}  ·  Phone X  ·  Unit label \(LPN\)  ·  \d\d:\d\d  ·  printed$"
    )
    assert any(made.match(row) for row in rows), rows
