"""Every screen in its main states, at 800x480 and 1280x800, in English and German, with the longest
realistic data (60-character titles, a 20-line return, the longest refusals): no text larger than its
widget, no two widgets overlapping. The English runs take the screenshots the README shows: into a
temporary folder, or into tests/screenshots with fixed data when regenerating (python -m tests.screenshots).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures_ui import REGENERATE_ENV, RunUI
from tests.test_ui_flows import INTAKE_PHONE_AND_TABLET, _pin, _prepare

TITLE = "Wireless noise-cancelling over-ear headphones, midnight blue"  # 60 characters
#: An LPN scanned at intake: the longest refusal the desk gives at the counter.
LPN_AT_INTAKE = "LPNHUBON10000001"
FIXED_DATA = Path("/tmp/hub-station-screenshots/data")  # the path the committed status screenshot shows


def _twenty_lines(data: Path) -> None:
    from station.core.codes import DEFAULT_CODE_PATTERNS
    from station.store.database import open_database
    from station.store.manifests import load_manifest

    assert len(TITLE) == 60
    store = open_database(data / "station.db")
    items: list[dict[str, Any]] = [
        {"gtin": f"0950110153{n:03d}", "quantity": 1, "title": f"{TITLE[:56]} {n:03d}", "value": 12.0}
        for n in range(1, 20)
    ]
    items.insert(0, {"gtin": "09506000134352", "quantity": 1, "title": TITLE, "value": 99.0})
    for item in items:  # GS1 check digits for the made-up GTINs
        from biip.checksums import gs1_standard_check_digit

        body = item["gtin"][:13]
        item["gtin"] = body + str(gs1_standard_check_digit(body))
    load_manifest(store, {"returns": [{"rma": "RMA-2000002", "items": items}]}, DEFAULT_CODE_PATTERNS)
    store.close()


@pytest.mark.parametrize("language", ["en", "de"])
@pytest.mark.parametrize("size", [(800, 480), (1280, 800)], ids=["800x480", "1280x800"])
def test_every_screen_fits(
    run_ui: RunUI, tmp_path: Path, shots: Path, size: tuple[int, int], language: str
) -> None:
    regenerate = os.environ.get(REGENERATE_ENV) == "1" and language == "en"
    data = tmp_path / "data"
    if regenerate:
        shutil.rmtree(FIXED_DATA.parent, ignore_errors=True)
        data = FIXED_DATA
    _prepare(data, INTAKE_PHONE_AND_TABLET)
    _twenty_lines(data)
    tag = f"{size[0]}x{size[1]}" + ("" if language == "en" else f"-{language}")
    folder = shots if language == "en" else tmp_path

    def look(name: str) -> list[dict[str, Any]]:
        return [{"layout": True}, {"screenshot": str(folder / f"{name}-{tag}.png")}]

    t = _words(language)
    steps: list[dict[str, Any]] = [
        *look("signin"),
        {"scan": "BADGE-2001"},
        *look("signin-pin"),
        *_pin("246813"),
        {"scan": "RMA-2000002"},
        *look("intake-return"),
        {"scan": LPN_AT_INTAKE},  # refused: an LPN belongs to restock, packing or repair
        *look("intake-refused"),
        {"scan": "X" * 70},  # no code at all
        {"layout": True},
        {"scan": "]C10109506000134352"},
        {"tap": t["opened"], "outcome": False},
        *look("intake-grading"),
        {"tap": t["A"]},
        *look("intake-disposition"),
        {"tap": t["Finish"], "outcome": False},
        *look("intake-finish-check"),
        {"tap": t["Type code"], "outcome": False},
        *look("keyboard"),
        {"tap": t["Cancel"], "outcome": False},
        {"tap": t["Cancel return"]},
        {"scan": "RMA-9999999"},  # not in the manifest: a supervisor is needed
        *look("supervisor"),
        {"scan": "BADGE-2002"},  # Sam approves: his own badge, then his PIN on the keypad
        *look("supervisor-pin"),
        {"tap": t["Do not allow: cancel this step"]},
        {"tap": t["Restock"]},
        {"scan": "LPNHUBON10000001"},
        *look("restock"),
        {"tap": t["Cancel"]},
        {"tap": t["Pack"]},
        {"scan": "ORD-4000001"},
        *look("pack"),
        {"tap": t["Cancel order"]},
        {"tap": t["Repair"]},
        {"scan": "WO-500001"},
        {"tap": "blancco", "outcome": False},
        {"tap": t["Wipe: purge"]},  # a wipe waits for its verifier
        *look("repair-wipe"),
        {"scan": "BADGE-2004"},  # Tom verifies: his badge, then his PIN on the repair screen's keypad
        *look("repair-verify"),
        *_pin("864209"),
        {"tap": t["Screen cracked"]},
        {"tap": t["Repaired"], "outcome": False},
        *look("repair"),
        {"tap": t["Reprint"], "outcome": False},
        {"pause": 2.5},  # the label list comes with the next status poll
        *look("reprint"),
        {"tap": t["Status"], "outcome": False},
        *look("status"),
    ]
    result = run_ui(
        steps,
        data_dir=data,
        size=size,
        config=f'language = "{language}"\n',
    )
    assert result["layout"] == [], "\n".join(result["layout"])
    assert result["steps"][-1]["screen"] == "status"
    for step in result["steps"]:
        if "screenshot" in step["step"]:
            assert Path(step["step"]["screenshot"]).stat().st_size > 5_000


def _words(language: str) -> dict[str, str]:
    """The buttons the scenario taps, in the screen's language."""
    english = [
        "opened", "A", "Finish", "Type code", "Cancel", "Cancel return", "Restock", "Pack", "Cancel order",
        "Repair", "Wipe: purge", "Screen cracked", "Repaired", "Reprint", "Status",
        "Do not allow: cancel this step",
    ]  # fmt: skip
    words = {w: w for w in english} | {"A": "A: like new"}
    if language == "de":
        from station.ui import i18n

        i18n.set_language("de")
        try:
            words = {k: i18n._(v) for k, v in words.items()}
        finally:
            i18n.set_language("en")
    return words
