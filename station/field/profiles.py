"""The device profiles in firmware-config/: scanner programming codes and printer set-up, loaded and checked.

The data lives once, in the repository's ``firmware-config`` folder (see its README); :func:`data_dir` finds
it in a source checkout, through ``$HUBSTATION_FIRMWARE_CONFIG``, or where Ansible installs it.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from station.core.errors import ConfigError, StationError

ENV = "HUBSTATION_FIRMWARE_CONFIG"
INSTALLED = Path("/usr/share/hubstation/firmware-config")
#: Settings every scanner profile must cover (the station depends on each of them), by a code or otherwise.
REQUIRED_SETTINGS = (
    "defaults",
    "interface_keyboard",
    "interface_serial",
    "keyboard_us",
    "gs_as_key",
    "suffix_cr",
    "aim_id",
    "code128",
    "gs1_128",
    "ean_upc",
    "datamatrix",
    "qr",
)
#: The reset codes, scanned first and in this order (Honeywell: remove custom defaults, then defaults).
RESET_SETTINGS = ("remove_custom_defaults", "defaults")
#: How a scanner talks to the station: as a USB keyboard (evdev) or as a USB serial (CDC) port.
INTERFACES = ("keyboard", "serial")
#: How proven a code is: read from a vendor-printed barcode, taken from the vendor's own data or code,
#: from third-party code or pages, or inferred from a pattern.
CONFIDENCE = ("decoded", "vendor-data", "secondary", "inferred")
#: How a setting is made: by its own barcode, by the reset (a factory default with no sourced barcode), or
#: with the vendor's configuration tool (a needed setting with no sourced barcode: nothing is invented).
HOW = ("barcode", "reset", "vendor-tool")
FNC3_POSITIONS = ("first", "last")
MAX_DATA, MAX_CAPTION = 30, 26  # what the scanner_config label template holds


class ProfileError(StationError):
    """A profile is missing, unknown, or its file is wrong."""


def data_dir() -> Path:
    """The firmware-config folder: ``$HUBSTATION_FIRMWARE_CONFIG``, the checkout, or the installed copy."""
    env = os.environ.get(ENV)
    if env:
        return Path(env)
    checkout = Path(__file__).resolve().parents[2] / "firmware-config"
    return checkout if checkout.is_dir() else INSTALLED


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ProfileError(
            f"The device profile {path} is missing: reinstall the station or set ${ENV} to the "
            "firmware-config folder."
        ) from None
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(str(path), "", "a readable TOML profile", str(exc)) from None


def _text(raw: dict[str, Any], key: str, source: str, limit: int = 500, ascii_only: bool = False) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value or len(value) > limit:
        raise ConfigError(source, key, f"text of 1 to {limit} characters", value)
    if ascii_only and not all(0x20 <= ord(c) <= 0x7E for c in value):
        raise ConfigError(source, key, "printable ASCII only (it goes into a Code 128 barcode)", value)
    return value


@dataclass(frozen=True)
class ProgrammingCode:
    """One setting of a profile: what it sets, how, its caption, its data (barcodes only), and its evidence.

    ``source`` is where the data was read (a repository and path, or the vendor document and page);
    ``confidence`` one of :data:`CONFIDENCE`; ``how`` one of :data:`HOW`.
    """

    setting: str
    caption: str
    data: str
    section: str
    page: str
    confidence: str
    source: str
    how: str = "barcode"


@dataclass(frozen=True)
class ScannerProfile:
    family: str
    vendor: str
    version: str
    models: tuple[str, ...]
    usb_vendor_id: str
    manual: str
    verified: bool
    keyboard_uri: str
    serial_uri: str
    codes: tuple[ProgrammingCode, ...]
    around: str | None = None  # a code scanned first and again last (enter/exit programming mode)
    fnc3: str | None = None  # where FNC3 goes in every programming barcode: "first" or "last"
    ends_with_cr: bool = False  # every programming barcode's data ends with a CR (0x0D), not in ``data``
    vendor_tool: str = ""  # the vendor's configuration tool, for settings with no sourced barcode
    verified_by: str = ""  # the one-scanner test that verified the sheet: date, hub, model, firmware

    def code(self, setting: str) -> ProgrammingCode:
        return next(c for c in self.codes if c.setting == setting)

    def sheet_codes(self, interface: str = "keyboard") -> tuple[ProgrammingCode, ...]:
        """The barcodes to scan, in the vendor's order, for a scanner on ``interface``: the reset codes, the
        interface, then the settings in file order (the other interface's code left out), framed by
        ``around`` when the family needs it."""
        if interface not in INTERFACES:
            raise ProfileError(f"Unknown interface {interface!r}; expected one of {', '.join(INTERFACES)}.")
        skip = {f"interface_{other}" for other in INTERFACES if other != interface} | {self.around}
        codes = [c for c in self.codes if c.how == "barcode" and c.setting not in skip]
        resets = sorted(
            (c for c in codes if c.setting in RESET_SETTINGS), key=lambda c: RESET_SETTINGS.index(c.setting)
        )
        ordered = (
            *resets,
            self.code(f"interface_{interface}"),
            *(c for c in codes if c not in resets and not c.setting.startswith("interface_")),
        )
        if self.around is None:
            return ordered
        frame = self.code(self.around)
        return (frame, *ordered, frame)

    def not_on_sheet(self, how: str) -> tuple[ProgrammingCode, ...]:
        """The settings made another way (``reset`` or ``vendor-tool``): the sheet says so, prints no code."""
        return tuple(c for c in self.codes if c.how == how)

    def reader_uri(self, interface: str) -> str:
        """The scanner URI the station reads this family with on ``interface``."""
        return self.keyboard_uri if interface == "keyboard" else self.serial_uri


def _code(raw: object, source: str) -> ProgrammingCode:
    if not isinstance(raw, dict):
        raise ConfigError(source, "codes", "[[codes]] tables", raw)
    setting = _text(raw, "setting", source, 40)
    where = f"code {setting!r}"
    how, confidence = raw.get("how", "barcode"), raw.get("confidence")
    for key, value, allowed in (("confidence", confidence, CONFIDENCE), ("how", how, HOW)):
        if value not in allowed:
            raise ConfigError(source, f"{where}: {key}", "one of " + ", ".join(allowed), value)
    if how == "barcode":
        data = _text(raw, "data", f"{source}: {where}", MAX_DATA, ascii_only=True)
    elif "data" in raw:
        raise ConfigError(
            source, f"{where}: data", f"no data for a setting made by {how} (nothing invented)", raw["data"]
        )
    return ProgrammingCode(
        setting=setting,
        caption=_text(raw, "caption", f"{source}: {where}", MAX_CAPTION),
        data=data if how == "barcode" else "",
        section=_text(raw, "section", f"{source}: {where}"),
        page=_text(raw, "page", f"{source}: {where}", 60),
        confidence=str(confidence),
        source=_text(raw, "source", f"{source}: {where}", 400),
        how=how,
    )


def parse_scanner_profile(raw: dict[str, Any], source: str) -> ScannerProfile:
    """Check a parsed scanner profile (every required setting present, every code fits the sheet)."""
    codes = tuple(_code(c, source) for c in raw.get("codes", []))
    settings = [c.setting for c in codes]
    missing = [s for s in REQUIRED_SETTINGS if s not in settings]
    if missing:
        raise ConfigError(source, "codes", "a code for each of " + ", ".join(REQUIRED_SETTINGS), missing)
    if len(set(settings)) != len(settings):
        raise ConfigError(source, "codes", "each setting once", settings)
    barcodes = [c.setting for c in codes if c.how == "barcode"]
    around = raw.get("around")
    for needed in ("defaults", "interface_keyboard", "interface_serial", around):
        if needed is not None and needed not in barcodes:
            raise ConfigError(source, f"code {needed!r}", 'a barcode (how = "barcode") with data', needed)
    models = raw.get("models")
    if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
        raise ConfigError(source, "models", "a list of model names", models)
    flags = {key: raw.get(key, False) for key in ("verified", "ends_with_cr")}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise ConfigError(source, key, "true or false", value)
    fnc3 = raw.get("fnc3")
    if fnc3 is not None and fnc3 not in FNC3_POSITIONS:
        raise ConfigError(source, "fnc3", "first or last (where FNC3 goes), or no fnc3 key", fnc3)
    tool_needed = any(c.how == "vendor-tool" for c in codes)
    if "verified_by" in raw and not flags["verified"]:
        raise ConfigError(source, "verified_by", "no record while verified = false", raw["verified_by"])
    return ScannerProfile(
        family=_text(raw, "family", source, 60),
        vendor=_text(raw, "vendor", source, 60),
        version=_text(raw, "version", source, 20),
        models=tuple(models),
        usb_vendor_id=_text(raw, "usb_vendor_id", source, 4),
        manual=_text(raw, "manual", source),
        keyboard_uri=_text(raw, "keyboard_uri", source),
        serial_uri=_text(raw, "serial_uri", source),
        codes=codes,
        around=around,
        fnc3=fnc3,
        vendor_tool=_text(raw, "vendor_tool", source, 80) if tool_needed else "",
        verified_by=_text(raw, "verified_by", source, 200) if flags["verified"] else "",
        **flags,
    )


def scanner_profiles(root: Path | None = None) -> list[ScannerProfile]:
    """Every scanner profile in ``firmware-config/scanners``, sorted by family."""
    folder = (root or data_dir()) / "scanners"
    paths = sorted(folder.glob("*.toml"))
    if not paths:
        raise ProfileError(f"No scanner profiles in {folder}: reinstall the station or set ${ENV}.")
    return [parse_scanner_profile(_load_toml(p), str(p)) for p in paths]


def find_scanner_profile(name: str, root: Path | None = None) -> ScannerProfile:
    """The profile for a family name or a model (``DS2208``, ``1950g``), case-insensitive."""
    wanted = name.strip().lower()
    profiles = scanner_profiles(root)
    for p in profiles:
        if wanted == p.family.lower() or wanted in (m.lower() for m in p.models):
            return p
    known = ", ".join(f"{p.family} ({', '.join(p.models)})" for p in profiles)
    raise ProfileError(f"No scanner profile for {name!r}; expected a family or model of: {known}.")


@dataclass(frozen=True)
class PrinterCommand:
    what: str
    zpl: str
    source: str


@dataclass(frozen=True)
class PrinterFamily:
    name: str
    description: str
    commands: tuple[PrinterCommand, ...]
    calibration: PrinterCommand


def _command(raw: object, source: str, key: str) -> PrinterCommand:
    if not isinstance(raw, dict):
        raise ConfigError(source, key, "a table with what, zpl and source", raw)
    zpl = _text(raw, "zpl", source, 40, ascii_only=True)
    if not zpl.startswith(("^", "~")):
        raise ConfigError(source, f"{key}.zpl", "a ZPL command starting ^ or ~", zpl)
    return PrinterCommand(_text(raw, "what", source), zpl, _text(raw, "source", source))


def printer_families(root: Path | None = None) -> dict[str, PrinterFamily]:
    """Every printer family in ``firmware-config/printers/*.toml``, by name."""
    folder = (root or data_dir()) / "printers"
    families: dict[str, PrinterFamily] = {}
    for path in sorted(folder.glob("*.toml")):
        raw, source = _load_toml(path), str(path)
        calibration = _command(raw.get("calibration"), source, "calibration")
        for name, fam in (raw.get("families") or {}).items():
            if not isinstance(fam, dict):
                raise ConfigError(source, f"families.{name}", "a table", fam)
            commands = tuple(
                _command(c, source, f"families.{name}.commands") for c in fam.get("commands", [])
            )
            families[name] = PrinterFamily(name, _text(fam, "description", source), commands, calibration)
    if not families:
        raise ProfileError(f"No printer families in {folder}: reinstall the station or set ${ENV}.")
    return families
