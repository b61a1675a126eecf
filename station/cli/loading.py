"""Loading data from files: ``manifest load``, ``orders load`` and ``operators load``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from station.cli.root import pass_config, writing_store
from station.runtime.config import Config


@click.group()
def manifest() -> None:
    """Expected returns for offline intake."""


@manifest.command("load")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_config
def manifest_load(config: Config, file: Path) -> None:
    """Load expected returns and stocked GTINs from a JSON file."""
    from station.store.manifests import load_manifest

    doc = _read_json(file)
    with writing_store(config, "station manifest load") as store:
        result = load_manifest(store, doc, config.codes, str(file))
    click.echo(
        f"Loaded {result.returns_applied} returns ({result.returns_skipped} unchanged), "
        f"{result.stocked_gtins} stocked GTINs."
    )


def _read_json(file: Path) -> Any:
    from station.store.validation import decode_json

    return decode_json(file.read_bytes(), str(file))


@click.group()
def orders() -> None:
    """Packing orders and work orders routed to this hub."""


@orders.command("load")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_config
def orders_load(config: Config, file: Path) -> None:
    """Load orders to pack (and work orders) from a JSON file; older or equal versions are skipped."""
    from station.store.orders import apply_orders, parse_orders
    from station.store.workorders import apply_work_orders, parse_work_orders

    doc = _read_json(file)
    parsed = parse_orders(doc, config.codes, str(file))
    sent = parse_work_orders(doc, config.codes, str(file))
    with writing_store(config, "station orders load") as store, store.write() as conn:
        done, same = apply_orders(conn, parsed)
        wo_done, wo_same = apply_work_orders(conn, sent)
    click.echo(f"Loaded {done} orders ({same} unchanged), {wo_done} work orders ({wo_same} unchanged).")


@click.group()
def operators() -> None:
    """Operators, their roles and PINs."""


@operators.command("load")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False, exists=True))
@pass_config
def operators_load(config: Config, file: Path) -> None:
    """Load the operators list (badge, name, roles, a PIN or its argon2id hash) from a JSON file: a
    snapshot, so whoever it leaves out can no longer sign in."""
    from station.core.operators import PinPolicy
    from station.store.operators import load_operators

    doc = _read_json(file)
    with writing_store(config, "station operators load") as store:
        result = load_operators(store, doc, config.codes, str(file), PinPolicy(min_length=config.pin_length))
    click.echo(result.sentence())
