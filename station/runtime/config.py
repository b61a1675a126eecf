"""The station's configuration: one TOML file, validated at start, or embedded defaults when there is none.

Looked up in this order: ``--config PATH``, ``$STATION_CONFIG``, /etc/hubstation/station.toml, then the
user config dir (``~/.config/hubstation/station.toml``). Every error names the file, the key, what was
expected and what was found.
"""

from __future__ import annotations

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
from station.core.errors import ConfigError

APP = "hubstation"
SYSTEM_CONFIG = Path("/etc/hubstation/station.toml")
ROLES = ("intake", "restock", "pack", "repair")
LABEL_SIZES = ("4x6", "4x2", "2x1")
DPIS = (203, 300)


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
    "language",
}


def parse_config(raw: Mapping[str, Any], source: str) -> Config:
    """Validate a parsed TOML document into a :class:`Config`."""
    unknown = sorted(set(raw) - _TOP_KEYS)
    if unknown:
        raise ConfigError(source, unknown[0], "one of " + ", ".join(sorted(_TOP_KEYS)), unknown[0])
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
    for uri in scanners:
        if ":" not in uri:
            raise ConfigError(source, "scanners", "scanner URIs such as serial:///dev/hub/scanner-1", uri)
    printer = r.get("printer", str, None, "a printer URI such as tcp://10.0.0.5:9100")
    if printer is not None and "://" not in printer:
        raise ConfigError(source, "printer", "a printer URI such as tcp://10.0.0.5:9100", printer)
    data_dir = Path(r.get("data_dir", str, str(default_data_dir()), "a directory path")).expanduser()
    size = r.get("label.size", str, "4x6", "one of " + ", ".join(LABEL_SIZES))
    if size not in LABEL_SIZES:
        raise ConfigError(source, "label.size", "one of " + ", ".join(LABEL_SIZES), size)
    dpi = r.get("label.dpi", int, 203, "203 or 300")
    if dpi not in DPIS:
        raise ConfigError(source, "label.dpi", "203 or 300", dpi)
    idle = r.get("idle_signout_minutes", (int, float), 10, "a number of minutes (0: never)")
    if idle < 0:
        raise ConfigError(source, "idle_signout_minutes", "a number of minutes (0: never)", idle)
    language = r.get("language", str, "en", "a language code such as en or de")
    if not re.fullmatch(r"[a-z]{2,3}(_[A-Z]{2})?", language):
        raise ConfigError(source, "language", "a language code such as en or de", language)
    broker = None
    if "broker" in raw:
        url = r.get("broker.url", str, None, "a broker URL such as mqtts://broker.hub.example:8883")
        if url is None or not url.startswith(("mqtt://", "mqtts://")):
            raise ConfigError(source, "broker.url", "a broker URL starting mqtt:// or mqtts://", url)
        files = {}
        for name in ("ca", "cert", "key"):
            value = r.get(f"broker.{name}", str, None, "a file path")
            files[name] = Path(value).expanduser() if value else None
        broker = BrokerSettings(
            url=url,
            topic_prefix=r.get("broker.topic_prefix", str, "hubs", "a topic prefix"),
            prune_days=r.get("broker.prune_days", int, 30, "a whole number of days"),
            **files,
        )
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
