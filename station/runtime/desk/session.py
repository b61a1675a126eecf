"""The desk's session: who is signed in, the flow in use and every flow's state, and the one way to
commit a step (its events, the views they change and the labels they call for, in one transaction).

At start the session takes up whatever was open when the station last stopped (:mod:`station.core.recovery`
folds it back from the log), so a crash never costs a unit its LPN or a person their place."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from station.core import intake, packing, repair, restock
from station.core.errors import FlowError
from station.core.events import Event, NewEvent
from station.core.manifest import Operator
from station.core.operators import Flow, OverrideNeeded, require_flow
from station.core.recovery import Recovered, recover
from station.runtime.config import Config
from station.runtime.desk.log_reader import StoreLogReader
from station.runtime.desk.model import Pending, PinWait, lpn_prefix
from station.runtime.event_labels import (
    FailedLabel,
    QueuedLabel,
    failed_label_events,
    labels_for,
    render_all,
)
from station.store import orders, workorders
from station.store import stock as units
from station.store.database import StationDB
from station.store.events import EventLog
from station.store.manifests import mark_return
from station.store.print_jobs import drop_queued, insert_job

#: Who events are recorded by when the station itself decides them (at start, with nobody signed in).
SYSTEM_BADGE = "system"

#: Where each flow keeps its state on the session.
_STATE_ATTR = {Flow.INTAKE: "intake", Flow.RESTOCK: "restock", Flow.PACK: "packing", Flow.REPAIR: "repair"}


class Session:
    """State of one station's desk and the step from a flow input to committed events."""

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
        self.pending: Pending | None = None
        self.pin_wait: PinWait | None = None
        self.scan_source = ""  # where the scan being handled came from (a scanner URI, ``keyed:...``)
        self._lpn_prefix = lpn_prefix(config.hub, config.station)
        self.reader = StoreLogReader(log, config.codes, config.roles)
        units.catch_up(store)
        self.restore()

    def restore(self) -> None:
        """Take up what was open at the last stop: the return, the order, the work order, the person."""
        found = recover(self.reader)
        if found.open_work and found.operator is None:
            self._cancel_orphaned(found)
            return
        self.intake, self.packing, self.repair = found.intake, found.packing, found.repair
        self.operator = found.operator
        if found.flow is not None:
            self.flow = found.flow

    def _cancel_orphaned(self, found: Recovered) -> None:
        """Open work whose person may no longer sign in is cancelled (its labels voided, its flags kept for
        the next attempt), so that it blocks nobody; a work order simply stays open for the bench."""
        new: list[NewEvent] = []
        if found.intake.phase is not intake.Phase.IDLE:
            new += intake.step(found.intake, intake.Cancel())[1]
        if found.packing.order is not None:
            new += packing.step(found.packing, packing.Cancel(), self.config.hub)[1]
        self.commit(new, SYSTEM_BADGE)

    def state_of(self, flow: Flow) -> Any:
        return getattr(self, _STATE_ATTR[flow])

    def reset_flows(self) -> None:
        """Every flow back to idle (a new person at the desk)."""
        self.intake = intake.IntakeState()
        self.restock = restock.RestockState()
        self.packing = packing.PackingState()
        self.repair = repair.RepairState()
        self.pending = None

    # -- committing -------------------------------------------------------------------------------------

    def commit(self, new: Sequence[NewEvent], badge: str | None = None) -> list[Event]:
        """Append ``new``, bring every view the events change up to date and queue the labels they call
        for, in one transaction: a label is never lost between its event and its print job."""
        if not new:
            return []
        by = badge or (self.operator.badge if self.operator else "")
        labels, failed = self._render_labels(new)
        new = [*new, *failed_label_events(failed, self.config.printer_uri)]
        with self.store.write() as conn:
            committed = self.log.append_in(conn, new, by)
            for event in committed:
                if event.type == "return.dispositioned" and event.data["lpn"] == self.next_lpn():
                    self._bump("lpn_counter")  # a voided LPN given again is not a new one
                elif event.type == "workorder.opened" and event.data["source"] == "disposition":
                    self._bump("wo_counter")
                elif event.type == "return.completed":
                    mark_return(conn, event.subject, "received")
                elif event.type == "label.voided":
                    drop_queued(conn, event.subject, "Voided before it printed: nothing to remove.")
            orders.project(conn, committed)
            workorders.project(conn, committed)
            units.update(self.store)
            for label in labels:
                insert_job(conn, label.template, label.data, label.zpl, lpn=label.lpn, copies=1, operator=by)
        if labels:
            self.last_label = (labels[-1].template, labels[-1].data)
            self.labels_queued()
        return committed

    def _render_labels(self, new: Sequence[NewEvent]) -> tuple[list[QueuedLabel], list[FailedLabel]]:
        """The labels the events call for, rendered before the transaction (a bad field cannot stop it):
        (rendered, failed)."""
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

    def next_lpn(self) -> str:
        return f"LPN{self._lpn_prefix}{self._counter('lpn_counter') + 1:07d}"

    def next_work_order(self) -> str:
        return f"WO{self._lpn_prefix}{self._counter('wo_counter') + 1:06d}"

    # -- stepping a flow --------------------------------------------------------------------------------

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

    def advance(self, flow: Flow, inp: Any, before: Sequence[NewEvent] = ()) -> list[Event]:
        """Run one input through ``flow``, commit its events (after ``before``), keep the new state."""
        try:
            state, new = self._step(flow, inp)
        except OverrideNeeded as exc:
            self.pending = Pending(exc.kind, exc.subject, exc.reason, flow, inp)
            raise
        committed = self.commit([*before, *new])
        setattr(self, _STATE_ATTR[flow], state)
        self.pending = None
        self.pin_wait = None
        return committed

    # -- which flow -------------------------------------------------------------------------------------

    def lpn_for(self, unit: intake.Unit) -> str:
        """The LPN for a unit being graded: its own when graded again, the one it had in a cancelled attempt
        at this return, else a new one."""
        if unit.lpn is not None:
            return unit.lpn
        rma = self.intake.ret.rma if self.intake.ret else ""
        given = [u.lpn for u in self.intake.units if u.lpn]
        reused = units.reusable_lpn(self.store, rma, unit.gtin, unit.serial, given)
        return reused or self.next_lpn()

    def busy(self) -> str | None:
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

    def switch(self, flow: Flow) -> None:
        """Make ``flow`` the one in use, if the operator may run it and nothing else is open."""
        assert self.operator is not None
        require_flow(self.operator, flow, self.config.roles)
        if flow is self.flow:
            return
        busy = self.busy()
        if busy is not None:
            raise FlowError("Finish or cancel {busy} before {flow}.", busy=busy, flow=flow.value)
        self.flow = flow
        self.intake = intake.IntakeState()
        self.pending = None
