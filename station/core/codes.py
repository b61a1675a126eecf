"""The hub's own codes, recognised by configurable regular expressions."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from station.core.errors import ConfigError
from station.core.scans import ScanKind

#: Hub code kinds a pattern can be configured for, in the order they are tried.
PATTERN_KINDS: tuple[ScanKind, ...] = (
    ScanKind.RMA,
    ScanKind.RETURN_QR,
    ScanKind.LPN,
    ScanKind.BIN,
    ScanKind.ORDER,
    ScanKind.BADGE,
    ScanKind.WORK_ORDER,
    ScanKind.PART,
    ScanKind.COMMAND,
)

#: Embedded defaults. A pattern may use a named group ``code`` for the value (else the whole scan is the
#: value); for return QR payloads a named group ``source`` may name the returns provider.
DEFAULT_PATTERNS: Mapping[str, tuple[str, ...]] = {
    "rma": (r"RMA-?(?P<code>\d{6,10})",),
    "return_qr": (
        r"(?:https://[^/]+/)?LOOP[:-](?P<code>[A-Z0-9]{6,20})",
        r"(?:https://[^/]+/)?HR[:-](?P<code>[A-Z0-9]{6,20})",
    ),
    "lpn": (r"LPN[A-Z0-9]{6,16}",),
    "bin": (r"BIN-[A-Z0-9]{1,4}(?:-[A-Z0-9]{1,4}){1,3}",),
    "order": (r"(?:ORD|SO)-?(?P<code>\d{6,12})",),
    "badge": (r"BADGE-?(?P<code>[A-Z0-9]{3,12})",),
    "work_order": (r"WO-?(?P<code>\d{5,10})",),
    "part": (r"PART-(?P<code>[A-Z0-9-]{3,20})",),
    "command": (r"CMD:(?P<code>[A-Z_]+(?::[A-Za-z0-9_,.-]+)*)",),
}

_SOURCES_BY_PREFIX = {"LOOP": "loop", "HR": "happy_returns"}


@dataclass(frozen=True)
class CodePatterns:
    """Compiled hub code patterns, matched against the whole scan (``fullmatch``)."""

    patterns: tuple[tuple[ScanKind, re.Pattern[str]], ...]

    @classmethod
    def from_mapping(cls, raw: Mapping[str, object], source: str = "defaults") -> CodePatterns:
        """Build from ``{kind: pattern or [patterns]}``; missing kinds keep their defaults."""
        unknown = sorted(set(raw) - {k.value for k in PATTERN_KINDS})
        if unknown:
            raise ConfigError(
                source,
                f"codes.{unknown[0]}",
                "one of " + ", ".join(k.value for k in PATTERN_KINDS),
                unknown[0],
            )
        compiled: list[tuple[ScanKind, re.Pattern[str]]] = []
        for kind in PATTERN_KINDS:
            value = raw.get(kind.value, DEFAULT_PATTERNS[kind.value])
            texts = (value,) if isinstance(value, str) else value
            if not isinstance(texts, (list, tuple)) or not all(isinstance(t, str) for t in texts):
                raise ConfigError(
                    source, f"codes.{kind.value}", "a regular expression or a list of them", value
                )
            for text in texts:
                try:
                    compiled.append((kind, re.compile(text)))
                except re.error as exc:
                    raise ConfigError(
                        source, f"codes.{kind.value}", f"a valid regular expression ({exc})", text
                    ) from exc
        return cls(tuple(compiled))

    def match(self, text: str) -> tuple[ScanKind, str, dict[str, str]] | None:
        """The first pattern that matches all of ``text``: its kind, the value and the named groups."""
        for kind, pattern in self.patterns:
            m = pattern.fullmatch(text)
            if m is None:
                continue
            groups = {k: v for k, v in m.groupdict().items() if v}
            value = groups.get("code", text)
            if kind is ScanKind.RETURN_QR and "source" not in groups:
                prefix = re.split(r"[:-]", text.rsplit("/", 1)[-1], maxsplit=1)[0]
                groups["source"] = _SOURCES_BY_PREFIX.get(prefix, "other")
            return kind, value, groups
        return None

    def describe(self) -> str:
        """The kinds of hub codes, for a rejection message."""
        return ", ".join(sorted({k.value.replace("_", " ") for k, _ in self.patterns}))


DEFAULT_CODE_PATTERNS = CodePatterns.from_mapping({})
