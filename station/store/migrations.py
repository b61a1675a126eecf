"""Named schema migrations, applied once each, in order, inside a transaction.

A migration is a ``(name, function)`` pair; names are recorded in ``_migrations`` so subsystems can add
their own lists without renumbering each other's. Append new migrations; never edit an applied one.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable, Sequence

import sqlite_utils

Migration = tuple[str, Callable[[sqlite_utils.Database], None]]


def _events(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE events (
            seq INTEGER PRIMARY KEY,
            id TEXT NOT NULL UNIQUE,
            type TEXT NOT NULL,
            subject TEXT NOT NULL,
            operator TEXT NOT NULL,
            hlc_wall INTEGER NOT NULL,
            hlc_counter INTEGER NOT NULL,
            boot_id TEXT NOT NULL,
            mono_ns INTEGER NOT NULL,
            clock_synced INTEGER NOT NULL,
            data TEXT NOT NULL,
            acked_at INTEGER
        )"""
    )
    db.table("meta").create({"key": str, "value": str}, pk="key")


def _manifests(db: sqlite_utils.Database) -> None:
    db.table("expected_returns").create(
        {
            "rma": str,
            "order_number": str,
            "customer": str,
            "refund_cap": float,
            "currency": str,
            "version": int,
            "status": str,
            "updated_at": int,
        },
        pk="rma",
        not_null={"rma", "currency", "version", "status"},
    )
    db.table("expected_return_items").create(
        {
            "rma": str,
            "line": int,
            "gtin": str,
            "serial": str,
            "quantity": int,
            "title": str,
            "category": str,
            "value": float,
        },
        pk=("rma", "line"),
        foreign_keys=[("rma", "expected_returns", "rma")],
        not_null={"rma", "line", "gtin", "quantity"},
    )
    db.table("return_codes").create(
        {"code": str, "rma": str}, pk="code", foreign_keys=[("rma", "expected_returns", "rma")]
    )
    db.table("return_codes").create_index(["rma"])
    db.table("stocked_gtins").create({"gtin": str}, pk="gtin")
    db.table("operators").create(
        {"badge": str, "name": str, "roles": str, "active": int},
        pk="badge",
        not_null={"badge", "name", "roles"},
    )


MIGRATIONS: list[Migration] = [
    ("0001_events", _events),
    ("0002_manifests", _manifests),
]


def migrate(conn: sqlite3.Connection, migrations: Sequence[Migration] = MIGRATIONS) -> list[str]:
    """Apply the migrations not yet applied; returns the names applied now."""
    db = sqlite_utils.Database(conn)
    conn.execute(
        "CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)"
    )
    done = {row[0] for row in conn.execute("SELECT name FROM _migrations")}
    applied: list[str] = []
    for name, apply in migrations:
        if name in done:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            apply(db)
            conn.execute("INSERT INTO _migrations VALUES (?, ?)", (name, int(time.time())))
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        applied.append(name)
    return applied
