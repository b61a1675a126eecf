"""The core worker's logic: one command in, one committed outcome out.

It turns classified scans and touches into steps of the pure flows in :mod:`station.core`, looks up what
those steps need in the store (manifest, stock, operators), and commits the resulting events in one
transaction. Only the core worker thread calls it, so it owns every write of domain state.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from station.config import Config
from station.core import intake
from station.core.classify import classify
from station.core.disposition import Grade
from station.core.errors import FlowError, StationError
from station.core.events import Event, NewEvent
from station.core.manifest import Operator
from station.core.scans import ITEM_KINDS, RETURN_CODE_KINDS, Scan, ScanKind
from station.store.database import StationDB
from station.store.events import EventLog
from station.store.manifests import find_operator, find_return, is_stocked, mark_return


@dataclass(frozen=True)
class Touch:
    """A touch (or a command barcode): ``grade`` with args (grade, reasons...), ``finish``, ``cancel``,
    ``sign_out``."""

    action: str
    args: tuple[str, ...] = ()


@dataclass(frozen=True)
class Outcome:
    """What happened to one command: shown to the person (green or red, and one sentence)."""

    ok: bool
    message: str
    input: str
    scan: Scan | None = None
    events: Sequence[Event] = ()
    prompt: str = ""
    operator: str | None = None
    committed_ns: int = field(default_factory=time.monotonic_ns)
    scanned_ns: int = 0  # when the scanner delivered it (monotonic), for latency figures


_MISMATCH = {
    "wrong_item": "wrong item: not on this return",
    "extra_item": "extra item: more than the return authorized",
    "serial_mismatch": "serial mismatch: not the unit the return authorized",
}


def _summary(event: Event) -> str | None:
    d = event.data
    match event.type:
        case "operator.signed_in":
            return f"signed in: {d['name']}"
        case "operator.signed_out":
            return f"signed out: {d['badge']}"
        case "return.received":
            return f"return {d['rma']}" + (" taken as a blind receipt" if d["blind"] else " opened")
        case "return.item_verified":
            return "item taken in (blind receipt)" if d["blind"] else f"item matches line {d['line']}"
        case "return.item_mismatch":
            if d["reason"] == "missing":
                return f"line {d['line']} missing ({d['quantity']})"
            return _MISMATCH.get(d["reason"], d["reason"])
        case "return.dispositioned":
            return f"{d['disposition']} ({d['rule']}), label {d['lpn']}"
        case "refund.eligible":
            return f"refund {d['amount']:.2f} {d['currency']}" + (" (capped)" if d["capped"] else "")
        case "return.completed":
            return f"return {d['rma']} done: {d['units']} units, {d['missing']} missing"
        case "return.cancelled":
            return f"return {d['rma']} cancelled"
    return None


def summarize(events: Sequence[Event]) -> str:
    """One line for what the events say happened (the headless station prints it)."""
    return "; ".join(s for s in map(_summary, events) if s)


def lpn_prefix(hub: str, station: str) -> str:
    """A short tag that keeps LPNs of different stations apart."""
    alnum = re.compile(r"[^A-Za-z0-9]")
    return (alnum.sub("", hub)[:3] + alnum.sub("", station)[-3:]).upper()


class Desk:
    """Session state (who is signed in, the open return) and the step from a command to committed events."""

    def __init__(self, config: Config, store: StationDB, log: EventLog) -> None:
        self.config = config
        self.store = store
        self.log = log
        self.operator: Operator | None = None
        self.intake = intake.IntakeState()
        self._lpn_prefix = lpn_prefix(config.hub, config.station)

    @property
    def prompt(self) -> str:
        if self.operator is None:
            return "Scan your badge to sign in."
        return self.intake.prompt

    def handle_scan(self, text: str) -> Outcome:
        try:
            scan = classify(text, self.config.codes)
        except StationError as exc:
            return self._refused(text, str(exc))
        try:
            events = self._on_scan(scan)
        except StationError as exc:
            return self._refused(text, str(exc), scan)
        return self._done(text, events, scan)

    def handle_touch(self, touch: Touch) -> Outcome:
        label = " ".join((touch.action, *touch.args))
        try:
            events = self._on_touch(touch)
        except StationError as exc:
            return self._refused(label, str(exc))
        return self._done(label, events)

    # -- internals ------------------------------------------------------------------------------------

    def _refused(self, text: str, message: str, scan: Scan | None = None) -> Outcome:
        return Outcome(False, message, text, scan, (), self.prompt, self._operator_name())

    def _done(self, text: str, events: Sequence[Event], scan: Scan | None = None) -> Outcome:
        what = summarize(events) or (f"{scan.kind.value} {scan.value}" if scan else text)
        return Outcome(True, what, text, scan, events, self.prompt, self._operator_name())

    def _operator_name(self) -> str | None:
        return self.operator.name if self.operator else None

    def _on_scan(self, scan: Scan) -> list[Event]:
        if scan.kind is ScanKind.BADGE:
            return self._on_badge(scan)
        if self.operator is None:
            raise FlowError("Scan your badge to sign in first.")
        if scan.kind is ScanKind.COMMAND:
            action, *args = scan.value.lower().split(":")
            return self._on_touch(Touch(action, tuple(args)))
        if scan.kind in RETURN_CODE_KINDS:
            manifest = find_return(self.store, scan.value)
            return self._intake(intake.ReturnCode(scan.value, scan.kind.value, manifest))
        if scan.kind in ITEM_KINDS:
            if scan.gtin is None:
                raise FlowError(
                    f"This {scan.kind.value.replace('_', ' ')} has no GTIN (01): scan the product code."
                )
            stocked = is_stocked(self.store, scan.gtin)
            return self._intake(intake.ItemScan(scan.gtin, scan.serial, stocked, scan.gs_missing))
        raise FlowError(
            f"A {scan.kind.value.replace('_', ' ')} code is not used at the return counter: "
            "scan a return code or an item."
        )

    def _on_badge(self, scan: Scan) -> list[Event]:
        known = find_operator(self.store, scan.value)
        has_list = self.store.conn.execute("SELECT 1 FROM operators LIMIT 1").fetchone() is not None
        if known is None and has_list:
            raise FlowError(f"Badge {scan.value} is not known at this hub: ask a supervisor to add it.")
        operator = known or Operator(scan.value, scan.value, frozenset(self.config.roles))
        if self.intake.phase is intake.Phase.AWAITING_OVERRIDE and self.operator is not None:
            if not operator.is_supervisor:
                raise FlowError(
                    f"{operator.name} is not a supervisor: a supervisor must approve a blind receipt."
                )
            return self._intake(intake.BlindApproval(operator.badge))
        if self.intake.phase in (intake.Phase.VERIFYING, intake.Phase.GRADING):
            raise FlowError("Finish or cancel the open return before another person signs in.")
        new = [
            NewEvent(
                "operator.signed_in",
                operator.badge,
                {"badge": operator.badge, "name": operator.name, "roles": sorted(operator.roles)},
            )
        ]
        before = self.operator
        if before is not None:
            new.insert(
                0,
                NewEvent("operator.signed_out", before.badge, {"badge": before.badge, "reason": "replaced"}),
            )
        committed = self.log.append(new, operator.badge)
        self.operator = operator
        self.intake = intake.IntakeState()
        return committed

    def _on_touch(self, touch: Touch) -> list[Event]:
        if self.operator is None:
            raise FlowError("Scan your badge to sign in first.")
        action = touch.action
        if action == "grade":
            if not touch.args:
                raise FlowError("Choose a grade: A, B, C, D, incorrect item or junk.")
            value = touch.args[0]
            try:
                grade = Grade(value.upper() if len(value) == 1 else value.lower())
            except ValueError:
                raise FlowError(
                    f"Grade {value!r} does not exist: choose A, B, C, D, incorrect_item or junk."
                ) from None
            reasons = tuple(r for arg in touch.args[1:] for r in arg.split(",") if r)
            return self._intake(intake.GradeUnit(grade, self._next_lpn(), reasons))
        if action in ("finish", "done"):
            return self._intake(intake.Finish())
        if action == "cancel":
            return self._intake(intake.Cancel())
        if action in ("sign_out", "signout"):
            if self.intake.phase in (intake.Phase.VERIFYING, intake.Phase.GRADING):
                raise FlowError("Finish or cancel the open return before signing out.")
            badge = self.operator.badge
            committed = self.log.append(
                [NewEvent("operator.signed_out", badge, {"badge": badge, "reason": "manual"})], badge
            )
            self.operator = None
            self.intake = intake.IntakeState()
            return committed
        raise FlowError(
            f"{action!r} is not something the station can do: try grade, finish, cancel or sign out."
        )

    def _next_lpn(self) -> str:
        n = int(self.store.meta("lpn_counter", "0") or 0) + 1
        return f"LPN{self._lpn_prefix}{n:07d}"

    def _intake(self, inp: intake.IntakeInput) -> list[Event]:
        assert self.operator is not None
        state, new = intake.step(self.intake, inp, self.config.rules)
        with self.store.write() as conn:
            committed = self.log.append_in(conn, new, self.operator.badge)
            if isinstance(inp, intake.GradeUnit):
                self.store.set_meta("lpn_counter", str(int(self.store.meta("lpn_counter", "0") or 0) + 1))
            for event in committed:
                if event.type == "return.completed":
                    mark_return(conn, event.subject, "received")
        self.intake = state
        return committed
