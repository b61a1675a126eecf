"""The central service's own tables, beside the sink's ``events`` and ``progress`` (never changed here).

``feed`` numbers the events in the order they were projected: the cursor of the event feed and of the
webhooks. ``refs`` indexes feed positions by what they are about (``rma:``, ``lpn:``, ``serial:``,
``wo:``, ``order:``), so a return's timeline gathers the events of its units at any station.
"""

from __future__ import annotations

from sync.central.db import WRITER, Database

TABLES = (
    """CREATE TABLE IF NOT EXISTS proj_position (source TEXT PRIMARY KEY, seq BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS feed (
        pos {serial}, source TEXT NOT NULL, seq BIGINT NOT NULL, id TEXT NOT NULL, type TEXT NOT NULL,
        subject TEXT, hub TEXT NOT NULL, station TEXT NOT NULL, time TEXT NOT NULL,
        received_at BIGINT NOT NULL, projected_at BIGINT NOT NULL, UNIQUE (source, seq))""",
    "CREATE INDEX IF NOT EXISTS feed_hub_type_time ON feed (hub, type, time)",
    """CREATE TABLE IF NOT EXISTS refs (key TEXT NOT NULL, pos BIGINT NOT NULL, PRIMARY KEY (key, pos))""",
    """CREATE TABLE IF NOT EXISTS units (
        lpn TEXT PRIMARY KEY, hub TEXT NOT NULL, gtin TEXT, serial TEXT, status TEXT NOT NULL,
        bin TEXT, grade TEXT, disposition TEXT, category TEXT, rma TEXT, order_number TEXT,
        work_order TEXT, status_time TEXT NOT NULL, detail_time TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS units_hub_gtin ON units (hub, gtin)",
    "CREATE INDEX IF NOT EXISTS units_serial ON units (serial)",
    """CREATE TABLE IF NOT EXISTS returns (
        rma TEXT PRIMARY KEY, hub TEXT NOT NULL, station TEXT NOT NULL, status TEXT NOT NULL,
        order_number TEXT, blind BIGINT, received_time TEXT, completed_time TEXT, units BIGINT,
        missing BIGINT, flagged BIGINT, refund_amount DOUBLE PRECISION, refund_cap DOUBLE PRECISION,
        refund_capped BIGINT, currency TEXT, refund_time TEXT, status_time TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS work_orders (
        number TEXT PRIMARY KEY, hub TEXT NOT NULL, station TEXT NOT NULL, lpn TEXT, status TEXT NOT NULL,
        opened_time TEXT, closed_time TEXT, outcome TEXT, grade TEXT, disposition TEXT,
        diagnoses TEXT, labour_minutes BIGINT, status_time TEXT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS stations (
        hub TEXT NOT NULL, station TEXT NOT NULL, source TEXT, last_event_time TEXT, last_seq BIGINT,
        presence TEXT, presence_since TEXT, presence_reason TEXT, version TEXT,
        backlog BIGINT, reported_seq BIGINT, oldest_unacked_age_s DOUBLE PRECISION, printer TEXT,
        printer_since BIGINT, scanners TEXT, config_version BIGINT, health_at BIGINT,
        PRIMARY KEY (hub, station))""",
    """CREATE TABLE IF NOT EXISTS clients (
        name TEXT PRIMARY KEY, token_sha256 TEXT NOT NULL UNIQUE, hubs TEXT NOT NULL, scopes TEXT NOT NULL,
        created_at BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS webhook_endpoints (
        id {serial}, client TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL, types TEXT NOT NULL,
        hubs TEXT NOT NULL, cursor BIGINT NOT NULL, dead_after_s DOUBLE PRECISION NOT NULL,
        active BIGINT NOT NULL, created_at BIGINT NOT NULL)""",
    """CREATE TABLE IF NOT EXISTS webhook_deliveries (
        id {serial}, endpoint BIGINT NOT NULL, pos BIGINT NOT NULL, subject TEXT NOT NULL,
        status TEXT NOT NULL, attempts BIGINT NOT NULL, created_at BIGINT NOT NULL, next_at BIGINT NOT NULL,
        delivered_at BIGINT, last_error TEXT)""",
    "CREATE INDEX IF NOT EXISTS deliveries_pending ON webhook_deliveries (endpoint, status, subject, id)",
    """CREATE TABLE IF NOT EXISTS commands_sent (
        id {serial}, hub TEXT NOT NULL, station TEXT, kind TEXT NOT NULL, key TEXT NOT NULL,
        version BIGINT NOT NULL, body TEXT NOT NULL, sent_by TEXT NOT NULL, sent_at BIGINT NOT NULL)""",
)

#: The projections, emptied by a rebuild. The feed is kept: its positions stay what the event feed's
#: readers and the webhooks were given, and a rebuild finds each event's position there again.
PROJECTION_TABLES = ("proj_position", "refs", "units", "returns", "work_orders")


def create(db: Database) -> None:
    """Create what is missing (idempotent; several processes may race here at start)."""
    with db.transaction(WRITER) as cur:
        for statement in TABLES:
            db.execute(cur, statement)
