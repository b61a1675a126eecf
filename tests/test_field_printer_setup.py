"""``station printer setup``: settings, calibration and a test label reach the printer simulator."""

from __future__ import annotations

import time
from pathlib import Path

from click.testing import CliRunner

from station.cli import main
from station.devices.printers.simulator import PrinterSimulator
from station.field.printer_setup import label_size, settings_zpl
from station.field.profiles import printer_families


def _config(tmp_path: Path, size: str = "4x2", dpi: int = 300) -> Path:
    config = tmp_path / "station.toml"
    config.write_text(f'data_dir = "{tmp_path}"\n[label]\nsize = "{size}"\ndpi = {dpi}\n')
    return config


def _wait_labels(sim: PrinterSimulator, n: int) -> None:
    deadline = time.monotonic() + 5
    while len(sim.labels) < n and time.monotonic() < deadline:
        time.sleep(0.02)


def test_settings_follow_the_label_size_and_resolution() -> None:
    family = printer_families()["zd-thermal-transfer"]
    assert b"^PW1200^LL600" in settings_zpl(family, label_size("4x2"), 300)
    assert settings_zpl(family, label_size("4x6"), 203).startswith(b"^XA^MTT")


def test_setup_sends_settings_and_a_test_label(tmp_path: Path, printer_sim: PrinterSimulator) -> None:
    uri = f"tcp://127.0.0.1:{printer_sim.port}"
    result = CliRunner().invoke(main, ["--config", str(_config(tmp_path)), "printer", "setup", uri])
    assert result.exit_code == 0, result.output
    assert "settings, calibration, test label" in result.output and "ready" in result.output
    _wait_labels(printer_sim, 2)
    settings, test = printer_sim.labels[:2]
    assert b"^PW1200^LL600" in settings and b"^JUS" in settings and b"~SD15" in settings
    assert b"PRINTER TEST" in test and b"^PW1200^LL600" in test


def test_setup_on_a_printer_out_of_paper_exits_1(tmp_path: Path, printer_sim: PrinterSimulator) -> None:
    printer_sim.set_fault("paper_out")
    uri = f"tcp://127.0.0.1:{printer_sim.port}"
    result = CliRunner().invoke(main, ["--config", str(_config(tmp_path)), "printer", "setup", uri])
    assert result.exit_code == 1
    assert "load a new roll" in result.output


def test_setup_with_the_printer_off_says_so(tmp_path: Path, printer_sim: PrinterSimulator) -> None:
    uri = f"tcp://127.0.0.1:{printer_sim.port}"
    printer_sim.stop()
    result = CliRunner().invoke(main, ["--config", str(_config(tmp_path)), "printer", "setup", uri])
    assert result.exit_code == 2
    assert "cannot be reached" in result.output


def test_unknown_family_lists_the_known_ones(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["--config", str(_config(tmp_path)), "printer", "setup", "tcp://127.0.0.1:9", "--family", "x"]
    )
    assert result.exit_code == 2 and "zd-direct-thermal" in result.output
