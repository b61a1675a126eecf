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
from station.core.operators import OverrideKind
from station.runtime.desk import DeskView, Outcome
from station.ui import theme
from station.ui.i18n import _, ngettext
from station.ui.words import disposition_words, printer_problem, request_words, tote, value_words

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

    def shown_in(self, text: str, value: str | None) -> str:
        """``text`` with the code ``value`` in it as it was scanned."""
        if not value:
            return text
        return re.sub(rf"(?<![\w-]){re.escape(value)}(?!\w)", lambda _m: self.shown(value), text)


def _asked(view: DeskView) -> str | None:
    """What waits for a second person in ``view``, if anything."""
    return view.pending or view.intake.pending_code


def feedback(
    view: DeskView,
    patterns: CodePatterns,
    printer: str,
    codes: ScannedCodes,
    before: DeskView | None = None,
) -> Feedback:
    """The bar for ``view`` (``before``: the view it follows); ``printer`` is the printer's state word
    (``ready``, ``paper_out``...)."""
    outcome = view.outcome
    waits = _asked(view)
    if outcome is not None and not outcome.ok and waits is not None and before and _asked(before) == waits:
        # refused while a request waits (a PIN scanned, a wrong PIN): why, in red; the request stays
        return _refusal(outcome.input, said(outcome), outcome.scan is None, patterns)
    if view.pin_approves is not None:  # the approver's badge was read: their PIN on the keypad
        name = view.pin_for or ""
        what = codes.shown_in(request_words(view.approving), view.intake.pending_code)
        headline = (
            _("{name}: type your PIN to verify")
            if view.pending_kind is OverrideKind.WIPE
            else _("{name}: type your PIN to approve")
        )
        return Feedback(headline.format(name=name), what, theme.WARN)
    if view.intake.pending_code is not None:
        what = _("Return {code} is not in the manifest").format(code=codes.shown(view.intake.pending_code))
        return Feedback(_("Needs a supervisor, who scans their own badge"), what, theme.WARN)
    if view.pending is not None:
        headline = (
            _("Needs a verifier, who scans their own badge")
            if view.pending_kind is OverrideKind.WIPE
            else _("Needs a supervisor, who scans their own badge")
        )
        return Feedback(headline, request_words(view.pending_request), theme.WARN)
    if outcome is None:
        return Feedback(_("Ready"), "", theme.NEUTRAL)
    if outcome.ok and outcome.input.startswith("lookup_labels"):  # the Reprint screen opened or closed
        on = outcome.input.endswith(" on")
        return Feedback(
            _("Scan an LPN, RMA or order to find its labels") if on else _("Ready"), "", theme.NEUTRAL
        )
    if view.pin_for is not None and outcome.ok:
        return Feedback(_("Badge read: {name}").format(name=view.pin_for), "", theme.GOOD)
    if not outcome.ok:
        return _refusal(outcome.input, said(outcome), outcome.scan is None, patterns)
    events = outcome.events
    mismatch = next((e for e in events if e.type == "return.item_mismatch" and _is_mismatch(e)), None)
    if mismatch is not None:
        return Feedback(
            _mismatch_words(str(mismatch.data["reason"])),
            _("Grade it as Wrong item, or take it back and scan the right one."),
            theme.WARN,
        )
    voided = [str(e.data.get("lpn", "")) for e in events if e.type == "label.voided"]
    if voided:  # before anything else: a voided label left on a unit sends it the wrong way
        return Feedback(
            ngettext(
                "Take off label {lpns}: it is void", "Take off labels {lpns}: they are void", len(voided)
            ).format(lpns=", ".join(voided)),
            _("Grade it again: its new label keeps the same LPN.")
            if any(e.type == "return.regraded" for e in events)
            else "",
            theme.WARN,
        )
    labelled = any(e.type in ("return.dispositioned", "workorder.closed", "order.packed") for e in events)
    if labelled and printer not in ("ready", "printing", "unknown"):
        return Feedback(
            _("Label waiting: {problem}").format(problem=printer_problem(printer)), "", theme.WARN
        )
    headline, colour = _done(events, codes)
    if not headline and outcome.scan is not None:
        headline = _("Read: {code}").format(code=shortened(_AIM.sub("", outcome.scan.raw.strip())))
    return Feedback(headline or shortened(outcome.message, 80), "", colour)


def said(outcome: Outcome) -> str:
    """The outcome's sentence in the screen's language (its English template is the catalog's message id;
    a sentence the catalog does not hold is shown in English)."""
    template = outcome.template or outcome.message
    sentence = _(template)
    if not outcome.params:
        return sentence
    return sentence.format(**{name: value_words(value) for name, value in outcome.params.items()})


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
    return Feedback(head, rest[:1].upper() + rest[1:], theme.BAD)


def _is_mismatch(event: Event) -> bool:
    return event.data.get("reason") in _MISMATCHES


def _mismatch_words(reason: str) -> str:
    words = {
        "wrong_item": _("Wrong item: not on this return"),
        "extra_item": _("Extra item: more than the return allows"),
        "serial_mismatch": _("Serial number differs from the return"),
    }
    return words[reason]


def _done(events: Sequence[Event], codes: ScannedCodes) -> tuple[str, Colour]:
    """The headline for committed events, and its colour: green, or amber when it needs a look."""
    for event in reversed(events):
        d = event.data
        match event.type:
            case "workorder.opened":
                return _("Work order {wo} opened").format(wo=codes.shown(d["workorder"])), theme.GOOD
            case "workorder.diagnosed":
                return _("Diagnosis recorded"), theme.GOOD
            case "workorder.wiped":
                return _("Data wipe recorded"), theme.GOOD
            case "workorder.labour_logged":
                return _("Time recorded"), theme.GOOD
            case "workorder.part_used":
                return _("Part recorded"), theme.GOOD
            case "order.pack_started":
                return _("Order {order} opened").format(order=codes.shown(d["order"])), theme.GOOD
            case "order.unit_scanned":
                return _("{lpn} packed on line {line}").format(lpn=d["lpn"], line=d["line"]), theme.GOOD
            case "order.pack_cancelled":
                return _("Order {order} cancelled").format(order=codes.shown(d["order"])), theme.GOOD
            case "inventory.moved":
                return _("{lpn} moved to {bin}").format(lpn=d["lpn"], bin=d["to_bin"]), theme.GOOD
            case "override.granted":
                return _("Allowed by a supervisor"), theme.GOOD
            case "operator.pin_failed":
                return _("Wrong PIN: try again"), theme.WARN
            case "return.completed":
                missing = int(d["missing"])
                if missing:
                    text = ngettext(
                        "Return {rma} finished: {n} item missing",
                        "Return {rma} finished: {n} items missing",
                        missing,
                    )
                    return text.format(rma=d["rma"], n=missing), theme.WARN
                return _("Return {rma} finished").format(rma=d["rma"]), theme.GOOD
            case "return.cancelled":
                return _("Return {rma} cancelled").format(rma=d["rma"]), theme.GOOD
            case "return.dispositioned":
                where = disposition_words(d["disposition"])
                return f"{where}: {tote(d['disposition'])}  ·  {d['lpn']}", theme.GOOD
            case "return.item_verified":
                if d.get("blind"):
                    return _("Item taken in (blind receipt)"), theme.GOOD
                return _("Line {line} scanned").format(line=d["line"]), theme.GOOD
            case "return.received":
                opened = _("Return {rma} opened").format(rma=d["rma"])
                return opened, theme.WARN if d.get("blind") else theme.GOOD
            case "operator.signed_in":
                return _("Signed in: {name}").format(name=d["name"]), theme.GOOD
            case "operator.signed_out":
                if d.get("reason") == "idle":
                    return _("Signed out automatically: no input for a while"), theme.NEUTRAL
                return _("Signed out"), theme.GOOD
            case "inventory.restocked":
                return _("{lpn} restocked in {bin}").format(lpn=d["lpn"], bin=d["bin"]), theme.GOOD
            case "order.packed":
                return _("Order packed: carrier label printing"), theme.GOOD
            case "workorder.closed":
                return _("Work order {wo} closed").format(wo=codes.shown(d["workorder"])), theme.GOOD
    return "", theme.GOOD
