"""The ``station`` root group: the config every command gets, and failures shown as one sentence."""

from __future__ import annotations

import os
import sqlite3
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from station.cli.failures import (
    EXIT_BUG,
    EXIT_INTERRUPTED,
    EXIT_REFUSED,
    database_sentence,
    os_error_sentence,
    setup_logging,
    unexpected_sentence,
)
from station.cli.terminal import clean
from station.core.errors import StationError
from station.runtime.config import Config, load_config

pass_config = click.make_pass_decorator(Config)


class _StationGroup(click.Group):
    """Shows every failure as one sentence (exit 2; 3 for a bug, with the log's path) instead of a
    traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except (KeyboardInterrupt, EOFError):
            raise  # click says "Aborted!" and exits 1
        except StationError as exc:
            self._fail(ctx, str(exc), EXIT_REFUSED)
        except sqlite3.Error as exc:
            db = ctx.obj.db_path if isinstance(ctx.obj, Config) else Path("station.db")
            self._fail(ctx, database_sentence(exc, db), EXIT_REFUSED)
        except BrokenPipeError:  # the reader went away (| head): nothing left to say to anyone
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            ctx.exit(1)
        except OSError as exc:
            self._fail(ctx, os_error_sentence(exc), EXIT_REFUSED)
        except Exception as exc:
            if _interrupted(exc):  # a Ctrl-C inside a C extension's import surfaces as an ImportError
                click.echo("Interrupted.", err=True)
                ctx.exit(EXIT_INTERRUPTED)
            self._fail(ctx, unexpected_sentence(exc), EXIT_BUG)

    @staticmethod
    def _fail(ctx: click.Context, sentence: str, code: int) -> None:
        click.echo(f"error: {clean(sentence)}", err=True)
        ctx.exit(code)


def _interrupted(exc: BaseException | None) -> bool:
    while exc is not None:
        if isinstance(exc, KeyboardInterrupt):
            return True
        exc = exc.__cause__ or exc.__context__
    return False


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
    setup_logging()
    config = load_config(config_path)
    if data_dir is not None:
        config = config.with_overrides(data_dir=data_dir)
    ctx.obj = config


def open_store(config: Config) -> Any:
    """The station database at the config's data_dir, for reading (the caller closes it).

    It works while the station runs; it never moves the database aside, whatever it finds.
    """
    from station.store.database import open_database

    return open_database(config.db_path, check=False)


@contextmanager
def writing_store(config: Config, command: str) -> Iterator[Any]:
    """The station database for a command that writes it: refused while a station runs on the folder
    (the running station owns every write; two writers would record the same return twice)."""
    from station.store.lock import hold_data_dir

    lock = hold_data_dir(config.data_dir, command)
    try:
        store = open_store(config)
        try:
            yield store
        finally:
            store.close()
    finally:
        lock.release()
