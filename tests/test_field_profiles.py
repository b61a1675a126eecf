"""Scanner profiles and their sheets: every code decodes (zxing-cpp) to the code in its profile.

The symbol-level checks (start code, FNC3 position, check character) are in tests/test_scanner_sheets.py.
"""

from __future__ import annotations

import io
import json
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
    CONFIDENCE,
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
from station.field.sheets import Sheet, check_sheet, programming_sheet, sheet_note

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
        assert not p.verified  # no sheet was tried on a scanner yet (the one-scanner test: deploy/README.md)
        for code in p.codes:
            assert code.section and code.page and code.source
            assert code.confidence in CONFIDENCE  # "placeholder" is gone
            assert bool(code.data) == (code.how == "barcode")


@pytest.mark.parametrize("path", PROFILE_FILES, ids=[p.stem for p in PROFILE_FILES])
@pytest.mark.parametrize("dpi", [203, 300])
def test_every_code_on_the_sheet_decodes_to_its_profile(path: Path, dpi: int) -> None:
    profile = parse_scanner_profile(tomllib.loads(path.read_text()), str(path))
    sheet = programming_sheet(profile, dpi)
    assert_sheet_carries(profile, sheet, "keyboard")
    assert len(sheet.zpl()) == len(sheet.layouts)


def assert_sheet_carries(profile: ScannerProfile, sheet: Sheet, interface: str) -> None:
    """Each barcode decodes to its profile code (and the CR the family ends with), FNC3 where asked."""
    found = decoded(sheet.png())
    cr = "\r" if profile.ends_with_cr else ""
    assert [b.text for b in found] == [c.data + cr for c in profile.sheet_codes(interface)]
    assert all(b.format == zxingcpp.BarcodeFormat.Code128 for b in found)
    if profile.fnc3:  # zxing-cpp reports FNC3 (first or last) as ReaderInit
        assert all((b.extra or {}).get("ReaderInit") for b in found)
    zpl = b"".join(sheet.zpl())
    first, last = zpl.count(b"^FD>:>2"), zpl.count(b">2^FS")
    assert (first, last) == (
        len(found) if profile.fnc3 == "first" else 0,
        len(found) if profile.fnc3 == "last" else 0,
    )
    cr_fields = zpl.count(b">777^FS") + zpl.count(b">777>2^FS")  # >7 subset A, 77 = CR's code value there
    assert cr_fields == (len(found) if profile.ends_with_cr else 0)


@pytest.mark.parametrize("fnc3", [None, "first", "last"])
@pytest.mark.parametrize("cr", [True, False])
@pytest.mark.parametrize("interface", ["keyboard", "serial"])
def test_fnc3_cr_and_the_interface_code_exactly_as_asked(fnc3: str | None, cr: bool, interface: str) -> None:
    raw = _raw(PROFILE_FILES[0]) | {"fnc3": fnc3, "ends_with_cr": cr}
    if fnc3 is None:
        del raw["fnc3"]
    profile = parse_scanner_profile(raw, "x.toml")
    assert_sheet_carries(profile, programming_sheet(profile, interface=interface), interface)
    settings = [c.setting for c in profile.sheet_codes(interface)]
    other = "serial" if interface == "keyboard" else "keyboard"
    assert f"interface_{interface}" in settings and f"interface_{other}" not in settings
    with pytest.raises(ProfileError, match="keyboard, serial"):
        profile.sheet_codes("bluetooth")


@pytest.mark.parametrize("model", ["DS2208", "1950g", "QD2430"])
@pytest.mark.parametrize("interface", ["keyboard", "serial"])
def test_sheet_order_is_reset_then_interface_then_settings(model: str, interface: str) -> None:
    profile = find_scanner_profile(model)
    settings = [c.setting for c in profile.sheet_codes(interface)]
    framed = settings[1:-1] if profile.around else settings
    resets = [s for s in ("remove_custom_defaults", "defaults") if s in framed]
    assert framed[: len(resets) + 1] == [*resets, f"interface_{interface}"]
    assert len(framed) == len(set(framed))


def test_honeywell_resets_custom_defaults_before_activating_defaults() -> None:
    codes = find_scanner_profile("1950g").sheet_codes()
    assert [c.data for c in codes[:3]] == ["~DEFOVR.", "~DEFALT.", "~PAP124."]
    assert all(c.data.startswith("~") and c.data.endswith(".") for c in codes)


def test_zebra_prints_no_invented_code_and_says_what_the_reset_covers() -> None:
    zebra = find_scanner_profile("DS2208")
    on_sheet = {c.setting for c in zebra.sheet_codes()}
    assert "aim_id" not in on_sheet and zebra.code("aim_id").how == "vendor-tool"
    by_reset = {c.setting for c in zebra.not_on_sheet("reset")}
    assert by_reset == {"keyboard_us", "gs_as_key", "code128", "gs1_128", "ean_upc", "upc_a"}
    note = sheet_note(zebra)
    assert "Zebra 123Scan" in note and "AIM Code ID Character" in note and "station scanner check" in note
    assert all(c.caption in note for c in zebra.not_on_sheet("reset"))
    assert "N002D01" not in b"".join(programming_sheet(zebra).zpl()).decode()


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


def _code(raw: dict, setting: str) -> dict:
    return next(c for c in raw["codes"] if c["setting"] == setting)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: r["codes"].pop(), "a code for each of"),
        (lambda r: r["codes"][0].update(data="ÄÖÜ"), "printable ASCII"),
        (lambda r: r["codes"][0].update(data="X" * 31), "1 to 30"),
        (lambda r: r["codes"][0].update(caption=""), "1 to 26"),
        (
            lambda r: r["codes"][0].update(confidence="placeholder"),
            "decoded, vendor-data, secondary, inferred",
        ),
        (lambda r: r["codes"][0].update(confidence="manual"), "code 'defaults': confidence"),
        (lambda r: r["codes"][0].pop("confidence"), "code 'defaults': confidence"),
        (lambda r: r["codes"][0].update(source=""), "1 to 400"),
        (lambda r: r["codes"][0].pop("source"), "code 'defaults': source"),
        (lambda r: r["codes"][0].update(how="maybe"), "barcode, reset, vendor-tool"),
        (lambda r: _code(r, "aim_id").update(data="N002D01"), "nothing invented"),
        (lambda r: _code(r, "keyboard_us").update(data="X1"), "nothing invented"),
        (
            lambda r: (
                _code(r, "interface_serial").update(how="reset", data=None)
                or _code(r, "interface_serial").pop("data")
            ),
            "code 'interface_serial'",
        ),
        (lambda r: r.pop("vendor_tool"), "vendor_tool"),
        (lambda r: r.pop("version"), "version"),
        (lambda r: r.update(fnc3="yes"), "first or last"),
        (lambda r: r.update(fnc3=True), "first or last"),
        (lambda r: r.update(ends_with_cr=1), "true or false"),
        (lambda r: r["codes"].append(dict(r["codes"][0])), "each setting once"),
        (lambda r: r.update(verified="no"), "true or false"),
        (lambda r: r.update(verified=True), "verified_by"),
        (lambda r: r.update(verified_by="2026-12-15 ams-1 DS2208"), "no record while verified = false"),
        (lambda r: r.update(around="nothing"), "code 'nothing'"),
        (lambda r: r.update(models=[]), "a list of model names"),
    ],
)
def test_bad_profiles_are_refused_with_file_and_code(change, message: str) -> None:
    raw = _raw(next(p for p in PROFILE_FILES if p.stem.startswith("zebra")))
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
    zebra = find_scanner_profile("DS2208")
    assert [b.text for b in decoded(out.read_bytes())] == [c.data for c in zebra.sheet_codes()]
    assert "not verified" in result.output
    listed = [line for line in result.output.splitlines() if line.startswith(("  1.", "  2.", "  -  "))]
    assert listed[0].split()[1:5] == ["Set", "Factory", "Defaults", "92"] and "[decoded]" in listed[0]
    assert "AngangGuo/blog" in listed[0]
    assert any("AIM Code ID Character" in line and "Zebra 123Scan" in line for line in listed)
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
    assert b">:>=VSUFCR.>2^FS" in b"".join(printer_sim.labels)  # ~ is >= in ^BC data, FNC3 (>2) last
    both = runner.invoke(main, ["scanner", "sheet", "1950g"])
    assert both.exit_code == 2 and "--printer URI" in both.output
    unknown = runner.invoke(main, ["scanner", "sheet", "XYZ-1", "-o", str(out)])
    assert unknown.exit_code == 2 and "No scanner profile" in unknown.output


def test_a_verified_profile_carries_the_record_of_its_one_scanner_test() -> None:
    raw = _raw(PROFILE_FILES[0]) | {"verified": True, "verified_by": "2026-12-15 ams-1 QD2430 fw 1.2, both"}
    assert parse_scanner_profile(raw, "x.toml").verified_by.startswith("2026-12-15 ams-1")


def test_profiles_cli_lists_each_family() -> None:
    result = CliRunner().invoke(main, ["scanner", "profiles"])
    assert result.exit_code == 0
    assert "DS2208" in result.output and "NOT verified" in result.output


def test_profiles_cli_json_gives_each_codes_source_and_confidence() -> None:
    result = CliRunner().invoke(main, ["scanner", "profiles", "--json"])
    assert result.exit_code == 0, result.output
    doc = {p["family"]: p for p in json.loads(result.output)}
    honeywell = doc["honeywell-voyager-xenon"]
    assert honeywell["fnc3"] == "last" and honeywell["verified"] is False
    serial = next(c for c in honeywell["codes"] if c["setting"] == "interface_serial")
    assert serial["data"] == "~TRMUSB130." and serial["confidence"] == "decoded"
    assert "jeonghanlee/hw-xenon1900" in serial["source"]
    zebra_aim = next(c for c in doc["zebra-ds22xx-ds4608"]["codes"] if c["setting"] == "aim_id")
    assert (zebra_aim["how"], zebra_aim["data"]) == ("vendor-tool", "")
    for profile in doc.values():
        assert all(c["source"] and c["confidence"] in CONFIDENCE for c in profile["codes"])
