"""Named schema migrations, applied once each, in order, inside a transaction.

A migration is a ``(name, function)`` pair; names are recorded in ``_migrations`` so subsystems can add
their own lists without renumbering each other's. Append new migrations; never edit an applied one.
"""

from __future__ import annotations

import secrets
import sqlite3
import time
from collections.abc import Callable, Sequence

import sqlite_utils

Migration = tuple[str, Callable[[sqlite_utils.Database], None]]


def _print_jobs(db: sqlite_utils.Database) -> None:
    db.execute(
        """CREATE TABLE print_jobs (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            template TEXT NOT NULL,
            data TEXT NOT NULL,
            zpl BLOB NOT NULL,
            lpn TEXT,
            copies INTEGER NOT NULL DEFAULT 1,
            operator TEXT NOT NULL,
            state TEXT NOT NULL DEFAULT 'queued',
            attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT,
            counter_before INTEGER,
            printer TEXT,
            reprint_of INTEGER REFERENCES print_jobs(id),
            created_at INTEGER NOT NULL,
            updated_at INTEGER NOT NULL
        )"""
    )
    db.execute("CREATE INDEX print_jobs_state ON print_jobs (state, id)")
    db.execute("CREATE INDEX print_jobs_lpn ON print_jobs (lpn, id)")


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


def _downlink_messages(db: sqlite_utils.Database) -> None:
    """Downlink messages from the OMS (orders, work orders, config, commands), kept raw by version."""
    db.table("downlink_messages").create(
        {"kind": str, "key": str, "version": int, "body": str, "topic": str, "received_at": int},
        pk=("kind", "key"),
        not_null={"kind", "key", "version", "body"},
    )


def _hubwork(db: sqlite_utils.Database) -> None:
    """Units and stock, packing orders, work orders, operator PINs; events findable by subject."""
    for sql in (
        """CREATE TABLE units (lpn TEXT PRIMARY KEY, gtin TEXT NOT NULL, serial TEXT, status TEXT NOT NULL,
            disposition TEXT, grade TEXT, category TEXT NOT NULL DEFAULT '', bin TEXT, hub TEXT,
            stocked_seq INTEGER NOT NULL DEFAULT 0, order_number TEXT)""",
        "CREATE INDEX units_stock ON units (status, gtin, stocked_seq)",
        "CREATE INDEX units_serial ON units (serial)",
        """CREATE TABLE orders (number TEXT PRIMARY KEY, carrier TEXT NOT NULL, carrier_label TEXT NOT NULL,
            status TEXT NOT NULL, version INTEGER NOT NULL, updated_at INTEGER NOT NULL)""",
        """CREATE TABLE order_lines (number TEXT NOT NULL REFERENCES orders (number), line INTEGER NOT NULL,
            gtin TEXT NOT NULL, quantity INTEGER NOT NULL, serial TEXT, title TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (number, line))""",
        """CREATE TABLE work_orders (number TEXT PRIMARY KEY, lpn TEXT NOT NULL, gtin TEXT NOT NULL,
            serial TEXT, data_bearing INTEGER NOT NULL, problem TEXT NOT NULL DEFAULT '',
            source TEXT NOT NULL, status TEXT NOT NULL, version INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX work_orders_lpn ON work_orders (lpn, status)",
        """CREATE TABLE operator_pins (badge TEXT PRIMARY KEY, pin_hash TEXT NOT NULL,
            failures INTEGER NOT NULL DEFAULT 0, locked_until_ms INTEGER NOT NULL DEFAULT 0)""",
        "CREATE INDEX events_subject ON events (subject)",
    ):
        db.execute(sql)


def _log_id(db: sqlite_utils.Database) -> None:
    """Name this event log, so that a database started anew is never taken for the old one by the OMS."""
    has_events = db.execute("SELECT 1 FROM events LIMIT 1").fetchone() is not None
    # a log that already has events keeps the plain source it has been sending them under
    log_id = "" if has_events else secrets.token_hex(6)
    db.execute("INSERT OR IGNORE INTO meta (key, value) VALUES ('log_id', ?)", (log_id,))


def _operator_lockouts(db: sqlite_utils.Database) -> None:
    """How many lockouts a badge has had since its last right PIN (each one is longer)."""
    db.execute("ALTER TABLE operator_pins ADD COLUMN lockouts INTEGER NOT NULL DEFAULT 0")


def _print_job_subject(db: sqlite_utils.Database) -> None:
    """What each label is for (the RMA, work order or order it belongs to), so a scan finds its labels."""
    db.execute("ALTER TABLE print_jobs ADD COLUMN subject TEXT")
    db.execute("UPDATE print_jobs SET subject = json_extract(data, '$.rma') WHERE template != 'shipping'")
    db.execute(
        "UPDATE print_jobs SET subject = (SELECT MAX(o.number) FROM orders o "
        "WHERE o.carrier_label = json_extract(print_jobs.data, '$.zpl')) WHERE template = 'shipping'"
    )
    db.execute("CREATE INDEX print_jobs_subject ON print_jobs (subject, id)")


def _units_grade(db: sqlite_utils.Database) -> None:
    """Units now carry their intake grade: fold the event log into the units table again."""
    db.execute("UPDATE meta SET value = '0' WHERE key = 'units_seq'")


MIGRATIONS: list[Migration] = [
    ("0001_events", _events),
    ("0002_manifests", _manifests),
    ("0100_print_jobs", _print_jobs),
    ("0200_downlink_messages", _downlink_messages),
    ("0300_hubwork", _hubwork),
    ("0400_log_id", _log_id),
    ("0510_operator_lockouts", _operator_lockouts),
    ("0600_print_job_subject", _print_job_subject),
    ("0610_units_grade", _units_grade),
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
