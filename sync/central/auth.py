"""API clients: a bearer token each (only its SHA-256 is stored), the hubs it may read, its scopes.

Scopes: ``read`` (stock, returns, units, stations, the feed), ``webhooks`` (register its endpoints),
``console`` (the fleet console) and ``command`` (send config and commands down from the console).
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

from sync.central.db import Database
from sync.protocol import SyncError

SCOPES = ("read", "webhooks", "console", "command")


@dataclass(frozen=True)
class Client:
    name: str
    hubs: tuple[str, ...] | None  # None: every hub
    scopes: frozenset[str]

    def may_read(self, hub: str) -> bool:
        return self.hubs is None or hub in self.hubs

    def hub_filter(self) -> list[str] | None:
        return None if self.hubs is None else list(self.hubs)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def add_client(db: Database, name: str, hubs: Sequence[str], scopes: Sequence[str]) -> str:
    """Create or replace client ``name``; returns its new token (shown once)."""
    unknown = sorted(set(scopes) - set(SCOPES))
    if unknown:
        raise SyncError(f"Expected scopes from {', '.join(SCOPES)}, found {', '.join(unknown)}.")
    if not hubs:
        raise SyncError("Expected the hubs the client may read (or '*' for all), found none.")
    token = secrets.token_urlsafe(32)
    with db.transaction() as cur:
        db.execute(cur, "DELETE FROM clients WHERE name = ?", (name,))
        db.execute(
            cur,
            "INSERT INTO clients (name, token_sha256, hubs, scopes, created_at) VALUES (?, ?, ?, ?, ?)",
            (name, _digest(token), ",".join(hubs), ",".join(scopes), time.time_ns() // 1_000_000),
        )
    return token


def client_for(db: Database, token: str) -> Client | None:
    row = db.row("SELECT name, hubs, scopes FROM clients WHERE token_sha256 = ?", (_digest(token),))
    if row is None:
        return None
    hubs = None if row["hubs"] == "*" else tuple(h for h in row["hubs"].split(",") if h)
    return Client(row["name"], hubs, frozenset(s for s in row["scopes"].split(",") if s))
