"""Operators: which roles may run which flow, the PIN policy, lockout after wrong PINs, supervisor overrides.

Pure rules; the PIN hashes and lockout counters live in :mod:`station.store.operators`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
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
            "This station is not set up for {flow}: use a station for {flow}, or choose one of {flows}.",
            flow=flow.value,
            flows=", ".join(sorted(station)),
        )
    if flow not in allowed_flows(operator, station):
        raise FlowError(
            "{name} may not run {flow} (roles: {roles}): ask a supervisor to add the role.",
            name=operator.name,
            flow=flow.value,
            roles=", ".join(sorted(operator.roles)) or "none",
        )


#: Lockouts after each round of wrong PINs; after the last round only a supervisor unlocks the badge.
LOCKOUT_ROUNDS_MS = (15 * 60 * 1000, 60 * 60 * 1000)
#: ``locked_until_ms`` of a badge that waits for a supervisor's unlock.
UNTIL_UNLOCKED = 2**62


@dataclass(frozen=True)
class PinPolicy:
    min_length: int = 6
    max_length: int = 12
    max_failures: int = 5
    lockouts_ms: tuple[int, ...] = LOCKOUT_ROUNDS_MS


DEFAULT_PIN_POLICY = PinPolicy()


def check_pin_format(pin: str, policy: PinPolicy = DEFAULT_PIN_POLICY) -> None:
    """Raise FlowError unless ``pin`` is digits only, of an allowed length (the message never holds it)."""
    if not (pin.isascii() and pin.isdigit() and policy.min_length <= len(pin) <= policy.max_length):
        if pin.isdigit():
            raise FlowError(
                "A PIN is {min} to {max} digits, found {n}: enter the PIN again.",
                min=policy.min_length,
                max=policy.max_length,
                n=len(pin),
            )
        raise FlowError(
            "A PIN is {min} to {max} digits, found characters that are not digits: enter the PIN again.",
            min=policy.min_length,
            max=policy.max_length,
        )


class Pin(str):
    """A PIN as typed: its ``repr`` is masked, so that no log line or message formatted with it shows it."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'******'"


@dataclass(frozen=True)
class Attempts:
    """Wrong PINs in this round, until when (wall ms) the badge is locked (0: not locked), and how many
    lockouts it has had since its last right PIN."""

    failures: int = 0
    locked_until_ms: int = 0
    lockouts: int = 0

    def locked(self, now_ms: int) -> bool:
        return now_ms < self.locked_until_ms

    @property
    def needs_unlock(self) -> bool:
        """Locked until a supervisor unlocks the badge."""
        return self.locked_until_ms >= UNTIL_UNLOCKED


def after_failure(attempts: Attempts, now_ms: int, policy: PinPolicy = DEFAULT_PIN_POLICY) -> Attempts:
    """The attempts after one more wrong PIN. Reaching the limit ends a round: the badge is locked for
    that round's time (longer each round; after the last, until a supervisor unlocks it) and the count
    of wrong PINs starts again."""
    failures = attempts.failures + 1
    if failures < policy.max_failures:
        return replace(attempts, failures=failures)
    rounds = attempts.lockouts + 1
    if rounds > len(policy.lockouts_ms):
        return Attempts(0, UNTIL_UNLOCKED, rounds)
    return Attempts(0, now_ms + policy.lockouts_ms[rounds - 1], rounds)


def locked_out(badge: str, attempts: Attempts, now_ms: int, *, after_wrong_pin: bool = False) -> FlowError:
    """What a locked badge's holder is told (``after_wrong_pin``: the PIN just typed was wrong too)."""
    if attempts.needs_unlock:
        if after_wrong_pin:
            return FlowError(
                "Wrong PIN. Badge {badge} is locked after too many wrong PINs: a supervisor must unlock it.",
                badge=badge,
            )
        return FlowError(
            "Badge {badge} is locked after too many wrong PINs: a supervisor must unlock it.", badge=badge
        )
    minutes = max(1, -(-(attempts.locked_until_ms - now_ms) // 60_000))
    if after_wrong_pin:
        return FlowError(
            "Wrong PIN. Badge {badge} is locked after too many wrong PINs: try again in {minutes} min.",
            badge=badge,
            minutes=minutes,
        )
    return FlowError(
        "Badge {badge} is locked after too many wrong PINs: try again in {minutes} min.",
        badge=badge,
        minutes=minutes,
    )


class OverrideKind(StrEnum):
    BLIND_RECEIPT = "blind_receipt"
    REFUND_CAP = "refund_cap"
    RESTOCK = "restock"  # restock a unit whose disposition is not restock_local
    REPAIR = "repair"  # open a work order on a unit whose disposition is not repair
    WIPE = "wipe"  # a data wipe, verified by a second person present (repair or supervisor role)


#: Who may allow each kind: a supervisor, except a wipe, which a second repair technician may verify.
_APPROVER_ROLES = {OverrideKind.WIPE: frozenset({Flow.REPAIR.value, SUPERVISOR})}


class OverrideNeeded(NeedsOverride):
    """A step that a second person may allow: what kind, on what, and the default reason."""

    def __init__(
        self, kind: OverrideKind, subject: str, reason: str, message: str, /, **params: object
    ) -> None:
        self.kind = kind
        self.subject = subject
        self.reason = reason
        super().__init__(message, **params)


@dataclass(frozen=True)
class Request:
    """What a second person is asked to allow, as the approval screen shows it. An approval is bound to
    exactly this request: if any part of it changes before the PIN, the approval is void."""

    kind: OverrideKind
    subject: str
    reason: str
    requester: str  # the badge of the person who asked
    amount: float | None = None
    currency: str | None = None

    @property
    def approver_roles(self) -> frozenset[str]:
        return _APPROVER_ROLES.get(self.kind, frozenset({SUPERVISOR}))

    def describe(self) -> str:
        """One line: kind, subject, amount and reason."""
        amount = "" if self.amount is None else f", {self.amount:.2f} {self.currency or ''}".rstrip()
        return f"{self.kind.value.replace('_', ' ')} on {self.subject}{amount}: {self.reason}"


def check_approver(request: Request, approver: Operator) -> None:
    """Raise FlowError unless ``approver`` may allow ``request``: the right role, and not the requester."""
    if approver.badge == request.requester:
        raise FlowError(
            "{name} asked for this and cannot also approve it: another {roles} must scan their badge.",
            name=approver.name,
            roles=" or ".join(sorted(request.approver_roles)),
        )
    if not approver.roles & request.approver_roles:
        raise FlowError(
            "{name} may not approve {kind}: a {roles} must scan their badge.",
            name=approver.name,
            kind=request.kind.value.replace("_", " "),
            roles=" or ".join(sorted(request.approver_roles)),
        )


def grant(request: Request, approver: Operator, *, pin_verified: bool) -> NewEvent:
    """The ``override.granted`` event, or FlowError when ``approver`` may not grant ``request``."""
    check_approver(request, approver)
    return NewEvent(
        "override.granted",
        request.subject,
        {
            "kind": request.kind.value,
            "subject": request.subject,
            "amount": request.amount,
            "currency": request.currency,
            "reason": request.reason,
            "requester": request.requester,
            "approver": approver.badge,
            "pin_verified": pin_verified,
        },
    )
