"""``python -m sync`` (``hubsync``): the central receiver, the central service and the OMS publish tool."""

from __future__ import annotations

import json
import logging
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

import click

from sync.central.alerts import Limits
from sync.connection import Connection
from sync.protocol import DOWNLINK_KINDS, SyncError
from sync.publish import publish_downlink
from sync.receiver import Receiver, receiver_options
from sync.settings import TlsFiles
from sync.sinks import open_sink

_tls_options = [
    click.option("--ca", type=click.Path(dir_okay=False, path_type=Path), help="CA that signed the broker."),
    click.option(
        "--cert", type=click.Path(dir_okay=False, path_type=Path), help="This client's certificate."
    ),
    click.option("--key", type=click.Path(dir_okay=False, path_type=Path), help="This client's key."),
]


def tls_options(fn: Any) -> Any:
    for option in reversed(_tls_options):
        fn = option(fn)
    return fn


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log every reconnect and rejection.")
def main(verbose: bool) -> None:
    """Hub station sync: the central receiver and the OMS publish tool."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(asctime)s %(message)s")


@main.command()
@click.option("--broker", default="mqtt://localhost:1883", show_default=True, help="mqtt:// or mqtts:// URL.")
@click.option(
    "--sink",
    "sink_url",
    default="sqlite:///central.db",
    show_default=True,
    help="sqlite:///path.db or postgresql://...",
)
@click.option("--name", default="1", show_default=True, help="This receiver's name (its stable client id).")
@click.option("--group", default="receivers", show_default=True, help="Shared subscription group.")
@click.option("--prefix", default="hubs", show_default=True, help="Topic prefix.")
@click.option("--validate", is_flag=True, help="Check every event against its full JSON Schema.")
@click.option(
    "--gap-warn",
    type=float,
    default=60.0,
    show_default=True,
    help="Report a gap in a station's seqs only once it has stood this many seconds.",
)
@click.option("--stats", is_flag=True, help="Print the sink's counts as JSON and exit.")
@click.option("--stats-every", type=float, default=0, help="Print counters as JSON every N seconds.")
@tls_options
def receive(
    broker: str,
    sink_url: str,
    name: str,
    group: str,
    prefix: str,
    validate: bool,
    gap_warn: float,
    stats: bool,
    stats_every: float,
    ca: Path | None,
    cert: Path | None,
    key: Path | None,
) -> None:
    """Commit station events to the sink, then ack them end to end. Runs until SIGTERM or Ctrl-C."""
    sink = open_sink(sink_url)
    if stats:
        click.echo(json.dumps(sink.stats(), indent=2))
        sink.close()
        return
    conn = Connection(receiver_options(broker, name, TlsFiles(ca, cert, key)), name=f"receiver-{name}")
    receiver = Receiver(
        conn, sink, prefix=prefix, group=group, name=name, validate=validate, gap_warn_s=gap_warn
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())

    def print_counters() -> None:
        click.echo(json.dumps({"time": time.time(), "state": conn.state, **vars(receiver.counters)}))

    conn.start()
    try:
        while not done.wait(stats_every or 0.5):
            if conn.state == "failed":
                raise click.ClickException(conn.error or "the broker refused this receiver")
            if stats_every:
                print_counters()
    except KeyboardInterrupt:
        pass
    finally:
        conn.stop()
        sink.close()
        if stats_every:  # the final counts, including what was committed since the last line
            print_counters()


@main.command()
@click.option("--sink", "sink_url", default="sqlite:///central.db", show_default=True)
@click.option(
    "--gap-after", type=float, default=60.0, show_default=True, help="Show gaps older than this (seconds)."
)
@click.option("--json", "as_json", is_flag=True, help="One JSON object, for scripts.")
def status(sink_url: str, gap_after: float, as_json: bool) -> None:
    """What the centre holds: events per station log, gaps that persist, forked logs."""
    sink = open_sink(sink_url)
    try:
        stats = sink.stats(gap_after_s=gap_after)
    finally:
        sink.close()
    if as_json:
        click.echo(json.dumps(stats, indent=2))
        return
    click.echo(f"Events: {stats['events']} in {len(stats['stations'])} station logs")
    for source, log in stats["stations"].items():
        started = stats["logs"].get(source)
        origin = f", forked from {started['forked_from']} at seq {started['start']}" if started else ""
        click.echo(f"  {source}: all of seq ..{log['contiguous']}, highest {log['highest']}{origin}")
    gaps = stats["persistent_gaps"]
    click.echo(f"Gaps standing over {gap_after:g} s: " + ("none" if not gaps else ""))
    for source, found in gaps.items():
        shown = ", ".join(f"{a}..{b} ({age:.0f} s)" for a, b, age in found)
        click.echo(f"  {source}: {shown}")
    click.echo("Forked logs: " + ("none" if not stats["forks"] else ""))
    for fork in stats["forks"]:
        click.echo(
            f"  {fork['source']} at seq {fork['seq']}: held {fork['held']}, the station sent {fork['sent']} "
            "(its database was restored from an older copy; it sends under a new log)"
        )


@main.command()
@click.argument("kind", type=click.Choice(DOWNLINK_KINDS))
@click.argument("file", type=click.File("rb"))
@click.option("--broker", default="mqtt://localhost:1883", show_default=True)
@click.option("--hub", required=True, help="The hub it is for.")
@click.option("--station", help="Only this station of the hub (default: the whole hub).")
@click.option("--message-key", help="What it is about (default: the order number, work order... or KIND).")
@click.option("--version", "version", type=int, help="Version (default: now in ms; newer wins).")
@click.option("--prefix", default="hubs", show_default=True)
@click.option("--client-id", default="oms-publisher", show_default=True)
@tls_options
def publish(
    kind: str,
    file: Any,
    broker: str,
    hub: str,
    station: str | None,
    message_key: str | None,
    version: int | None,
    prefix: str,
    client_id: str,
    ca: Path | None,
    cert: Path | None,
    key: Path | None,
) -> None:
    """Send FILE (a JSON body of KIND) down to a hub or a station."""
    try:
        body = json.load(file)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise click.ClickException(f"{file.name}: expected JSON, found {exc}.") from exc
    if not isinstance(body, dict):
        raise click.ClickException(f"{file.name}: expected a JSON object, found {type(body).__name__}.")
    try:
        doc = publish_downlink(
            broker,
            kind,
            body,
            hub=hub,
            station=station,
            key=message_key,
            version=version,
            prefix=prefix,
            tls=TlsFiles(ca, cert, key),
            client_id=client_id,
        )
    except SyncError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"published {kind} {doc['key']} v{doc['version']}")


_db_option = click.option(
    "--db",
    "db_url",
    default="sqlite:///central.db",
    show_default=True,
    help="The receiver's sink: sqlite:///path.db or postgresql://...",
)


@main.command()
@_db_option
@click.option(
    "--listen", default="127.0.0.1:8080", show_default=True, help="HOST:PORT of the API and console."
)
@click.option("--broker", help="mqtt:// or mqtts:// URL: station presence, and sending config and commands.")
@click.option("--name", default="1", show_default=True, help="This process's name (its MQTT client ids).")
@click.option("--prefix", default="hubs", show_default=True, help="Topic prefix.")
@click.option("--receive", is_flag=True, help="Run a receiver in this process too (shared subscription).")
@click.option(
    "--group", default="receivers", show_default=True, help="The receivers' shared subscription group."
)
@click.option(
    "--offline-minutes", type=float, default=10.0, show_default=True, help="Alert after this long offline."
)
@click.option(
    "--backlog-minutes", type=float, default=10.0, show_default=True, help="Alert on a backlog this old."
)
@click.option(
    "--printer-minutes", type=float, default=5.0, show_default=True, help="Alert on a printer fault this old."
)
@click.option(
    "--webhook-timeout", type=float, default=5.0, show_default=True, help="Seconds an endpoint may take."
)
@click.option(
    "--webhook-retry", type=float, default=1.0, show_default=True, help="First retry after (s); doubles."
)
@click.option(
    "--publisher-cert",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Certificate for sending config and commands down (an oms-NAME one; default: --cert).",
)
@click.option("--publisher-key", type=click.Path(dir_okay=False, path_type=Path), help="Its key.")
@tls_options
def serve(
    db_url: str,
    listen: str,
    broker: str | None,
    name: str,
    prefix: str,
    receive: bool,
    group: str,
    offline_minutes: float,
    backlog_minutes: float,
    printer_minutes: float,
    webhook_timeout: float,
    webhook_retry: float,
    publisher_cert: Path | None,
    publisher_key: Path | None,
    ca: Path | None,
    cert: Path | None,
    key: Path | None,
) -> None:
    """The central service: projections, the HTTP API, webhooks and the fleet console. Runs until SIGTERM."""
    from sync.central.service import Service, ServiceOptions

    host, _, port = listen.rpartition(":")
    if not host or not port.isdigit():
        raise click.BadParameter(f"expected HOST:PORT, found {listen!r}", param_hint="--listen")
    if receive and not broker:
        raise click.BadParameter("a receiver needs --broker", param_hint="--receive")
    options = ServiceOptions(
        db_url,
        broker,
        name,
        prefix,
        TlsFiles(ca, cert, key),
        receive,
        group,
        Limits(offline_minutes, backlog_minutes, printer_minutes),
        webhook_timeout,
        webhook_retry,
        TlsFiles(ca, publisher_cert or cert, publisher_key or key),
    )
    try:
        service = Service(options).start()
    except SyncError as exc:
        raise click.ClickException(str(exc)) from exc
    try:  # uvicorn stops on SIGTERM and Ctrl-C
        service.serve(host, int(port))
    finally:
        service.stop()


@main.group()
def client() -> None:
    """API and console clients (bearer tokens)."""


@client.command("add")
@click.argument("name")
@_db_option
@click.option("--hub", "hubs", multiple=True, required=True, help="A hub it may read ('*': all). Repeat.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    default=("read",),
    show_default=True,
    help="read, webhooks, console, command. Repeat.",
)
def client_add(name: str, db_url: str, hubs: tuple[str, ...], scopes: tuple[str, ...]) -> None:
    """Create (or replace) client NAME and print its token: it is shown only this once."""
    from sync.central import auth, schema
    from sync.central.db import Database

    db = Database(db_url)
    try:
        schema.create(db)
        click.echo(auth.add_client(db, name, hubs, scopes))
    except SyncError as exc:
        raise click.ClickException(str(exc)) from exc
    finally:
        db.close()


@main.command()
@_db_option
def rebuild(db_url: str) -> None:
    """Empty the projections and fold every event in the sink again (feed positions are kept)."""
    from sync.central import follower, schema
    from sync.central.db import Database

    db = Database(db_url)
    try:
        schema.create(db)
        click.echo(f"projected {follower.rebuild(db)} events")
    finally:
        db.close()


@main.command()
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write here (default: stdout)."
)
def openapi(output: Path | None) -> None:
    """Print the API's OpenAPI document (the copy in the repo is sync/central/openapi.json)."""
    from sync.central.api import openapi_document

    text = openapi_document()
    if output:
        output.write_text(text)
    else:
        click.echo(text, nl=False)


if __name__ == "__main__":
    sys.exit(main())
