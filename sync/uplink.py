"""Station side, up: the outbox to the broker, in seq order, until the receiver's end-to-end ack covers it.

A PUBACK only says the broker has a message; an event counts as delivered when the receiver, having
committed it, acks a contiguous seq that covers it. After every (re)connect, and whenever acks stop coming
for ``ack_timeout_s``, the uplink sends again from the last ack: the receiver drops duplicates. The backlog
goes out in CloudEvents batches, at most ``window`` events ahead of the last ack.

An ack is never taken above the highest seq sent, nor beyond what receivers vouched for: each ack lists
the runs of seqs its commit holds as sent, with the ids at both ends, and the station counts a run only
when those ids are its own. So a centre holding other events at those seqs (a station database restored
from an older copy) can never ack them. An ack that says the log forked makes the outbox start a new log,
and everything still held is sent again under it; the centre keeps both histories.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Protocol

import paho.mqtt.client as mqtt

from sync.connection import Connection, Options
from sync.protocol import (
    LogRef,
    OutboxEvent,
    ProtocolError,
    decode_json,
    encode,
    encode_events,
    now_iso,
    state_message,
)
from sync.settings import SyncSettings

log = logging.getLogger(__name__)

PRUNE_EVERY_S = 3600.0
SAVE_STATE_EVERY_S = 30.0  # a heartbeat for `station sync status`; changes are saved at once


@dataclass(frozen=True)
class OutboxStats:
    last_seq: int
    acked_seq: int
    depth: int  # events not yet acked end to end
    oldest_unacked_ms: int | None  # wall ms of the oldest unacked event
    last_ack_at_ms: int | None


class Outbox(Protocol):
    """The station's event log seen as an outbox (``station.store.outbox`` implements it)."""

    def pending(self, after: int, limit: int) -> Sequence[OutboxEvent]:
        """Events with seq > ``after``, in seq order, at most ``limit``."""
        ...

    def acked_seq(self) -> int: ...

    def mark_acked(self, upto: int) -> int:
        """Mark every event with seq <= ``upto`` acked (never lowers it); returns the acked seq now."""
        ...

    def stats(self) -> OutboxStats: ...

    def prune(self, older_than_days: float) -> int:
        """Delete events acked more than ``older_than_days`` ago (never an unacked one); returns how many."""
        ...

    def save_link(self, state: Mapping[str, Any]) -> None:
        """Keep the link's state where people's tools (``station sync status``) can read it."""
        ...

    def link(self) -> Mapping[str, Any]: ...

    def log_ref(self) -> LogRef:
        """The log the outbox sends now."""
        ...

    def fork(self, from_source: str, reason: str) -> LogRef:
        """Start a new log holding every event still kept, none of them acked; returns it."""
        ...

    def ids(self, seqs: Sequence[int]) -> Mapping[int, str]:
        """The ids of the events at ``seqs`` (those still held)."""
        ...


def connection_options(settings: SyncSettings) -> Options:
    """The connection a station uses: its stable client id, TLS identity and 'offline' last will."""
    topics = settings.topics
    return Options(
        address=settings.address,
        client_id=settings.client_id,
        tls=settings.tls,
        keepalive=settings.keepalive,
        session_expiry_s=settings.session_expiry_s,
        backoff_min_s=settings.backoff_min_s,
        backoff_max_s=settings.backoff_max_s,
        will=(topics.state, state_message(topics.source, "offline", settings.version, "connection lost")),
    )


class Uplink:
    """Pumps the outbox on the connection's thread; acks move the outbox's acked mark."""

    def __init__(
        self,
        conn: Connection,
        outbox: Outbox,
        settings: SyncSettings,
        health: Callable[[], Mapping[str, Any]] = dict,
        on_fork: Callable[[str, LogRef, str], None] | None = None,
    ) -> None:
        self.conn = conn
        self.outbox = outbox
        self.health = health
        self.on_fork = on_fork
        self._use_log(settings, outbox.log_ref())
        self._fork_notice: str | None = None
        self.forks = 0
        self._progress_at = time.monotonic()
        self._health_at = 0.0
        self._prune_at = 0.0
        self._saved_at = 0.0
        self._saved_state: tuple[str, str | None, float | None] = ("", None, None)
        self._last_ack_at: float | None = None
        previous = outbox.link().get("online_at")
        self._online_at: float | None = float(previous) if previous else None
        #: seconds offline before the latest connect (None: never online before)
        self.last_outage_s: float | None = None
        self.resends = 0
        conn.subscribe(self.topics.acks, self._on_ack)
        conn.on_online(self._on_online)
        conn.add_ticker(self._tick)
        conn.before_stop(self._on_stop)
        conn.on_exit(lambda: self._save(force=True))

    def _use_log(self, settings: SyncSettings, log_ref: LogRef) -> None:
        self.log_ref = log_ref
        self.settings = replace(settings, log_id=log_ref.log_id)
        self.topics = self.settings.topics
        self._extensions = log_ref.extensions()
        self._acked = self.outbox.acked_seq()
        self._sent = self._acked
        self._sent_max = self._acked  # the highest seq sent: no ack above it is believed
        self._ack_in = self._acked
        self._vouched: list[tuple[int, int]] = []  # runs of seqs receivers hold as this station sent them

    def fork(self, reason: str) -> LogRef:
        """Start a new log (see :meth:`Outbox.fork`) and send everything held under it."""
        old = self.topics.source
        log_ref = self.outbox.fork(old, reason)
        self._use_log(self.settings, log_ref)
        self.forks += 1
        self._progress_at = time.monotonic()
        log.warning("sync: the log %s forked (%s); sending under %s", old, reason, self.topics.source)
        if self.on_fork is not None:
            self.on_fork(old, log_ref, reason)
        return log_ref

    # --- callbacks on the network thread ------------------------------------------------------------

    def _on_online(self, session_present: bool) -> None:
        now = time.time()
        self.last_outage_s = None if self._online_at is None else now - self._online_at
        self._online_at = now
        self.conn.publish(
            self.topics.state, state_message(self.topics.source, "online", self.settings.version), retain=True
        )
        self._rewind("connected")
        self._health_at = 0.0
        self._save(force=True)

    def _on_ack(self, message: mqtt.MQTTMessage) -> None:
        try:
            doc = decode_json(message.payload, "an ack")
            seq = doc["seq"] if isinstance(doc, dict) and doc.get("source") == self.topics.source else None
            if not isinstance(seq, int) or isinstance(seq, bool):
                raise ProtocolError(
                    f"Expected an ack for {self.topics.source} with an integer seq, found {doc!r}."
                )
        except ProtocolError as exc:
            log.warning("sync: ignored an ack: %s", exc)
            return
        fork = doc.get("fork")
        if isinstance(fork, dict) and self._fork_notice is None:
            self._fork_notice = (
                f"the centre holds event {fork.get('held')} at seq {fork.get('seq')}, "
                f"this station sent {fork.get('sent')}"
            )
        self._vouch(doc.get("checked"))
        self._ack_in = max(self._ack_in, min(seq, self._sent_max, self._vouched_to()))

    def _vouch(self, checked: Any) -> None:
        """Keep the runs a receiver holds whose end ids are this station's own events."""
        runs = [
            (c["from"], c["to"], c["first"], c["last"])
            for c in (checked if isinstance(checked, list) else [])
            if isinstance(c, dict)
            and isinstance(c.get("from"), int)
            and isinstance(c.get("to"), int)
            and c["from"] <= c["to"]
            and c["to"] > self._acked
        ]
        if not runs:
            return
        own = self.outbox.ids([seq for a, b, _, _ in runs for seq in (a, b)])
        for a, b, first, last in runs:
            if own.get(a) == first and own.get(b) == last:
                self._vouched.append((a, b))

    def _vouched_to(self) -> int:
        """The highest seq that vouched runs cover without a hole from the last ack."""
        reach = self._acked
        for a, b in sorted(self._vouched):
            if a > reach + 1:
                break
            reach = max(reach, b)
        self._vouched = [(a, b) for a, b in self._vouched if b > self._acked]
        return reach

    def _on_stop(self) -> None:
        self.conn.publish(
            self.topics.state,
            state_message(self.topics.source, "offline", self.settings.version, "stopped"),
            retain=True,
        )

    def _tick(self) -> None:
        if self._fork_notice is not None:
            self.fork(self._fork_notice)
            self._fork_notice = None
        now = time.monotonic()
        if self._ack_in > self._acked:
            self._acked = self.outbox.mark_acked(self._ack_in)
            self._sent = max(self._sent, self._acked)
            self._progress_at = now
            self._last_ack_at = time.time()
        if self.conn.online:
            if self._sent > self._acked and now - self._progress_at > self.settings.ack_timeout_s:
                self._rewind(f"no ack for {self.settings.ack_timeout_s:.0f} s")
            self._pump()
            if now >= self._health_at:
                self._health_at = now + self.settings.health_interval_s
                self.conn.publish(self.topics.health, encode(self.health_message()), qos=0)
        if now >= self._prune_at:
            self._prune_at = now + PRUNE_EVERY_S
            pruned = self.outbox.prune(self.settings.prune_days)
            if pruned:
                log.info(
                    "sync: pruned %d events acked more than %d days ago", pruned, self.settings.prune_days
                )
        self._save()

    # --- the pump -----------------------------------------------------------------------------------

    def _pump(self) -> None:
        window = self.settings.window
        while self._sent - self._acked < window:
            limit = min(self.settings.batch_size, window - (self._sent - self._acked))
            events = self.outbox.pending(self._sent, limit)
            if not events:
                return
            if self._sent == self._acked:
                self._progress_at = time.monotonic()
            payload, content_type = encode_events(events, self.topics.source, self._extensions)
            self.conn.publish(self.topics.events, payload, qos=1, content_type=content_type)
            self._sent = events[-1].seq
            self._sent_max = max(self._sent_max, self._sent)

    def _rewind(self, why: str) -> None:
        if self._sent > self._acked:
            self.resends += 1
            log.info("sync: resending from seq %d (%s)", self._acked + 1, why)
        self._sent = self._acked
        self._progress_at = time.monotonic()

    def resend_from(self, seq: int) -> None:
        """Send again every event still in the outbox from ``seq`` on (the OMS's resync command)."""
        self._sent = min(self._sent, max(seq - 1, 0))

    # --- people and health --------------------------------------------------------------------------

    def health_message(self) -> dict[str, Any]:
        stats = self.outbox.stats()
        extra = dict(self.health())
        return {
            "source": self.topics.source,
            "time": now_iso(),
            "outbox_depth": stats.depth,
            "oldest_unacked_age_s": _age_s(stats.oldest_unacked_ms),
            "acked_seq": stats.acked_seq,
            "last_seq": stats.last_seq,
            "printer": extra.get("printer"),
            "disk_free_bytes": extra.get("disk_free_bytes"),
            "clock_synced": extra.get("clock_synced"),
            "version": extra.get("version", self.settings.version),
            "scanners": extra.get("scanners"),
            "config_version": extra.get("config_version"),
        }

    def status(self) -> dict[str, Any]:
        """What people see: online or not, backlog size and age, last ack."""
        stats = self.outbox.stats()
        return {
            "state": self.conn.state,
            "error": self.conn.error,
            "broker": self.settings.broker,
            "online_at": self._online_at,
            "offline_since": None if self.conn.online else self.conn.offline_since,
            "backlog": stats.depth,
            "oldest_unacked_age_s": _age_s(stats.oldest_unacked_ms),
            "acked_seq": stats.acked_seq,
            "last_seq": stats.last_seq,
            "last_ack_at": (stats.last_ack_at_ms / 1000) if stats.last_ack_at_ms else self._last_ack_at,
            "next_retry_at": self.conn.next_attempt_at,
            "resends": self.resends,
            "log_id": self.log_ref.log_id,
            "forks": self.forks,
        }

    def _save(self, force: bool = False) -> None:
        now = time.monotonic()
        key = (self.conn.state, self.conn.error, self.conn.next_attempt_at)
        if force or key != self._saved_state or now - self._saved_at > SAVE_STATE_EVERY_S:
            self._saved_at = now
            self._saved_state = key
            if self.conn.online:
                self._online_at = time.time()
            self.outbox.save_link(
                {
                    "state": self.conn.state,
                    "error": self.conn.error,
                    "broker": self.settings.broker,
                    "online_at": self._online_at,
                    "offline_since": None if self.conn.online else self.conn.offline_since,
                    "next_retry_at": self.conn.next_attempt_at,
                    "saved_at": time.time(),
                }
            )


def _age_s(wall_ms: int | None) -> float | None:
    return None if wall_ms is None else max(0.0, time.time() - wall_ms / 1000)
