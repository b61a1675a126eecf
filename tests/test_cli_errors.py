"""No traceback reaches a user: expected failures are one sentence and a non-zero exit, an unexpected one
says where its traceback was logged; no control character from data reaches the terminal."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from station.cli import main
from station.cli.terminal import clean, json_line
from tests.station_cli import DATA, station

LABEL = {
    "lpn": "LPNAB12345",
    "rma": "RMA-1000001",
    "grade": "A",
    "disposition": "restock",
    "bin": "BIN-A-01",
    "date": "2026-12-01",
    "operator": "Ana",
}
#: clear the screen, set the window title, ring the bell, an 8-bit CSI, a right-to-left override
NASTY = "\x1b[2J\x1b]0;pwned\x07\x9b31m\u202eX"


def _one_sentence(result: object, *phrases: str) -> str:
    err: str = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, err  # type: ignore[attr-defined]
    lines = [line for line in err.strip().splitlines() if not line.startswith("No config file")]
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in err, err
    for phrase in phrases:
        assert phrase in err, err
    return lines[0]


def test_unwritable_output_is_one_sentence(tmp_path: Path) -> None:
    data = tmp_path / "label.json"
    data.write_text(json.dumps(LABEL))
    out = tmp_path / "no-such-folder" / "label.png"
    result = station(tmp_path / "d", "label", "render", "return_lpn", "--data", str(data), "-o", str(out))
    _one_sentence(result, f"{out}: No such file or directory: it does not exist")


def test_port_in_use_is_one_sentence(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = station(tmp_path / "d", "printer-sim", "--port", str(port))
    _one_sentence(result, "the port is in use by another program", "--port")


def test_unusable_data_folder_is_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    _one_sentence(station(blocker / "data", "events"), f"{blocker / 'data'}", "(Not a directory)")
    _one_sentence(station(blocker / "data", "run", "--headless", "--scanner", "stdin:"), "(Not a directory)")


def test_bad_files_are_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(b"\xff\xfe{not json")
    _one_sentence(station(tmp_path / "d", "manifest", "load", str(bad)), f"{bad}: expected UTF-8 text")
    out = tmp_path / "x.zpl"
    _one_sentence(
        station(tmp_path / "d", "label", "render", "return_lpn", "--data", str(bad), "-o", str(out))
    )


def test_an_unexpected_failure_says_where_its_traceback_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A bug cannot be asked for from the real commands (they are meant to have none), so one is added to
    # the real group for this test.
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("STATION_CONFIG", "")

    @main.command("bug-for-test")
    def bug() -> None:
        raise ZeroDivisionError("a bug")

    try:
        result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "d"), "bug-for-test"])
    finally:
        main.commands.pop("bug-for-test")
    assert result.exit_code == 3
    log = tmp_path / "state" / "hubstation" / "log" / "station.log"
    assert result.stderr.strip() == (
        f"error: Unexpected failure (ZeroDivisionError: a bug); nothing more was done. The details are in "
        f"{log}: please send that file to support."
    )
    assert "Traceback" in log.read_text() and 'raise ZeroDivisionError("a bug")' in log.read_text()


def test_no_escape_sequence_from_a_manifest_reaches_the_terminal(tmp_path: Path) -> None:
    manifest = json.loads((DATA / "manifest.json").read_text())
    manifest["returns"][0]["customer"] = f"A. Jansen{NASTY}"
    for item in manifest["returns"][0]["items"]:
        item["title"] = f"Phone{NASTY}"
    operators = json.loads((DATA / "operators.json").read_text())
    operators["operators"][0]["name"] = f"Ana{NASTY}"
    file, people = tmp_path / "nasty.json", tmp_path / "nasty-operators.json"
    file.write_text(json.dumps(manifest))
    people.write_text(json.dumps(operators))
    data = tmp_path / "data"
    assert station(data, "manifest", "load", str(file)).returncode == 0
    assert station(data, "operators", "load", str(people)).returncode == 0
    run = station(
        data,
        "run",
        "--headless",
        "--scanner",
        "stdin:",
        stdin="BADGE-1001\nRMA-1000001\n]C1010950110153000321SN-1\n",
    )
    shown = run.stdout + run.stderr
    assert run.stdout.count("OK") == 3, shown
    assert "Ana\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m\\u202eX" in run.stdout  # the name, escaped
    listing = station(data, "events")
    as_json = station(data, "events", "--json")
    for text in (shown, listing.stdout, as_json.stdout):
        assert not any(ch in text for ch in "\x1b\x07\x9b\u202e"), repr(text)


def test_clean_and_json_line_escape_every_control() -> None:
    assert clean("a\x1b[31mb\tc\x7f\x85\u2028") == "a\\x1b[31mb\\x09c\\x7f\\x85\\u2028"
    doc = {"t": "x\x1b\x9b\x7f\u202ey"}
    line = json_line(doc)
    assert json.loads(line) == doc and "\x9b" not in line and "\x1b" not in line
    assert clean(click.style("ok", fg="red")) == "\\x1b[31mok\\x1b[0m"
