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
#: Settings every scanner profile must program (the station depends on each of them).
REQUIRED_SETTINGS = (
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
#: How a scanner talks to the station: as a USB keyboard (evdev) or as a USB serial (CDC) port.
INTERFACES = ("keyboard", "serial")
CONFIDENCE = ("manual", "secondary", "recalled", "placeholder")
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
    """One programming barcode: what it sets, its caption, its data, and where it comes from.

    ``source`` is where the data was read (a URL or a document), when it is known.
    """

    setting: str
    caption: str
    data: str
    section: str
    page: str
    confidence: str
    source: str = ""


@dataclass(frozen=True)
class ScannerProfile:
    family: str
    vendor: str
    models: tuple[str, ...]
    usb_vendor_id: str
    manual: str
    verified: bool
    keyboard_uri: str
    serial_uri: str
    codes: tuple[ProgrammingCode, ...]
    around: str | None = None  # a code scanned first and again last (enter/exit programming mode)
    fnc3: bool = False  # every programming barcode starts with FNC3 (Code 128 reader programming)
    ends_with_cr: bool = False  # every programming barcode's data ends with a CR (0x0D), not in ``data``

    def code(self, setting: str) -> ProgrammingCode:
        return next(c for c in self.codes if c.setting == setting)

    def sheet_codes(self, interface: str = "keyboard") -> tuple[ProgrammingCode, ...]:
        """The codes to scan, in order, for a scanner on ``interface`` (``keyboard`` or ``serial``): the
        other interface's code is left out, and ``around`` frames them when the family needs it."""
        if interface not in INTERFACES:
            raise ProfileError(f"Unknown interface {interface!r}; expected one of {', '.join(INTERFACES)}.")
        skip = {f"interface_{other}" for other in INTERFACES if other != interface}
        codes = tuple(c for c in self.codes if c.setting not in skip)
        if self.around is None:
            return codes
        frame = self.code(self.around)
        return (frame, *(c for c in codes if c is not frame), frame)

    def reader_uri(self, interface: str) -> str:
        """The scanner URI the station reads this family with on ``interface``."""
        return self.keyboard_uri if interface == "keyboard" else self.serial_uri


def _code(raw: object, source: str) -> ProgrammingCode:
    if not isinstance(raw, dict):
        raise ConfigError(source, "codes", "[[codes]] tables", raw)
    confidence = raw.get("confidence")
    if confidence not in CONFIDENCE:
        raise ConfigError(source, "codes.confidence", "one of " + ", ".join(CONFIDENCE), confidence)
    return ProgrammingCode(
        setting=_text(raw, "setting", source, 40),
        caption=_text(raw, "caption", source, MAX_CAPTION),
        data=_text(raw, "data", source, MAX_DATA, ascii_only=True),
        section=_text(raw, "section", source),
        page=_text(raw, "page", source, 40),
        confidence=confidence,
        source=_text(raw, "source", source, 300) if "source" in raw else "",
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
    around = raw.get("around")
    if around is not None and around not in settings:
        raise ConfigError(source, "around", "the setting of one of its codes", around)
    models = raw.get("models")
    if not isinstance(models, list) or not models or not all(isinstance(m, str) for m in models):
        raise ConfigError(source, "models", "a list of model names", models)
    verified = raw.get("verified")
    if not isinstance(verified, bool):
        raise ConfigError(source, "verified", "true or false", verified)
    flags = {key: raw.get(key, False) for key in ("fnc3", "ends_with_cr")}
    for key, value in flags.items():
        if not isinstance(value, bool):
            raise ConfigError(source, key, "true or false", value)
    return ScannerProfile(
        family=_text(raw, "family", source, 60),
        vendor=_text(raw, "vendor", source, 60),
        models=tuple(models),
        usb_vendor_id=_text(raw, "usb_vendor_id", source, 4),
        manual=_text(raw, "manual", source),
        verified=verified,
        keyboard_uri=_text(raw, "keyboard_uri", source),
        serial_uri=_text(raw, "serial_uri", source),
        codes=codes,
        around=around,
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
