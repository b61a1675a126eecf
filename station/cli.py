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
@click.option("--kiosk", is_flag=True, help="Fullscreen and borderless, for the station's touchscreen.")
@click.option("--size", default="800x480", show_default=True, help="Window size when not in kiosk mode.")
@pass_config
def run(config: Config, headless: bool, scanners: tuple[str, ...], kiosk: bool, size: str) -> None:
    """Run the station: the touchscreen app, or with --headless one line per scan in the terminal."""
    if scanners:
        config = config.with_overrides(scanners=scanners)
    from station.ui.main import display_available

    if not headless and not display_available():
        if kiosk:  # the touchscreen's unit: fail, so that systemd retries once the display is up
            raise click.UsageError(
                "No display found (no DISPLAY, WAYLAND_DISPLAY or /dev/dri/card*) for the kiosk. Check the "
                "screen and the session, or run 'station run --headless' to scan without a screen."
            )
        click.echo(
            "No display found (no DISPLAY, WAYLAND_DISPLAY or /dev/dri/card*): running headless, one line "
            "per scan. 'station run --headless' does this on purpose; start the app from the desktop for "
            "the touchscreen.",
            err=True,
        )
        headless = True
    if not headless:
        from station.ui.main import run_app

        width, _, height = size.partition("x")
        if not (width.isdigit() and height.isdigit()):
            raise click.BadParameter(
                f"expected WIDTHxHEIGHT such as 1280x800, found {size!r}", param_hint="--size"
            )
        run_app(config, kiosk=kiosk, size=(int(width), int(height)))
        return
    _run_headless(config)


def _run_headless(config: Config) -> None:
    from station.service import Station

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
        if station.wait_for_finite_scanners():  # a scan script or stdin ended: let its labels print
            station.wait_idle()
            pending = station.drain_prints(timeout=15)
            if pending:
                click.echo(
                    f"{pending} labels are still queued; they print when the station runs again.", err=True
                )
        else:
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


def _read_json(file: Path) -> Any:
    from station.store.manifests import ManifestError

    try:
        return json.loads(file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ManifestError(f"{file}: expected JSON, found an error: {exc}.") from None


@main.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per unit.")
@pass_config
def stock(config: Config, as_json: bool) -> None:
    """The hub's stock as this station sees it: units restocked here, not yet packed or taken away."""
    from station.store import stock as units

    store = _open_store(config)
    try:
        units.catch_up(store)
        rows = units.in_stock(store)
    finally:
        store.close()
    for u in rows:
        if as_json:
            data = {"lpn": u.lpn, "gtin": u.gtin, "serial": u.serial, "bin": u.bin, "hub": u.hub}
            click.echo(json.dumps(data, ensure_ascii=False))
        else:
            click.echo(f"{u.bin:<16} {u.lpn:<20} {u.gtin} {u.serial or ''}")
    if not as_json:
        click.echo(f"{len(rows)} units in stock.", err=True)


@main.group()
def orders() -> None:
    """Packing orders and work orders routed to this hub."""


@orders.command("load")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_config
def orders_load(config: Config, file: Path) -> None:
    """Load orders to pack (and work orders) from a JSON file; older or equal versions are skipped."""
    from station.store.manifests import ManifestError
    from station.store.orders import apply_orders, parse_orders
    from station.store.workorders import apply_work_orders, parse_work_orders

    doc = _read_json(file)
    if not isinstance(doc, dict):
        raise ManifestError(f"{file}: expected a JSON object with 'orders', found {type(doc).__name__}.")
    parsed = parse_orders(doc, config.codes, str(file))
    sent = parse_work_orders(doc, config.codes, str(file))
    store = _open_store(config)
    try:
        with store.write() as conn:
            done, same = apply_orders(conn, parsed)
            wo_done, wo_same = apply_work_orders(conn, sent)
    finally:
        store.close()
    click.echo(f"Loaded {done} orders ({same} unchanged), {wo_done} work orders ({wo_same} unchanged).")


@main.group()
def operators() -> None:
    """Operators, their roles and PINs."""


@operators.command("load")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_config
def operators_load(config: Config, file: Path) -> None:
    """Load operators (badge, name, roles, and a PIN or its argon2 hash) from a JSON file."""
    from station.store.operators import load_operators

    doc = _read_json(file)
    store = _open_store(config)
    try:
        n = load_operators(store, doc, config.codes, str(file))
    finally:
        store.close()
    click.echo(f"Loaded {n} operators.")


from station.cli_sync import sync as _sync_group  # noqa: E402

main.add_command(_sync_group)

from station.cli_print import label as _label_group  # noqa: E402
from station.cli_print import print_cmd as _print_cmd  # noqa: E402
from station.cli_print import printer as _printer_group  # noqa: E402
from station.cli_print import printer_sim_cmd as _printer_sim_cmd  # noqa: E402

for _command in (_label_group, _print_cmd, _printer_group, _printer_sim_cmd):
    main.add_command(_command)

from station.cli_field import doctor_cmd as _doctor_cmd  # noqa: E402
from station.cli_field import printer_setup_cmd as _printer_setup_cmd  # noqa: E402
from station.cli_field import scanner as _scanner_group  # noqa: E402

main.add_command(_scanner_group)
main.add_command(_doctor_cmd)
_printer_group.add_command(_printer_setup_cmd)

if __name__ == "__main__":
    main()
