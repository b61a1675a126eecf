"""``python -m sync``: the central receiver and the OMS publish tool."""

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
    conn.start()
    try:
        while not done.wait(stats_every or 0.5):
            if conn.state == "failed":
                raise click.ClickException(conn.error or "the broker refused this receiver")
            if stats_every:
                click.echo(json.dumps({"time": time.time(), "state": conn.state, **vars(receiver.counters)}))
    except KeyboardInterrupt:
        pass
    finally:
        conn.stop()
        sink.close()


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


if __name__ == "__main__":
    sys.exit(main())
