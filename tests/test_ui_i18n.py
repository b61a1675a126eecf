"""The screen's words: every message in station/ui, and every sentence the desk and the core refuse with, is
in every shipped catalog, translated, with the same placeholders; the shipped .mo files are compiled from
their .po; the config key chooses the language; a refusal reaches the screen in the chosen language."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from station.core.errors import ConfigError
from station.runtime.config import parse_config
from station.ui import i18n
from station.ui.messages import said
from tests.fixtures_hubwork import feed, make_desk

UI = Path(i18n.__file__).parent
STATION = UI.parent
KEYWORDS = {"_": None, "N_": None, "ngettext": (1, 2)}
#: Where the sentences a screen shows come from besides station/ui: the errors' templates.
REFUSALS = {"FlowError": None, "NeedsOverride": None, "StationError": None, "OverrideNeeded": (4,)}
REFUSING = [
    ("core", "**.py"),
    ("runtime/desk", "**.py"),
    ("store", "operators.py"),
    ("store", "print_jobs.py"),
]
PLACEHOLDER = re.compile(r"\{[^}]*\}|\[/?b\]")


def _messages() -> set[str | tuple[str, ...]]:
    found = list(
        extract_from_dir(str(UI), method_map=[("**.py", "python"), ("**.kv", "python")], keywords=KEYWORDS)
    )
    for folder, pattern in REFUSING:
        found += extract_from_dir(str(STATION / folder), method_map=[(pattern, "python")], keywords=REFUSALS)
    return {m[2] if isinstance(m[2], str) else tuple(m[2]) for m in found}


def _catalogs() -> list[Path]:
    return sorted(UI.glob("locale/*/LC_MESSAGES/station.po"))


def test_there_is_a_german_catalog() -> None:
    assert "de" in i18n.languages()


@pytest.mark.parametrize("po", _catalogs(), ids=lambda p: p.parent.parent.name)
def test_every_message_is_translated_with_its_placeholders(po: Path) -> None:
    catalog = read_po(po.open("rb"))
    missing, wrong = [], []
    for message in _messages():
        entry = catalog.get(message if isinstance(message, str) else message[0])
        if (
            entry is None
            or entry.fuzzy
            or not all(entry.string if isinstance(entry.string, tuple) else [entry.string])
        ):
            missing.append(message)
            continue
        ids = [message] if isinstance(message, str) else list(message)
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string)
        for text in strings:
            if sorted(PLACEHOLDER.findall(text)) != sorted(PLACEHOLDER.findall(ids[0])):
                wrong.append((ids[0], text))
    assert missing == [], f"{po}: not translated: {missing}"
    assert wrong == [], f"{po}: placeholders differ: {wrong}"


@pytest.mark.parametrize("po", _catalogs(), ids=lambda p: p.parent.parent.name)
def test_shipped_mo_is_compiled_from_its_po(po: Path) -> None:
    expected = io.BytesIO()
    write_mo(expected, read_po(po.open("rb")))
    expected.seek(0)
    want = {str(m.id): str(m.string) for m in read_mo(expected) if m.id}
    have = {str(m.id): str(m.string) for m in read_mo(po.with_suffix(".mo").open("rb")) if m.id}
    assert have == want, f"recompile: pybabel compile -d {UI / 'locale'} -D station"


def test_language_chooses_the_catalog_and_english_is_the_fallback() -> None:
    try:
        i18n.set_language("de")
        assert i18n._("Finish with items missing") == "Fertig, obwohl etwas fehlt"
        assert i18n.ngettext("In: line {lines}", "In: lines {lines}", 2) == "Da: Positionen {lines}"
        i18n.set_language("xx")  # no catalog: the English in the code
        assert i18n._("Finish with items missing") == "Finish with items missing"
    finally:
        i18n.set_language("en")


def test_config_language_key() -> None:
    assert parse_config({"language": "de"}, "test").language == "de"
    assert parse_config({}, "test").language == "en"
    with pytest.raises(ConfigError, match="language"):
        parse_config({"language": "German!"}, "test")


def test_the_desks_refusals_reach_the_screen_in_the_chosen_language(tmp_path: Path) -> None:
    """The desk's sentence stays English for the terminal and the log; the screen shows it from the catalog,
    with its values, and a flow or status among them in words."""
    desk = make_desk(tmp_path)
    try:
        feed(desk, "BADGE-2003")  # Paul packs, and only that
        refused = feed(desk, "CMD:FLOW:RESTOCK")[0]
        assert refused.message == "Paul may not run restock (roles: pack): ask a supervisor to add the role."
        i18n.set_language("de")
        assert said(refused) == (
            "Paul darf Einlagern nicht ausführen (Rollen Packen): Aufsicht bitten, die Rolle zu ergänzen."
        )
    finally:
        i18n.set_language("en")
        desk.store.close()
