"""``station run``: the touchscreen app, or the headless station with one line per scan."""

from __future__ import annotations

import signal
import sys
import threading
from typing import Any

import click

from station.cli.root import pass_config
from station.runtime.config import Config


@click.command()
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
    from station.cli.terminal import URI, Terminal
    from station.runtime.service import Station

    if config.source == "embedded defaults":
        click.echo(
            f"No config file: embedded defaults (data in {config.data_dir}, scanning from "
            f"{', '.join(config.scanners)}, labels to {config.printer_uri}, no broker: offline).",
            err=True,
        )
    terminal = URI in config.scanners  # standard input is read by the terminal (scans and PINs)
    station = Station(config.with_overrides(scanners=tuple(s for s in config.scanners if s != URI)))
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
        if terminal:
            Terminal(station, show_scanner).run(done)
        if not done.is_set() and station.wait_for_finite_scanners():  # scripts and stdin ended: print
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
