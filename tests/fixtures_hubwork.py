"""A desk (the core worker's logic) on a real station database, loaded with the hub-work test data."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from station.runtime.clock import SystemClock
from station.runtime.config import Config
from station.runtime.desk import Desk, Outcome, Touch
from station.store.database import open_database
from station.store.events import EventLog
from station.store.manifests import load_manifest
from station.store.operators import load_operators
from station.store.orders import apply_orders, parse_orders
from station.store.workorders import apply_work_orders, parse_work_orders

DATA = Path(__file__).parent / "data"


def make_desk(data_dir: Path, *, pins: bool = True) -> Desk:
    """A desk on a fresh database in ``data_dir`` with the returns, operators and orders of tests/data."""
    config = Config(data_dir=data_dir)
    store = open_database(config.db_path)
    load_manifest(store, json.loads((DATA / "hubwork_manifest.json").read_text()), config.codes)
    people = json.loads((DATA / "hubwork_operators.json").read_text())
    if not pins:  # a supervisor always has one
        for op in people["operators"]:
            if "supervisor" not in op["roles"]:
                op.pop("pin", None)
    load_operators(store, people, config.codes)
    doc = json.loads((DATA / "hubwork_orders.json").read_text())
    with store.write() as conn:
        apply_orders(conn, parse_orders(doc, config.codes, "orders"))
        apply_work_orders(conn, parse_work_orders(doc, config.codes, "orders"))
    return Desk(config, store, EventLog(store, SystemClock()))


#: In :func:`feed`, ``KEYPAD + "135792"`` is a PIN typed on the keypad (a PIN is never scanned).
KEYPAD = "keypad:"
SAM_PIN = KEYPAD + "135792"  # the supervisor of tests/data/hubwork_operators.json


def feed(desk: Desk, *inputs: str) -> list[Outcome]:
    """Scans, and touches written as ``CMD:...`` the way a command barcode arrives; ``KEYPAD + PIN`` is
    the keypad."""
    return [
        touch(desk, "pin", text.removeprefix(KEYPAD)) if text.startswith(KEYPAD) else desk.handle_scan(text)
        for text in inputs
    ]


def touch(desk: Desk, action: str, *args: str) -> Outcome:
    return desk.handle_touch(Touch(action, args))


@pytest.fixture
def hub_desk(tmp_path: Path) -> Iterator[Desk]:
    desk = make_desk(tmp_path, pins=False)
    yield desk
    desk.store.close()
