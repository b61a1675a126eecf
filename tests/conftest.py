"""Shared test set-up. Fixture modules live in tests/fixtures_*.py and are loaded as plugins."""

from pathlib import Path

pytest_plugins = sorted(f"tests.{p.stem}" for p in Path(__file__).parent.glob("fixtures_*.py"))
