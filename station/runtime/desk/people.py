"""People at the desk: badges, PIN entry, signing in and out, and a supervisor's approval."""

from __future__ import annotations

from dataclasses import replace

from station.core import intake
from station.core.errors import FlowError
from station.core.events import Event, NewEvent
from station.core.manifest import Operator
from station.core.operators import Flow, allowed_flows, grant
from station.core.scans import Scan
from station.runtime.desk.model import PinWait
from station.runtime.desk.session import Session
from station.store import operators as pins
from station.store.manifests import find_operator


class People:
    def __init__(self, session: Session) -> None:
        self.session = session

    def badge(self, scan: Scan) -> list[Event]:
        s = self.session
        known = find_operator(s.store, scan.value)
        has_list = s.store.conn.execute("SELECT 1 FROM operators LIMIT 1").fetchone() is not None
        if known is None and has_list:
            raise FlowError(f"Badge {scan.value} is not known at this hub: ask a supervisor to add it.")
        operator = known or Operator(scan.value, scan.value, frozenset(s.config.roles))
        if pins.attempts(s.store, operator.badge).locked(s.log.clock().wall_ms):
            raise FlowError(f"Badge {operator.badge} is locked after too many wrong PINs: see a supervisor.")
        awaiting = s.intake.phase is intake.Phase.AWAITING_OVERRIDE or s.pending is not None
        if awaiting and s.operator is not None:
            if not operator.is_supervisor:
                raise FlowError(f"{operator.name} is not a supervisor: a supervisor must approve this.")
            return self._with_pin(operator, "approve")
        busy = s.busy()
        if busy is not None:
            raise FlowError(f"Finish or cancel {busy} before another person signs in.")
        return self._with_pin(operator, "sign_in")

    def pin(self, entered: str) -> list[Event]:
        s = self.session
        wait = s.pin_wait
        if wait is None:
            raise FlowError("No one is waiting to enter a PIN: scan your badge first.")
        badge = wait.operator.badge
        now = s.log.clock().wall_ms
        with s.store.write() as conn:
            check = pins.verify_pin(s.store, badge, entered, now)
            if not check.ok:
                new = [
                    NewEvent(
                        "operator.pin_failed", badge, {"badge": badge, "failures": check.attempts.failures}
                    )
                ]
                if check.locked(now):
                    data = {"badge": badge, "until_ms": check.attempts.locked_until_ms}
                    new.append(NewEvent("operator.locked_out", badge, data))
                s.log.append_in(conn, new, badge)
        if not check.ok:
            if check.locked(now):
                s.pin_wait = None
                raise FlowError(f"Wrong PIN: badge {badge} is now locked; see a supervisor.")
            raise FlowError("Wrong PIN: enter it again.")
        return self._pin_done(wait)

    def sign_out(self, reason: str) -> list[Event]:
        s = self.session
        assert s.operator is not None
        busy = s.busy()
        if busy is not None:
            raise FlowError(f"Finish or cancel {busy} before signing out.")
        badge = s.operator.badge
        committed = s.commit([NewEvent("operator.signed_out", badge, {"badge": badge, "reason": reason})])
        s.operator = None
        s.intake = intake.IntakeState()
        s.pending = None
        return committed

    def _with_pin(self, operator: Operator, purpose: str) -> list[Event]:
        if pins.has_pin(self.session.store, operator.badge):
            self.session.pin_wait = PinWait(operator, purpose)
            return []
        return self._pin_done(PinWait(operator, purpose))

    def _pin_done(self, wait: PinWait) -> list[Event]:
        self.session.pin_wait = None
        return self._sign_in(wait.operator) if wait.purpose == "sign_in" else self._approve(wait.operator)

    def _sign_in(self, operator: Operator) -> list[Event]:
        s = self.session
        flows = allowed_flows(operator, s.config.roles)
        if not flows:
            raise FlowError(
                f"{operator.name} may not run any of this station's work ({', '.join(s.config.roles)}): "
                "ask a supervisor to add a role."
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
        s.flow = flows[0]
        s.reset_flows()
        return committed

    def _approve(self, supervisor: Operator) -> list[Event]:
        s = self.session
        assert s.operator is not None
        pending = s.pending
        if pending is None:
            return s.advance(Flow.INTAKE, intake.BlindApproval(supervisor.badge, operator=s.operator.badge))
        granted = grant(pending.kind, pending.subject, pending.reason, supervisor, s.operator)
        s.flow = pending.flow
        return s.advance(pending.flow, replace(pending.input, override=supervisor.badge), [granted])
