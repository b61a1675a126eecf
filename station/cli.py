"""The ``station`` command: a thin click layer over the library."""

from __future__ import annotations

import json
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import click

from station.config import Config, load_config
from station.core.errors import StationError

pass_config = click.make_pass_decorator(Config)


class _StationGroup(click.Group):
    """Shows a StationError as its one sentence (exit 2) instead of a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except StationError as exc:
            click.echo(f"error: {exc}", err=True)
            ctx.exit(2)


@click.group(cls=_StationGroup)
@click.version_option(package_name="hubstation")
@click.option(
    "--config",
    "config_path",
    type=click.Path(path_type=Path, dir_okay=False),
    envvar="STATION_CONFIG",
    help="Config file (else /etc/hubstation/station.toml, else the user config dir).",
)
@click.option("--data-dir", type=click.Path(path_type=Path, file_okay=False), help="Override data_dir.")
@click.pass_context
def main(ctx: click.Context, config_path: Path | None, data_dir: Path | None) -> None:
    """Hub station: scan, grade, label and sync returns, restock, packing and repair."""
    config = load_config(config_path)
    if data_dir is not None:
        config = config.with_overrides(data_dir=data_dir)
    ctx.obj = config


def _open_store(config: Config) -> Any:
    from station.store.database import open_database

    return open_database(config.db_path)


@main.command()
@click.option(
    "--headless", is_flag=True, help="No screen: scans from the configured scanners, one line each."
)
@click.option(
    "--scanner", "scanners", multiple=True, help="Scanner URI (repeatable); replaces the config's list."
)
@pass_config
def run(config: Config, headless: bool, scanners: tuple[str, ...]) -> None:
    """Run the station (headless until the touchscreen app lands)."""
    from station.service import Station

    if scanners:
        config = config.with_overrides(scanners=scanners)
    if config.source == "embedded defaults":
        click.echo(
            f"No config file: embedded defaults (data in {config.data_dir}, scanning from "
            f"{', '.join(config.scanners)}, labels to {config.printer_uri}, no broker: offline).",
            err=True,
        )
    station = Station(config)
    if station.store.moved_aside is not None:
        click.echo(
            f"warning: the database was unreadable and was moved to {station.store.moved_aside}; "
            "a new one was started.",
            err=True,
        )

    def show(outcome: Any) -> None:
        mark = "OK " if outcome.ok else "NO "
        click.echo(f"{mark} {outcome.input!r}: {outcome.message}  -> {outcome.prompt}", color=False)
        sys.stdout.flush()

    def show_scanner(uri: str, state: Any, detail: str) -> None:
        click.echo(f"scanner {uri}: {state.value}{': ' + detail if detail else ''}", err=True)

    station.on_outcome(show)
    station.on_scanner_state(show_scanner)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    station.start()
    click.echo(f"Station {config.hub}/{config.station} ready. {station.desk.prompt}", err=True)
    try:
        if not station.wait_for_finite_scanners():
            done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        station.stop()
        click.echo("Station stopped.", err=True)


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@click.option("--after", type=int, default=0, show_default=True, help="Only events with seq above this.")
@click.option("--type", "types", multiple=True, help="Only events of this type (repeatable).")
@pass_config
def events(config: Config, as_json: bool, after: int, types: tuple[str, ...]) -> None:
    """Print the station's event log."""
    from station.clock import SystemClock
    from station.store.events import EventLog

    store = _open_store(config)
    try:
        for event in EventLog(store, SystemClock()).read(after=after, types=types):
            if as_json:
                click.echo(json.dumps(event.as_dict(), ensure_ascii=False))
            else:
                click.echo(
                    f"{event.seq:>8} {event.time} {event.type:<24} {event.subject} by {event.operator}"
                )
    finally:
        store.close()


@main.command("scan-test")
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
            click.echo(json.dumps(result, ensure_ascii=False))
        else:
            fields = " ".join(f"{k}={v}" for k, v in result.items() if k not in ("kind", "raw"))
            click.echo(f"{result['kind']:<13} {text!r} {fields}")


@main.group()
def manifest() -> None:
    """Expected returns for offline intake."""


@manifest.command("load")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_config
def manifest_load(config: Config, file: Path) -> None:
    """Load expected returns (and stocked GTINs, operators) from a JSON file."""
    from station.store.manifests import ManifestError, load_manifest

    try:
        doc = json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{file}: expected JSON, found an error: {exc}.") from None
    store = _open_store(config)
    try:
        result = load_manifest(store, doc, config.codes, str(file))
    finally:
        store.close()
    click.echo(
        f"Loaded {result.returns_applied} returns ({result.returns_skipped} unchanged), "
        f"{result.stocked_gtins} stocked GTINs, {result.operators} operators."
    )


if __name__ == "__main__":
    main()
