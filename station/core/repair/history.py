"""A work order changed only by folding its events: replaying the log rebuilds what the bench saw."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from station.core.disposition import Disposition, Grade
from station.core.repair.model import Note, Outcome, Part, Wipe, WipeMethod, WorkOrder


def evolve(wo: WorkOrder | None, event_type: str, data: Mapping[str, Any]) -> WorkOrder | None:
    """The work order after one of its events (``workorder.opened`` starts it)."""
    if event_type == "workorder.opened":
        return WorkOrder(
            data["workorder"], data["lpn"], data["gtin"], data["serial"], data["source"], data["data_bearing"]
        )
    if wo is None:
        return None
    match event_type:
        case "workorder.diagnosed":
            return replace(wo, diagnoses=(*wo.diagnoses, data["code"]))
        case "workorder.part_used":
            return replace(wo, parts=(*wo.parts, Part(data["code"], data["part_gtin"], data["part_serial"])))
        case "workorder.wiped":
            wipe = Wipe(WipeMethod(data["method"]), data["tool"], data["verified_by"])
            return replace(wo, wipes=(*wo.wipes, wipe))
        case "workorder.labour_logged":
            return replace(wo, labour_minutes=wo.labour_minutes + data["minutes"])
        case "workorder.noted":
            return replace(wo, notes=(*wo.notes, Note(data["text"], data["customer_visible"])))
        case "workorder.closed":
            return replace(
                wo,
                status="closed",
                outcome=Outcome(data["outcome"]),
                grade=Grade(data["grade"]),
                disposition=Disposition(data["disposition"]),
            )
    return wo


def replay(events: Iterable[tuple[str, Mapping[str, Any]]]) -> WorkOrder | None:
    """One work order rebuilt from its events ``(type, data)``, in order."""
    wo: WorkOrder | None = None
    for event_type, data in events:
        wo = evolve(wo, event_type, data)
    return wo
