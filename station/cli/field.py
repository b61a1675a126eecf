"""``station scanner ...``, ``station printer setup`` and ``station doctor``: set up and check a station."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import click

from station.cli.root import pass_config
from station.cli.terminal import clean, json_line
from station.field.profiles import INTERFACES, ScannerProfile
from station.runtime.config import Config

#: Findings fixed by scanning a code of the profile's sheet.
_PROFILE_SETTINGS = ("suffix_cr", "aim_id", "gs_as_key", "keyboard_us", "gs1_128", "datamatrix", "qr")
_DPI = click.option(
    "--dpi", type=click.Choice(["203", "300"]), help="Printer resolution (else the config's)."
)


def _send_or_write(sheet: object, printer_uri: str | None, output: Path | None, what: str) -> None:
    from station.devices.printers import open_printer
    from station.field.sheets import Sheet

    assert isinstance(sheet, Sheet)
    if (printer_uri is None) == (output is None):
        raise click.UsageError("Give either --printer URI (print it) or -o FILE.png (show it on screen).")
    if output is not None:
        output.write_bytes(sheet.png())
        click.echo(f"{output}: {what}, {len(sheet.layouts)} page(s)")
        return
    assert printer_uri is not None
    printer = open_printer(printer_uri, timeout=2.0)
    printer.send(b"".join(sheet.zpl()), name="sheet")
    click.echo(f"printed {what} on {printer_uri}: {len(sheet.layouts)} label(s)")


@click.group()
def scanner() -> None:
    """Barcode scanners: programming sheets from the profiles, and a check of the settings."""


@scanner.command("profiles")
@click.option("--json", "as_json", is_flag=True, help="Every profile with each code's source and confidence.")
def profiles_cmd(as_json: bool) -> None:
    """List the scanner profiles (firmware-config/scanners) and the models they cover."""
    from dataclasses import asdict

    from station.field.profiles import scanner_profiles

    profiles = scanner_profiles()
    if as_json:
        click.echo(json_line([asdict(p) for p in profiles]))
        return
    for p in profiles:
        state = "verified" if p.verified else "NOT verified on a device"
        click.echo(f"{p.family:<30} {p.version}  {', '.join(p.models)}  ({state})")


def _describe(profile: ScannerProfile, interface: str) -> None:
    """Each code of the sheet in order, then the settings it has no code for: source and confidence."""
    fnc3 = f"FNC3 {profile.fnc3}" if profile.fnc3 else "no FNC3"
    cr = ", CR at the end" if profile.ends_with_cr else ""
    click.echo(f"{profile.family} {profile.version} ({interface}): Code 128, {fnc3}{cr}. Scan in this order:")
    for n, c in enumerate(profile.sheet_codes(interface), 1):
        click.echo(f"{n:>3}. {c.caption:<26} {c.data:<27} [{c.confidence}] {c.source}")
    for how, what in (("reset", "set by the reset"), ("vendor-tool", f"set with {profile.vendor_tool}")):
        for c in profile.not_on_sheet(how):
            click.echo(f"  -  {c.caption:<26} {'(no code: ' + what + ')':<27} [{c.confidence}] {c.source}")


@scanner.command("sheet")
@click.argument("model")
@click.option("--printer", "printer_uri", help="Print the sheet on this printer (tcp://..., usb://...).")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="Write it as PNG.")
@click.option(
    "--interface",
    type=click.Choice(INTERFACES),
    default="keyboard",
    show_default=True,
    help="How the scanner talks to the station: USB keyboard (HID) or USB serial (CDC).",
)
@_DPI
@pass_config
def sheet_cmd(
    config: Config,
    model: str,
    printer_uri: str | None,
    output: Path | None,
    interface: str,
    dpi: str | None,
) -> None:
    """The programming sheet for MODEL (a model such as DS2208 or 1950g, or a family): scan top to bottom."""
    from station.field.profiles import find_scanner_profile
    from station.field.sheets import programming_sheet

    profile = find_scanner_profile(model)
    sheet = programming_sheet(profile, int(dpi or config.label_dpi), interface)
    _describe(profile, interface)
    if not profile.verified:
        click.echo(
            f"warning: the {profile.family} profile was not verified on a device: no scanner of this family "
            "has been set up from this sheet yet; codes not marked 'decoded' are the least proven. "
            "deploy/README.md says how to test one scanner and record it.",
            err=True,
        )
    _send_or_write(sheet, printer_uri, output, f"{profile.family} programming sheet ({interface})")
    click.echo(
        f'In the station config: scanners = ["{profile.reader_uri(interface)}"] (SERIAL: the scanner\'s '
        "serial number, as in ls /dev/hub). Then run 'station scanner check' to test the settings."
    )


@scanner.command("check")
@click.option("--scanner", "uri", help="Scanner URI (else the first configured scanner).")
@click.option("--timeout", type=float, default=60.0, show_default=True, help="Seconds to wait for the scans.")
@click.option("--sheet", is_flag=True, help="Print or write the three test codes instead of checking.")
@click.option("--printer", "printer_uri", help="With --sheet: print the test codes here.")
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), help="With --sheet: PNG.")
@click.option("--json", "as_json", is_flag=True, help="The findings as one JSON document.")
@pass_config
def check_cmd(
    config: Config,
    uri: str | None,
    timeout: float,
    sheet: bool,
    printer_uri: str | None,
    output: Path | None,
    as_json: bool,
) -> None:
    """Scan the three test codes (GS1-128, GS1 DataMatrix, QR) and learn which setting is wrong."""
    from station.devices.scanners.uri import parse_scanner_uri
    from station.field.scan_input import read_scans
    from station.field.scanner_check import TEST_CODES, analyse
    from station.field.sheets import check_sheet

    if sheet:
        _send_or_write(check_sheet(config.label_dpi), printer_uri, output, "scanner check codes")
        return
    target = uri or (config.scanners[0] if config.scanners else "stdin:")
    layout = "us"
    if target.startswith("evdev:"):
        layout = parse_scanner_uri(target, "", ("layout", "gs", "gap"), True).option("layout", "us")

    def prompt(n: int) -> None:
        if n <= len(TEST_CODES) and not as_json:
            click.echo(f"Scan test code {n}: {TEST_CODES[n - 1].name}", err=True)

    received = read_scans(target, len(TEST_CODES), timeout, prompt)
    findings = analyse(received, layout)
    if as_json:
        doc = {
            "scanner": target,
            "scans": [r.text for r in received],
            "ok": not findings,
            "findings": [{"setting": f.setting, "problem": f.problem, "fix": f.fix} for f in findings],
        }
        click.echo(json_line(doc))
    elif not findings:
        click.echo(
            "All three scans arrived as they should: suffix, AIM id, GS and keyboard layout are right."
        )
    for f in [] if as_json else findings:
        where = " (its code is on 'station scanner sheet MODEL')" if f.setting in _PROFILE_SETTINGS else ""
        click.echo(clean(f"WRONG {f.setting}: {f.problem}. Fix: {f.fix}{where}."))
    if findings:
        sys.exit(1)


@click.command("setup")
@click.argument("uri", required=False)
@click.option(
    "--family", default="zd-direct-thermal", show_default=True, help="Printer family (firmware-config)."
)
@click.option("--no-calibrate", is_flag=True, help="Skip the media calibration (~JC).")
@pass_config
def printer_setup_cmd(config: Config, uri: str | None, family: str, no_calibrate: bool) -> None:
    """Send the family's settings for the configured label size, calibrate, and print a test label."""
    from station.field.printer_setup import label_size, set_up_printer
    from station.field.profiles import ProfileError, printer_families

    families = printer_families()
    if family not in families:
        raise ProfileError(f"No printer family {family!r}; expected one of {', '.join(sorted(families))}.")
    target = uri or config.printer_uri
    result = set_up_printer(
        target,
        families[family],
        label_size(config.label_size),
        config.label_dpi,
        f"{config.hub}/{config.station}",
        calibrate=not no_calibrate,
    )
    what = f"{family}, {config.label_size} in, {config.label_dpi} dpi"
    click.echo(f"sent to {target}: {', '.join(result.sent)} ({what})")
    click.echo(clean(f"printer: {result.status.state.value} - {result.status.detail}"))
    if not result.status.ready:
        sys.exit(1)


@click.command("doctor")
@click.option("--json", "as_json", is_flag=True, help="One JSON document: ok, seconds and every check.")
@click.option("--deadline", type=float, default=4.0, show_default=True, help="Seconds for all checks.")
@pass_config
def doctor_cmd(config: Config, as_json: bool, deadline: float) -> None:
    """Check config, scanners, printer, broker, disk, clock and database; exit 1 when something is wrong."""
    from station.field.doctor import doctor, healthy
    from station.field.findings import Status

    started = time.monotonic()
    checks = doctor(config, deadline)
    ok = healthy(checks)
    if as_json:
        doc = {
            "ok": ok,
            "seconds": round(time.monotonic() - started, 3),
            "checks": [c.as_dict() for c in checks],
        }
        click.echo(json_line(doc))
    else:
        for c in checks:
            click.echo(clean(f"{c.status.value.upper():<4} {c.name}: {c.detail}"))
            if c.fix and c.status is not Status.OK:
                click.echo(f"     fix: {c.fix}")
        bad = sum(c.status is Status.FAIL for c in checks)
        click.echo("All checks passed." if ok else f"{bad} problem(s) found.")
    if not ok:
        sys.exit(1)
