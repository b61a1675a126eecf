"""Operators as snapshots, their PINs (argon2id hashes, never the PIN itself) and wrong-PIN counters.

Operators (badge, name, roles, active) live in the ``operators`` table; PIN hashes and lockouts in
``operator_pins``. :func:`load_operators` applies one list (``station operators load FILE.json`` or the
OMS's ``operators`` downlink) as a snapshot: whoever it leaves out can no longer sign in, and nobody gets a
role or comes back unless the list says so.
"""

from __future__ import annotations

import json
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher, Type, extract_parameters
from argon2.exceptions import InvalidHashError, VerificationError

from station.core.codes import CodePatterns
from station.core.errors import FlowError
from station.core.operators import (
    DEFAULT_PIN_POLICY,
    Attempts,
    PinPolicy,
    after_failure,
    check_pin_format,
    locked_out,
)
from station.store.database import StationDB
from station.store.manifests import ROLE_NAMES, ManifestError, parse_operator, unique_badges
from station.store.validation import TEXT, check_document, list_of, one_of
from station.store.validation import record as record_schema

_HASHER = PasswordHasher()  # argon2id with the library's defaults (RFC 9106 low-memory profile)
#: The weakest argon2 hash accepted from a file or the OMS (OWASP's minimum for argon2id).
MIN_MEMORY_KIB, MIN_TIME_COST, MIN_HASH_LEN = 19_456, 2, 16


@dataclass(frozen=True)
class PinCheck:
    ok: bool
    attempts: Attempts  # after this check
    rehash: str | None = None  # the PIN hashed with today's parameters, when the stored hash is older

    def locked(self, now_ms: int) -> bool:
        return self.attempts.locked(now_ms)


@dataclass(frozen=True)
class LoadResult:
    """What one operators list changed."""

    listed: int
    added: tuple[str, ...]
    removed: tuple[str, ...]  # active before, left out or inactive now: they can no longer sign in
    changed: tuple[str, ...]  # name, roles or active changed

    def sentence(self) -> str:
        parts = [f"Loaded {self.listed} operators"]
        for what, badges in (("added", self.added), ("removed", self.removed), ("changed", self.changed)):
            if badges:
                parts.append(f"{what}: {', '.join(badges)}")
        return "; ".join(parts) + "."


def pin_policy(store: StationDB) -> PinPolicy:
    """The PIN policy of this station (its shortest PIN is kept in the database by the running station)."""
    length = int(store.meta("pin_length", "0") or 0)
    return PinPolicy(min_length=max(length, DEFAULT_PIN_POLICY.min_length))


def hash_pin(pin: str, policy: PinPolicy = DEFAULT_PIN_POLICY) -> str:
    check_pin_format(pin, policy)
    return _HASHER.hash(pin)


def check_hash(pin_hash: object, where: str) -> str:
    """``pin_hash`` if it is an argon2id hash at least as strong as the floor, else ManifestError."""
    try:
        params = extract_parameters(pin_hash) if isinstance(pin_hash, str) else None
    except InvalidHashError:
        params = None
    if params is None:
        raise ManifestError(f"{where}: expected an argon2id hash ($argon2id$...), found something else.")
    weak = params.type is not Type.ID or (
        params.memory_cost < MIN_MEMORY_KIB
        or params.time_cost < MIN_TIME_COST
        or params.hash_len < MIN_HASH_LEN
    )
    if weak:
        raise ManifestError(
            f"{where}: the hash is weaker than this station accepts (argon2id with at least "
            f"m={MIN_MEMORY_KIB} KiB, t={MIN_TIME_COST}, {MIN_HASH_LEN}-byte hash), found "
            f"{params.type.name.lower()} m={params.memory_cost} t={params.time_cost}: hash the PIN again."
        )
    assert isinstance(pin_hash, str)
    return pin_hash


def has_pin(store: StationDB, badge: str) -> bool:
    row = store.conn.execute("SELECT 1 FROM operator_pins WHERE badge = ?", (badge,)).fetchone()
    return row is not None


def has_operator_list(store: StationDB) -> bool:
    """Whether operators were ever loaded here (with none, nobody signs in)."""
    return store.conn.execute("SELECT 1 FROM operators LIMIT 1").fetchone() is not None


def set_pin_hash(conn: Any, badge: str, pin_hash: str) -> None:
    """Store a PIN hash (call inside a write). The wrong-PIN count and lockouts stay: a reload of the list
    never unlocks a badge (a supervisor does)."""
    conn.execute(
        "INSERT INTO operator_pins (badge, pin_hash) VALUES (?, ?) "
        "ON CONFLICT (badge) DO UPDATE SET pin_hash = excluded.pin_hash",
        (badge, pin_hash),
    )


def attempts(store: StationDB, badge: str) -> Attempts:
    row = store.conn.execute(
        "SELECT failures, locked_until_ms, lockouts FROM operator_pins WHERE badge = ?", (badge,)
    ).fetchone()
    return Attempts() if row is None else Attempts(*row)


def _save(conn: Any, badge: str, after: Attempts) -> None:
    conn.execute(
        "UPDATE operator_pins SET failures = ?, locked_until_ms = ?, lockouts = ? WHERE badge = ?",
        (after.failures, after.locked_until_ms, after.lockouts, badge),
    )


def unlock(conn: Any, badge: str) -> None:
    """A supervisor's unlock: the badge may try again, from the first round (call inside a write)."""
    _save(conn, badge, Attempts())


def check_pin(
    store: StationDB, badge: str, pin: str, now_ms: int, policy: PinPolicy | None = None
) -> PinCheck:
    """Check ``pin`` for ``badge`` (argon2: slow, so outside any write); keep the result with :func:`record`.

    Raises FlowError while the badge is locked out, or when it has no PIN.
    """
    row = store.conn.execute("SELECT pin_hash FROM operator_pins WHERE badge = ?", (badge,)).fetchone()
    if row is None:
        raise FlowError("Badge {badge} has no PIN: ask for one in the operators list.", badge=badge)
    before = attempts(store, badge)
    if before.locked(now_ms):
        raise locked_out(badge, before, now_ms)
    ok: bool
    try:
        ok = _HASHER.verify(row[0], pin)
    except (VerificationError, InvalidHashError):
        ok = False
    after = Attempts() if ok else after_failure(before, now_ms, policy or pin_policy(store))
    rehash = _HASHER.hash(pin) if ok and _HASHER.check_needs_rehash(row[0]) else None
    return PinCheck(ok, after, rehash)


def record(conn: Any, badge: str, check: PinCheck) -> None:
    """Keep what a PIN check changed: the wrong-PIN count and lockout, a stronger hash (inside a write)."""
    if check.rehash is not None:
        set_pin_hash(conn, badge, check.rehash)
    _save(conn, badge, check.attempts)


OPERATOR = record_schema(
    {"badge": TEXT, "name": TEXT, "roles": list_of(one_of(ROLE_NAMES), unique=True)},
    {
        "pin": {"type": "string"},
        "pin_hash": {"type": "string", "pattern": "^\\$argon2", "expected": "an argon2 hash ($argon2id$...)"},
        "active": {"type": "boolean"},
    },
)
OPERATORS_SCHEMA = record_schema({"operators": list_of(OPERATOR)})


def _pin_hash(op: MutableMapping[str, Any], where: str, policy: PinPolicy) -> str | None:
    """The entry's PIN hash; a plain ``pin`` is replaced by its hash in place (a kept copy holds no PIN)."""
    if "pin" in op:
        try:
            pin_hash = hash_pin(str(op["pin"]), policy)
        except FlowError as exc:
            raise ManifestError(f"{where}.pin: {exc}") from None
        del op["pin"]
        op["pin_hash"] = pin_hash
        return pin_hash
    if op.get("pin_hash") is not None:
        return check_hash(op["pin_hash"], f"{where}.pin_hash")
    return None


def load_operators(
    store: StationDB,
    doc: Any,
    patterns: CodePatterns,
    source: str = "operators",
    policy: PinPolicy | None = None,
) -> LoadResult:
    """Apply a whole operators list as a snapshot; all or nothing.

    A supervisor must have a PIN (``pin``, hashed here, or an argon2id ``pin_hash``; one already stored
    counts). Plain PINs in ``doc`` are replaced by their hashes in place.
    """
    check_document(doc, OPERATORS_SCHEMA, source)
    policy = policy or pin_policy(store)
    operators = [
        parse_operator(op, patterns, source, ["operators", i]) for i, op in enumerate(doc["operators"])
    ]
    unique_badges(operators, source, "operators")
    entries: dict[str, tuple[str, str, bool, str | None]] = {}
    for i, (op, operator) in enumerate(zip(doc["operators"], operators, strict=True)):
        where = f"{source}: operators[{i}]"
        pin_hash = _pin_hash(op, where, policy)
        if operator.is_supervisor and pin_hash is None and not has_pin(store, operator.badge):
            raise ManifestError(
                f"{where}: supervisor {operator.name} has no PIN: give a 'pin' of {policy.min_length} to "
                f"{policy.max_length} digits (or its argon2id 'pin_hash')."
            )
        roles_json = json.dumps(sorted(operator.roles))
        entries[operator.badge] = (operator.name, roles_json, bool(op.get("active", True)), pin_hash)
    before = {
        row[0]: (row[1], row[2], bool(row[3]))
        for row in store.conn.execute("SELECT badge, name, roles, active FROM operators")
    }
    with store.write() as conn:
        conn.execute("UPDATE operators SET active = 0")
        for badge, (name, roles_json, active, pin_hash) in entries.items():
            conn.execute(
                "INSERT OR REPLACE INTO operators VALUES (?,?,?,?)", (badge, name, roles_json, int(active))
            )
            if pin_hash is not None:
                set_pin_hash(conn, badge, pin_hash)
    now = {badge: (name, roles, active) for badge, (name, roles, active, _) in entries.items()}
    was_active = {b for b, v in before.items() if v[2]}
    return LoadResult(
        listed=len(entries),
        added=tuple(sorted(b for b in now if b not in before)),
        removed=tuple(sorted(b for b in was_active if not now.get(b, ("", "", False))[2])),
        changed=tuple(sorted(b for b in now if b in before and before[b] != now[b] and now[b][2])),
    )
