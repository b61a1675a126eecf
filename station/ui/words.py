"""Codes in the words a person at the counter uses: grades, dispositions and where a unit goes, with the
colour each destination has on the screen."""

from __future__ import annotations

from station.runtime.event_labels import TOTES
from station.ui import theme
from station.ui.i18n import _


def grade_words(grade: str | None) -> str:
    words = {
        "A": _("A: like new"),
        "B": _("B: opened"),
        "C": _("C: worn"),
        "D": _("D: damaged"),
        "incorrect_item": _("Wrong item"),
        "missing": _("Missing"),
        "junk": _("Junk"),
    }
    return words.get(grade or "", grade or "-")


def disposition_words(disposition: str | None) -> str:
    """Where the unit goes, as an instruction."""
    words = {
        "restock_local": _("Restock here"),
        "repair": _("Repair bench"),
        "liquidate": _("Liquidation"),
        "donate": _("Donation"),
        "recycle": _("Recycling"),
        "return_to_dc": _("Send to DC"),
    }
    return words.get(disposition or "", disposition or "-")


def tote(disposition: str | None) -> str:
    """The tote or bin printed on the unit's label (kept as printed, so the two match)."""
    return TOTES.get(disposition or "", "-")


DISPOSITION_COLOURS = {
    "restock_local": theme.GOOD,
    "repair": theme.ACCENT,
    "liquidate": (0.55, 0.30, 0.70, 1),
    "donate": (0.10, 0.55, 0.60, 1),
    "recycle": (0.45, 0.45, 0.45, 1),
    "return_to_dc": (0.70, 0.35, 0.10, 1),
}


def diagnosis_words(code: str) -> str:
    words = {
        "SCREEN_CRACKED": _("Screen cracked"),
        "NO_POWER": _("No power"),
        "BATTERY": _("Battery"),
        "BUTTONS": _("Buttons"),
        "COSMETIC": _("Cosmetic"),
        "NO_FAULT_FOUND": _("No fault found"),
    }
    return words.get(code, code)


def repair_outcome_words(outcome: str) -> str:
    words = {"repaired": _("Repaired"), "unrepairable": _("Unrepairable"), "harvested": _("Parts harvested")}
    return words.get(outcome, outcome)


def template_words(template: str) -> str:
    words = {"return_lpn": _("Unit label (LPN)"), "shipping": _("Carrier label")}
    return words.get(template, template)


def printer_words(state: str) -> str:
    words = {
        "ready": _("Printer ready"),
        "printing": _("Printing"),
        "paper_out": _("Paper out"),
        "head_open": _("Head open"),
        "ribbon_out": _("Ribbon out"),
        "paused": _("Printer paused"),
        "unreachable": _("Printer unreachable"),
        "fault": _("Printer fault"),
        "unknown": _("Printer"),
    }
    return words.get(state, state.replace("_", " ").capitalize())


def printer_problem(state: str) -> str:
    """Why a label waits, for "Label waiting: ..."."""
    words = {
        "paper_out": _("printer out of paper"),
        "head_open": _("printer head open"),
        "ribbon_out": _("printer out of ribbon"),
        "paused": _("printer paused"),
        "unreachable": _("printer not reachable"),
        "fault": _("printer fault"),
    }
    return words.get(state, state.replace("_", " "))
