"""The ``station`` root group: the config every command gets, and StationError shown as one sentence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from station.core.errors import StationError
from station.runtime.config import Config, load_config

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


def open_store(config: Config) -> Any:
    """The station database at the config's data_dir (the caller closes it)."""
    from station.store.database import open_database

    return open_database(config.db_path)
