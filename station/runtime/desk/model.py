"""What the desk hands out and keeps: touches, outcomes, the screen's snapshot and what waits on a person."""

from __future__ import annotations

import re
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from station.core import intake, packing, repair, restock
from station.core.events import Event
from station.core.manifest import Operator
from station.core.operators import Flow, OverrideKind, Request
from station.core.scans import Scan
from station.store.print_jobs import PrintJob


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
    #: a refusal's English sentence as a template and its values, for a screen in another language
    template: str = ""
    params: Mapping[str, object] = field(default_factory=dict)


@dataclass(frozen=True)
class Pending:
    """A refused input a supervisor may allow: retried with their badge once they have."""

    kind: OverrideKind
    subject: str
    reason: str
    flow: Flow
    input: Any


@dataclass(frozen=True)
class PinWait:
    """Whose PIN the keypad asks for, what for (``sign_in`` or ``approve``) and, for an approval, exactly
    the request it approves."""

    operator: Operator
    purpose: str
    request: Request | None = None


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
    pin_for: str | None = None  # whose PIN the keypad is asking for
    pending_request: Request | None = None  # what a second person is asked to allow
    approving: Request | None = None  # what the PIN being typed approves (None: it signs the person in)
    last_label: tuple[str, dict[str, Any]] | None = None  # the newest label queued: (template, data)
    #: the last ``find_labels`` answer: (what was scanned, its labels newest first)
    found_labels: tuple[str, tuple[PrintJob, ...]] | None = None
    outcome: Outcome | None = None

    @property
    def pending(self) -> str | None:
        """The request waiting for a second person, in one English line (kind, subject, amount, reason)."""
        return self.pending_request.describe() if self.pending_request else None

    @property
    def pending_kind(self) -> OverrideKind | None:
        return self.pending_request.kind if self.pending_request else None

    @property
    def pin_approves(self) -> str | None:
        """What the PIN being typed approves, in one English line (None: it signs the person in)."""
        return self.approving.describe() if self.approving else None


def lpn_prefix(hub: str, station: str) -> str:
    """A short tag that keeps LPNs of different stations apart."""
    alnum = re.compile(r"[^A-Za-z0-9]")
    return (alnum.sub("", hub)[:3] + alnum.sub("", station)[-3:]).upper()
