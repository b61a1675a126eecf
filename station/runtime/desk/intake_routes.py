"""Intake at the counter: return codes and items become intake inputs; grade and the refund-cap override."""

from __future__ import annotations

from collections.abc import Sequence

from station.core import intake
from station.core.disposition import Grade
from station.core.errors import FlowError
from station.core.events import Event
from station.core.operators import Flow
from station.core.scans import RETURN_CODE_KINDS, Scan
from station.runtime.desk.session import Session
from station.store import stock as units
from station.store.manifests import find_return, is_stocked


def gtin_of(scan: Scan) -> str:
    """The scan's GTIN, or a sentence saying to scan the product code."""
    if scan.gtin is None:
        raise FlowError(
            "This {kind} has no GTIN (01): scan the product code.", kind=scan.kind.value.replace("_", " ")
        )
    return scan.gtin


class IntakeRoutes:
    flow = Flow.INTAKE
    touches = frozenset({"grade", "regrade", "override"})

    def __init__(self, session: Session) -> None:
        self.session = session

    def scan_input(self, scan: Scan) -> intake.IntakeInput:
        store = self.session.store
        if scan.kind in RETURN_CODE_KINDS:
            found = find_return(store, scan.value)
            carried = self.session.reader.carried_flags(found.rma) if found is not None else ()
            return intake.ReturnCode(scan.value, scan.kind.value, found, carried)
        gtin = gtin_of(scan)
        known = units.find_serial(store, gtin, scan.serial) if scan.serial else None
        source = self.session.scan_source
        return intake.ItemScan(gtin, scan.serial, is_stocked(store, gtin), scan.gs_missing, source, known)

    def touch(self, action: str, args: Sequence[str]) -> list[Event]:
        if action == "grade":
            return self.session.advance(Flow.INTAKE, self._grade(args))
        if action == "regrade":
            return self.session.advance(Flow.INTAKE, intake.Regrade())
        if [a.lower() for a in args] != ["refund_cap"]:
            raise FlowError("The override to ask for at the counter is override:refund_cap.")
        self.session.switch(Flow.INTAKE)
        return self.session.advance(Flow.INTAKE, intake.RefundCapOverride())

    def finish_input(self) -> intake.IntakeInput:
        state = self.session.intake
        now = self.session.reader.manifest(state.ret.rma) if state.ret and not state.blind else None
        # marked received here only when a return completes: while it is open, the mark came from the hub
        return intake.Finish(self.session.config.hub, now is not None and now.status == "received")

    def cancel_input(self) -> intake.IntakeInput:
        return intake.Cancel()

    def _grade(self, args: Sequence[str]) -> intake.GradeUnit:
        if not args:
            raise FlowError("Choose a grade: A, B, C, D, incorrect item or junk.")
        value = args[0]
        try:
            grade = Grade(value.upper() if len(value) == 1 else value.lower())
        except ValueError:
            raise FlowError(
                "Grade {value!r} does not exist: choose A, B, C, D, incorrect_item or junk.", value=value
            ) from None
        reasons = tuple(r for arg in args[1:] for r in arg.split(",") if r)
        unit = self.session.intake.current
        lpn = self.session.lpn_for(unit) if unit is not None else self.session.next_lpn()
        return intake.GradeUnit(grade, lpn, reasons)
