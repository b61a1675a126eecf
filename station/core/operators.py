"""Operators: which roles may run which flow, the PIN policy, lockout after wrong PINs, supervisor overrides.

Pure rules; the PIN hashes and lockout counters live in :mod:`station.store.operators`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from station.core.errors import FlowError, NeedsOverride
from station.core.events import NewEvent
from station.core.manifest import Operator

SUPERVISOR = "supervisor"


class Flow(StrEnum):
    """The work a station does; an operator's roles name the flows they may run (plus ``supervisor``)."""

    INTAKE = "intake"
    RESTOCK = "restock"
    PACK = "pack"
    REPAIR = "repair"


def allowed_flows(operator: Operator, station_flows: Iterable[str]) -> tuple[Flow, ...]:
    """The flows ``operator`` may run at a station set up for ``station_flows`` (a supervisor: all)."""
    wanted = set(station_flows) if operator.is_supervisor else set(station_flows) & operator.roles
    return tuple(f for f in Flow if f.value in wanted)


def require_flow(operator: Operator, flow: Flow, station_flows: Iterable[str]) -> None:
    """Raise FlowError unless ``operator`` may run ``flow`` here."""
    station = set(station_flows)
    if flow.value not in station:
        raise FlowError(
            f"This station is not set up for {flow.value}: use a station for {flow.value}, "
            f"or choose one of {', '.join(sorted(station))}."
        )
    if flow not in allowed_flows(operator, station):
        raise FlowError(
            f"{operator.name} may not run {flow.value} "
            f"(roles: {', '.join(sorted(operator.roles)) or 'none'}): "
            "ask a supervisor to add the role."
        )


@dataclass(frozen=True)
class PinPolicy:
    min_length: int = 4
    max_length: int = 8
    max_failures: int = 5
    lockout_ms: int = 15 * 60 * 1000


DEFAULT_PIN_POLICY = PinPolicy()


def check_pin_format(pin: str, policy: PinPolicy = DEFAULT_PIN_POLICY) -> None:
    """Raise FlowError unless ``pin`` is digits only, of an allowed length."""
    if not (pin.isascii() and pin.isdigit() and policy.min_length <= len(pin) <= policy.max_length):
        raise FlowError(
            f"A PIN is {policy.min_length} to {policy.max_length} digits, found {len(pin)} characters"
            f"{'' if pin.isdigit() else ' that are not all digits'}: enter the PIN again."
        )


@dataclass(frozen=True)
class Attempts:
    """Wrong PINs in a row and until when (wall ms) the badge is locked (0: not locked)."""

    failures: int = 0
    locked_until_ms: int = 0

    def locked(self, now_ms: int) -> bool:
        return now_ms < self.locked_until_ms


def after_failure(attempts: Attempts, now_ms: int, policy: PinPolicy = DEFAULT_PIN_POLICY) -> Attempts:
    """The attempts after one more wrong PIN; reaching the limit locks the badge and restarts the count."""
    failures = attempts.failures + 1
    if failures >= policy.max_failures:
        return Attempts(0, now_ms + policy.lockout_ms)
    return Attempts(failures, attempts.locked_until_ms)


class OverrideKind(StrEnum):
    BLIND_RECEIPT = "blind_receipt"
    REFUND_CAP = "refund_cap"
    RESTOCK = "restock"  # restock a unit whose disposition is not restock_local
    REPAIR = "repair"  # open a work order on a unit whose disposition is not repair


class OverrideNeeded(NeedsOverride):
    """A step that a supervisor may allow: what kind, on what, and the default reason."""

    def __init__(self, kind: OverrideKind, subject: str, reason: str, message: str) -> None:
        self.kind = kind
        self.subject = subject
        self.reason = reason
        super().__init__(message)


def grant(
    kind: OverrideKind, subject: str, reason: str, supervisor: Operator, operator: Operator
) -> NewEvent:
    """The ``override.granted`` event, or FlowError when ``supervisor`` may not grant it."""
    if not supervisor.is_supervisor:
        raise FlowError(f"{supervisor.name} is not a supervisor: a supervisor must scan their badge.")
    return NewEvent(
        "override.granted",
        subject,
        {
            "kind": kind.value,
            "subject": subject,
            "reason": reason,
            "supervisor": supervisor.badge,
            "operator": operator.badge,
        },
    )
