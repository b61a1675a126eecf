"""Central side: take station events off a shared subscription, commit them, then ack end to end.

Several receivers share ``$share/{group}/...`` so the broker splits the load. Messages are acked to the
broker by hand (``manual_ack``) only after the sink committed them, so a receiver killed at any moment
loses nothing: its persistent session gets them again. After each commit the receiver publishes, for
each station touched, the highest contiguous seq the sink holds; the station then marks those events
delivered. Two receivers commit out of order for a moment by design, so a gap (seqs missing below the
highest seen) is reported only once it has stood for ``gap_warn_s``. A forked log (see :mod:`sync.sinks`)
is logged, counted, and told to the station in its acks.
"""

from __future__ import annotations

import itertools
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt

from sync.connection import Connection, Options
from sync.protocol import (
    ProtocolError,
    ack_message,
    decode_events,
    events_filter,
    parse_source,
    source_of,
    split_station_topic,
)
from sync.settings import BrokerAddress, TlsFiles
from sync.sink_progress import Progress, Sink

log = logging.getLogger(__name__)

RETRY_SINK_S = 1.0


@dataclass
class Counters:
    messages: int = 0
    events: int = 0
    inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    acks: int = 0
    sink_errors: int = 0
    refused: int = 0  # events of forked logs
    forks: int = 0
    gaps: dict[str, list[list[int]]] = field(default_factory=dict)  # gaps that stood gap_warn_s


@dataclass
class _Held:
    mid: int
    qos: int
    events: list[dict[str, Any]]


class Receiver:
    """Commits what arrives on the shared subscription in batches, one sink transaction per loop turn."""

    def __init__(
        self,
        conn: Connection,
        sink: Sink,
        *,
        prefix: str = "hubs",
        group: str = "receivers",
        name: str = "receiver",
        validate: bool = False,
        max_batch: int = 20_000,
        gap_warn_s: float = 60.0,
    ) -> None:
        self.conn = conn
        self.sink = sink
        self.prefix = prefix
        self.name = name
        self.validate = validate
        self.max_batch = max_batch
        self.gap_warn_s = gap_warn_s
        self.counters = Counters()
        self._warned: dict[str, set[tuple[int, int]]] = {}
        self._open_gaps: set[str] = set()  # logs with a gap, looked at again while it stands
        self._gaps_at = 0.0
        self._held: list[_Held] = []
        self._held_events = 0
        self._retry_at = 0.0
        conn.subscribe(f"$share/{group}/{events_filter(prefix)}", self._on_events)
        conn.add_ticker(self._tick)

    def _on_events(self, message: mqtt.MQTTMessage) -> None:
        self.counters.messages += 1
        try:
            hub, station, _ = split_station_topic(message.topic, self.prefix)
            events = decode_events(message.payload, validate=self.validate)
            wrong = [e["source"] for e in events if not _from_station(e["source"], hub, station)]
            if wrong:
                raise ProtocolError(
                    f"Events on {message.topic} must come from {source_of(hub, station)}[:LOGID], "
                    f"found {wrong[0]!r}."
                )
        except ProtocolError as exc:
            # Acked to the broker all the same: a malformed message would come back forever.
            self.counters.rejected += 1
            log.warning("receiver %s: rejected a message on %s: %s", self.name, message.topic, exc)
            self.conn.client.ack(message.mid, message.qos)
            return
        self._held.append(_Held(message.mid, message.qos, events))
        self._held_events += len(events)
        if self._held_events >= self.max_batch:
            self._tick()

    def _tick(self) -> None:
        self._recheck_gaps()
        if not self._held or time.monotonic() < self._retry_at:
            return
        events = [e for held in self._held for e in held.events]
        try:
            result = self.sink.insert(events, self.name)
        except Exception as exc:
            self.counters.sink_errors += 1
            self._retry_at = time.monotonic() + RETRY_SINK_S
            log.error("receiver %s: the sink failed (%s); retrying, nothing acked", self.name, exc)
            return
        self.counters.events += len(events)
        self.counters.inserted += result.inserted
        self.counters.duplicates += result.duplicates
        self.counters.refused += result.refused
        for fork in result.forks:
            self.counters.forks += 1
            log.warning(
                "receiver %s: the log %s forked at seq %d (held %s, sent %s): its database was restored "
                "from an older copy; refused, and the station told to start a new log",
                self.name,
                fork.source,
                fork.seq,
                fork.held_id,
                fork.sent_id,
            )
        checked = checked_runs(events, result.refused_ids)
        for source, progress in result.progress.items():
            self._ack_station(progress, checked.get(source, []))
        for held in self._held:
            self.conn.client.ack(held.mid, held.qos)
        self._held.clear()
        self._held_events = 0

    def _ack_station(self, progress: Progress, checked: list[dict[str, Any]]) -> None:
        self._note_gaps(progress)
        hub, station = parse_source(progress.source)
        topic = f"{self.prefix}/{hub}/stations/{station}/acks"
        fork = progress.fork.message() if progress.fork is not None else None
        payload = ack_message(
            progress.source, progress.ack_seq, progress.highest, progress.gaps, self.name, fork, checked
        )
        self.conn.publish(topic, payload, qos=1)
        self.counters.acks += 1

    def _recheck_gaps(self) -> None:
        """A gap that stands with nothing more arriving from its station is still reported in time."""
        now = time.monotonic()
        if not self._open_gaps or now < self._gaps_at:
            return
        self._gaps_at = now + min(5.0, self.gap_warn_s / 2)
        try:
            for source in sorted(self._open_gaps):
                self._note_gaps(self.sink.progress(source))
        except Exception as exc:
            log.error("receiver %s: could not read the sink's progress (%s)", self.name, exc)

    def _note_gaps(self, progress: Progress) -> None:
        """Keep, and warn once about, the gaps that have stood longer than ``gap_warn_s``."""
        now_ms = time.time_ns() // 1_000_000
        standing = [
            gap
            for gap, since in zip(progress.gaps, progress.gap_since_ms, strict=True)
            if now_ms - since > self.gap_warn_s * 1000
        ]
        if progress.gaps:
            self._open_gaps.add(progress.source)
        else:
            self._open_gaps.discard(progress.source)
        if not standing:
            self.counters.gaps.pop(progress.source, None)
            self._warned.pop(progress.source, None)
            return
        self.counters.gaps[progress.source] = [list(g) for g in standing]
        warned = self._warned.setdefault(progress.source, set())
        new = [g for g in standing if g not in warned]
        if new:
            warned.update(new)
            log.warning(
                "receiver %s: %s has had gaps %s for over %.0f s (holds up to %d contiguously, highest %d)",
                self.name,
                progress.source,
                new[:3],
                self.gap_warn_s,
                progress.contiguous,
                progress.highest,
            )


def receiver_options(
    broker: str, name: str, tls: TlsFiles | None = None, backoff_max_s: float = 4.0
) -> Options:
    """A receiver's connection: its own stable client id and persistent session, manual acks."""
    return Options(
        address=BrokerAddress.parse(broker),
        client_id=f"receiver-{name}",
        tls=tls or TlsFiles(),
        session_expiry_s=7 * 86_400,
        backoff_max_s=backoff_max_s,
        manual_ack=True,
        max_inflight=1000,
    )


def checked_runs(events: list[dict[str, Any]], refused_ids: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Per log, the runs of consecutive seqs this commit holds exactly as sent, with the ids at their ends.

    The station takes an ack only as far as such runs, checked against its own ids, reach from its last
    ack: a sink that holds other events at those seqs (a restored station database) can never ack them.
    """
    by_source: dict[str, dict[int, str]] = {}
    for e in events:
        if e["id"] not in refused_ids:
            by_source.setdefault(e["source"], {})[int(e["seq"])] = e["id"]
    runs: dict[str, list[dict[str, Any]]] = {}
    for source, ids in by_source.items():
        # seq - position is constant along a run of consecutive seqs
        for _, run in itertools.groupby(enumerate(sorted(ids)), lambda pair: pair[1] - pair[0]):
            seqs = [seq for _, seq in run]
            runs.setdefault(source, []).append(
                {"from": seqs[0], "to": seqs[-1], "first": ids[seqs[0]], "last": ids[seqs[-1]]}
            )
    return runs


def _from_station(source: str, hub: str, station: str) -> bool:
    """Whether ``source`` is one of this station's event logs (the topic says which station sent it)."""
    try:
        return parse_source(source) == (hub, station)
    except ProtocolError:
        return False
