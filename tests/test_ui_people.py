"""Approvals on the touchscreen under Xvfb: the supervisor's own badge, then their PIN on the keypad of the
supervisor screen, which shows what is approved (kind, subject); a PIN barcode approves nothing."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures_ui import RunUI
from tests.test_ui_counter import WARN
from tests.test_ui_flows import BAD, INTAKE_PHONE_AND_TABLET, LPN2, _events, _pin, _prepare


def test_an_approval_takes_the_supervisors_badge_and_keypad_pin(run_ui: RunUI, tmp_path: Path) -> None:
    data = tmp_path / "data"
    _prepare(data, INTAKE_PHONE_AND_TABLET)
    result = run_ui(
        [
            {"scan": "BADGE-2001"},
            *_pin("246813"),
            {"tap": "Restock", "outcome": True},
            {"scan": LPN2},  # dispositioned repair: restocking it needs a supervisor
            {"scan": "CMD:PIN:135792"},  # a PIN as a barcode: refused
            {"scan": "BADGE-2002"},
            {"screenshot": str(tmp_path / "approve-800x480.png")},
            *_pin("135792"),
            {"scan": "BIN-A-02"},
        ],
        data_dir=data,
    )
    steps = result["steps"]
    asked, scanned_pin, badge = steps[9], steps[10], steps[11]
    assert asked["screen"] == "supervisor" and asked["colour"] == WARN  # amber: needs a supervisor
    assert scanned_pin["colour"] == BAD and "never scanned" in scanned_pin["feedback"]
    assert badge["screen"] == "supervisor" and badge["feedback"] == "Sam: type your PIN to approve"
    assert badge["detail"].startswith(f"Restock against its disposition  ·  {LPN2}")  # kind and subject
    assert (tmp_path / "approve-800x480.png").stat().st_size > 0
    assert _events(data, "override.granted")[0] | {"reason": "-"} == {
        "type": "override.granted",
        "kind": "restock",
        "subject": LPN2,
        "amount": None,
        "currency": None,
        "reason": "-",
        "requester": "2001",
        "approver": "2002",
        "pin_verified": True,
    }
    (restocked,) = _events(data, "inventory.restocked")
    assert (restocked["lpn"], restocked["bin"], restocked["override"]) == (LPN2, "BIN-A-02", "2002")
