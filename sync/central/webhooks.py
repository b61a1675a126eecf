"""Webhooks to the OMS: every projected event that matches an endpoint's types and hubs is POSTed as a
CloudEvent (HTTP binding, structured mode) signed per Standard Webhooks (``webhook-id``,
``webhook-timestamp``, ``webhook-signature``: HMAC-SHA256 with the endpoint's ``whsec_`` secret).

Delivery state is in the database: the planner turns feed rows past each endpoint's cursor into
delivery rows (in the same transaction as the cursor moves), and the sender posts, per endpoint, the
oldest pending delivery of each subject only, so events about one return, unit or order arrive in order.
A failure (an error status, a refused connection, a timeout) is retried with backoff; a delivery still
failing ``dead_after_s`` after it was planned is marked dead and the subject's next one goes. A delivery
is marked delivered when the endpoint answered 2xx, so after a restart nothing acknowledged is sent
again; one that was in flight at a crash is sent again with the same ``webhook-id`` (the event id), by
which the receiver drops a repeat. :func:`replay` plans every matching event again from a position.
"""

from __future__ import annotations

import base64
import logging
import random
import secrets
import threading
import time
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
from standardwebhooks.webhooks import Webhook

from sync.central.auth import Client
from sync.central.db import PLANNER, Database, Row, fetch
from sync.protocol import EVENT_CONTENT_TYPE, SyncError

log = logging.getLogger(__name__)

BACKOFF_MAX_S = 300.0
_CHUNK = 16  # deliveries posted at once (to different subjects) and recorded in one commit


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def register(
    db: Database,
    client: Client,
    url: str,
    types: Sequence[str],
    hubs: Sequence[str],
    *,
    dead_after_s: float = 86_400.0,
    from_position: int | None = None,
) -> Row:
    """A new endpoint of ``client``; returns it with its secret (shown once). It gets the events projected
    from now on, or from ``from_position`` on."""
    if not url.startswith(("http://", "https://")):
        raise SyncError(f"Expected an http:// or https:// URL for the webhook, found {url!r}.")
    if not types:
        raise SyncError(
            "Expected the event types to send (e.g. refund.eligible, return.*, or *), found none."
        )
    wanted = list(hubs) or (client.hub_filter() or ["*"])
    refused = [h for h in wanted if (h == "*" and client.hubs is not None) or not client.may_read(h)]
    if refused:
        raise SyncError(
            f"Client {client.name} may not read hub(s) {', '.join(refused)}: register for its own."
        )
    secret = "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()
    with db.transaction() as cur:
        last = db.execute(cur, "SELECT COALESCE(MAX(pos), 0) FROM feed").fetchone()[0]
        cursor = int(last) if from_position is None else max(from_position - 1, 0)
        found = db.execute(
            cur,
            "INSERT INTO webhook_endpoints (client, url, secret, types, hubs, cursor, dead_after_s, active, "
            "created_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?) RETURNING id",
            (client.name, url, secret, ",".join(types), ",".join(wanted), cursor, dead_after_s, _now_ms()),
        ).fetchone()
    return {
        "id": int(found[0]),
        "url": url,
        "types": list(types),
        "hubs": wanted,
        "secret": secret,
        "cursor": cursor,
        "dead_after_s": dead_after_s,
    }


def endpoints(db: Database, client: str | None = None) -> list[Row]:
    """Endpoints (of one client) with their delivery counts; secrets left out."""
    rows = db.rows(
        "SELECT id, client, url, types, hubs, cursor, dead_after_s, active FROM webhook_endpoints "
        + ("WHERE client = ? " if client else "")
        + "ORDER BY id",
        (client,) if client else (),
    )
    counts = db.rows(
        "SELECT endpoint, status, COUNT(*) AS n FROM webhook_deliveries GROUP BY endpoint, status"
    )
    for row in rows:
        row["types"], row["hubs"] = row["types"].split(","), row["hubs"].split(",")
        row["deliveries"] = {c["status"]: c["n"] for c in counts if c["endpoint"] == row["id"]}
    return rows


def replay(db: Database, endpoint: int, from_position: int) -> None:
    """Plan every matching event from ``from_position`` on again (the receiver dedupes by webhook-id)."""
    with db.transaction(PLANNER) as cur:
        db.execute(
            cur, "UPDATE webhook_endpoints SET cursor = ? WHERE id = ?", (max(from_position - 1, 0), endpoint)
        )


def _matches(types: list[str], kind: str) -> bool:
    return any(t in ("*", kind) or (t.endswith(".*") and kind.startswith(t[:-1])) for t in types)


def plan(db: Database, limit: int = 5000) -> int:
    """Turn feed rows past each active endpoint's cursor into pending deliveries; returns how many.

    It needs no projection lock: follower steps commit one at a time, so the feed it reads is always a
    gapless prefix of positions."""
    planned = 0
    behind = "SELECT 1 FROM webhook_endpoints WHERE active = 1 AND cursor < (SELECT MAX(pos) FROM feed)"
    if db.row(behind) is None:  # nothing new: no write lock taken
        return 0
    with db.transaction(PLANNER) as cur:
        eps = fetch(db.execute(cur, "SELECT id, types, hubs, cursor FROM webhook_endpoints WHERE active = 1"))
        for ep in eps:
            rows = db.execute(
                cur,
                "SELECT pos, type, hub, subject FROM feed WHERE pos > ? ORDER BY pos LIMIT ?",
                (ep["cursor"], limit),
            ).fetchall()
            if not rows:
                continue
            types, hubs, now = ep["types"].split(","), ep["hubs"].split(","), _now_ms()
            for pos, kind, hub, subject in rows:
                if _matches(types, kind) and ("*" in hubs or hub in hubs):
                    db.execute(
                        cur,
                        "INSERT INTO webhook_deliveries (endpoint, pos, subject, status, attempts, "
                        "created_at, next_at) VALUES (?, ?, ?, 'pending', 0, ?, ?)",
                        (ep["id"], pos, subject or "", now, now),
                    )
                    planned += 1
            db.execute(cur, "UPDATE webhook_endpoints SET cursor = ? WHERE id = ?", (rows[-1][0], ep["id"]))
    return planned


_DUE = """SELECT d.id, d.attempts, d.created_at, e.id AS event_id, e.event FROM webhook_deliveries d
    JOIN feed f ON f.pos = d.pos JOIN events e ON e.source = f.source AND e.seq = f.seq
    WHERE d.endpoint = ? AND d.status = 'pending' AND d.next_at <= ?
    AND d.id = (SELECT MIN(x.id) FROM webhook_deliveries x
                WHERE x.endpoint = d.endpoint AND x.subject = d.subject AND x.status = 'pending')
    ORDER BY d.id LIMIT ?"""


def signed_request(secret: str, event_id: str, body: str) -> dict[str, str]:
    """The headers of one delivery: CloudEvents structured mode, Standard Webhooks signature."""
    now = datetime.now(UTC)
    return {
        "content-type": EVENT_CONTENT_TYPE,
        "webhook-id": event_id,
        "webhook-timestamp": str(int(now.timestamp())),
        "webhook-signature": Webhook(secret).sign(event_id, now, body),
    }


class Sender:
    """Plans and posts on its own thread; with several service processes only the leader sends."""

    def __init__(
        self,
        db: Database,
        *,
        timeout_s: float = 5.0,
        retry_min_s: float = 1.0,
        interval: float = 0.05,
        batch: int = 200,
    ) -> None:
        self.db = db
        self.retry_min_s = retry_min_s
        self.timeout_s = timeout_s
        self.interval = interval
        self.batch = batch
        self._http = httpx.Client(timeout=timeout_s)
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="webhook")
        self._posters = ThreadPoolExecutor(max_workers=_CHUNK, thread_name_prefix="webhook-post")
        self._busy: dict[int, Future[None]] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="central-webhooks", daemon=True)

    def start(self) -> Sender:
        self._thread.start()
        return self

    def wake(self) -> None:
        """New events were projected: plan and post now rather than at the next round."""
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(10)
        self._pool.shutdown(wait=True, cancel_futures=True)
        self._posters.shutdown(wait=True, cancel_futures=True)
        self._http.close()

    def _run(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self.tick()
                except Exception:
                    log.exception("webhooks: a round failed; retrying")
                self._wake.wait(self.interval)
                self._wake.clear()
        finally:
            self.db.close()

    def tick(self) -> None:
        """One round: plan, then start a posting round for each endpoint not still posting."""
        if not self.db.try_leader("central-webhooks"):
            return
        plan(self.db)
        for ep in self.db.rows(
            "SELECT id, url, secret, dead_after_s FROM webhook_endpoints WHERE active = 1"
        ):
            busy = self._busy.get(ep["id"])
            if busy is None or busy.done():
                self._busy[ep["id"]] = self._pool.submit(self._post_due, ep)

    def _post_due(self, ep: Row) -> None:
        """Post the due deliveries (one per subject) a chunk at a time, concurrently, and record each
        chunk's answers in one commit: a crash between an answer and that commit sends that chunk again
        (with the same webhook-id), never more."""
        try:
            due = self.db.rows(_DUE, (ep["id"], _now_ms(), self.batch))
            for i in range(0, len(due), _CHUNK):
                if self._stop.is_set():
                    return
                answers = list(self._posters.map(lambda row: self._post(ep, row), due[i : i + _CHUNK]))
                self._record(ep, answers)
            if due:
                self._wake.set()  # more may have come due meanwhile
        except Exception:
            log.exception("webhooks: posting to endpoint %s failed; retrying", ep["id"])

    def _post(self, ep: Row, row: Row) -> tuple[Row, str | None]:
        """POST one delivery; returns it with None (accepted) or what went wrong."""
        body = row["event"]
        try:
            headers = signed_request(ep["secret"], row["event_id"], body)
            answer = self._http.post(ep["url"], content=body, headers=headers)
        except httpx.HTTPError as exc:
            return row, f"{type(exc).__name__}: {exc}"
        return row, None if answer.is_success else f"HTTP {answer.status_code}"

    def _record(self, ep: Row, answers: list[tuple[Row, str | None]]) -> None:
        now = _now_ms()
        delivered = [(now, row["id"]) for row, error in answers if error is None]
        failed = []
        for row, error in answers:
            if error is None:
                continue
            log.info("webhooks: endpoint %s delivery %s failed (%s)", ep["id"], row["id"], error)
            attempts = int(row["attempts"]) + 1
            dead = now - int(row["created_at"]) >= float(ep["dead_after_s"]) * 1000
            delay = min(BACKOFF_MAX_S, self.retry_min_s * 2 ** min(attempts - 1, 20)) * random.uniform(
                0.8, 1.2
            )
            failed.append(
                ("dead" if dead else "pending", attempts, now + int(delay * 1000), error[:500], row["id"])
            )
        with self.db.transaction() as cur:
            if delivered:
                cur.executemany(
                    self.db.sql(
                        "UPDATE webhook_deliveries SET status = 'delivered', attempts = attempts + 1, "
                        "delivered_at = ?, last_error = NULL WHERE id = ?"
                    ),
                    delivered,
                )
            if failed:
                cur.executemany(
                    self.db.sql(
                        "UPDATE webhook_deliveries SET status = ?, attempts = ?, next_at = ?, last_error = ? "
                        "WHERE id = ?"
                    ),
                    failed,
                )


def deliveries(
    db: Database, endpoint: int, status: str | None = None, limit: int = 100
) -> list[dict[str, Any]]:
    """An endpoint's deliveries, newest first (for people looking into a dead one)."""
    where, params = "d.endpoint = ?", [str(endpoint)]
    if status:
        where += " AND d.status = ?"
        params.append(status)
    return db.rows(
        "SELECT d.id, d.pos, f.type, d.subject, d.status, d.attempts, d.created_at, d.delivered_at, "
        "d.last_error FROM webhook_deliveries d JOIN feed f ON f.pos = d.pos "
        f"WHERE {where} ORDER BY d.id DESC LIMIT ?",
        [*params, limit],
    )
