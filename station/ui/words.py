"""Codes in the words a person at the counter uses: grades, dispositions and where a unit goes, with the
colour each destination has on the screen."""

from __future__ import annotations

from station.core.operators import Flow, Request
from station.runtime.event_labels import TOTES
from station.ui import theme
from station.ui.i18n import N_, _


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


#: The reasons a supervisor may give for an override, by flow (the desk records the code with spaces).
OVERRIDE_REASONS = {
    Flow.INTAKE: {
        "customer_known": N_("customer known"),
        "manifest_late": N_("manifest late"),
        "damaged_in_transit": N_("damaged in transit"),
        "goodwill": N_("goodwill"),
    },
    Flow.RESTOCK: {
        "checked_sellable": N_("checked: sellable"),
        "grade_corrected": N_("grade corrected"),
        "urgent_stock": N_("stock urgently needed"),
    },
    Flow.REPAIR: {
        "repairable_after_all": N_("repairable after all"),
        "warranty_repair": N_("warranty repair"),
    },
    Flow.PACK: {},
}
_CHOSEN_REASONS = {
    code.replace("_", " "): words for reasons in OVERRIDE_REASONS.values() for code, words in reasons.items()
}


def override_words(kind: str) -> str:
    words = {
        "blind_receipt": _("Take in a return not in the manifest"),
        "refund_cap": _("Refund above the cap"),
        "restock": _("Restock against its disposition"),
        "repair": _("Repair against its disposition"),
        "wipe": _("Verify a data wipe"),
    }
    return words.get(kind, kind.replace("_", " "))


def request_words(request: Request | None) -> str:
    """What a second person is asked to allow: what, on what, how much, and the reason chosen on the screen
    (the station's own reason for asking is what the kind says)."""
    if request is None:
        return ""
    parts = [override_words(request.kind.value), request.subject]
    if request.amount is not None:
        parts.append(f"{request.amount:.2f} {request.currency or ''}".strip())
    chosen = _CHOSEN_REASONS.get(request.reason)
    if chosen is not None:
        parts.append(_(chosen))
    return "  ·  ".join(parts)


#: Values the desk puts into its sentences that are words, not codes: flows and a unit's status.
_VALUE_WORDS = {
    "intake": N_("returns"),
    "restock": N_("restocking"),
    "pack": N_("packing"),
    "repair": N_("repair"),
    "received": N_("received"),
    "stocked": N_("in stock"),
    "in_repair": N_("in repair"),
    "packed": N_("packed"),
    "voided": N_("voided"),
}


def value_words(value: object) -> object:
    """A value of a refusal's sentence in the screen's words where it is a flow or a status."""
    return _(_VALUE_WORDS[value]) if isinstance(value, str) and value in _VALUE_WORDS else value
