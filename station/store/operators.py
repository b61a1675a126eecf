"""Operators' PINs (argon2id hashes, never the PIN itself) and their wrong-PIN counters.

Operators themselves (badge, name, roles) live in the ``operators`` table of :mod:`station.store.manifests`;
:func:`load_operators` fills both from one document (``station operators load FILE.json``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from station.core.codes import CodePatterns
from station.core.errors import FlowError
from station.core.operators import (
    DEFAULT_PIN_POLICY,
    Attempts,
    PinPolicy,
    after_failure,
    check_pin_format,
)
from station.store.database import StationDB
from station.store.manifests import ROLE_NAMES, ManifestError, parse_operator, unique_badges
from station.store.validation import TEXT, check_document, list_of, one_of, record

_HASHER = PasswordHasher()  # argon2id with the library's defaults (RFC 9106 low-memory profile)


@dataclass(frozen=True)
class PinCheck:
    ok: bool
    attempts: Attempts  # after this check

    def locked(self, now_ms: int) -> bool:
        return self.attempts.locked(now_ms)


def hash_pin(pin: str, policy: PinPolicy = DEFAULT_PIN_POLICY) -> str:
    check_pin_format(pin, policy)
    return _HASHER.hash(pin)


def has_pin(store: StationDB, badge: str) -> bool:
    row = store.conn.execute("SELECT 1 FROM operator_pins WHERE badge = ?", (badge,)).fetchone()
    return row is not None


def set_pin_hash(conn: Any, badge: str, pin_hash: str) -> None:
    """Store a PIN hash (call inside a write); the wrong-PIN count starts again."""
    conn.execute(
        "INSERT OR REPLACE INTO operator_pins (badge, pin_hash, failures, locked_until_ms) "
        "VALUES (?, ?, 0, 0)",
        (badge, pin_hash),
    )


def attempts(store: StationDB, badge: str) -> Attempts:
    row = store.conn.execute(
        "SELECT failures, locked_until_ms FROM operator_pins WHERE badge = ?", (badge,)
    ).fetchone()
    return Attempts() if row is None else Attempts(row[0], row[1])


def verify_pin(
    store: StationDB, badge: str, pin: str, now_ms: int, policy: PinPolicy = DEFAULT_PIN_POLICY
) -> PinCheck:
    """Check ``pin`` for ``badge`` and count a wrong one (call inside a write, and commit it either way).

    Raises FlowError while the badge is locked out, or when it has no PIN.
    """
    row = store.conn.execute(
        "SELECT pin_hash, failures, locked_until_ms FROM operator_pins WHERE badge = ?", (badge,)
    ).fetchone()
    if row is None:
        raise FlowError(f"Badge {badge} has no PIN: ask a supervisor to set one.")
    before = Attempts(row[1], row[2])
    if before.locked(now_ms):
        minutes = max(1, -(-(before.locked_until_ms - now_ms) // 60_000))
        raise FlowError(f"Badge {badge} is locked after too many wrong PINs: try again in {minutes} min.")
    ok: bool
    try:
        ok = _HASHER.verify(row[0], pin)
    except (VerificationError, InvalidHashError):
        ok = False
    after = Attempts() if ok else after_failure(before, now_ms, policy)
    if ok and _HASHER.check_needs_rehash(row[0]):
        set_pin_hash(store.conn, badge, _HASHER.hash(pin))
    store.conn.execute(
        "UPDATE operator_pins SET failures = ?, locked_until_ms = ? WHERE badge = ?",
        (after.failures, after.locked_until_ms, badge),
    )
    return PinCheck(ok, after)


OPERATOR = record(
    {"badge": TEXT, "name": TEXT, "roles": list_of(one_of(ROLE_NAMES), unique=True)},
    {
        "pin": {"type": "string"},
        "pin_hash": {"type": "string", "pattern": "^\\$argon2", "expected": "an argon2 hash ($argon2id$...)"},
        "active": {"type": "boolean"},
    },
)
OPERATORS_SCHEMA = record({"operators": list_of(OPERATOR)})


def load_operators(store: StationDB, doc: Any, patterns: CodePatterns, source: str = "operators") -> int:
    """Operators with their roles and PIN (``pin``, hashed here, or ``pin_hash``); all or nothing."""
    check_document(doc, OPERATORS_SCHEMA, source)
    rows = []
    operators = []
    for i, op in enumerate(doc["operators"]):
        operator = parse_operator(op, patterns, source, ["operators", i])
        operators.append(operator)
        pin_hash = op.get("pin_hash")
        if "pin" in op:
            try:
                pin_hash = hash_pin(op["pin"])
            except FlowError as exc:
                raise ManifestError(f"{source}: operators[{i}].pin: {exc}") from None
        roles_json = json.dumps(sorted(operator.roles))
        rows.append((operator.badge, operator.name, roles_json, int(op.get("active", True)), pin_hash))
    unique_badges(operators, source, "operators")
    with store.write() as conn:
        for badge, name, roles_json, active, pin_hash in rows:
            conn.execute(
                "INSERT OR REPLACE INTO operators VALUES (?,?,?,?)", (badge, name, roles_json, active)
            )
            if pin_hash is not None:
                set_pin_hash(conn, badge, pin_hash)
    return len(rows)
