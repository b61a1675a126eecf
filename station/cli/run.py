"""``station run``: the touchscreen app, or the headless station with one line per scan."""

from __future__ import annotations

import sys
from typing import Any

import click

from station.cli.headless_input import URI, HeadlessInput
from station.cli.root import pass_config
from station.cli.terminal import clean
from station.core.errors import DeviceError
from station.runtime.config import Config
from station.runtime.stop_signals import stop_on_signals


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
    from station.ui.main import display_available, display_problem

    if not headless and not display_available():
        if kiosk:  # the touchscreen's unit: fail, so that systemd retries once the display is up
            raise DeviceError(
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
    problem = None if headless else display_problem()
    if problem is not None:
        raise DeviceError(problem)
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
    """Ctrl-C or SIGTERM at any moment (also during start-up) stops the station cleanly."""
    if config.source == "embedded defaults":
        click.echo(
            f"No config file: embedded defaults (data in {config.data_dir}, scanning from "
            f"{', '.join(config.scanners)}, labels to {config.printer_uri}, no broker: offline).",
            err=True,
        )
    stopping = stop_on_signals()
    terminal = URI in config.scanners  # standard input is read by the terminal (scans and PINs)
    from station.runtime.service import Station

    station = Station(config.with_overrides(scanners=tuple(s for s in config.scanners if s != URI)))
    try:
        station.on_outcome(_show)
        station.on_scanner_state(_show_scanner)
        if stopping.is_set():
            click.echo("Stopped before the station was ready; nothing was recorded.", err=True)
            return
        station.start()
        if stopping.is_set():
            return
        click.echo(clean(f"Station {config.hub}/{config.station} ready. {station.desk.prompt}"), err=True)
        if terminal:
            HeadlessInput(station, _show_scanner).run(stopping)
        if not station.wait_for_finite_scanners(stopping):
            while not stopping.wait(0.5):  # a scanner that never ends: until Ctrl-C or SIGTERM
                pass
        elif not stopping.is_set():  # scripts and stdin ended: let their labels print
            station.wait_idle()
            pending = station.drain_prints(timeout=15)
            if pending:
                click.echo(
                    f"{pending} labels are still queued; they print when the station runs again.", err=True
                )
    finally:
        station.stop()
        click.echo("Station stopped.", err=True)


def _show(outcome: Any) -> None:
    mark = "OK " if outcome.ok else "NO "
    click.echo(clean(f"{mark} {outcome.input!r}: {outcome.message}  -> {outcome.prompt}"), color=False)
    sys.stdout.flush()


def _show_scanner(uri: str, state: Any, detail: str) -> None:
    click.echo(clean(f"scanner {uri}: {state.value}{': ' + detail if detail else ''}"), err=True)
