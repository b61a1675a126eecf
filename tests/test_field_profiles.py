"""Scanner profiles and their sheets: every code decodes (zxing-cpp) to the code in its profile."""

from __future__ import annotations

import io
import time
import tomllib
from pathlib import Path

import pytest
import zxingcpp
from click.testing import CliRunner
from PIL import Image

from station.cli import main
from station.core.errors import ConfigError
from station.devices.printers.simulator import PrinterSimulator
from station.field.profiles import (
    REQUIRED_SETTINGS,
    ProfileError,
    ScannerProfile,
    data_dir,
    find_scanner_profile,
    parse_scanner_profile,
    printer_families,
    scanner_profiles,
)
from station.field.scanner_check import TEST_CODES
from station.field.sheets import Sheet, check_sheet, programming_sheet

PROFILE_FILES = sorted((data_dir() / "scanners").glob("*.toml"))


def decoded(png: bytes) -> list[zxingcpp.Barcode]:
    """Every barcode on the image, top to bottom."""
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), text_mode=zxingcpp.TextMode.Plain)
    return sorted(found, key=lambda b: (b.position.top_left.y, b.position.top_left.x))


def test_three_families_each_with_every_setting() -> None:
    profiles = scanner_profiles()
    assert {p.vendor for p in profiles} >= {"Zebra", "Honeywell", "Datalogic"}
    for p in profiles:
        assert {c.setting for c in p.codes} >= set(REQUIRED_SETTINGS)
        assert not p.verified  # nothing here was tried on a real scanner, and the files say so
        for code in p.codes:
            assert code.section and code.page and code.confidence


@pytest.mark.parametrize("path", PROFILE_FILES, ids=[p.stem for p in PROFILE_FILES])
@pytest.mark.parametrize("dpi", [203, 300])
def test_every_code_on_the_sheet_decodes_to_its_profile(path: Path, dpi: int) -> None:
    profile = parse_scanner_profile(tomllib.loads(path.read_text()), str(path))
    sheet = programming_sheet(profile, dpi)
    assert_sheet_carries(profile, sheet, "keyboard")
    assert len(sheet.zpl()) == len(sheet.layouts)


def assert_sheet_carries(profile: ScannerProfile, sheet: Sheet, interface: str) -> None:
    """Each barcode decodes to its profile code (and the CR the family ends with), FNC3 as asked."""
    found = decoded(sheet.png())
    cr = "\r" if profile.ends_with_cr else ""
    assert [b.text for b in found] == [c.data + cr for c in profile.sheet_codes(interface)]
    assert all(b.format == zxingcpp.BarcodeFormat.Code128 for b in found)
    if profile.fnc3:  # zxing-cpp reports FNC3 as ReaderInit (also, wrongly, for a check character of 96)
        assert all((b.extra or {}).get("ReaderInit") for b in found)
    fnc3_fields = sum(z.count(b"^FD>:>2") for z in sheet.zpl())  # >2 is FNC3 in ZPL's subset B
    assert fnc3_fields == (len(found) if profile.fnc3 else 0)
    cr_fields = sum(z.count(b">777^FS") for z in sheet.zpl())  # >7 subset A, 77 = CR's code value there
    assert cr_fields == (len(found) if profile.ends_with_cr else 0)


@pytest.mark.parametrize("fnc3", [True, False])
@pytest.mark.parametrize("cr", [True, False])
@pytest.mark.parametrize("interface", ["keyboard", "serial"])
def test_fnc3_cr_and_the_interface_code_exactly_as_asked(fnc3: bool, cr: bool, interface: str) -> None:
    profile = parse_scanner_profile(_raw(PROFILE_FILES[0]) | {"fnc3": fnc3, "ends_with_cr": cr}, "x.toml")
    assert_sheet_carries(profile, programming_sheet(profile, interface=interface), interface)
    settings = [c.setting for c in profile.sheet_codes(interface)]
    other = "serial" if interface == "keyboard" else "keyboard"
    assert f"interface_{interface}" in settings and f"interface_{other}" not in settings
    with pytest.raises(ProfileError, match="keyboard, serial"):
        profile.sheet_codes("bluetooth")


def test_datalogic_sheet_enters_and_leaves_programming_mode() -> None:
    codes = find_scanner_profile("QD2430").sheet_codes()
    assert codes[0].setting == codes[-1].setting == "enter_programming"


def test_check_sheet_decodes_to_what_a_well_set_scanner_sends() -> None:
    found = decoded(check_sheet().png())
    assert [b.symbology_identifier + b.text for b in found] == [c.aim + c.data for c in TEST_CODES]


def test_models_are_found_case_insensitively_and_unknown_ones_listed() -> None:
    assert find_scanner_profile("ds2208").vendor == "Zebra"
    assert find_scanner_profile("1950G").vendor == "Honeywell"
    with pytest.raises(ProfileError, match="DS2208"):
        find_scanner_profile("no-such-scanner")


def _raw(path: Path) -> dict:
    return tomllib.loads(path.read_text())


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["codes"].pop(), "a code for each of"),
        (lambda r: r["codes"][0].update(data="ÄÖÜ"), "printable ASCII"),
        (lambda r: r["codes"][0].update(data="X" * 31), "1 to 30"),
        (lambda r: r["codes"][0].update(caption=""), "1 to 26"),
        (lambda r: r["codes"][0].update(confidence="sure"), "manual, secondary, recalled, placeholder"),
        (lambda r: r["codes"][0].update(source=""), "1 to 300"),
        (lambda r: r.update(fnc3="yes"), "true or false"),
        (lambda r: r.update(ends_with_cr=1), "true or false"),
        (lambda r: r["codes"].append(dict(r["codes"][0])), "each setting once"),
        (lambda r: r.update(verified="no"), "true or false"),
        (lambda r: r.update(around="nothing"), "one of its codes"),
        (lambda r: r.update(models=[]), "a list of model names"),
    ],
)
def test_bad_profiles_are_refused_with_file_and_key(change, message: str) -> None:
    raw = _raw(PROFILE_FILES[0])
    change(raw)
    with pytest.raises(ConfigError, match=message) as info:
        parse_scanner_profile(raw, "bad.toml")
    assert "bad.toml" in str(info.value)


def test_missing_or_broken_folder(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="No scanner profiles"):
        scanner_profiles(tmp_path)
    (tmp_path / "scanners").mkdir()
    (tmp_path / "scanners" / "x.toml").write_text("family = [")
    with pytest.raises(ConfigError, match="TOML"):
        scanner_profiles(tmp_path)


def test_printer_families_hold_the_setup_commands() -> None:
    families = printer_families()
    assert {"zd-direct-thermal", "zd-thermal-transfer"} <= set(families)
    for family in families.values():
        zpl = "".join(c.zpl for c in family.commands)
        for command in ("^MT", "~SD", "^PR", "^PW", "^LL", "^JUS"):
            assert command in zpl
        assert family.calibration.zpl == "~JC"


def test_sheet_cli_png_and_printer(tmp_path: Path, printer_sim: PrinterSimulator) -> None:
    runner = CliRunner()
    out = tmp_path / "sheet.png"
    result = runner.invoke(main, ["scanner", "sheet", "DS2208", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert [b.text for b in decoded(out.read_bytes())] == [
        c.data for c in find_scanner_profile("DS2208").sheet_codes()
    ]
    assert "not verified" in result.output
    assert 'scanners = ["evdev:///dev/hub/scanner-kbd-05e0-SERIAL' in result.output
    serial = runner.invoke(main, ["scanner", "sheet", "QD2430", "--interface", "serial", "-o", str(out)])
    assert serial.exit_code == 0, serial.output
    datalogic = find_scanner_profile("QD2430")
    assert [b.text for b in decoded(out.read_bytes())] == [
        c.data + "\r" for c in datalogic.sheet_codes("serial")
    ]
    assert 'scanners = ["serial:///dev/hub/scanner-05f9-SERIAL' in serial.output
    result = runner.invoke(
        main, ["scanner", "sheet", "1950g", "--printer", f"tcp://127.0.0.1:{printer_sim.port}"]
    )
    assert result.exit_code == 0, result.output
    pages = len(programming_sheet(find_scanner_profile("1950g")).layouts)
    deadline = time.monotonic() + 5
    while len(printer_sim.labels) < pages and time.monotonic() < deadline:
        time.sleep(0.02)
    assert len(printer_sim.labels) == pages
    assert b"VSUFCR" in b"".join(printer_sim.labels)
    both = runner.invoke(main, ["scanner", "sheet", "1950g"])
    assert both.exit_code == 2 and "--printer URI" in both.output
    unknown = runner.invoke(main, ["scanner", "sheet", "XYZ-1", "-o", str(out)])
    assert unknown.exit_code == 2 and "No scanner profile" in unknown.output


def test_profiles_cli_lists_each_family() -> None:
    result = CliRunner().invoke(main, ["scanner", "profiles"])
    assert result.exit_code == 0
    assert "DS2208" in result.output and "NOT verified" in result.output
