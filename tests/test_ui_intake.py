"""The touchscreen app under Xvfb, driven like a person: wedge scans typed as key events, taps on buttons.
Asserts what the person and the OMS would check: the screen's colour and sentence, and the events."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

from tests.fixtures_ui import RunUI

DATA = Path(__file__).parent / "data"
GOOD = [0.05, 0.55, 0.22, 1.0]
BAD = [0.8, 0.12, 0.12, 1.0]
WARN = [0.85, 0.55, 0.05, 1.0]

ONE_ITEM = {
    "returns": [
        {
            "rma": "RMA-3000001",
            "codes": ["HR-QQ12AB34"],
            "refund_cap": 100.0,
            "version": 1,
            "items": [
                {
                    "gtin": "04006381333931",
                    "quantity": 1,
                    "title": "Kettle",
                    "category": "home",
                    "value": 39.0,
                }
            ],
        }
    ],
    "stocked_gtins": ["04006381333931"],
}
ANA = {"operators": [{"badge": "BADGE-1001", "name": "Ana", "roles": ["intake"]}]}


def _load(data_dir: Path, manifest: dict) -> None:
    from station.core.codes import DEFAULT_CODE_PATTERNS
    from station.store.database import open_database
    from station.store.manifests import load_manifest
    from station.store.operators import load_operators

    store = open_database(data_dir / "station.db")
    load_manifest(store, manifest, DEFAULT_CODE_PATTERNS)
    load_operators(store, ANA, DEFAULT_CODE_PATTERNS)
    store.close()


def _events(data_dir: Path) -> list[tuple[str, dict]]:
    conn = sqlite3.connect(data_dir / "station.db")
    rows = [(t, json.loads(d)) for t, d in conn.execute("SELECT type, data FROM events ORDER BY seq")]
    conn.close()
    return rows


def test_one_item_return_in_three_scans_and_two_taps(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _load(data, ONE_ITEM)
    result = run_ui(
        [
            {"scan": "BADGE-1001"},
            {"scan": "HR-QQ12AB34"},
            {"scan": "]C10104006381333931"},
            {"tap": "A: like new"},
            {"tap": "Finish"},
        ],
        data_dir=data,
    )
    steps = result["steps"]
    assert steps[0]["operator"] == "Ana" and steps[0]["colour"] == GOOD
    assert all(s["colour"] == GOOD for s in steps), [s["feedback"] for s in steps]
    assert steps[3]["feedback"].startswith("Restock here: RESTOCK CART")
    # from the return code to the label: 2 scans (return code, item) and 1 tap (grade); Finish is tap 2
    assert result["scans"] - 1 <= 3 and result["taps"] <= 2
    events = _events(data)
    assert [t for t, _ in events if t != "label.printed"] == [
        "operator.signed_in",
        "return.received",
        "return.item_verified",
        "return.graded",
        "return.dispositioned",
        "refund.eligible",
        "return.completed",
    ]
    refund = next(d for t, d in events if t == "refund.eligible")
    assert refund["amount"] == 39.0 and refund["capped"] is False
    # the LPN label the grade tap produced was printed (to the spool, the default printer)
    lpn = next(d["lpn"] for t, d in events if t == "return.dispositioned")
    assert [d["lpn"] for t, d in events if t == "label.printed"] == [lpn]
    (label,) = sorted((data / "spool").glob("*.zpl"))
    assert lpn.encode() in label.read_bytes()


def test_regrade_button_voids_the_label_and_keeps_the_lpn(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _load(data, ONE_ITEM)
    result = run_ui(
        [
            {"scan": "BADGE-1001"},
            {"scan": "HR-QQ12AB34"},
            {"scan": "]C10104006381333931"},
            {"tap": "A: like new"},
            {"tap": "Regrade"},  # the wrong grade was tapped
            {"tap": "D: damaged"},
        ],
        data_dir=data,
    )
    regraded = result["steps"][4]
    assert regraded["colour"] == WARN and regraded["feedback"].startswith("Take off label LPN")
    assert "same LPN" in regraded["detail"]
    events = _events(data)
    first, second = [d for t, d in events if t == "return.dispositioned"]
    assert first["lpn"] == second["lpn"] and first["disposition"] != second["disposition"]
    (voided,) = [d for t, d in events if t == "label.voided"]
    assert voided["lpn"] == first["lpn"] and voided["reason"] == "regraded"
    assert [d["grade"] for t, d in events if t == "return.graded"] == ["A", "D"]


def test_refused_scan_is_red_with_a_sentence_and_nothing_recorded(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _load(data, ONE_ITEM)
    result = run_ui([{"scan": "RMA-3000001"}, {"scan": "BADGE-1001"}, {"scan": "12345"}], data_dir=data)
    first, _, third = result["steps"]
    assert first["colour"] == BAD and "badge" in first["feedback"]
    assert third["colour"] == BAD and third["feedback"].startswith("Not a code this station knows")
    assert third["detail"] == "Scanned: 12345"
    assert [t for t, _ in _events(data)] == ["operator.signed_in"]
