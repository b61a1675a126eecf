"""The README's headless example, run exactly as printed: its files and its commands are read out of
README.md (not copied here), run with bash in an empty folder with the installed `station` on the PATH, and
the outcome is what the README says (a refund above the cap, allowed by Sam with his PIN)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
_BLOCK = re.compile(r"<!-- (?P<mark>[^>]+?) -->\n```[a-z]*\n(?P<body>.*?)\n```", re.DOTALL)


def marked_blocks() -> dict[str, str]:
    """Every code block of the README that follows a ``<!-- mark -->`` line, by its mark."""
    return {m["mark"]: m["body"] + "\n" for m in _BLOCK.finditer(README.read_text(encoding="utf-8"))}


def test_the_readme_has_the_example_and_its_files() -> None:
    blocks = marked_blocks()
    assert {"headless-example", "file: return.scans", "file: manifest.json", "file: operators.json"} <= set(
        blocks
    )
    names = {mark.removeprefix("file: ") for mark in blocks if mark.startswith("file: ")}
    assert all(name in blocks["headless-example"] for name in names)  # the commands use every file


def test_the_headless_example_works_verbatim(tmp_path: Path) -> None:
    blocks = marked_blocks()
    for mark, body in blocks.items():
        if mark.startswith("file: "):
            (tmp_path / mark.removeprefix("file: ")).write_text(body)
    env = dict(
        os.environ,
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        STATION_CONFIG="",
        XDG_CONFIG_HOME=str(tmp_path / "config"),
        XDG_DATA_HOME=str(tmp_path / "share"),
    )
    run = subprocess.run(
        ["bash", "-e", "-c", blocks["headless-example"]],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = [line for line in run.stdout.splitlines() if line.startswith(("OK", "NO"))]
    scans = blocks["file: return.scans"].split()
    assert len(lines) == len(scans), run.stdout
    refused = [i for i, line in enumerate(lines) if line.startswith("NO")]
    assert [scans[i] for i in refused] == ["CMD:OVERRIDE:REFUND_CAP"]  # it waits for a supervisor
    pin = scans[scans.index("BADGE-9001") + 1]
    assert lines[scans.index(pin)].startswith("OK  'PIN'") and pin not in run.stdout + run.stderr
    assert "PIN for Sam to approve refund cap on RMA-1000001, 310.00 EUR" in run.stderr

    log = subprocess.run(
        ["station", "events", "--json"], cwd=tmp_path, capture_output=True, text=True, env=env, timeout=60
    )
    events = [json.loads(line) for line in log.stdout.splitlines()]
    by_type = {e["type"]: e["data"] for e in events}
    assert by_type["override.granted"] == {
        "kind": "refund_cap",
        "subject": "RMA-1000001",
        "amount": 310.0,
        "currency": "EUR",
        "reason": "refund above the cap of 250.00 EUR",
        "requester": "1001",
        "approver": "9001",
        "pin_verified": True,
    }
    refund = by_type["refund.eligible"]
    assert (refund["amount"], refund["capped"], refund["cap_lifted_by"]) == (310.0, False, "9001")
    assert by_type["return.completed"]["missing"] == 1  # the second cable, as the README says
    assert (tmp_path / "share" / "hubstation" / "station.db").is_file()  # the default data folder
