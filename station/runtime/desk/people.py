"""People at the desk: badges, PIN entry, signing in and out, approvals by a second person, unlocks.

Nobody signs in at a station without an operators list. An approval (a supervisor's override, or a
second person verifying a data wipe) takes the approver's own badge and their PIN on the keypad, never
from a barcode; it is bound to exactly the request shown when the badge was scanned, and nobody approves
their own request.
"""

from __future__ import annotations

from dataclasses import replace

from station.core import intake, repair
from station.core.errors import FlowError
from station.core.events import Event, NewEvent
from station.core.intake.model import SELLABLE_GRADES, Match
from station.core.manifest import Operator
from station.core.operators import (
    SUPERVISOR,
    Attempts,
    Flow,
    OverrideKind,
    PinPolicy,
    Request,
    allowed_flows,
    check_approver,
    grant,
    locked_out,
)
from station.core.scans import Scan
from station.runtime.desk.model import PinWait
from station.runtime.desk.session import Session
from station.store import operators as pins
from station.store.manifests import find_operator


class People:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.policy = PinPolicy(min_length=session.config.pin_length)
        self.parked_for: str | None = None  # whose open work waits after an idle sign-out
        self.cap_approved: float | None = None  # the refund a supervisor allowed above the cap
        if session.store.meta("pin_length") != str(self.policy.min_length):
            session.store.set_meta("pin_length", str(self.policy.min_length))  # for downlink lists

    # -- what is asked --------------------------------------------------------------------------------

    def request(self) -> Request | None:
        """What a second person is asked to allow now (None: nothing)."""
        s = self.session
        requester = s.operator.badge if s.operator else ""
        if s.pending is not None:
            amount, currency = self._refund() if s.pending.kind is OverrideKind.REFUND_CAP else (None, None)
            return Request(s.pending.kind, s.pending.subject, s.pending.reason, requester, amount, currency)
        if s.intake.phase is intake.Phase.AWAITING_OVERRIDE and s.intake.pending_code is not None:
            code = s.intake.pending_code
            return Request(OverrideKind.BLIND_RECEIPT, code, "unknown return code", requester)
        return None

    def recheck_cap(self) -> str | None:
        """A lifted refund cap holds for the amount approved: if the refund grows past it, the cap applies
        again (and the sentence says so)."""
        s = self.session
        if s.intake.cap_override is None or self.cap_approved is None:
            return None
        amount, currency = self._refund()
        if amount <= self.cap_approved:
            return None
        approved, self.cap_approved = self.cap_approved, None
        s.intake = replace(s.intake, cap_override=None)
        return (
            f"The refund is now {amount:.2f} {currency}, more than the {approved:.2f} approved above the "
            "cap: the cap applies again; ask a supervisor again (override refund_cap)."
        )

    def _refund(self) -> tuple[float, str | None]:
        """The refund the open return would pay now, uncapped."""
        state = self.session.intake
        units = [u for u in state.units if u.match is Match.MATCHED and u.grade in SELLABLE_GRADES]
        return round(sum(u.value for u in units), 2), state.ret.currency if state.ret else None

    # -- badges and PINs ------------------------------------------------------------------------------

    def badge(self, scan: Scan) -> list[Event]:
        s = self.session
        operator = find_operator(s.store, scan.value)
        if operator is None:
            if not pins.has_operator_list(s.store):
                raise FlowError(
                    "No operators are loaded at this station, so nobody can sign in: set it up with "
                    "'station setup OPERATORS.json', or connect it to the OMS, which sends the list."
                )
            raise FlowError(
                "Badge {badge} is not known at this hub: ask a supervisor to add it.", badge=scan.value
            )
        now = s.log.clock().wall_ms
        held = pins.attempts(s.store, operator.badge)
        if held.locked(now):
            raise locked_out(operator.badge, held, now)
        request = self.request()
        if request is not None and s.operator is not None:
            check_approver(request, operator)
            self._need_pin(operator, "approve")
            s.pin_wait = PinWait(operator, "approve", request)
            return []
        busy = s.busy()
        if busy is not None and s.operator is not None:
            raise FlowError("Finish or cancel {busy} before another person signs in.", busy=busy)
        parked_for = self.parked_for
        if busy is not None and parked_for not in (None, operator.badge) and not operator.is_supervisor:
            raise FlowError(
                "{busy} is parked for badge {badge}: they or a supervisor sign in to go on with it.",
                busy=busy[0].upper() + busy[1:],
                badge=parked_for,
            )
        if operator.is_supervisor or pins.has_pin(s.store, operator.badge):
            self._need_pin(operator, "sign in")
            s.pin_wait = PinWait(operator, "sign_in")
            return []
        return self._sign_in(operator)

    def _need_pin(self, operator: Operator, what: str) -> None:
        if not pins.has_pin(self.session.store, operator.badge):
            raise FlowError(
                "{name} has no PIN, so cannot {what}: give them one in the operators list.",
                name=operator.name,
                what=what,
            )

    def pin(self, entered: str) -> list[Event]:
        s = self.session
        wait = s.pin_wait
        if wait is None:
            raise FlowError("No one is waiting to enter a PIN: scan your badge first.")
        if wait.purpose == "approve" and self.request() != wait.request:
            s.pin_wait = None
            now = self.request()
            if now is None:
                raise FlowError(
                    "What waited for approval is gone since {name} scanned their badge: nothing was "
                    "approved.",
                    name=wait.operator.name,
                )
            raise FlowError(
                "What waits for approval changed after {name} scanned their badge (now: {now}): nothing was "
                "approved; scan the badge again to approve what is asked now.",
                name=wait.operator.name,
                now=now.describe(),
            )
        badge = wait.operator.badge
        now_ms = s.log.clock().wall_ms
        check = pins.check_pin(s.store, badge, entered, now_ms, self.policy)
        with s.store.write() as conn:
            pins.record(conn, badge, check)
            if not check.ok:
                s.log.append_in(conn, self._failure_events(badge, check.attempts, now_ms), badge)
        if not check.ok:
            if check.locked(now_ms):
                s.pin_wait = None
                raise locked_out(badge, check.attempts, now_ms, after_wrong_pin=True)
            raise FlowError("Wrong PIN: enter it again.")
        s.pin_wait = None
        if wait.purpose == "sign_in":
            return self._sign_in(wait.operator)
        assert wait.request is not None
        return self._approve(wait.operator, wait.request)

    def _failure_events(self, badge: str, after: Attempts, now_ms: int) -> list[NewEvent]:
        """``operator.pin_failed``, and ``operator.locked_out`` when this wrong PIN ended a round."""
        if not after.locked(now_ms):
            return [NewEvent("operator.pin_failed", badge, {"badge": badge, "failures": after.failures})]
        locked = {
            "badge": badge,
            "round": after.lockouts,
            "until_ms": None if after.needs_unlock else after.locked_until_ms,
            "needs_unlock": after.needs_unlock,
        }
        failed = {"badge": badge, "failures": self.policy.max_failures}
        return [
            NewEvent("operator.pin_failed", badge, failed),
            NewEvent("operator.locked_out", badge, locked),
        ]

    def unlock(self, badge_text: str) -> list[Event]:
        """A signed-in supervisor unlocks a badge locked after wrong PINs."""
        s = self.session
        assert s.operator is not None
        if SUPERVISOR not in s.operator.roles:
            raise FlowError(
                "{name} is not a supervisor: only a supervisor unlocks a badge.", name=s.operator.name
            )
        found = s.config.codes.match(badge_text)
        badge = found[1] if found is not None else badge_text
        now = s.log.clock().wall_ms
        if not pins.attempts(s.store, badge).locked(now):
            raise FlowError("Badge {badge} is not locked: nothing to unlock.", badge=badge)
        with s.store.write() as conn:
            pins.unlock(conn, badge)
            return s.log.append_in(
                conn, [NewEvent("operator.unlocked", badge, {"badge": badge})], s.operator.badge
            )

    # -- signing in and out ---------------------------------------------------------------------------

    def sign_out(self, reason: str) -> list[Event]:
        """Sign the person out; an idle sign-out parks their open work for them (or a supervisor)."""
        s = self.session
        assert s.operator is not None
        busy = s.busy()
        automatic = reason == "idle"
        if busy is not None and not automatic:
            raise FlowError("Finish or cancel {busy} before signing out.", busy=busy)
        badge = s.operator.badge
        data: dict[str, object] = {"badge": badge, "reason": reason, "automatic": automatic}
        if busy is not None:
            data["parked"] = busy
        committed = s.commit([NewEvent("operator.signed_out", badge, data)])
        s.operator = None
        s.pending = None
        s.pin_wait = None
        if busy is None:
            s.intake = intake.IntakeState()
        self.parked_for = badge if busy is not None else None
        return committed

    def _sign_in(self, operator: Operator) -> list[Event]:
        s = self.session
        flows = allowed_flows(operator, s.config.roles)
        if not flows:
            raise FlowError(
                "{name} may not run any of this station's work ({flows}): ask a supervisor to add a role.",
                name=operator.name,
                flows=", ".join(s.config.roles),
            )
        data = {"badge": operator.badge, "name": operator.name, "roles": sorted(operator.roles)}
        new = [NewEvent("operator.signed_in", operator.badge, data)]
        before = s.operator
        if before is not None:
            new.insert(
                0,
                NewEvent("operator.signed_out", before.badge, {"badge": before.badge, "reason": "replaced"}),
            )
        committed = s.commit(new, operator.badge)
        s.operator = operator
        if s.busy() is not None:  # parked work: back to it
            self.parked_for = None
            return committed
        s.flow = flows[0]
        s.reset_flows()
        return committed

    def _approve(self, approver: Operator, request: Request) -> list[Event]:
        s = self.session
        pending = s.pending
        if request.kind is OverrideKind.BLIND_RECEIPT:
            granted = grant(request, approver, pin_verified=True)
            return s.advance(Flow.INTAKE, intake.BlindApproval(approver.badge), [granted])
        assert pending is not None
        s.flow = pending.flow
        if isinstance(pending.input, repair.RecordWipe):
            return s.advance(pending.flow, replace(pending.input, verified_by=approver.badge))
        granted = grant(request, approver, pin_verified=True)
        self.cap_approved = request.amount if request.kind is OverrideKind.REFUND_CAP else None
        return s.advance(pending.flow, replace(pending.input, override=approver.badge), [granted])
