"""The label and printer commands as a person runs them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from station.cli import main
from station.devices.printers.simulator import PrinterSimulator
from tests.fixtures_printers import SAMPLES


def run(tmp_path: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, ["--data-dir", str(tmp_path / "data"), *args])
    return result.exit_code, result.output


def test_templates_list_their_fields(tmp_path: Path) -> None:
    code, out = run(tmp_path, "label", "templates", "--json")
    assert code == 0
    doc = {t["name"]: t for t in json.loads(out)}
    assert set(doc) == set(SAMPLES)
    lpn = doc["return_lpn"]["fields"][0]
    assert lpn == {
        "name": "lpn",
        "kind": "code128",
        "limit": 20,
        "required": True,
        "description": "licence plate number, printed as Code 128",
    }


def test_render_print_status_and_reprint(tmp_path: Path, printer_sim: PrinterSimulator) -> None:
    data = tmp_path / "lpn.json"
    data.write_text(json.dumps(SAMPLES["return_lpn"] | {"title": "Mug \U0001f642"}))
    code, out = run(
        tmp_path,
        "label",
        "render",
        "return_lpn",
        "--data",
        str(data),
        "--format",
        "png",
        "-o",
        str(tmp_path / "a.png"),
    )
    assert code == 0 and (tmp_path / "a.png").read_bytes().startswith(b"\x89PNG")
    assert "U+1F642" in out
    uri = f"tcp://127.0.0.1:{printer_sim.port}"
    code, out = run(
        tmp_path, "print", "return_lpn", "--data", str(data), "--printer", uri, "--lpn", "LPN00012345"
    )
    assert code == 0 and "printed job 1" in out and len(printer_sim.labels) == 1
    code, out = run(tmp_path, "printer", "status", uri, "--json")
    assert code == 0 and json.loads(out.splitlines()[-1])["state"] == "ready"
    code, out = run(tmp_path, "printer", "reprint", "--lpn", "LPN00012345")
    assert code == 0 and "queued reprint job 2" in out
    printer_sim.set_fault("head_open")
    code, out = run(tmp_path, "printer", "status", uri)
    assert code == 1 and "head_open" in out


def test_bad_input_is_one_sentence_not_a_traceback(tmp_path: Path) -> None:
    data = tmp_path / "bad.json"
    data.write_text("{not json")
    code, out = run(tmp_path, "label", "render", "return_lpn", "--data", str(data), "-o", str(tmp_path / "x"))
    assert code == 2 and "not a readable JSON file" in out
    code, out = run(tmp_path, "printer", "reprint")
    assert code == 2 and "nothing to reprint" in out
