"""The core worker's logic: one command in, one committed outcome out.

It turns classified scans and touches into steps of the pure flows in :mod:`station.core`, looks up what
those steps need in the store (manifest, stock, operators), and commits the resulting events in one
transaction. Only the core worker thread calls it, so it owns every write of domain state.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from station.core import intake, packing, repair, restock
from station.core.classify import classify
from station.core.disposition import Grade
from station.core.errors import FlowError, StationError
from station.core.events import Event, NewEvent
from station.core.manifest import Operator
from station.core.operators import Flow, OverrideKind, OverrideNeeded, allowed_flows, grant, require_flow
from station.core.scans import ITEM_KINDS, RETURN_CODE_KINDS, Scan, ScanKind
from station.core.summary import summarize
from station.runtime.config import Config
from station.runtime.event_labels import QueuedLabel, labels_for, render_all
from station.runtime.print_worker import reprint
from station.store import operators as pins
from station.store import orders, workorders
from station.store import stock as units
from station.store.database import StationDB
from station.store.events import EventLog
from station.store.manifests import find_operator, find_return, is_stocked, mark_return
from station.store.print_jobs import insert_job

log = logging.getLogger(__name__)


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


def lpn_prefix(hub: str, station: str) -> str:
    """A short tag that keeps LPNs of different stations apart."""
    alnum = re.compile(r"[^A-Za-z0-9]")
    return (alnum.sub("", hub)[:3] + alnum.sub("", station)[-3:]).upper()


@dataclass(frozen=True)
class _Pending:
    """A refused input a supervisor may allow: retried with their badge once they have."""

    kind: OverrideKind
    subject: str
    reason: str
    flow: Flow
    input: Any


@dataclass(frozen=True)
class _PinWait:
    operator: Operator
    purpose: str  # "sign_in" or "approve"


#: The flow a scan kind starts, whatever flow is in use (when that flow is idle and the role allows it).
_FLOW_OF_KIND = {
    ScanKind.RMA: Flow.INTAKE,
    ScanKind.RETURN_QR: Flow.INTAKE,
    ScanKind.BIN: Flow.RESTOCK,
    ScanKind.ORDER: Flow.PACK,
    ScanKind.WORK_ORDER: Flow.REPAIR,
    ScanKind.PART: Flow.REPAIR,
}
_REPAIR_ACTIONS = frozenset({"diag", "wipe", "labour", "labor", "note", "close", "park"})


@dataclass(frozen=True)
class DeskView:
    """Everything a screen shows, as one immutable snapshot taken on the core worker after each outcome."""

    operator: Operator | None
    flow: Flow
    flows: tuple[Flow, ...]  # the flows the signed-in operator may run here
    intake: intake.IntakeState
    restock: restock.RestockState
    packing: packing.PackingState
    repair: repair.RepairState
    prompt: str
    pending: str | None = None  # what a supervisor is asked to allow
    pin_for: str | None = None  # whose PIN the keypad is asking for
    last_label: tuple[str, dict[str, Any]] | None = None  # the newest label queued: (template, data)
    outcome: Outcome | None = None


class Desk:
    """Session state (who is signed in, the flow in use and its state) and the step from a command to
    committed events.

    A scan goes to the flow its kind belongs to (return codes: intake, bins: restock, orders: packing, work
    orders and parts: repair) when the flow in use is idle and the operator's roles allow it; LPNs and items
    go to the flow in use. ``flow:<name>`` chooses a flow. A step a supervisor may allow is kept pending until
    a supervisor's badge (and PIN, when they have one) comes, then committed with ``override.granted``.
    """

    def __init__(
        self,
        config: Config,
        store: StationDB,
        log: EventLog,
        labels_queued: Callable[[], None] = lambda: None,
    ) -> None:
        self.config = config
        self.store = store
        self.log = log
        self.labels_queued = labels_queued  # wakes the print worker
        self.last_label: tuple[str, dict[str, Any]] | None = None  # (template, data): the screen previews it
        self.operator: Operator | None = None
        self.flow = Flow.INTAKE
        self.intake = intake.IntakeState()
        self.restock = restock.RestockState()
        self.packing = packing.PackingState()
        self.repair = repair.RepairState()
        self.pending: _Pending | None = None
        self.pin_wait: _PinWait | None = None
        self._lpn_prefix = lpn_prefix(config.hub, config.station)
        units.catch_up(store)

    def view(self, outcome: Outcome | None = None) -> DeskView:
        """A snapshot for the screen (immutable: safe to hand to the UI thread)."""
        op = self.operator
        return DeskView(
            operator=op,
            flow=self.flow,
            flows=allowed_flows(op, self.config.roles) if op else (),
            intake=self.intake,
            restock=self.restock,
            packing=self.packing,
            repair=self.repair,
            prompt=self.prompt,
            pending=self.pending.reason if self.pending else None,
            pin_for=self.pin_wait.operator.name if self.pin_wait else None,
            last_label=self.last_label,
            outcome=outcome,
        )

    @property
    def prompt(self) -> str:
        if self.pin_wait is not None:
            return f"{self.pin_wait.operator.name}: enter your PIN."
        if self.operator is None:
            return "Scan your badge to sign in."
        if self.pending is not None:
            return f"A supervisor scans their badge to allow: {self.pending.reason}; or scan something else."
        states: dict[Flow, Any] = {
            Flow.INTAKE: self.intake,
            Flow.RESTOCK: self.restock,
            Flow.PACK: self.packing,
            Flow.REPAIR: self.repair,
        }
        return str(states[self.flow].prompt)

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

    # -- outcomes ---------------------------------------------------------------------------------------

    def _refused(self, text: str, message: str, scan: Scan | None = None) -> Outcome:
        return Outcome(False, message, text, scan, (), self.prompt, self._operator_name())

    def _done(self, text: str, events: Sequence[Event], scan: Scan | None = None) -> Outcome:
        what = summarize(events) or (f"{scan.kind.value} {scan.value}" if scan else text)
        return Outcome(True, what, text, scan, events, self.prompt, self._operator_name())

    def _operator_name(self) -> str | None:
        return self.operator.name if self.operator else None

    # -- committing -------------------------------------------------------------------------------------

    def _commit(self, new: Sequence[NewEvent], badge: str | None = None) -> list[Event]:
        """Append ``new``, bring every view the events change up to date and queue the labels they call
        for, in one transaction: a label is never lost between its event and its print job."""
        if not new:
            return []
        by = badge or (self.operator.badge if self.operator else "")
        labels = self._render_labels(new)
        with self.store.write() as conn:
            committed = self.log.append_in(conn, new, by)
            for event in committed:
                if event.type == "return.dispositioned":
                    self._bump("lpn_counter")
                elif event.type == "workorder.opened" and event.data["source"] == "disposition":
                    self._bump("wo_counter")
                elif event.type == "return.completed":
                    mark_return(conn, event.subject, "received")
            orders.project(conn, committed)
            workorders.project(conn, committed)
            units.update(self.store)
            for label in labels:
                insert_job(conn, label.template, label.data, label.zpl, lpn=label.lpn, copies=1, operator=by)
        if labels:
            self.last_label = (labels[-1].template, labels[-1].data)
            self.labels_queued()
        return committed

    def _render_labels(self, new: Sequence[NewEvent]) -> list[QueuedLabel]:
        """The labels the events call for, rendered before the transaction (a bad field cannot stop it)."""
        titles = {u.index: u.title for u in self.intake.units if u.title}

        def carrier_label(number: str) -> str | None:
            order = orders.find_order(self.store, number)
            return order.carrier_label if order else None

        wanted = labels_for(
            new,
            titles=titles,
            carrier_label=carrier_label,
            operator=self.operator.name if self.operator else "",
            today=time.strftime("%Y-%m-%d", time.gmtime(self.log.clock().wall_ms / 1000)),
        )
        return render_all(wanted, self.config.label_dpi)

    def _counter(self, key: str) -> int:
        return int(self.store.meta(key, "0") or 0)

    def _bump(self, key: str) -> None:
        self.store.set_meta(key, str(self._counter(key) + 1))

    def _next_lpn(self) -> str:
        return f"LPN{self._lpn_prefix}{self._counter('lpn_counter') + 1:07d}"

    def _next_work_order(self) -> str:
        return f"WO{self._lpn_prefix}{self._counter('wo_counter') + 1:06d}"

    def _step(self, flow: Flow, inp: Any) -> tuple[Any, list[NewEvent]]:
        match flow:
            case Flow.INTAKE:
                return intake.step(self.intake, inp, self.config.rules)
            case Flow.RESTOCK:
                return restock.step(self.restock, inp, self.config.hub)
            case Flow.PACK:
                return packing.step(self.packing, inp, self.config.hub)
            case Flow.REPAIR:
                return repair.step(self.repair, inp)

    def _advance(self, flow: Flow, inp: Any, before: Sequence[NewEvent] = ()) -> list[Event]:
        """Run one input through ``flow``, commit its events (after ``before``), keep the new state."""
        try:
            state, new = self._step(flow, inp)
        except OverrideNeeded as exc:
            self.pending = _Pending(exc.kind, exc.subject, exc.reason, flow, inp)
            raise
        committed = self._commit([*before, *new])
        setattr(self, {Flow.PACK: "packing"}.get(flow, flow.value), state)
        self.pending = None
        self.pin_wait = None
        return committed

    def _intake(self, inp: intake.IntakeInput) -> list[Event]:
        return self._advance(Flow.INTAKE, inp)

    # -- which flow -------------------------------------------------------------------------------------

    def _busy(self) -> str | None:
        """What is open in some flow (which keeps the person at it), or None."""
        if self.intake.phase in (intake.Phase.VERIFYING, intake.Phase.GRADING):
            return "the open return"
        if self.restock.unit is not None:
            return f"the put-away of {self.restock.unit.lpn}"
        if self.packing.order is not None:
            return f"order {self.packing.order.number}"
        if self.repair.current is not None:
            return f"work order {self.repair.current.number} (or park it)"
        return None

    def _switch(self, flow: Flow) -> None:
        assert self.operator is not None
        require_flow(self.operator, flow, self.config.roles)
        if flow is self.flow:
            return
        busy = self._busy()
        if busy is not None:
            raise FlowError(f"Finish or cancel {busy} before {flow.value}.")
        self.flow = flow
        self.intake = intake.IntakeState()
        self.pending = None

    def _flow_for(self, kind: ScanKind) -> Flow:
        if kind in _FLOW_OF_KIND:
            return _FLOW_OF_KIND[kind]
        if kind is ScanKind.LPN and self.flow is Flow.INTAKE:
            raise FlowError(
                "An LPN label is scanned in restock, packing or repair: choose one (CMD:FLOW:RESTOCK), "
                "then scan it again."
            )
        if kind is ScanKind.LPN or kind in ITEM_KINDS:
            return self.flow
        raise FlowError(
            f"A {kind.value.replace('_', ' ')} code is not used at this station: "
            "scan a return code, an item, an LPN, a bin, an order or a work order."
        )

    # -- scans ------------------------------------------------------------------------------------------

    def _on_scan(self, scan: Scan) -> list[Event]:
        if scan.kind is ScanKind.BADGE:
            return self._on_badge(scan)
        if scan.kind is ScanKind.COMMAND:
            action, *args = scan.value.split(":")
            return self._on_touch(Touch(action.lower(), tuple(args)))
        if self.operator is None:
            raise FlowError("Scan your badge to sign in first.")
        flow = self._flow_for(scan.kind)
        self._switch(flow)
        handlers: dict[Flow, Callable[[Scan], Any]] = {
            Flow.INTAKE: self._intake_input,
            Flow.RESTOCK: self._restock_input,
            Flow.PACK: self._packing_input,
            Flow.REPAIR: self._repair_input,
        }
        return self._advance(flow, handlers[flow](scan))

    @staticmethod
    def _gtin(scan: Scan) -> str:
        if scan.gtin is None:
            raise FlowError(
                f"This {scan.kind.value.replace('_', ' ')} has no GTIN (01): scan the product code."
            )
        return scan.gtin

    def _intake_input(self, scan: Scan) -> intake.IntakeInput:
        if scan.kind in RETURN_CODE_KINDS:
            return intake.ReturnCode(scan.value, scan.kind.value, find_return(self.store, scan.value))
        gtin = self._gtin(scan)
        return intake.ItemScan(gtin, scan.serial, is_stocked(self.store, gtin), scan.gs_missing)

    def _restock_input(self, scan: Scan) -> restock.RestockInput:
        if scan.kind is ScanKind.BIN:
            return restock.BinScan(scan.value)
        if scan.kind is ScanKind.LPN:
            return restock.LpnScan(scan.value, units.find_unit(self.store, scan.value))
        raise FlowError("Restock goes by the unit's LPN label: scan the LPN, not the product barcode.")

    def _packing_input(self, scan: Scan) -> packing.PackingInput:
        if scan.kind is ScanKind.ORDER:
            return packing.OrderScan(scan.value, orders.find_order(self.store, scan.value))
        if scan.kind is ScanKind.LPN:
            return packing.UnitScan(
                scan.value, packing.ScannedBy.LPN, units.find_unit(self.store, scan.value)
            )
        gtin = self._gtin(scan)
        taken = [p.lpn for p in self.packing.packed]
        by = packing.ScannedBy.GTIN if scan.serial is None else packing.ScannedBy.SERIAL
        found = units.find_stocked(self.store, gtin, scan.serial, taken)
        return packing.UnitScan(scan.serial or gtin, by, found)

    def _repair_input(self, scan: Scan) -> repair.RepairInput:
        if scan.kind is ScanKind.LPN:
            number = workorders.open_number_for(self.store, scan.value)
            if number is not None:
                return self._resume(number)
            return repair.Open(self._next_work_order(), unit=units.find_unit(self.store, scan.value))
        if scan.kind is ScanKind.WORK_ORDER:
            sent = workorders.find_sent(self.store, scan.value)
            if sent is None:
                raise FlowError(
                    f"Work order {scan.value} was not sent to this hub: scan the unit's LPN instead."
                )
            return self._resume(sent.number) if sent.status == "open" else repair.Open(sent.number, sent=sent)
        if scan.kind is ScanKind.PART:
            return repair.UsePart(scan.value)
        return repair.UsePart(self._gtin(scan), scan.gtin, scan.serial)

    def _resume(self, number: str) -> repair.Resume:
        wo = workorders.load_work_order(self.store, number)
        if wo is None:  # pragma: no cover - the index and the log are written together
            raise FlowError(f"Work order {number} has no events here: call a supervisor.")
        return repair.Resume(wo)

    # -- people -----------------------------------------------------------------------------------------

    def _on_badge(self, scan: Scan) -> list[Event]:
        known = find_operator(self.store, scan.value)
        has_list = self.store.conn.execute("SELECT 1 FROM operators LIMIT 1").fetchone() is not None
        if known is None and has_list:
            raise FlowError(f"Badge {scan.value} is not known at this hub: ask a supervisor to add it.")
        operator = known or Operator(scan.value, scan.value, frozenset(self.config.roles))
        if pins.attempts(self.store, operator.badge).locked(self.log.clock().wall_ms):
            raise FlowError(f"Badge {operator.badge} is locked after too many wrong PINs: see a supervisor.")
        awaiting = self.intake.phase is intake.Phase.AWAITING_OVERRIDE or self.pending is not None
        if awaiting and self.operator is not None:
            if not operator.is_supervisor:
                raise FlowError(f"{operator.name} is not a supervisor: a supervisor must approve this.")
            return self._with_pin(operator, "approve")
        busy = self._busy()
        if busy is not None:
            raise FlowError(f"Finish or cancel {busy} before another person signs in.")
        return self._with_pin(operator, "sign_in")

    def _with_pin(self, operator: Operator, purpose: str) -> list[Event]:
        if pins.has_pin(self.store, operator.badge):
            self.pin_wait = _PinWait(operator, purpose)
            return []
        return self._with_pin_done(_PinWait(operator, purpose))

    def _on_pin(self, touch: Touch) -> list[Event]:
        wait = self.pin_wait
        if wait is None:
            raise FlowError("No one is waiting to enter a PIN: scan your badge first.")
        badge = wait.operator.badge
        now = self.log.clock().wall_ms
        with self.store.write() as conn:
            check = pins.verify_pin(self.store, badge, touch.args[0] if touch.args else "", now)
            if not check.ok:
                new = [
                    NewEvent(
                        "operator.pin_failed", badge, {"badge": badge, "failures": check.attempts.failures}
                    )
                ]
                if check.locked(now):
                    data = {"badge": badge, "until_ms": check.attempts.locked_until_ms}
                    new.append(NewEvent("operator.locked_out", badge, data))
                self.log.append_in(conn, new, badge)
        if not check.ok:
            if check.locked(now):
                self.pin_wait = None
                raise FlowError(f"Wrong PIN: badge {badge} is now locked; see a supervisor.")
            raise FlowError("Wrong PIN: enter it again.")
        return self._with_pin_done(wait)

    def _with_pin_done(self, wait: _PinWait) -> list[Event]:
        self.pin_wait = None
        return self._sign_in(wait.operator) if wait.purpose == "sign_in" else self._approve(wait.operator)

    def _sign_in(self, operator: Operator) -> list[Event]:
        flows = allowed_flows(operator, self.config.roles)
        if not flows:
            raise FlowError(
                f"{operator.name} may not run any of this station's work ({', '.join(self.config.roles)}): "
                "ask a supervisor to add a role."
            )
        data = {"badge": operator.badge, "name": operator.name, "roles": sorted(operator.roles)}
        new = [NewEvent("operator.signed_in", operator.badge, data)]
        before = self.operator
        if before is not None:
            new.insert(
                0,
                NewEvent("operator.signed_out", before.badge, {"badge": before.badge, "reason": "replaced"}),
            )
        committed = self._commit(new, operator.badge)
        self.operator = operator
        self.flow = flows[0]
        self.intake = intake.IntakeState()
        self.restock = restock.RestockState()
        self.packing = packing.PackingState()
        self.repair = repair.RepairState()
        self.pending = None
        return committed

    def _approve(self, supervisor: Operator) -> list[Event]:
        assert self.operator is not None
        pending = self.pending
        if pending is None:
            return self._intake(intake.BlindApproval(supervisor.badge, operator=self.operator.badge))
        granted = grant(pending.kind, pending.subject, pending.reason, supervisor, self.operator)
        self.flow = pending.flow
        return self._advance(pending.flow, replace(pending.input, override=supervisor.badge), [granted])

    # -- touches (and command barcodes) ----------------------------------------------------------------

    def _on_touch(self, touch: Touch) -> list[Event]:
        action, args = touch.action, touch.args
        if action == "pin":
            return self._on_pin(touch)
        if self.operator is None:
            raise FlowError("Scan your badge to sign in first.")
        if action in ("sign_out", "signout"):
            return self._sign_out("idle" if args[:1] == ("idle",) else "manual")
        if action == "reprint":
            return self._reprint(args[0] if args else None)
        if action == "flow":
            return self._choose_flow(args)
        if action == "reason":
            if self.pending is None or not args:
                raise FlowError("There is no override waiting for a reason.")
            self.pending = replace(self.pending, reason=" ".join(args).replace("_", " "))
            return []
        if action in _REPAIR_ACTIONS:
            if self.flow is not Flow.REPAIR:
                raise FlowError(
                    f"{action!r} is a repair command: open a work order at the repair bench first."
                )
            return self._advance(Flow.REPAIR, self._repair_touch(action, args))
        if action == "grade":
            return self._intake(self._grade(args))
        if action == "override":
            if [a.lower() for a in args] != ["refund_cap"]:
                raise FlowError("The override to ask for at the counter is override:refund_cap.")
            self._switch(Flow.INTAKE)
            return self._intake(intake.RefundCapOverride())
        if action in ("finish", "done"):
            finish = {Flow.INTAKE: intake.Finish(), Flow.PACK: packing.Finish()}.get(self.flow)
            if finish is None:
                raise FlowError(f"There is nothing to finish in {self.flow.value}: scan the next unit.")
            return self._advance(self.flow, finish)
        if action == "cancel":
            cancels = {
                Flow.INTAKE: intake.Cancel(),
                Flow.RESTOCK: restock.Cancel(),
                Flow.PACK: packing.Cancel(),
                Flow.REPAIR: repair.Park(),
            }
            self.pending = None
            return self._advance(self.flow, cancels[self.flow])
        raise FlowError(
            f"{action!r} is not something the station can do: try grade, finish, cancel, flow, override, "
            "diag, wipe, labour, note, close, park or sign out."
        )

    def _sign_out(self, reason: str) -> list[Event]:
        assert self.operator is not None
        busy = self._busy()
        if busy is not None:
            raise FlowError(f"Finish or cancel {busy} before signing out.")
        badge = self.operator.badge
        committed = self._commit([NewEvent("operator.signed_out", badge, {"badge": badge, "reason": reason})])
        self.operator = None
        self.intake = intake.IntakeState()
        self.pending = None
        return committed

    def _reprint(self, lpn: str | None) -> list[Event]:
        """Queue the last label again (or the last one of ``lpn``); the print worker records it."""
        assert self.operator is not None
        reprint(self.store, lpn=lpn, operator=self.operator.badge)
        self.labels_queued()
        return []

    def _choose_flow(self, args: Sequence[str]) -> list[Event]:
        try:
            flow = Flow(args[0].lower() if args else "")
        except ValueError:
            raise FlowError(f"Choose a flow: {', '.join(f.value for f in Flow)}.") from None
        self._switch(flow)
        return []

    def _grade(self, args: Sequence[str]) -> intake.GradeUnit:
        if not args:
            raise FlowError("Choose a grade: A, B, C, D, incorrect item or junk.")
        value = args[0]
        try:
            grade = Grade(value.upper() if len(value) == 1 else value.lower())
        except ValueError:
            raise FlowError(
                f"Grade {value!r} does not exist: choose A, B, C, D, incorrect_item or junk."
            ) from None
        reasons = tuple(r for arg in args[1:] for r in arg.split(",") if r)
        return intake.GradeUnit(grade, self._next_lpn(), reasons)

    def _repair_touch(self, action: str, args: Sequence[str]) -> repair.RepairInput:
        assert self.operator is not None
        if action == "park":
            return repair.Park()
        if not args:
            raise FlowError(
                f"{action!r} needs a value, e.g. diag:SCREEN, labour:25, close:repaired:B:restock_local."
            )
        if action == "diag":
            return repair.Diagnose(args[0])
        if action in ("labour", "labor"):
            if not args[0].isdigit():
                raise FlowError(f"Labour is a whole number of minutes, found {args[0]!r}.")
            return repair.Labour(int(args[0]))
        if action == "note":
            kind = args[0].lower()
            if kind not in ("internal", "customer") or len(args) < 2:
                raise FlowError("A note is note:internal:TEXT or note:customer:TEXT.")
            return repair.AddNote(":".join(args[1:]), kind == "customer")
        if action == "wipe":
            if len(args) < 2:
                raise FlowError("A data wipe is wipe:METHOD:TOOL[:VERIFIER_BADGE], e.g. wipe:purge:blancco.")
            verifier = self.operator.badge if len(args) < 3 else self._badge_value(args[2])
            return repair.RecordWipe(args[0], args[1], verifier)
        if len(args) < 3:
            raise FlowError("Close with outcome, grade and disposition, e.g. close:repaired:B:restock_local.")
        return repair.Close(args[0], args[1], args[2])

    def _badge_value(self, text: str) -> str:
        """The operator a typed or scanned badge stands for (must be known when the hub has a list)."""
        found = self.config.codes.match(text)
        badge = found[1] if found is not None and found[0] is ScanKind.BADGE else text
        has_list = self.store.conn.execute("SELECT 1 FROM operators LIMIT 1").fetchone() is not None
        if has_list and find_operator(self.store, badge) is None:
            raise FlowError(f"Badge {text} is not known at this hub: the verifier must be a known operator.")
        return badge
