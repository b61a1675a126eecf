"""The station's configuration: one TOML file, validated at start, or embedded defaults when there is none.

Looked up in this order: ``--config PATH``, ``$STATION_CONFIG``, /etc/hubstation/station.toml, then the
user config dir (``~/.config/hubstation/station.toml``). Every error names the file, the key, what was
expected and what was found.
"""

from __future__ import annotations

import math
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import platformdirs

from station.core.codes import DEFAULT_CODE_PATTERNS, CodePatterns
from station.core.disposition import DEFAULT_RULES, DispositionRule, rules_from_config
from station.core.errors import ConfigError, StationError

APP = "hubstation"
SYSTEM_CONFIG = Path("/etc/hubstation/station.toml")
ROLES = ("intake", "restock", "pack", "repair")
LABEL_SIZES = ("4x6", "4x2", "2x1")
DPIS = (203, 300)
#: Shortest PIN the config may ask for (and the default): six digits.
MIN_PIN_LENGTH = 6
#: Data-wipe tools a wipe record may name unless the config lists others.
WIPE_TOOLS = ("blancco", "nwipe", "apple_configurator")


def user_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "station.toml"


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP))


@dataclass(frozen=True)
class BrokerSettings:
    url: str
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    topic_prefix: str = "hubs"
    prune_days: int = 30


@dataclass(frozen=True)
class Config:
    hub: str = "hub-local"
    station: str = "station-1"
    roles: tuple[str, ...] = ROLES
    scanners: tuple[str, ...] = ("stdin:",)
    printer: str | None = None  # None: the spool in the data dir
    broker: BrokerSettings | None = None
    data_dir: Path = field(default_factory=default_data_dir)
    label_size: str = "4x6"
    label_dpi: int = 203
    idle_signout_minutes: float = 10  # the app signs a person out after this long without input; 0: never
    pin_length: int = MIN_PIN_LENGTH  # the shortest PIN an operator may have
    wipe_tools: tuple[str, ...] = WIPE_TOOLS  # the tools a data-wipe record may name
    language: str = "en"  # the screen's language: a catalog under station/ui/locale (English without one)
    codes: CodePatterns = DEFAULT_CODE_PATTERNS
    rules: tuple[DispositionRule, ...] = DEFAULT_RULES
    source: str = "embedded defaults"

    @property
    def db_path(self) -> Path:
        return self.data_dir / "station.db"

    @property
    def printer_uri(self) -> str:
        return self.printer or (self.data_dir / "spool").as_uri()

    def with_overrides(self, **changes: Any) -> Config:
        """A copy with some settings changed (command-line options win over the file)."""
        return replace(self, **changes)


class _Reader:
    """Reads typed values out of the parsed TOML, raising ConfigError that names file and key."""

    def __init__(self, source: str, raw: Mapping[str, Any]) -> None:
        self.source = source
        self.raw = raw

    def get(self, key: str, kind: type | tuple[type, ...], default: Any, expected: str) -> Any:
        node: Any = self.raw
        for part in key.split("."):
            if not isinstance(node, Mapping) or part not in node:
                return default
            node = node[part]
        if not isinstance(node, kind) or (isinstance(node, bool) and kind is not bool):
            raise ConfigError(self.source, key, expected, node)
        return node

    def string_list(self, key: str, default: tuple[str, ...]) -> tuple[str, ...]:
        value = self.get(key, list, None, "a list of strings")
        if value is None:
            return default
        if not all(isinstance(v, str) and v for v in value):
            raise ConfigError(self.source, key, "a list of non-empty strings", value)
        return tuple(value)


_TOP_KEYS = {
    "hub",
    "station",
    "roles",
    "scanners",
    "printer",
    "broker",
    "data_dir",
    "label",
    "codes",
    "disposition",
    "idle_signout_minutes",
    "pin_length",
    "wipe_tools",
    "language",
}


#: The keys each table may have (``codes`` and ``disposition.rules`` check their own).
_TABLE_KEYS = {
    "label": {"size", "dpi"},
    "broker": {"url", "ca", "cert", "key", "topic_prefix", "prune_days"},
    "disposition": {"rules"},
}


def _check_keys(raw: Mapping[str, Any], source: str) -> None:
    """Unknown keys at the top and in every table, and a table given as something else, name file and key."""
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise ConfigError(source, unknown[0], "one of " + ", ".join(sorted(_TOP_KEYS)), unknown[0])
    for table, keys in _TABLE_KEYS.items():
        value = raw.get(table, {})
        if not isinstance(value, Mapping):
            raise ConfigError(source, table, f"a table [{table}]", value)
        extra = sorted(set(value) - keys)
        if extra:
            raise ConfigError(source, f"{table}.{extra[0]}", "one of " + ", ".join(sorted(keys)), extra[0])


def _absolute(r: _Reader, key: str, default: str | None) -> Path | None:
    """An absolute path (``~`` expanded), or ``default``; empty or relative paths name the key."""
    value = r.get(key, str, default, "an absolute path")
    if value is None:
        return None
    path = Path(value).expanduser()
    if not value.strip() or not path.is_absolute():
        raise ConfigError(r.source, key, "an absolute path (the station runs from any folder)", value)
    return path


def _check_devices(source: str, scanners: tuple[str, ...], printer: str | None) -> None:
    """Scanner and printer URIs through the device parsers (nothing is opened)."""
    from station.devices.printers import SCHEMES, open_printer
    from station.devices.scanners.opener import check_scanner_uri

    for i, uri in enumerate(scanners):
        try:
            check_scanner_uri(uri)
        except StationError as exc:
            raise ConfigError(source, f"scanners[{i}]", f"a scanner URI ({exc})", uri) from None
    if printer is None:
        return
    expected = f"a printer URI such as {SCHEMES}"
    try:
        spool = getattr(open_printer(printer), "directory", None)
    except (StationError, ValueError) as exc:
        raise ConfigError(source, "printer", f"{expected} ({exc})", printer) from None
    if spool is not None and not spool.is_absolute():
        raise ConfigError(
            source, "printer", "a spool folder given by an absolute path (file:///DIR)", printer
        )


def parse_config(raw: Mapping[str, Any], source: str) -> Config:
    """Validate a parsed TOML document into a :class:`Config`."""
    _check_keys(raw, source)
    r = _Reader(source, raw)
    ident = "a name of letters, digits, '-' or '_'"
    hub = r.get("hub", str, Config.hub, ident)
    station = r.get("station", str, Config.station, ident)
    for key, value in (("hub", hub), ("station", station)):
        if not value or not all(c.isalnum() or c in "-_" for c in value):
            raise ConfigError(source, key, ident, value)
    roles = r.string_list("roles", ROLES)
    for role in roles:
        if role not in ROLES:
            raise ConfigError(source, "roles", "roles from " + ", ".join(ROLES), role)
    scanners = r.string_list("scanners", Config.scanners)
    printer = r.get("printer", str, None, "a printer URI such as tcp://10.0.0.5:9100")
    _check_devices(source, scanners, printer)
    data_dir = _absolute(r, "data_dir", None) or default_data_dir()
    size = r.get("label.size", str, "4x6", "one of " + ", ".join(LABEL_SIZES))
    if size not in LABEL_SIZES:
        raise ConfigError(source, "label.size", "one of " + ", ".join(LABEL_SIZES), size)
    dpi = r.get("label.dpi", int, 203, "203 or 300")
    if dpi not in DPIS:
        raise ConfigError(source, "label.dpi", "203 or 300", dpi)
    idle = r.get("idle_signout_minutes", (int, float), 10, "a number of minutes (0: never)")
    if not 0 <= idle < math.inf:
        raise ConfigError(source, "idle_signout_minutes", "a number of minutes (0: never)", idle)
    pin_expected = f"a whole number of digits from {MIN_PIN_LENGTH} to 12"
    pin_length = r.get("pin_length", int, MIN_PIN_LENGTH, pin_expected)
    if not MIN_PIN_LENGTH <= pin_length <= 12:
        raise ConfigError(source, "pin_length", pin_expected, pin_length)
    wipe_tools = r.string_list("wipe_tools", WIPE_TOOLS)
    language = r.get("language", str, "en", "a language code such as en or de")
    if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", language):
        raise ConfigError(source, "language", "a language code such as en or de", language)
    broker = None
    if "broker" in raw:
        url = r.get("broker.url", str, None, "a broker URL such as mqtts://broker.hub.example:8883")
        if url is None or not url.startswith(("mqtt://", "mqtts://")):
            raise ConfigError(source, "broker.url", "a broker URL starting mqtt:// or mqtts://", url)
        files = {name: _absolute(r, f"broker.{name}", None) for name in ("ca", "cert", "key")}
        prefix = r.get("broker.topic_prefix", str, "hubs", "a topic prefix")
        if not prefix or any(c in prefix for c in "+#") or prefix.strip("/") != prefix:
            raise ConfigError(source, "broker.topic_prefix", "a topic prefix without + # or outer /", prefix)
        days = r.get("broker.prune_days", int, 30, "a whole number of days")
        if not 1 <= days <= 3650:
            raise ConfigError(source, "broker.prune_days", "a whole number of days from 1 to 3650", days)
        broker = BrokerSettings(url=url, topic_prefix=prefix, prune_days=days, **files)
    codes = CodePatterns.from_mapping(r.get("codes", Mapping, {}, "a table of code patterns"), source)
    rules_raw = r.get("disposition.rules", list, None, "a list of [[disposition.rules]] tables")
    rules = DEFAULT_RULES if rules_raw is None else rules_from_config(rules_raw, source)
    return Config(
        hub=hub,
        station=station,
        roles=roles,
        scanners=scanners,
        printer=printer,
        broker=broker,
        data_dir=data_dir,
        label_size=size,
        label_dpi=dpi,
        idle_signout_minutes=idle,
        pin_length=pin_length,
        wipe_tools=wipe_tools,
        language=language,
        codes=codes,
        rules=rules,
        source=source,
    )


def find_config(explicit: Path | None = None) -> Path | None:
    """The config file to use, or None for the embedded defaults."""
    if explicit is not None:
        return explicit
    env = os.environ.get("STATION_CONFIG")
    if env:
        return Path(env)
    for candidate in (SYSTEM_CONFIG, user_config_path()):
        if candidate.is_file():
            return candidate
    return None


def load_config(explicit: Path | None = None) -> Config:
    """Load and validate the configuration (embedded defaults when there is no file at all)."""
    path = find_config(explicit)
    if path is None:
        return Config()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(str(path), "", "an existing TOML file", "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(path), "", "a readable UTF-8 TOML file", str(exc)) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), "", "valid TOML", str(exc)) from None
    return parse_config(raw, str(path))
