"""The central service in one process: the projection follower, the webhook sender, station presence,
optionally a receiver, and the web app (API and console) under uvicorn."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import uvicorn

from sync.central import schema
from sync.central.alerts import Limits
from sync.central.api import Central, create_app
from sync.central.commands import Publisher
from sync.central.console import mount_console
from sync.central.db import Database
from sync.central.follower import Follower
from sync.central.presence import Presence
from sync.central.webhooks import Sender
from sync.connection import Connection
from sync.receiver import Receiver, receiver_options
from sync.settings import TlsFiles
from sync.sinks import open_sink

log = logging.getLogger(__name__)


@dataclass
class ServiceOptions:
    db_url: str
    broker: str | None = None
    name: str = "1"
    prefix: str = "hubs"
    tls: TlsFiles = field(default_factory=TlsFiles)
    receive: bool = False
    group: str = "receivers"
    limits: Limits = field(default_factory=Limits)
    webhook_timeout_s: float = 5.0
    webhook_retry_s: float = 1.0
    publisher_tls: TlsFiles | None = None  # default: ``tls``


class Service:
    """:meth:`start`, then :meth:`serve` (or mount :attr:`app` elsewhere), then :meth:`stop`."""

    def __init__(self, options: ServiceOptions) -> None:
        self.options = options
        self.db = Database(options.db_url)
        schema.create(self.db)
        publisher = None
        if options.broker:
            tls = options.publisher_tls or options.tls
            publisher = Publisher(options.broker, options.prefix, tls, f"central-publisher-{options.name}")
        self.app = create_app(Central(self.db, options.limits, publisher))
        mount_console(self.app)
        self.sender = Sender(
            Database(options.db_url), timeout_s=options.webhook_timeout_s, retry_min_s=options.webhook_retry_s
        )
        self.follower = Follower(Database(options.db_url), on_projected=self.sender.wake)
        self.presence: Presence | None = None
        self.receiver: tuple[Connection, Receiver] | None = None
        if options.broker:
            self.presence = Presence(
                Database(options.db_url), options.broker, options.name, options.prefix, options.tls
            )
        if options.broker and options.receive:
            sink = open_sink(options.db_url)
            conn = Connection(
                receiver_options(options.broker, options.name, options.tls), name=f"receiver-{options.name}"
            )
            conn.on_exit(sink.close)
            self.receiver = (
                conn,
                Receiver(conn, sink, prefix=options.prefix, group=options.group, name=options.name),
            )

    def start(self) -> Service:
        self.follower.start()
        self.sender.start()
        if self.presence:
            self.presence.start()
        if self.receiver:
            self.receiver[0].start()
        return self

    def stop(self) -> None:
        if self.receiver:
            self.receiver[0].stop()
        if self.presence:
            self.presence.stop()
        self.sender.stop()
        self.follower.stop()
        self.db.close()

    def serve(self, host: str, port: int) -> None:
        """Run the web app until SIGTERM or Ctrl-C (uvicorn handles both)."""
        uvicorn.run(self.app, host=host, port=port, log_level="warning")
