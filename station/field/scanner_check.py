"""``station scanner check``: three test scans -> which scanner setting is wrong. Pure: text in, findings out.

The test codes are known (:data:`TEST_CODES`, printed by ``station scanner check --sheet``), so every way a
misconfigured scanner can garble them is tried against what arrived: the AIM symbology id left out (or a
different one, when GS1 reading is off), the GS separator dropped, characters typed in another keyboard
layout than the reader's (``y``/``z`` swapped on a German layout, ``-`` as ``ß``...), and scans that ran
together or ended without Enter/CR because the scanner sends no suffix.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

from station.devices.scanners.keymap import Layout
from station.devices.scanners.layouts import LAYOUTS
from station.labels.layout import Symbology

GS = "\x1d"


@dataclass(frozen=True)
class TestCode:
    """One test barcode: how it is printed, and exactly what a well-set scanner sends for it."""

    name: str
    symbology: Symbology
    label_data: str  # as the label renderer takes it (GS1 in parentheses)
    aim: str
    data: str  # what follows the AIM id, GS included
    marker: str  # a part found in no other test code: shows scans that ran together
    setting: str  # the profile setting that turns this symbology on

    __test__ = False  # not a pytest test class


TEST_CODES: tuple[TestCode, ...] = (
    TestCode(
        "GS1-128 with lot and serial",
        Symbology.GS1_128,
        "(01)09501101530003(10)LOTYZ-42/A(21)SNZY7",
        "]C1",
        "0109501101530003" + "10LOTYZ-42/A" + GS + "21SNZY7",
        "SNZY7",
        "gs1_128",
    ),
    TestCode(
        "GS1 DataMatrix",
        Symbology.GS1_DATAMATRIX,
        "(01)09501101530003(17)261231(10)BATCH-Z9(21)QY-99",
        "]d2",
        "0109501101530003" + "17261231" + "10BATCH-Z9" + GS + "21QY-99",
        "QY-99",
        "datamatrix",
    ),
    TestCode(
        "QR code", Symbology.QR, "HUB-TEST:qwertz/yxcv-42", "]Q1", "HUB-TEST:qwertz/yxcv-42", "qwertz", "qr"
    ),
)


@dataclass(frozen=True)
class Received:
    """One scan as it arrived; ``terminated``: ended by the scanner's CR/Enter (None: cannot tell)."""

    text: str
    terminated: bool | None = None


@dataclass(frozen=True)
class Finding:
    """A wrong setting: ``setting`` is the profile setting that fixes it (see firmware-config/scanners)."""

    setting: str
    problem: str
    fix: str


def translate(text: str, typed: Layout, read: Layout) -> str:
    """What ``text`` becomes when a scanner types it in layout ``typed`` and the reader decodes ``read``."""
    if typed is read:
        return text
    keys = {char: (code, False, True) for code, char in typed.altgr.items()}
    keys.update(
        {
            char: (code, bool(shift), False)
            for code, pair in typed.keys.items()
            for shift, char in enumerate(pair)
        }
    )
    out = []
    for c in text:
        key = keys.get(c)
        got = read.char(*key) if key else c
        out.append(got or "")
    return "".join(out)


@dataclass(frozen=True)
class _Reading:
    aim: str  # "ok", "missing" or the other id that came
    gs_dropped: bool
    typed_layout: str


def _explain(text: str, code: TestCode, read: Layout) -> _Reading | None:
    layouts = [read, *(la for la in LAYOUTS.values() if la is not read)]
    for typed, gs_kept in itertools.product(layouts, (True, False)):
        data = translate(code.data if gs_kept else code.data.replace(GS, ""), typed, read)
        aim = translate(code.aim, typed, read)
        if text == aim + data:
            return _Reading("ok", not gs_kept, typed.name)
        if text == data:
            return _Reading("missing", not gs_kept, typed.name)
        if len(text) == len(aim) + len(data) and text.endswith(data) and text[0] == aim[0]:
            return _Reading(text[: len(aim)], not gs_kept, typed.name)
    return None


def analyse(received: Sequence[Received], reader_layout: str = "us") -> list[Finding]:
    """What is wrong, one finding per setting; an empty list means the scanner is set up right."""
    read = LAYOUTS[reader_layout]
    found: dict[str, Finding] = {}

    def add(setting: str, problem: str, fix: str) -> None:
        found.setdefault(setting, Finding(setting, problem, fix))

    if any(r.terminated is False for r in received):
        add("suffix_cr", "the scans end without CR/Enter", "set the scanner to send a CR suffix")
    for n, (code, got) in enumerate(zip(TEST_CODES, received, strict=False), 1):
        text = got.text.rstrip("\r\n")
        reading = _explain(text, code, read)
        if reading is None:
            if sum(c.marker in text for c in TEST_CODES) > 1:
                add(
                    "suffix_cr",
                    f"scan {n} holds more than one test code: the scans ran together",
                    "set the scanner to send a CR suffix",
                )
            else:
                add(
                    f"unknown_{n}",
                    f"scan {n} is not test code {n} ({code.name}): got {text!r}",
                    "scan the codes of 'station scanner check --sheet' in their order; if this was the "
                    f"right code, enable {code.name} on the scanner",
                )
            continue
        if reading.typed_layout != read.name:
            add(
                "keyboard_us",
                f"the scanner types a '{reading.typed_layout}' keyboard layout, the reader reads "
                f"'{read.name}'",
                f"set the scanner's keyboard country to '{read.name}', or read it with "
                f"layout={reading.typed_layout} in its scanner URI",
            )
        if reading.aim == "missing":
            add("aim_id", "the scans come without an AIM symbology id (]C1, ]d2, ]Q1)", "turn on AIM id")
        elif reading.aim != "ok":
            add(
                code.setting,
                f"scan {n} came as {reading.aim}, not {code.aim}: the scanner does not read it as "
                f"{code.name}",
                f"turn on {code.name} (GS1 reading) on the scanner",
            )
        if reading.gs_dropped:
            add(
                "gs_as_key",
                f"scan {n} lost its GS separator: the lot swallows the serial",
                "set the scanner to send GS (FNC1) as a key, and the reader's gs= to that key",
            )
    if not received:
        add(
            "no_scan",
            "no scan arrived",
            "check that the scanner is plugged in and its URI is right (station doctor), then scan again",
        )
    elif len(received) < len(TEST_CODES):
        add(
            "suffix_cr",
            f"only {len(received)} of {len(TEST_CODES)} scans arrived: scans without a suffix run together",
            "set the scanner to send a CR suffix",
        )
    return list(found.values())
