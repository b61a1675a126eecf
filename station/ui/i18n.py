"""The screen's words through gettext: English in the code, other languages as Babel catalogs under
``station/ui/locale/<lang>/LC_MESSAGES/station.mo`` (compiled from the ``.po`` beside it, both shipped).
A new language is a new catalog; ``language`` in the station's config chooses one."""

from __future__ import annotations

import gettext
from pathlib import Path

DOMAIN = "station"
LOCALE_DIR = Path(__file__).parent / "locale"

_translation: gettext.NullTranslations = gettext.NullTranslations()


def set_language(language: str) -> None:
    """Use ``language``'s catalog from now on (English, the source language, when there is none)."""
    global _translation
    _translation = gettext.translation(DOMAIN, LOCALE_DIR, languages=[language], fallback=True)


def languages() -> list[str]:
    """The languages a catalog is shipped for, besides English."""
    return sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.mo"))


def _(message: str) -> str:
    return _translation.gettext(message)


def N_(message: str) -> str:
    """Marks ``message`` for the catalog where it is translated later (class attributes)."""
    return message


def ngettext(singular: str, plural: str, n: int) -> str:
    return _translation.ngettext(singular, plural, n)
