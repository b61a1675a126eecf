"""Which labels committed events call for: the LPN label of a dispositioned or repaired unit, the carrier's
label of a packed order. Rendered to ZPL before the events' transaction, queued inside it."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from station.core.errors import StationError
from station.core.events import NewEvent
from station.labels import render_label

log = logging.getLogger(__name__)

#: Where a unit goes next, printed on its LPN label as the tote or bin to put it in.
TOTES = {
    "restock_local": "RESTOCK CART",
    "repair": "REPAIR BENCH",
    "liquidate": "LIQUIDATION TOTE",
    "donate": "DONATION TOTE",
    "recycle": "RECYCLING",
    "return_to_dc": "DC OUTBOUND",
}


@dataclass(frozen=True)
class QueuedLabel:
    template: str
    data: dict[str, Any]
    lpn: str | None
    zpl: bytes


def _lpn_label(
    lpn: str, reference: str, grade: str, disposition: str, today: str, operator: str
) -> dict[str, Any]:
    return {
        "lpn": lpn,
        "rma": reference[:24],
        "grade": grade[:14],
        "disposition": disposition[:14],
        "bin": TOTES.get(disposition, "-"),
        "date": today,
        "operator": operator[:24],
    }


Wanted = tuple[str, dict[str, Any], str | None]  # (template, data, lpn)


def labels_for(
    new: Sequence[NewEvent],
    *,
    titles: Mapping[int, str],
    carrier_label: Callable[[str], str | None],
    operator: str,
    today: str,
) -> list[tuple[Wanted, str]]:
    """Each label ``new`` calls for, with the subject of the event that called for it; ``titles`` are the
    intake units' titles."""
    grades = {e.data["unit"]: e.data["grade"] for e in new if e.type == "return.graded"}
    wanted: list[tuple[Wanted, str]] = []
    for event in new:
        d = event.data
        if event.type == "return.dispositioned":
            data = _lpn_label(
                d["lpn"], d["rma"], str(grades.get(d["unit"], "-")), d["disposition"], today, operator
            )
            if titles.get(d["unit"]):
                data["title"] = titles[d["unit"]][:30]
            wanted.append((("return_lpn", data, d["lpn"]), event.subject))
        elif event.type == "order.packed":
            wanted.append((("shipping", {"zpl": carrier_label(d["order"]) or ""}, None), event.subject))
        elif event.type == "workorder.closed":
            data = _lpn_label(d["lpn"], d["workorder"], d["grade"], d["disposition"], today, operator)
            wanted.append((("return_lpn", data, d["lpn"]), event.subject))
    return wanted


@dataclass(frozen=True)
class FailedLabel:
    """A label an event called for that could not be rendered, and why."""

    template: str
    subject: str  # the LPN, or what the label was for (the order)
    lpn: str | None
    reason: str


def render_all(wanted: Sequence[tuple[Wanted, str]], dpi: int) -> tuple[list[QueuedLabel], list[FailedLabel]]:
    """Render each wanted label: (rendered, failed: a ``label.failed`` event is recorded for each)."""
    labels, failed = [], []
    for (template, data, lpn), about in wanted:
        try:
            zpl = render_label(template, data, dpi=dpi).zpl
        except StationError as exc:
            subject = lpn or about
            log.error("The %s label for %s cannot be made: %s", template, subject, exc)
            failed.append(FailedLabel(template, subject, lpn, str(exc)))
            continue
        labels.append(QueuedLabel(template, data, lpn, zpl))
    return labels, failed


def failed_label_events(failed: Sequence[FailedLabel], printer: str) -> list[NewEvent]:
    """A ``label.failed`` per label that could not be made (committed with the events that called for it)."""
    return [
        NewEvent(
            "label.failed",
            f.subject,
            {
                "job": "not queued",
                "template": f.template,
                "lpn": f.lpn,
                "printer": printer,
                "reason": f"{f.reason} The label was not made: call a supervisor to correct the data.",
            },
        )
        for f in failed
    ]
