"""What the station holds and understands: ``events``, ``stock`` and ``scan-test``."""

from __future__ import annotations

import sys
from typing import Any

import click

from station.cli.root import open_store, pass_config
from station.cli.terminal import clean, json_line
from station.core.errors import StationError
from station.runtime.config import Config


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option(
    "--after",
    type=click.IntRange(0, 2**63 - 1),
    default=0,
    show_default=True,
    help="Only events with seq above this.",
)
@click.option("--type", "types", multiple=True, help="Only events of this type (repeatable).")
@pass_config
def events(config: Config, as_json: bool, after: int, types: tuple[str, ...]) -> None:
    """Print the station's event log."""
    from station.runtime.clock import SystemClock
    from station.store.events import EventLog

    store = open_store(config)
    try:
        for event in EventLog(store, SystemClock()).read(after=after, types=types):
            if as_json:
                click.echo(json_line(event.as_dict()))
            else:
                click.echo(
                    clean(f"{event.seq:>8} {event.time} {event.type:<24} {event.subject} by {event.operator}")
                )
    finally:
        store.close()


@click.command("scan-test")
@click.argument("texts", nargs=-1)
@click.option("--json", "as_json", is_flag=True, help="JSON objects (always one per line).")
@pass_config
def scan_test(config: Config, texts: tuple[str, ...], as_json: bool) -> None:
    """Classify scans given as arguments (or stdin lines) and print what each is."""
    from station.core.classify import classify, scan_as_dict

    lines = texts or tuple(line.rstrip("\r\n") for line in sys.stdin)
    for text in lines:
        try:
            result: dict[str, Any] = scan_as_dict(classify(text, config.codes))
        except StationError as exc:
            result = {"kind": "rejected", "raw": text, "error": str(exc)}
        if as_json:
            click.echo(json_line(result))
        else:
            fields = " ".join(f"{k}={v}" for k, v in result.items() if k not in ("kind", "raw"))
            click.echo(clean(f"{result['kind']:<13} {text!r} {fields}"))


@click.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per unit.")
@pass_config
def stock(config: Config, as_json: bool) -> None:
    """The hub's stock as this station sees it: units restocked here, not yet packed or taken away."""
    from station.store import stock as units

    store = open_store(config)
    try:
        units.catch_up(store)
        rows = units.in_stock(store)
    finally:
        store.close()
    for u in rows:
        if as_json:
            data = {
                "lpn": u.lpn,
                "gtin": u.gtin,
                "serial": u.serial,
                "grade": u.grade,
                "bin": u.bin,
                "hub": u.hub,
            }
            click.echo(json_line(data))
        else:
            click.echo(clean(f"{u.bin:<16} {u.lpn:<20} {u.gtin} {u.grade or '-':<3} {u.serial or ''}"))
    if not as_json:
        click.echo(f"{len(rows)} units in stock.", err=True)
