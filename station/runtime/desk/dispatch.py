"""The desk's dispatcher: one command in (a scan or a touch), one committed outcome out.

A scan is classified, then goes to the flow its kind belongs to (return codes: intake, bins: restock,
orders: packing, work orders and parts: repair) when the flow in use is idle and the operator's roles allow
it; LPNs and items go to the flow in use. Badges and PINs go to :mod:`.people`; each flow's own routing is
in its ``*_routes`` module. Only the core worker thread calls it, so it owns every write of domain state.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, Protocol

from station.core.classify import classify
from station.core.errors import FlowError, StationError
from station.core.events import Event
from station.core.operators import Flow, allowed_flows
from station.core.scans import ITEM_KINDS, Scan, ScanKind
from station.core.summary import summarize
from station.runtime.desk.intake_routes import IntakeRoutes
from station.runtime.desk.model import DeskView, Outcome, Touch
from station.runtime.desk.pack_routes import PackRoutes
from station.runtime.desk.people import People
from station.runtime.desk.repair_routes import RepairRoutes
from station.runtime.desk.restock_routes import RestockRoutes
from station.runtime.desk.session import Session
from station.runtime.print_worker import reprint
from station.store.print_jobs import PrintJob, labels_of

#: What a scan on the Reprint screen finds labels for.
_LABEL_SUBJECTS = frozenset(
    {ScanKind.LPN, ScanKind.RMA, ScanKind.RETURN_QR, ScanKind.ORDER, ScanKind.WORK_ORDER}
)
#: The flow a scan kind starts, whatever flow is in use (when that flow is idle and the role allows it).
_FLOW_OF_KIND = {
    ScanKind.RMA: Flow.INTAKE,
    ScanKind.RETURN_QR: Flow.INTAKE,
    ScanKind.BIN: Flow.RESTOCK,
    ScanKind.ORDER: Flow.PACK,
    ScanKind.WORK_ORDER: Flow.REPAIR,
    ScanKind.PART: Flow.REPAIR,
}


class FlowRoutes(Protocol):
    """One flow's routing: what its scans mean, and its inputs for finish and cancel (None: not used)."""

    def scan_input(self, scan: Scan) -> Any: ...
    def finish_input(self) -> Any: ...
    def cancel_input(self) -> Any: ...


class Desk(Session):
    """Session state (who is signed in, the flow in use and its state) and the step from a command to
    committed events. A step a second person may allow is kept pending until their badge and their PIN on
    the keypad come, then committed (an override with ``override.granted``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.people = People(self)
        intake_routes, repair_routes = IntakeRoutes(self), RepairRoutes(self)
        self.routes: dict[Flow, FlowRoutes] = {
            Flow.INTAKE: intake_routes,
            Flow.RESTOCK: RestockRoutes(self),
            Flow.PACK: PackRoutes(self),
            Flow.REPAIR: repair_routes,
        }
        #: the last ``find_labels`` answer: what was scanned and its labels, newest first
        self.found_labels: tuple[str, tuple[PrintJob, ...]] | None = None
        #: while on, a scanned LPN, return code or order finds its labels instead of starting work
        self.looking_up_labels = False
        self.flow_touches: dict[str, Callable[[str, Sequence[str]], list[Event]]] = {
            action: routes.touch for routes in (intake_routes, repair_routes) for action in routes.touches
        }

    def view(self, outcome: Outcome | None = None) -> DeskView:
        """A snapshot for the screen (immutable: safe to hand to the UI thread)."""
        op = self.operator
        request = self.people.request()
        wait = self.pin_wait
        return DeskView(
            operator=op,
            flow=self.flow,
            flows=allowed_flows(op, self.config.roles) if op else (),
            intake=self.intake,
            restock=self.restock,
            packing=self.packing,
            repair=self.repair,
            prompt=self.prompt,
            pin_for=wait.operator.name if wait else None,
            pending_request=request,
            approving=wait.request if wait else None,
            last_label=self.last_label,
            found_labels=self.found_labels,
            outcome=outcome,
        )

    @property
    def prompt(self) -> str:
        wait = self.pin_wait
        if wait is not None:
            approves = f" to approve {wait.request.describe()}" if wait.request else ""
            return f"{wait.operator.name}: enter your PIN{approves}."
        if self.operator is None:
            return "Scan your badge to sign in."
        request = self.people.request() if self.pending is not None else None
        if request is not None:
            who = " or ".join(sorted(request.approver_roles))
            return (
                f"A {who} scans their own badge and enters their PIN to allow: {request.describe()}; "
                "or scan something else."
            )
        return str(self.state_of(self.flow).prompt)

    def handle_scan(self, text: str, source: str = "") -> Outcome:
        """One scan; ``source`` is where it came from (a scanner URI, ``keyed:...``), kept on item events."""
        self.scan_source = source
        if self.pin_wait is not None and self._looks_like_pin(text):  # typed where scans go: never shown
            return self._refused(
                "******",
                FlowError(
                    "That looked like a PIN typed where scans go: type the PIN on the keypad (headless: on "
                    "the PIN prompt line); it was not used."
                ),
            )
        try:
            scan = classify(text, self.config.codes)
        except StationError as exc:
            return self._refused(text, exc)
        try:
            events = self._on_scan(scan)
        except StationError as exc:
            return self._refused(text, exc, scan)
        return self._done(text, events, scan)

    def handle_lost(self, text: str, sentence: str) -> Outcome:
        """What a scanner sent but its reader could not take as a whole scan: refused, with why."""
        return self._refused(text, StationError(sentence))

    def handle_touch(self, touch: Touch) -> Outcome:
        label = "PIN" if touch.action == "pin" else " ".join((touch.action, *touch.args))
        try:
            events = self._on_touch(touch)
        except StationError as exc:
            return self._refused(label, exc)
        return self._done(label, events)

    def _looks_like_pin(self, text: str) -> bool:
        digits = text.strip()
        policy = self.people.policy
        return digits.isascii() and digits.isdigit() and policy.min_length <= len(digits) <= policy.max_length

    # -- outcomes ---------------------------------------------------------------------------------------

    def _refused(self, text: str, error: StationError, scan: Scan | None = None) -> Outcome:
        return Outcome(
            False,
            str(error),
            text,
            scan,
            (),
            self.prompt,
            self._operator_name(),
            template=error.template,
            params=error.params,
        )

    def _done(self, text: str, events: Sequence[Event], scan: Scan | None = None) -> Outcome:
        what = summarize(events) or (f"{scan.kind.value} {scan.value}" if scan else text)
        recapped = self.people.recheck_cap()
        if recapped:
            what = f"{what}. {recapped}"
        return Outcome(True, what, text, scan, events, self.prompt, self._operator_name())

    def _operator_name(self) -> str | None:
        return self.operator.name if self.operator else None

    # -- scans ------------------------------------------------------------------------------------------

    def _flow_for(self, kind: ScanKind) -> Flow:
        if kind in _FLOW_OF_KIND:
            return _FLOW_OF_KIND[kind]
        if kind is ScanKind.LPN and self.flow is Flow.INTAKE:
            raise FlowError(
                "An LPN label is scanned in restock, packing or repair: switch to one of them, then scan it "
                "again."
            )
        if kind is ScanKind.LPN or kind in ITEM_KINDS:
            return self.flow
        raise FlowError(
            "A {kind} code is not used at this station: scan a return code, an item, an LPN, a bin, an order "
            "or a work order.",
            kind=kind.value.replace("_", " "),
        )

    def _on_scan(self, scan: Scan) -> list[Event]:
        if scan.kind is ScanKind.BADGE:
            return self.people.badge(scan)
        if scan.kind is ScanKind.COMMAND:
            action, *args = scan.value.split(":")
            if action.lower() == "pin":
                raise FlowError(
                    "A PIN is never scanned: type it on the keypad (headless: on the PIN prompt line)."
                )
            return self._on_touch(Touch(action.lower(), tuple(args)))
        if self.operator is None:
            raise FlowError("Scan your badge to sign in first.")
        if self.looking_up_labels and scan.kind in _LABEL_SUBJECTS:  # the Reprint screen is open
            self._find_labels((scan.raw,))
            return []
        flow = self._flow_for(scan.kind)
        self.switch(flow)
        return self.advance(flow, self.routes[flow].scan_input(scan))

    # -- touches (and command barcodes) ----------------------------------------------------------------

    def _on_touch(self, touch: Touch) -> list[Event]:
        action, args = touch.action, touch.args
        if action == "pin":
            return self.people.pin(args[0] if args else "")
        if self.operator is None:
            raise FlowError("Scan your badge to sign in first.")
        if action in ("sign_out", "signout"):
            return self.people.sign_out("idle" if args[:1] == ("idle",) else "manual")
        if action == "unlock":
            return self.people.unlock(args[0] if args else "")
        if action == "reprint":
            self._reprint(args)
            return []
        if action == "find_labels":
            self._find_labels(args)
            return []
        if action == "lookup_labels":  # the Reprint screen opened (on) or closed (off)
            self.looking_up_labels = args[:1] == ("on",)
            self.found_labels = None
            return []
        if action == "flow":
            return self._choose_flow(args)
        if action == "reason":
            if self.pending is None or not args:
                raise FlowError("There is no override waiting for a reason.")
            self.pending = replace(self.pending, reason=" ".join(args).replace("_", " "))
            return []
        if action in self.flow_touches:
            return self.flow_touches[action](action, args)
        if action in ("finish", "done"):
            finish = self.routes[self.flow].finish_input()
            if finish is None:
                raise FlowError(
                    "There is nothing to finish in {flow}: scan the next unit.", flow=self.flow.value
                )
            return self.advance(self.flow, finish)
        if action == "cancel":
            self.pending = None
            self.pin_wait = None
            return self.advance(self.flow, self.routes[self.flow].cancel_input())
        raise FlowError(
            "{action!r} is not something the station can do: try grade, finish, cancel, flow, override, "
            "diag, wipe, labour, note, close, park, unlock, reprint, find_labels or sign out.",
            action=action,
        )

    def _reprint(self, args: Sequence[str]) -> None:
        """``reprint``: the last label; ``reprint LPN``: its last label; ``reprint job N``: exactly job N."""
        assert self.operator is not None
        if args[:1] and args[0].lower() == "job":
            number = args[1] if len(args) > 1 else ""
            if not number.isdigit():
                raise FlowError(
                    "A reprint by job needs the job's number (CMD:REPRINT:JOB:17); got {number!r}.",
                    number=number,
                )
            reprint(self.store, job=int(number), operator=self.operator.badge)
        else:
            reprint(self.store, lpn=args[0] if args else None, operator=self.operator.badge)
        self.labels_queued()

    def _find_labels(self, args: Sequence[str]) -> None:
        """``find_labels CODE``: the labels for what was scanned (an LPN, RMA, order or work order), newest
        first, into :attr:`DeskView.labels`."""
        code = ":".join(args).strip()
        if not code:
            raise FlowError("Scan an LPN, an RMA or an order to find its labels.")
        try:
            value = classify(code, self.config.codes).value
        except StationError:
            value = code  # not a code this station classifies: look it up as typed
        found = labels_of(self.store, value) or (labels_of(self.store, code) if value != code else [])
        if not found:
            raise FlowError(
                "No label was printed for {code} at this station: check the code and scan again.", code=code
            )
        self.found_labels = (code, tuple(found))

    def _choose_flow(self, args: Sequence[str]) -> list[Event]:
        try:
            flow = Flow(args[0].lower() if args else "")
        except ValueError:
            raise FlowError("Choose a flow: {flows}.", flows=", ".join(f.value for f in Flow)) from None
        self.switch(flow)
        return []
