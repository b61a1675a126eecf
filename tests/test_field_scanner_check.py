"""``station scanner check``: each wrong setting named from three test scans; over a pty and stdin too."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable

from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from station.cli import main
from station.devices.scanners.layouts import LAYOUTS
from station.field.scanner_check import GS, TEST_CODES, Received, analyse, translate
from tests.fixtures_scanners import Pty

GOOD = [c.aim + c.data for c in TEST_CODES]


def settings_of(texts: list[str], **kw: object) -> set[str]:
    return {f.setting for f in analyse([Received(t) for t in texts], **kw)}  # type: ignore[arg-type]


def test_a_well_set_scanner_has_no_findings() -> None:
    assert analyse([Received(t, terminated=True) for t in GOOD]) == []


def test_no_aim_id() -> None:
    assert settings_of([c.data for c in TEST_CODES]) == {"aim_id"}


def test_gs_dropped_names_the_lot_and_serial() -> None:
    findings = analyse([Received(t.replace(GS, "")) for t in GOOD])
    assert [f.setting for f in findings] == ["gs_as_key"]
    assert "serial" in findings[0].problem


def test_wrong_keyboard_layout_both_ways() -> None:
    german = [translate(t, LAYOUTS["de"], LAYOUTS["us"]) for t in GOOD]
    assert "LOTZY" in german[0]  # y and z swapped, as a person would see it
    findings = analyse([Received(t) for t in german])
    assert [f.setting for f in findings] == ["keyboard_us"]
    assert "layout=de" in findings[0].fix
    us_read_as_de = [translate(t, LAYOUTS["us"], LAYOUTS["de"]) for t in GOOD]
    assert settings_of(us_read_as_de, reader_layout="de") == {"keyboard_us"}


def test_no_suffix_scans_run_together_or_end_by_a_gap() -> None:
    assert settings_of(["".join(GOOD)]) == {"suffix_cr"}
    assert {f.setting for f in analyse([Received(t, terminated=False) for t in GOOD])} == {"suffix_cr"}


def test_several_faults_at_once() -> None:
    texts = [translate(c.data.replace(GS, ""), LAYOUTS["de"], LAYOUTS["us"]) for c in TEST_CODES]
    assert settings_of(texts) == {"aim_id", "gs_as_key", "keyboard_us"}


def test_gs1_reading_off_shows_as_another_aim_id() -> None:
    texts = ["]C0" + TEST_CODES[0].data, *GOOD[1:]]
    findings = analyse([Received(t) for t in texts])
    assert [f.setting for f in findings] == ["gs1_128"]
    assert "]C0" in findings[0].problem


def test_the_wrong_code_is_named() -> None:
    findings = analyse([Received(t) for t in [GOOD[1], GOOD[0], GOOD[2]]])
    assert {f.setting for f in findings} == {"unknown_1", "unknown_2"}
    assert "in their order" in findings[0].fix


@settings(max_examples=300, deadline=None)
@given(st.lists(st.builds(Received, st.text(), st.sampled_from([True, False, None])), max_size=5))
def test_any_input_gives_findings_never_an_error(received: list[Received]) -> None:
    for f in analyse(received):
        assert f.setting and f.problem and f.fix


def _type_into(pty: Pty, chunks: list[bytes]) -> threading.Thread:
    def feed() -> None:
        time.sleep(0.3)
        for chunk in chunks:
            pty.write(chunk)
            time.sleep(0.6)  # longer than the quiet gap that ends a scan without CR

    thread = threading.Thread(target=feed, daemon=True)
    thread.start()
    return thread


def test_cli_over_a_serial_scanner_without_suffix(make_pty: Callable[[], Pty]) -> None:
    pty = make_pty()
    feeder = _type_into(pty, [t.encode() for t in GOOD])
    result = CliRunner().invoke(
        main, ["scanner", "check", "--scanner", f"serial://{pty.path}", "--timeout", "5", "--json"]
    )
    feeder.join()
    assert result.exit_code == 1, result.output
    doc = json.loads(result.output)
    assert [f["setting"] for f in doc["findings"]] == ["suffix_cr"]
    assert doc["scans"] == GOOD


def test_cli_over_a_serial_scanner_set_up_right(make_pty: Callable[[], Pty]) -> None:
    pty = make_pty()
    feeder = _type_into(pty, [t.encode() + b"\r" for t in GOOD])
    result = CliRunner().invoke(
        main, ["scanner", "check", "--scanner", f"serial://{pty.path}", "--timeout", "5"]
    )
    feeder.join()
    assert result.exit_code == 0, result.output
    assert "are right" in result.output


def test_cli_from_stdin_names_the_setting_and_where_its_code_is(tmp_path) -> None:
    lines = "".join(c.data.replace(GS, "") + "\n" for c in TEST_CODES)
    config = tmp_path / "station.toml"
    config.write_text(f'scanners = ["stdin:"]\ndata_dir = "{tmp_path}"\n')
    result = subprocess.run(
        [sys.executable, "-m", "station.cli", "--config", str(config), "scanner", "check"],
        input=lines,
        capture_output=True,
        text=True,
        timeout=30,
        env={**os.environ, "STATION_CONFIG": ""},
    )
    assert result.returncode == 1, result.stderr
    assert "WRONG aim_id" in result.stdout and "WRONG gs_as_key" in result.stdout
    assert "station scanner sheet MODEL" in result.stdout
    assert "Scan test code 2" in result.stderr


def test_no_scan_at_all_says_so() -> None:
    assert settings_of([]) == {"no_scan"}


def test_cli_writes_the_test_sheet(tmp_path) -> None:
    out = tmp_path / "check.png"
    result = CliRunner().invoke(main, ["scanner", "check", "--sheet", "-o", str(out)])
    assert result.exit_code == 0 and out.stat().st_size > 1000
