"""How a sync client reaches its broker: URL, TLS files, topics, timings. Plain data, checked on creation."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from sync.protocol import SyncError, Topics

DAY_S = 86_400


@dataclass(frozen=True)
class BrokerAddress:
    host: str
    port: int
    tls: bool

    @classmethod
    def parse(cls, url: str) -> BrokerAddress:
        """``mqtt://host[:1883]`` or ``mqtts://host[:8883]``."""
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise SyncError(f"Expected a broker URL like mqtts://broker.example:8883, found {url!r}.")
        tls = parts.scheme == "mqtts"
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError as exc:
            raise SyncError(f"The broker URL {url!r} has a bad port: {exc}.") from exc
        return cls(parts.hostname, port, tls)


@dataclass(frozen=True)
class TlsFiles:
    """CA to trust the broker with, and this client's certificate and key (its identity)."""

    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None

    def check(self) -> None:
        for name in ("ca", "cert", "key"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise SyncError(f"The TLS {name} file {path} does not exist: check the broker settings.")
        if (self.cert is None) != (self.key is None):
            raise SyncError(
                "A client certificate needs its key and a key its certificate: set both or neither."
            )


@dataclass(frozen=True)
class SyncSettings:
    """Everything a station's sync needs. Defaults suit a Pi on a hub's network."""

    broker: str
    hub: str
    station: str
    ca: Path | None = None
    cert: Path | None = None
    key: Path | None = None
    topic_prefix: str = "hubs"
    keepalive: int = 30
    session_expiry_s: int = 14 * DAY_S  # longer than any outage we plan for: the broker keeps our queue
    prune_days: int = 30
    batch_size: int = 1000  # events per MQTT message when there is a backlog
    window: int = 20_000  # events sent but not yet acked end to end
    ack_timeout_s: float = 20.0  # no ack progress for this long: resend from the last ack
    health_interval_s: float = 60.0
    backoff_min_s: float = 0.5
    backoff_max_s: float = 4.0  # reconnect within seconds of the broker's return, however long it was away
    max_downlink_bytes: int = 4 * 1024 * 1024
    rejection_interval_s: float = 60.0  # rejected downlink: one event per topic per interval, counted
    resync_after_s: float = DAY_S  # offline longer than this: ask the OMS for a full snapshot
    version: str = "0"
    log_id: str = ""  # the station's event log (see sync.protocol.source_of)

    def __post_init__(self) -> None:
        BrokerAddress.parse(self.broker)
        if self.prune_days < 1:
            raise SyncError(f"prune_days must be 1 or more, found {self.prune_days}.")
        if self.batch_size < 1 or self.window < self.batch_size:
            raise SyncError(f"Expected 1 <= batch_size <= window, found {self.batch_size} and {self.window}.")

    @property
    def address(self) -> BrokerAddress:
        return BrokerAddress.parse(self.broker)

    @property
    def tls(self) -> TlsFiles:
        return TlsFiles(self.ca, self.cert, self.key)

    @property
    def topics(self) -> Topics:
        return Topics(self.hub, self.station, self.topic_prefix, self.log_id)

    @property
    def client_id(self) -> str:
        """Stable per station, so the broker keeps its session across restarts."""
        return f"station-{self.hub}-{self.station}"
