"""What the feedback bar says about an outcome: a one-line headline, an optional second line, and the colour
(green only for a step done as expected, amber when a decision or a supervisor is needed, red when refused).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from station.core.classify import classify
from station.core.codes import CodePatterns
from station.core.errors import ScanRejected
from station.core.events import Event
from station.runtime.desk import DeskView
from station.ui import theme
from station.ui.i18n import _, ngettext
from station.ui.words import disposition_words, printer_problem, tote

Colour = tuple[float, float, float, float]
#: The longest scan shown whole; longer ones are shortened in the middle.
SCAN_CHARS = 40
_AIM = re.compile(r"^\][A-Za-z][0-9A-Za-z]")
_MISMATCHES = ("wrong_item", "extra_item", "serial_mismatch")


@dataclass(frozen=True)
class Feedback:
    headline: str
    detail: str
    colour: Colour


def shortened(text: str, limit: int = SCAN_CHARS) -> str:
    """``text`` cut in the middle when longer than ``limit`` (both ends of a code are what people check)."""
    shown = "".join(c if c.isprintable() else " " for c in text.strip())
    if len(shown) <= limit:
        return shown
    half = (limit - 1) // 2
    return f"{shown[:half]}…{shown[-half:]}"


class ScannedCodes:
    """Codes as they were scanned (``RMA-1000001``, ``WO-500001``), by the value the station keeps."""

    LIMIT = 500

    def __init__(self) -> None:
        self._raw: dict[str, str] = {}

    def saw(self, view: DeskView) -> None:
        scan = view.outcome.scan if view.outcome else None
        if scan is not None and scan.value != scan.raw.strip():
            if len(self._raw) >= self.LIMIT:
                self._raw.pop(next(iter(self._raw)))
            self._raw[scan.value] = shortened(_AIM.sub("", scan.raw.strip()))

    def shown(self, value: str | None) -> str:
        return self._raw.get(value or "", value or "")


def feedback(view: DeskView, patterns: CodePatterns, printer: str, codes: ScannedCodes) -> Feedback:
    """The bar for ``view``; ``printer`` is the printer's state word (``ready``, ``paper_out``...)."""
    outcome = view.outcome
    if view.pending is not None or view.intake.pending_code is not None:
        code = view.intake.pending_code
        what = view.pending or _("Return {code} is not in the manifest").format(code=codes.shown(code))
        return Feedback(_("Needs a supervisor"), what, theme.WARN)
    if outcome is None:
        return Feedback(_("Ready"), "", theme.NEUTRAL)
    if view.pin_for is not None and outcome.ok:
        return Feedback(_("Badge read: {name}").format(name=view.pin_for), "", theme.GOOD)
    if not outcome.ok:
        return _refusal(outcome.input, outcome.message, outcome.scan is None, patterns)
    events = outcome.events
    mismatch = next((e for e in events if e.type == "return.item_mismatch" and _is_mismatch(e)), None)
    if mismatch is not None:
        return Feedback(
            _mismatch_words(str(mismatch.data["reason"])),
            _("Grade it as Wrong item, or take it back and scan the right one."),
            theme.WARN,
        )
    labelled = any(e.type in ("return.dispositioned", "workorder.closed", "order.packed") for e in events)
    if labelled and printer not in ("ready", "printing", "unknown"):
        return Feedback(
            _("Label waiting: {problem}").format(problem=printer_problem(printer)), "", theme.WARN
        )
    headline, warn = _done(events, codes)
    if not headline and outcome.scan is not None:
        headline = _("Read: {code}").format(code=shortened(_AIM.sub("", outcome.scan.raw.strip())))
    return Feedback(headline or shortened(outcome.message, 80), "", theme.WARN if warn else theme.GOOD)


def _refusal(text: str, message: str, unclassified: bool, patterns: CodePatterns) -> Feedback:
    if unclassified:
        try:
            classify(text, patterns)
        except ScanRejected:
            return Feedback(
                _("Not a code this station knows: scan the return label or the item's barcode"),
                _("Scanned: {code}").format(code=shortened(text)),
                theme.BAD,
            )
    head, _sep, rest = message.partition(": ")
    if not rest or len(head) < 12:
        head, rest = message, ""
    return Feedback(head, rest, theme.BAD)


def _is_mismatch(event: Event) -> bool:
    return event.data.get("reason") in _MISMATCHES


def _mismatch_words(reason: str) -> str:
    words = {
        "wrong_item": _("Wrong item: not on this return"),
        "extra_item": _("Extra item: more than the return allows"),
        "serial_mismatch": _("Serial number differs from the return"),
    }
    return words[reason]


def _done(events: Sequence[Event], codes: ScannedCodes) -> tuple[str, bool]:
    """The headline for committed events, and whether it needs a look (amber)."""
    for event in reversed(events):
        d = event.data
        match event.type:
            case "label.voided":
                return _("Take off label {lpn}: it is void").format(lpn=d.get("lpn", "")), True
            case "workorder.opened":
                return _("Work order {wo} opened").format(wo=codes.shown(d["workorder"])), False
            case "workorder.diagnosed":
                return _("Diagnosis recorded"), False
            case "workorder.wiped":
                return _("Data wipe recorded"), False
            case "workorder.labour_logged":
                return _("Time recorded"), False
            case "workorder.part_used":
                return _("Part recorded"), False
            case "order.pack_started":
                return _("Order {order} opened").format(order=codes.shown(d["order"])), False
            case "order.unit_scanned":
                return _("{lpn} packed on line {line}").format(lpn=d["lpn"], line=d["line"]), False
            case "order.pack_cancelled":
                return _("Order {order} cancelled").format(order=codes.shown(d["order"])), False
            case "inventory.moved":
                return _("{lpn} moved to {bin}").format(lpn=d["lpn"], bin=d["to_bin"]), False
            case "override.granted":
                return _("Allowed by a supervisor"), False
            case "operator.pin_failed":
                return _("Wrong PIN: try again"), True
            case "return.completed":
                missing = int(d["missing"])
                if missing:
                    text = ngettext(
                        "Return {rma} finished: {n} item missing",
                        "Return {rma} finished: {n} items missing",
                        missing,
                    )
                    return text.format(rma=d["rma"], n=missing), True
                return _("Return {rma} finished").format(rma=d["rma"]), False
            case "return.cancelled":
                return _("Return {rma} cancelled").format(rma=d["rma"]), False
            case "return.dispositioned":
                where = disposition_words(d["disposition"])
                return f"{where}: {tote(d['disposition'])}  ·  {d['lpn']}", False
            case "return.item_verified":
                if d.get("blind"):
                    return _("Item taken in (blind receipt)"), False
                return _("Line {line} scanned").format(line=d["line"]), False
            case "return.received":
                return _("Return {rma} opened").format(rma=d["rma"]), bool(d.get("blind"))
            case "operator.signed_in":
                return _("Signed in: {name}").format(name=d["name"]), False
            case "operator.signed_out":
                return _("Signed out"), False
            case "inventory.restocked":
                return _("{lpn} restocked in {bin}").format(lpn=d["lpn"], bin=d["bin"]), False
            case "order.packed":
                return _("Order packed: carrier label printing"), False
            case "workorder.closed":
                return _("Work order {wo} closed").format(wo=codes.shown(d["workorder"])), False
    return "", False
