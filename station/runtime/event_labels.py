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


def labels_for(
    new: Sequence[NewEvent],
    *,
    titles: Mapping[int, str],
    carrier_label: Callable[[str], str | None],
    operator: str,
    today: str,
) -> list[tuple[str, dict[str, Any], str | None]]:
    """(template, data, lpn) of each label ``new`` calls for; ``titles`` are the intake units' titles."""
    grades = {e.data["unit"]: e.data["grade"] for e in new if e.type == "return.graded"}
    wanted: list[tuple[str, dict[str, Any], str | None]] = []
    for event in new:
        d = event.data
        if event.type == "return.dispositioned":
            data = _lpn_label(
                d["lpn"], d["rma"], str(grades.get(d["unit"], "-")), d["disposition"], today, operator
            )
            if titles.get(d["unit"]):
                data["title"] = titles[d["unit"]][:30]
            wanted.append(("return_lpn", data, d["lpn"]))
        elif event.type == "order.packed":
            wanted.append(("shipping", {"zpl": carrier_label(d["order"]) or ""}, None))
        elif event.type == "workorder.closed":
            data = _lpn_label(d["lpn"], d["workorder"], d["grade"], d["disposition"], today, operator)
            wanted.append(("return_lpn", data, d["lpn"]))
    return wanted


def render_all(wanted: Sequence[tuple[str, dict[str, Any], str | None]], dpi: int) -> list[QueuedLabel]:
    """Render each wanted label; one that cannot be rendered is logged and left out (reprint it later)."""
    labels = []
    for template, data, lpn in wanted:
        try:
            zpl = render_label(template, data, dpi=dpi).zpl
        except StationError as exc:
            log.error(
                "The %s label for %s cannot be printed (%s): reprint it once fixed.", template, lpn, exc
            )
            continue
        labels.append(QueuedLabel(template, data, lpn, zpl))
    return labels
