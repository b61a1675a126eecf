"""The ``station`` command: a thin click layer over the library."""

from __future__ import annotations

import click


@click.group()
@click.version_option(package_name="hubstation")
def main() -> None:
    """Hub station: scan, grade, label and sync returns, restock, packing and repair."""
