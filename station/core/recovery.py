"""What was open at the desk when the station stopped (a SIGKILL, a pulled plug), folded back from the log.

The open return (its lines, and the units verified, graded and labelled), the order being packed, the work
order on the bench and the person signed in are each the fold of their own events, read through a
:class:`LogReader` (the store implements it; this module does no I/O of its own). A restarted station
therefore shows where the person was, and a unit that already has an LPN keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from station.core import intake, packing, repair
from station.core.events import Event
from station.core.manifest import ExpectedReturn, Operator
from station.core.operators import Flow

RETURN_TYPES = ("return.received", "return.completed", "return.cancelled")
PACK_TYPES = ("order.pack_started", "order.packed", "order.pack_cancelled")
SIGN_TYPES = ("operator.signed_in", "operator.signed_out")
WORK_ORDER_PREFIX = "workorder."


class LogReader(Protocol):
    """The reads recovery needs from the station's log and caches."""

    def last_of(self, types: Sequence[str]) -> Event | None:
        """The newest event of one of ``types``; a type ending in ``.`` stands for all types it starts
        (``workorder.``)."""
        ...

    def since(self, subject: str, seq: int) -> list[Event]:
        """Every event about ``subject`` from ``seq`` on, in order."""
        ...

    def manifest(self, rma: str) -> ExpectedReturn | None: ...

    def order(self, number: str) -> packing.Order | None: ...

    def stocked(self, gtin: str) -> bool: ...

    def operator(self, signed_in: Event) -> Operator | None:
        """Who signed in with ``signed_in``, as the station knows them now (None: may no longer sign in)."""
        ...


@dataclass(frozen=True)
class Recovered:
    intake: intake.IntakeState
    packing: packing.PackingState
    repair: repair.RepairState
    operator: Operator | None
    flow: Flow | None  # the flow whose work was open

    @property
    def open_work(self) -> bool:
        return self.flow is not None


def _pairs(events: Sequence[Event]) -> list[tuple[str, Mapping[str, Any]]]:
    return [(e.type, e.data) for e in events]


def _open_return(log: LogReader) -> intake.IntakeState:
    last = log.last_of(RETURN_TYPES)
    if last is None or last.type != "return.received":
        return intake.IntakeState()
    events = log.since(last.subject, last.seq)
    return intake.restore(_pairs(events), log.manifest(last.subject), log.stocked)


def _open_order(log: LogReader) -> packing.PackingState:
    last = log.last_of(PACK_TYPES)
    order = log.order(last.subject) if last is not None and last.type == "order.pack_started" else None
    if last is None or order is None:
        return packing.PackingState()
    return packing.restore(order, _pairs(log.since(last.subject, last.seq)))


def _open_work_order(log: LogReader) -> repair.RepairState:
    """The work order on the bench: the one worked on last, unless returns or packing came after it (it
    was parked for them; it stays open, taken up again by scanning it)."""
    last = log.last_of((WORK_ORDER_PREFIX,))
    later = log.last_of((*RETURN_TYPES, *PACK_TYPES))
    if last is None or (later is not None and later.seq > last.seq):
        return repair.RepairState()
    events = [(e.type, e.data) for e in log.since(last.subject, 0) if e.type.startswith(WORK_ORDER_PREFIX)]
    wo = repair.replay(events)
    return repair.RepairState(wo if wo is not None and wo.status == "open" else None)


def _signed_in(log: LogReader) -> Operator | None:
    last = log.last_of(SIGN_TYPES)
    if last is None or last.type != "operator.signed_in":
        return None
    return log.operator(last)


def recover(log: LogReader) -> Recovered:
    """What was open at the last stop. The person who was signed in stays signed in when work of theirs
    is open (it is theirs to finish); with nothing open, a restarted station asks for a badge."""
    ret, order, bench = _open_return(log), _open_order(log), _open_work_order(log)
    flow: Flow | None = None
    if ret.phase is not intake.Phase.IDLE:
        flow = Flow.INTAKE
    elif order.order is not None:
        flow = Flow.PACK
    elif bench.current is not None:
        flow = Flow.REPAIR
    operator = _signed_in(log) if flow is not None else None
    return Recovered(ret, order, bench, operator, flow)
