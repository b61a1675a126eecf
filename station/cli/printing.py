"""``station label``, ``station print``, ``station printer`` and ``station printer-sim``."""

from __future__ import annotations

import json
import signal
import threading
import time
from pathlib import Path
from typing import Any

import click

from station.cli.root import pass_config, writing_store
from station.cli.terminal import clean
from station.runtime.config import Config

_DPI = click.option("--dpi", type=click.Choice(["203", "300"]), default="203", show_default=True)


def _read_data(path: Path) -> Any:
    from station.labels import LabelDataError

    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise LabelDataError(f"Label data {path} is not a readable JSON file ({exc}).") from exc


@click.group()
def label() -> None:
    """Label templates: list them, render one to ZPL or PNG."""


@label.command("templates")
@click.option("--json", "as_json", is_flag=True, help="One JSON document with every template and its fields.")
def templates_cmd(as_json: bool) -> None:
    """List the label templates and their data fields (name, kind, limit)."""
    from station.labels import TEMPLATES

    if as_json:
        click.echo(json.dumps([t.as_dict() for t in TEMPLATES.values()], indent=2))
        return
    for t in TEMPLATES.values():
        click.echo(f"{t.name} ({t.size.label} in): {t.description}")
        for f in t.fields:
            need = "required" if f.required else "optional"
            click.echo(f"  {f.name:<12} {f.kind:<15} max {f.limit:<6} {need:<9} {f.description}")
            for i in f.items:
                click.echo(f"    {i.name:<10} {i.kind:<15} max {i.limit:<6} {'':<9} {i.description}")


@label.command("render")
@click.argument("template")
@click.option("--data", "data_file", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--format", "fmt", type=click.Choice(["zpl", "png"]), default="zpl", show_default=True)
@click.option("-o", "--output", type=click.Path(path_type=Path, dir_okay=False), required=True)
@_DPI
def render_cmd(template: str, data_file: Path, fmt: str, output: Path, dpi: str) -> None:
    """Render TEMPLATE with the JSON data to a ZPL or PNG file."""
    from station.labels import render_label, render_preview

    data = _read_data(data_file)
    rendered = render_label(template, data, dpi=int(dpi))
    output.write_bytes(rendered.zpl if fmt == "zpl" else render_preview(template, data, dpi=int(dpi)))
    for warning in rendered.warnings():
        click.echo(clean(f"warning: {warning}"), err=True)
    click.echo(f"{output} ({fmt}, {dpi} dpi)")


@click.command("print")
@click.argument("template")
@click.option("--data", "data_file", type=click.Path(path_type=Path, dir_okay=False), required=True)
@click.option("--printer", "printer_uri", help="Printer URI (else the configured one).")
@click.option("--copies", type=click.IntRange(1, 99), default=1, show_default=True)
@click.option("--lpn", help="The LPN the label belongs to (for reprints by LPN).")
@click.option("--wait", type=float, default=30.0, show_default=True, help="Seconds to wait for the printer.")
@_DPI
@pass_config
def print_cmd(
    config: Config,
    template: str,
    data_file: Path,
    printer_uri: str | None,
    copies: int,
    lpn: str | None,
    wait: float,
    dpi: str,
) -> None:
    """Queue TEMPLATE with the JSON data in the station's print queue and print it."""
    from station.runtime.print_worker import enqueue

    data = _read_data(data_file)
    with writing_store(config, "station print") as store:
        # a label for a named printer keeps it: it never lands on the station's own printer later
        job_id = enqueue(
            store, template, data, lpn=lpn, copies=copies, dpi=int(dpi), operator="cli", printer=printer_uri
        )
        click.echo(f"queued print job {job_id}" + (f" for {printer_uri}" if printer_uri else ""))
        _print_queue(
            config, store, printer_uri or config.printer_uri, job_id, wait, only_named=bool(printer_uri)
        )


def _print_queue(config: Config, store: Any, uri: str, job_id: int, wait: float, only_named: bool) -> None:
    from station.runtime.clock import SystemClock
    from station.runtime.print_worker import PrintWorker
    from station.store.print_jobs import JobState, get_job

    worker = PrintWorker(
        config.db_path,
        uri,
        SystemClock(),
        lambda s: click.echo(clean(f"printer {s.state}: {s.detail}"), err=True),
        any_printer=not only_named,
    )
    worker.start()
    try:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            job = get_job(store, job_id)
            if job.state is JobState.PRINTED:
                click.echo(f"printed job {job_id} on {uri}")
                return
            if job.state is JobState.FAILED:
                raise click.ClickException(clean(f"job {job_id} failed: {job.last_error}"))
            time.sleep(0.05)
    finally:
        worker.stop()
    raise click.ClickException(
        f"job {job_id} is still {get_job(store, job_id).state} after {wait:g} s; it stays queued and prints "
        "when the printer is ready."
    )


@click.group()
def printer() -> None:
    """The label printer: its status, reprints."""


@printer.command("status")
@click.argument("uri", required=False)
@click.option("--json", "as_json", is_flag=True)
@pass_config
def status_cmd(config: Config, uri: str | None, as_json: bool) -> None:
    """Ask the printer (URI, else the configured one) for its state."""
    from station.devices.printers import open_printer

    target = uri or config.printer_uri
    p = open_printer(target)
    s = p.status()
    if as_json:
        click.echo(
            json.dumps(
                {
                    "printer": target,
                    "state": s.state.value,
                    "detail": s.detail,
                    "formats_in_buffer": s.formats_in_buffer,
                    "labels_remaining": s.labels_remaining,
                    "label_count": p.label_count(),
                }
            )
        )
    else:
        click.echo(clean(f"{target}: {s.state.value} - {s.detail}"))
    if not s.ready:
        raise SystemExit(1)


@printer.command("reprint")
@click.option("--lpn", help="Reprint the last label of this LPN (else the last label printed).")
@click.option("--operator", default="cli", show_default=True)
@pass_config
def reprint_cmd(config: Config, lpn: str | None, operator: str) -> None:
    """Queue a reprint; the station's print worker prints it."""
    from station.runtime.print_worker import reprint

    with writing_store(config, "station printer reprint") as store:
        job_id = reprint(store, lpn=lpn, operator=operator)
    click.echo(f"queued reprint job {job_id}")


@click.command("printer-sim")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", type=click.IntRange(0, 65535), default=9100, show_default=True)
@_DPI
@click.option(
    "--control-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="A file holding ready, paper_out, head_open, ribbon_out or paused; polled every 0.1 s.",
)
@click.option(
    "--dir",
    "directory",
    type=click.Path(path_type=Path, file_okay=False),
    help="Keep each printed label as NNNNNN.zpl here.",
)
def printer_sim_cmd(
    host: str, port: int, dpi: str, control_file: Path | None, directory: Path | None
) -> None:
    """Run the Zebra printer simulator until interrupted."""
    from station.devices.printers.simulator import PrinterSimulator

    sim = PrinterSimulator(int(dpi), directory, control_file)
    bound = sim.start(host, port)
    click.echo(f"printer simulator on tcp://{host}:{bound} ({dpi} dpi)", err=True)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    try:
        done.wait()
    except KeyboardInterrupt:
        pass
    finally:
        sim.stop()
