"""firmware-config/udev: every rule parses as udev rules syntax, with known keys and operators, and gives
the stable names, groups and ModemManager exclusion the station relies on."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

RULES = Path(__file__).resolve().parent.parent / "firmware-config/udev/99-hubstation.rules"
#: One ``KEY{attr}OP"value"`` pair (udev(7)); pairs are separated by commas.
PAIR = re.compile(r'\s*([A-Z_]+)(?:\{([^}]+)\})?(==|!=|\+=|-=|:=|=)"((?:[^"\\]|\\.)*)"\s*(?:,|$)')
MATCH_KEYS = {"ACTION", "KERNEL", "SUBSYSTEM", "ATTRS", "ATTR", "ENV", "DRIVERS", "KERNELS", "SUBSYSTEMS"}
ASSIGN_KEYS = {"SYMLINK", "GROUP", "MODE", "OWNER", "ENV", "IMPORT", "GOTO", "LABEL", "TAG", "RUN"}


def parse(text: str) -> list[list[tuple[str, str | None, str, str]]]:
    """The rules as lists of (key, attribute, operator, value); raises ValueError on a bad line."""
    rules = []
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        pairs, pos = [], 0
        while pos < len(line):
            m = PAIR.match(line, pos)
            if m is None:
                raise ValueError(f"line {n}: cannot parse from {line[pos:]!r}")
            key, attr, op, value = m.groups()
            is_match = op in ("==", "!=")
            if key not in (MATCH_KEYS if is_match else ASSIGN_KEYS):
                raise ValueError(f"line {n}: {key}{op} is not a udev {'match' if is_match else 'assignment'}")
            pairs.append((key, attr, op, value))
            pos = m.end()
        rules.append(pairs)
    return rules


def test_rules_parse() -> None:
    rules = parse(RULES.read_text())
    labels = {v for r in rules for k, _, _, v in r if k == "LABEL"}
    gotos = {v for r in rules for k, _, _, v in r if k == "GOTO"}
    assert gotos <= labels


@pytest.mark.parametrize(
    "bad",
    ['KERNEL=="ttyACM*", GROUP="dialout', 'KERNL=="x"', 'SUBSYSTEM="tty"', 'GROUP=="dialout"'],
)
def test_the_parser_refuses_broken_lines(bad: str) -> None:
    with pytest.raises(ValueError):
        parse(bad)


def _rule(subsystem: str) -> dict[str, str]:
    for rule in parse(RULES.read_text()):
        keys = {(k + (f"{{{a}}}" if a else "")): v for k, a, _, v in rule}
        if keys.get("SUBSYSTEM") == subsystem and "SYMLINK" in keys:
            return keys
    raise AssertionError(f"no naming rule for {subsystem}")


def test_scanner_serial_ports_named_grouped_and_kept_from_modemmanager() -> None:
    tty = _rule("tty")
    assert tty["SYMLINK"].startswith("hub/scanner-")
    assert tty["GROUP"] == "dialout" and tty["ENV{ID_MM_DEVICE_IGNORE}"] == "1"
    assert set(tty["ATTRS{idVendor}"].split("|")) == {"05e0", "0c2e", "05f9"}


def test_keyboard_scanners_and_printers() -> None:
    kbd = _rule("input")
    assert kbd["SYMLINK"].startswith("hub/scanner-kbd-") and kbd["GROUP"] == "input"
    printer = _rule("usbmisc")
    assert printer["SYMLINK"].startswith("hub/zebra") and printer["GROUP"] == "lp"
    assert printer["ATTRS{idVendor}"] == "0a5f"
