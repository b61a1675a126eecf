"""Intake's state and inputs: the open return, its units, and what a scan or touch brings."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from station.core.disposition import Disposition, Grade
from station.core.events import NewEvent
from station.core.manifest import ExpectedReturn
from station.core.stock import UnitRecord

SELLABLE_GRADES = frozenset({Grade.A, Grade.B, Grade.C, Grade.D})
#: Sources of codes a person typed rather than scanned (the on-screen keypad sends ``keyed:...``).
KEYED_PREFIX = "keyed"


def is_keyed(source: str) -> bool:
    """Whether a code came from a person's keys rather than a scanner."""
    return source.startswith(KEYED_PREFIX)


class Phase(StrEnum):
    IDLE = "idle"
    AWAITING_OVERRIDE = "awaiting_override"
    VERIFYING = "verifying"
    GRADING = "grading"


class Match(StrEnum):
    MATCHED = "matched"
    WRONG_ITEM = "wrong_item"
    EXTRA_ITEM = "extra_item"
    SERIAL_MISMATCH = "serial_mismatch"
    BLIND = "blind"


@dataclass(frozen=True)
class Unit:
    """One physical unit taken in at the counter."""

    index: int
    gtin: str
    serial: str | None
    match: Match
    stocked: bool
    line: int | None = None
    title: str = ""
    category: str = ""
    value: float = 0.0
    grade: Grade | None = None
    reasons: tuple[str, ...] = ()
    disposition: Disposition | None = None
    rule: str | None = None
    lpn: str | None = None
    source: str = ""  # the scanner URI (or ``keyed:...``) the item came from


@dataclass(frozen=True)
class IntakeState:
    phase: Phase = Phase.IDLE
    ret: ExpectedReturn | None = None
    return_code: str | None = None
    blind: bool = False
    units: tuple[Unit, ...] = ()
    pending_code: str | None = None
    cap_override: str | None = None  # the supervisor who lifted the refund cap
    carried_flags: tuple[str, ...] = ()  # review reasons of an earlier, cancelled attempt at this return

    @property
    def current(self) -> Unit | None:
        """The unit being graded."""
        return self.units[-1] if self.phase is Phase.GRADING else None

    def received(self, line: int) -> int:
        return sum(1 for u in self.units if u.line == line and u.match is Match.MATCHED)

    @property
    def expected_count(self) -> int:
        return sum(i.quantity for i in self.ret.items) if self.ret else 0

    @property
    def prompt(self) -> str:
        """What the person at the counter should do next, in one sentence."""
        if self.phase is Phase.IDLE:
            return "Scan a return code (RMA or return QR)."
        if self.phase is Phase.AWAITING_OVERRIDE:
            return (
                f"Return {self.pending_code} is not in the manifest: a supervisor scans their badge to "
                "take it as a blind receipt, or scan another return code."
            )
        assert self.ret is not None
        if self.phase is Phase.GRADING:
            unit = self.units[-1]
            return f"Grade {unit.title or unit.gtin}: A, B, C, D, incorrect item or junk."
        matched = sum(1 for u in self.units if u.match is Match.MATCHED)
        if self.blind:
            return (
                f"Blind receipt {self.ret.rma}: scan the next item, or finish ({len(self.units)} taken in)."
            )
        if matched >= self.expected_count:
            return f"Return {self.ret.rma}: all {self.expected_count} items are in; finish the return."
        return f"Return {self.ret.rma}: scan item {matched + 1} of {self.expected_count}, or finish."


@dataclass(frozen=True)
class ReturnCode:
    """A scanned return code with the manifest entry the station found for it (None: unknown)."""

    code: str
    kind: str
    manifest: ExpectedReturn | None
    carried_flags: tuple[str, ...] = ()  # review reasons of an earlier, cancelled attempt at it


@dataclass(frozen=True)
class ItemScan:
    gtin: str
    serial: str | None = None
    stocked: bool = False  # whether this hub stocks the GTIN (looked up by the caller)
    gs_missing: bool = False
    source: str = ""  # the scanner URI, or ``keyed:...`` for a code typed on the screen
    known: UnitRecord | None = None  # the unit this hub already holds with this GTIN and serial


@dataclass(frozen=True)
class GradeUnit:
    grade: Grade
    lpn: str
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class BlindApproval:
    """A supervisor took an unknown return as a blind receipt (the desk records ``override.granted``)."""

    supervisor: str


@dataclass(frozen=True)
class RefundCapOverride:
    """Pay the whole refund above the return's cap: allowed by a supervisor (``override``: their badge)."""

    override: str | None = None


@dataclass(frozen=True)
class Finish:
    hub: str = ""  # part of the refund's id
    received_elsewhere: bool = False  # another station of the hub received this return meanwhile


@dataclass(frozen=True)
class Cancel:
    pass


@dataclass(frozen=True)
class Regrade:
    """Grade the unit graded last again (a wrong grade tapped): it keeps its LPN, its label is voided."""


IntakeInput = (
    ReturnCode | ItemScan | GradeUnit | Regrade | BlindApproval | RefundCapOverride | Finish | Cancel
)
Step = tuple[IntakeState, list[NewEvent]]
