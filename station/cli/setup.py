"""``station setup``: the one way into a station that has no operators (a new or moved-aside database).

Until an operators list is loaded, the station signs nobody in; set-up mode does nothing but load that
first list (with the supervisors' PINs). Later lists come with ``station operators load`` or from the OMS.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from station.cli.root import open_store, pass_config
from station.core.errors import StoreError
from station.core.operators import PinPolicy
from station.runtime.config import Config


@click.command("setup")
@click.argument("operators_file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_config
def setup_cmd(config: Config, operators_file: Path) -> None:
    """Set up a station with no operators: load its first operators list (nothing else)."""
    from station.store.operators import has_operator_list, load_operators

    try:
        doc = json.loads(operators_file.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise StoreError(f"{operators_file}: expected JSON, found an error: {exc}.") from None
    store = open_store(config)
    try:
        if has_operator_list(store):
            raise click.UsageError(
                f"The station in {config.data_dir} already has operators: set-up is only for a station "
                "with none. Load a new list with 'station operators load FILE.json'."
            )
        policy = PinPolicy(min_length=config.pin_length)
        result = load_operators(store, doc, config.codes, str(operators_file), policy)
    finally:
        store.close()
    click.echo(
        f"Set-up: {result.sentence()} People on the list can sign in now; load the returns and orders "
        "with 'station manifest load' and 'station orders load' (or let the OMS send them)."
    )
