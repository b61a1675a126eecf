"""What a repair work order is, and the inputs a bench gives it."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from station.core.disposition import Disposition, Grade
from station.core.events import NewEvent
from station.core.stock import UnitRecord

DATA_BEARING_CATEGORIES = frozenset({"electronics", "computers", "phones", "storage"})
DIAGNOSIS = re.compile(r"[A-Z0-9][A-Z0-9_-]{1,31}")
MAX_LABOUR_MINUTES = 600
MAX_NOTE = 500


class Outcome(StrEnum):
    REPAIRED = "repaired"
    UNREPAIRABLE = "unrepairable"
    HARVESTED = "harvested"  # taken apart for parts


class WipeMethod(StrEnum):
    """NIST SP 800-88 Rev. 1 sanitization methods a hub performs (destroy is the recycler's)."""

    CLEAR = "clear"
    PURGE = "purge"


@dataclass(frozen=True)
class Part:
    code: str  # what was scanned: the part code, or the GTIN
    gtin: str | None = None
    serial: str | None = None


@dataclass(frozen=True)
class Wipe:
    method: WipeMethod
    tool: str
    verified_by: str  # the badge of a second person present, whose PIN was checked

    def as_dict(self) -> dict[str, str]:
        return {"method": self.method.value, "tool": self.tool, "verified_by": self.verified_by}


@dataclass(frozen=True)
class Note:
    text: str
    customer_visible: bool


@dataclass(frozen=True)
class WorkOrder:
    number: str
    lpn: str
    gtin: str
    serial: str | None
    source: str  # "disposition" (opened here) or "oms" (sent down)
    data_bearing: bool
    status: str = "open"  # open, closed
    diagnoses: tuple[str, ...] = ()
    parts: tuple[Part, ...] = ()
    wipes: tuple[Wipe, ...] = ()  # every wipe recorded: a second one adds to the first
    labour_minutes: int = 0
    notes: tuple[Note, ...] = ()
    outcome: Outcome | None = None
    grade: Grade | None = None
    disposition: Disposition | None = None


@dataclass(frozen=True)
class RepairState:
    current: WorkOrder | None = None

    @property
    def prompt(self) -> str:
        wo = self.current
        if wo is None:
            return "Repair: scan a unit's LPN or a work order."
        todo = []
        if not wo.diagnoses:
            todo.append("a diagnosis")
        if wo.data_bearing and not wo.wipes:
            todo.append("the data wipe")
        need = f" (still needs {' and '.join(todo)})" if todo else ""
        return f"Work order {wo.number} on {wo.lpn}{need}: record the work, then close it."


@dataclass(frozen=True)
class SentDown:
    """A work order the OMS sent down for this hub."""

    number: str
    lpn: str
    gtin: str
    serial: str | None = None
    data_bearing: bool = False
    problem: str = ""
    status: str = "sent"  # sent, open, closed


@dataclass(frozen=True)
class Open:
    """Open a work order: ``number`` is the new number, on ``unit`` (scanned by LPN) or ``sent`` (by WO)."""

    number: str
    unit: UnitRecord | None = None
    sent: SentDown | None = None
    override: str | None = None


@dataclass(frozen=True)
class Resume:
    """Take up a work order that is still open (scanned again by its LPN or number)."""

    work_order: WorkOrder


@dataclass(frozen=True)
class Diagnose:
    code: str


@dataclass(frozen=True)
class UsePart:
    code: str
    gtin: str | None = None
    serial: str | None = None


@dataclass(frozen=True)
class RecordWipe:
    """A data wipe; ``verified_by`` is set by the desk once a second person's badge and PIN were checked."""

    method: str
    tool: str
    verified_by: str | None = None


@dataclass(frozen=True)
class Labour:
    minutes: int


@dataclass(frozen=True)
class AddNote:
    text: str
    customer_visible: bool


@dataclass(frozen=True)
class Close:
    outcome: str
    grade: str
    disposition: str


@dataclass(frozen=True)
class Park:
    """Leave the work order open and free the bench for another unit."""


RepairInput = Open | Resume | Diagnose | UsePart | RecordWipe | Labour | AddNote | Close | Park
Step = tuple[RepairState, list[NewEvent]]
