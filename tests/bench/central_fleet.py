"""Simulated stations for the central bench: each is the real uplink (``sync.uplink.Uplink`` on its own
``sync.connection.Connection``, as on a Pi) over an in-memory outbox, doing a compressed day of returns,
restocks and packs. Run as ``python -m tests.bench.central_fleet ...``; writes, per event, the wall time
of its "scan" (just before the event is appended), for the bench to match with the sink's commit time.
"""

from __future__ import annotations

import argparse
import itertools
import json
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from uuid6 import uuid7

from sync.connection import Connection
from sync.protocol import OutboxEvent, now_iso
from sync.settings import SyncSettings
from sync.uplink import OutboxStats, Uplink, connection_options


class MemoryOutbox:
    """The Outbox protocol in memory (the station's SQLite log is benchmarked elsewhere)."""

    def __init__(self) -> None:
        self.events: list[OutboxEvent] = []
        self.acked = 0
        self.lock = threading.Lock()
        self._link: dict[str, Any] = {}

    def append(self, kind: str, subject: str, data: Mapping[str, Any]) -> int:
        with self.lock:
            seq = len(self.events) + 1
            self.events.append(
                OutboxEvent(seq, str(uuid7()), kind, subject, "2001", now_iso(), "", "boot", True, data)
            )
            return seq

    def pending(self, after: int, limit: int) -> Sequence[OutboxEvent]:
        with self.lock:
            return self.events[after : after + limit]

    def acked_seq(self) -> int:
        return self.acked

    def mark_acked(self, upto: int) -> int:
        self.acked = max(self.acked, min(upto, len(self.events)))
        return self.acked

    def stats(self) -> OutboxStats:
        with self.lock:
            depth = len(self.events) - self.acked
            return OutboxStats(len(self.events), self.acked, depth, None, None)

    def prune(self, older_than_days: float) -> int:
        return 0

    def save_link(self, state: Mapping[str, Any]) -> None:
        self._link = dict(state)

    def link(self) -> Mapping[str, Any]:
        return self._link


def day(station: str, hub: str) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """A station's work: returns (received .. completed), restocks, and every third job a pack."""
    stocked: list[dict[str, Any]] = []
    for n in itertools.count(1):
        rma, lpn = f"RMA-{station}-{n}", f"LPN{station}{n:05d}".replace("-", "")
        unit = {"lpn": lpn, "gtin": "09501101530003", "serial": f"SN-{station}-{n}"}
        keep = n % 4 != 0
        yield (
            "return.received",
            rma,
            {
                "rma": rma,
                "return_code": rma,
                "code_kind": "rma",
                "order_number": f"SO-{n}",
                "expected": [],
                "blind": False,
            },
        )
        yield (
            "return.item_verified",
            rma,
            {"rma": rma, "line": 1, "gtin": unit["gtin"], "serial": unit["serial"]},
        )
        yield (
            "return.graded",
            rma,
            {
                "rma": rma,
                "unit": 1,
                "gtin": unit["gtin"],
                "serial": unit["serial"],
                "grade": "A" if keep else "C",
                "reasons": [],
            },
        )
        yield (
            "return.dispositioned",
            rma,
            {
                "rma": rma,
                "unit": 1,
                **unit,
                "rule": "r",
                "disposition": "restock_local" if keep else "liquidate",
                "category": "electronics",
                "value": 100.0,
            },
        )
        yield (
            "refund.eligible",
            rma,
            {"rma": rma, "amount": 100.0, "currency": "EUR", "cap": None, "capped": False, "units": [1]},
        )
        yield (
            "return.completed",
            rma,
            {"rma": rma, "units": 1, "missing": 0, "blind": False, "flagged_for_review": False},
        )
        if keep:
            yield (
                "inventory.restocked",
                lpn,
                {
                    **unit,
                    "bin": f"BIN-{n % 20}",
                    "hub": hub,
                    "disposition": "restock_local",
                    "override": None,
                },
            )
            stocked.append(unit)
        if n % 3 == 0 and stocked:
            packed, order = stocked.pop(0), f"SO-OUT-{station}-{n}"
            yield "order.unit_scanned", order, {"order": order, "line": 1, **packed}
            yield (
                "order.packed",
                order,
                {"order": order, "hub": hub, "carrier": "dhl", "units": [{"line": 1, **packed}]},
            )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--broker", required=True)
    parser.add_argument("--first", type=int, default=0)
    parser.add_argument("--count", type=int, default=100)
    parser.add_argument("--hubs", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--rate", type=float, default=300, help="events per second, this process")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    stations = []
    for k in range(args.first, args.first + args.count):
        hub, name = f"hub-{k % args.hubs}", f"st-{k}"
        settings = SyncSettings(
            broker=args.broker,
            hub=hub,
            station=name,
            health_interval_s=5.0,
            backoff_min_s=0.2,
            backoff_max_s=2.0,
            version="bench",
        )
        outbox = MemoryOutbox()
        conn = Connection(connection_options(settings), name=name)
        Uplink(conn, outbox, settings, lambda: {"printer": "ready", "version": "bench"})
        stations.append((settings.topics.source, outbox, conn, day(name, hub)))
    for _, _, conn, _ in stations:
        conn.start()
    deadline = time.monotonic() + 60
    while not all(conn.online for _, _, conn, _ in stations):
        if time.monotonic() > deadline:
            raise SystemExit("not every station came online in 60 s")
        time.sleep(0.05)
    print("online", flush=True)

    scans: dict[str, list[tuple[int, float]]] = {source: [] for source, _, _, _ in stations}
    start = time.monotonic()
    sent = 0
    for source, outbox, _, work in itertools.cycle(stations):
        now = time.monotonic()
        if now - start >= args.seconds:
            break
        due = start + sent / args.rate
        if due > now:
            time.sleep(due - now)
        kind, subject, data = next(work)
        scanned = time.time()
        seq = outbox.append(kind, subject, data)
        scans[source].append((seq, scanned))
        sent += 1
    deadline = time.monotonic() + 300
    while any(outbox.acked < len(outbox.events) for _, outbox, _, _ in stations):
        if time.monotonic() > deadline:
            raise SystemExit("not every event was acked in 300 s")
        time.sleep(0.1)
    for _, _, conn, _ in stations:
        conn.stop()
    with open(args.out, "w") as f:
        json.dump({"events": sent, "seconds": time.monotonic() - start, "scans": scans}, f)


if __name__ == "__main__":
    main()
