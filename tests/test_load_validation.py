"""Orders, work orders and operators files, files that are not strict JSON, and downlink messages: every
bad document is refused whole with the file, the path inside it and what was expected; fuzzed documents
either load or raise that one error, and a refused one changes nothing in the database."""

from __future__ import annotations

import copy
import json
import sqlite3
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from station.core.codes import DEFAULT_CODE_PATTERNS
from station.runtime.sync_link import StationDownlink
from station.store.database import StationDB, open_database
from station.store.manifests import ManifestError, load_manifest
from station.store.operators import load_operators
from station.store.orders import apply_orders, parse_orders
from station.store.validation import decode_json
from station.store.workorders import apply_work_orders, parse_work_orders
from sync.downlink import DownlinkMessage, DownlinkRejected
from tests.test_headless import DATA, station

ORDERS = json.loads((DATA / "hubwork_orders.json").read_text())
OPERATORS = json.loads((DATA / "hubwork_operators.json").read_text())
MANIFEST = json.loads((DATA / "manifest.json").read_text())
TABLES = ("expected_returns", "return_codes", "stocked_gtins", "operators", "operator_pins", "orders")
TABLES += ("order_lines", "work_orders", "downlink_messages", "events")


def snapshot(store: StationDB) -> dict[str, list[tuple[Any, ...]]]:
    return {t: sorted(store.conn.execute(f"SELECT * FROM {t}").fetchall(), key=repr) for t in TABLES}


def load_orders(store: StationDB, doc: Any, source: str = "orders.json") -> None:
    """What ``station orders load`` does: check both lists, then apply them in one write."""
    orders = parse_orders(doc, DEFAULT_CODE_PATTERNS, source)
    sent = parse_work_orders(doc, DEFAULT_CODE_PATTERNS, source)
    with store.write() as conn:
        apply_orders(conn, orders)
        apply_work_orders(conn, sent)


def _set(*path_and_value: Any) -> Callable[[Any], None]:
    *path, key, value = path_and_value

    def change(doc: Any) -> None:
        node = doc
        for part in path:
            node = node[part]
        node[key] = value

    return change


ORDER0, WO0, OP0 = ("orders", 0), ("work_orders", 0), ("operators", 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set(*ORDER0, "colour", "red"), "orders[0].colour: expected one of the keys carrier, carrier_label"),
        (_set("returns", []), "returns: expected one of the keys orders, work_orders, found an unknown key"),
        (
            _set(*ORDER0, "carrier_label", "^XA^FDa^XZ^XA^FDb^XZ"),
            "orders[0].carrier_label: expected ZPL of exactly",
        ),
        (
            _set(*ORDER0, "carrier_label", "hello"),
            "orders[0].carrier_label: expected ZPL of exactly one label",
        ),
        (_set(*ORDER0, "carrier_label", "^XA^FDa^XZ~JA"), "orders[0].carrier_label: expected ZPL of exactly"),
        (_set(*ORDER0, "carrier_label", ""), "orders[0].carrier_label: expected non-empty text, found ''"),
        (_set(*ORDER0, "lines", []), "orders[0].lines: expected a list of at least 1, found a list of 0"),
        (_set(*ORDER0, "order", "12"), "orders[0].order: expected an order code the configured patterns can"),
        (_set(*ORDER0, "status", "lost"), "orders[0].status: expected one of cancelled, open, found 'lost'"),
        (_set(*ORDER0, "version", 2**63), "orders[0].version: expected a whole number that fits 64 bits"),
        (_set(*ORDER0, "lines", 0, "gtin", "09501101530004"), "orders[0].lines[0].gtin: expected a GTIN"),
        (_set(*ORDER0, "lines", 0, "quantity", 2), "orders[0].lines[0].quantity: expected 1 on a line with"),
        (
            lambda d: d["orders"].append(copy.deepcopy(d["orders"][0])),
            "orders[1].order: expected each order once",
        ),
        (
            _set(*WO0, "lpn", "LPN1"),
            "work_orders[0].lpn: expected an LPN code the configured patterns can scan",
        ),
        (_set(*WO0, "number", "12"), "work_orders[0].number: expected a work order code"),
        (
            _set(*WO0, "data_bearing", "yes"),
            "work_orders[0].data_bearing: expected true or false, found 'yes'",
        ),
        (_set(*WO0, "owner", "x"), "work_orders[0].owner: expected one of the keys data_bearing, gtin, lpn"),
        (_set(*WO0, "problem", "\udc80"), "work_orders[0].problem: expected text without lone surrogates"),
        (_set(*WO0, "version", float("nan")), "work_orders[0].version: expected a finite number"),
    ],
)
def test_a_bad_orders_file_names_the_path_and_applies_nothing(tmp_path: Path, change, message: str) -> None:
    store = open_database(tmp_path / "s.db")
    before = snapshot(store)
    doc = copy.deepcopy(ORDERS)
    change(doc)
    with pytest.raises(ManifestError) as raised:
        load_orders(store, doc)
    assert str(raised.value).startswith("orders.json: ") and message in str(raised.value)
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (_set(*OP0, "pinn", "2468"), "operators[0].pinn: expected one of the keys active, badge, name, pin"),
        (_set(*OP0, "name", " "), "operators[0].name: expected non-empty text, found ' '"),
        (_set(*OP0, "roles", ["intake", "boss"]), "operators[0].roles[1]: expected one of intake, pack"),
        (_set(*OP0, "roles", ["pack", "pack"]), "operators[0].roles: expected a list, each once"),
        (_set(*OP0, "badge", "2001"), "operators[0].badge: expected a badge code the configured patterns"),
        (
            _set("operators", 1, "badge", "BADGE-2001"),
            "operators[1].badge: expected each badge once, found '2001'",
        ),
        (_set(*OP0, "active", "yes"), "operators[0].active: expected true or false, found 'yes'"),
        (_set(*OP0, "pin", 2468), "operators[0].pin: expected text, found 2468"),
        (_set("extra", True), "operators: extra: expected one of the keys operators"),
    ],
)
def test_a_bad_operators_file_names_the_path_and_applies_nothing(
    tmp_path: Path, change, message: str
) -> None:
    store = open_database(tmp_path / "s.db")
    before = snapshot(store)
    doc = copy.deepcopy(OPERATORS)
    change(doc)
    with pytest.raises(ManifestError) as raised:
        load_operators(store, doc, DEFAULT_CODE_PATTERNS, "operators")
    assert message in str(raised.value)
    assert snapshot(store) == before


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (b'{"returns": [{"rma": "RMA-1000001", "refund_cap": NaN, "items": []}]}', "expected JSON numbers"),
        (
            b'{"returns": [{"rma": "RMA-1000001", "refund_cap": -Infinity, "items": []}]}',
            "expected JSON numbers",
        ),
        (
            b'{"returns": [{"rma": "RMA-1000001", "refund_cap": 1e400, "items": []}]}',
            "returns[0].refund_cap: ",
        ),
        (
            b'{"returns": [{"rma": "RMA-1000001", "version": 123456789012345678901, "items": []}]}',
            "fits 64 bits",
        ),
        (
            b'{"returns": [{"rma": "RMA-1000001", "version": 1' + b"0" * 5000 + b', "items": []}]}',
            "fit 64 bits",
        ),
        (b'{"returns": [{"rma": "RMA-\\ud800", "items": []}]}', "returns[0].rma: expected text without lone"),
        (b'{"returns": [{"rma": "RMA-1000001\xff", "items": []}]}', "expected UTF-8 text, found the byte"),
        (
            b'{"returns": ' + b"[" * 100_000 + b"]" * 100_000 + b"}",
            "expected lists and objects nested at most",
        ),
        (
            b'{"returns": [{"rma": "RMA-1000001", "items": []}]',
            "expected JSON, found Expecting ',' delimiter",
        ),
        (b"", "expected JSON, found Expecting value at line 1 column 1"),
    ],
)
def test_a_file_that_is_not_strict_json_is_refused_in_one_sentence(
    tmp_path: Path, text: bytes, message: str
) -> None:
    bad = tmp_path / "bad.json"
    bad.write_bytes(text)
    result = station(tmp_path, "manifest", "load", str(bad))
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert f"{bad}: " in result.stderr and message in result.stderr
    assert not (tmp_path / "data" / "station.db").exists() or station(tmp_path, "events").stdout == ""


def test_a_refused_orders_file_leaves_the_station_as_it_was(tmp_path: Path) -> None:
    good = station(tmp_path, "orders", "load", str(DATA / "hubwork_orders.json"))
    assert good.returncode == 0, good.stderr
    doc = copy.deepcopy(ORDERS)
    doc["orders"][0]["version"] = 2
    doc["orders"][0]["carrier"] = "UPS"
    doc["work_orders"][0]["lpn"] = "LPN-1"  # the second list is bad: the first is not applied either
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    result = station(tmp_path, "orders", "load", str(bad))
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"error: {bad}: work_orders[0].lpn: expected an LPN code the configured patterns can scan "
        "(LPN[A-Z0-9]{6,16}), found 'LPN-1'."
    )
    conn = sqlite3.connect(tmp_path / "data" / "station.db")
    assert conn.execute("SELECT carrier, version FROM orders").fetchall() == [("DHL", 1)]


@pytest.mark.parametrize(
    ("kind", "body", "message"),
    [
        ("manifest", {**MANIFEST, "extra": 1}, "extra: expected one of the keys returns, stocked_gtins"),
        (
            "manifest",
            _set("returns", 0, "codes", ["HR:AB"]),
            "returns[0].codes[0]: expected an RMA or return",
        ),
        ("operators", {"operators": [{"badge": "BADGE-1", "name": "", "roles": []}]}, "operators[0].name:"),
        (
            "order",
            {
                "order_number": "SO-900009",
                "lines": [{"gtin": "00012345678905", "quantity": 1}],
                "carrier_zpl": "^XA^XZ^XA^XZ",
            },
            "orders[0].carrier_label: expected ZPL of exactly one",
        ),
        (
            "work_order",
            {"work_order": "WO-12345", "lpn": "LPNAB12345", "gtin": "00012345678906"},
            "work_orders[0].gtin: expected a GTIN of 8, 12, 13 or 14 digits with a right check digit",
        ),
    ],
)
def test_a_bad_downlink_message_is_refused_by_the_same_parser(tmp_path: Path, kind, body, message) -> None:
    store = open_database(tmp_path / "s.db")
    before = snapshot(store)
    if callable(body):
        doc = copy.deepcopy(MANIFEST)
        body(doc)
        body = doc
    sink = StationDownlink(store, DEFAULT_CODE_PATTERNS)
    topic = f"hubs/h1/downlink/{kind}"
    with pytest.raises(DownlinkRejected) as raised:
        sink.apply(DownlinkMessage(topic, kind, "k1", 1, body))
    assert raised.value.reason == "invalid"
    assert str(raised.value).startswith(f"{topic}: ") and message in str(raised.value)
    assert snapshot(store) == before


# -- fuzzing ---------------------------------------------------------------------------------------------

_ODD_TEXT = st.text(alphabet=st.characters(min_codepoint=0xD7F0, max_codepoint=0xE010), max_size=3)
_LEAVES = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
    | _ODD_TEXT
    | st.sampled_from(["", " ", "RMA-1000009", "BADGE-1", "LPNAB12345", "^XA^XZ", "09501101530003", "0" * 14])
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
)


def _paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield path
    if isinstance(node, dict):
        for k, v in node.items():
            yield from _paths(v, (*path, k))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _paths(v, (*path, i))


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """``base`` with one to three nodes replaced, dropped, or given an extra key."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(list(_paths(doc))))
        if not path:
            continue
        *parent_path, key = path
        parent = doc
        for part in parent_path:
            parent = parent[part]
        action = draw(st.sampled_from(["replace", "drop", "extra"]))
        if action == "replace":
            parent[key] = draw(_VALUES)
        elif action == "drop" and isinstance(parent, dict):
            del parent[key]
        elif isinstance(parent[key], dict):
            parent[key][draw(st.text(max_size=6))] = draw(_VALUES)
    return doc


_FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _fuzz(load: Callable[[StationDB, Any], object], doc: Any) -> None:
    with tempfile.TemporaryDirectory() as folder:
        store = open_database(Path(folder) / "s.db")
        try:
            before = snapshot(store)
            try:
                load(store, doc)
            except ManifestError as exc:
                assert str(exc).count("\n") == 0
                assert snapshot(store) == before
        finally:
            store.close()


@_FUZZ
@given(mutated(MANIFEST))
def test_fuzzed_manifests_load_or_are_refused_whole(doc: Any) -> None:
    _fuzz(lambda store, d: load_manifest(store, d, DEFAULT_CODE_PATTERNS, "fuzz.json"), doc)


@_FUZZ
@given(mutated(ORDERS))
def test_fuzzed_orders_files_load_or_are_refused_whole(doc: Any) -> None:
    _fuzz(load_orders, doc)


@_FUZZ
@given(mutated({"operators": [op for op in OPERATORS["operators"] if "pin" not in op]}))
def test_fuzzed_operators_files_load_or_are_refused_whole(doc: Any) -> None:
    _fuzz(lambda store, d: load_operators(store, d, DEFAULT_CODE_PATTERNS, "fuzz.json"), doc)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200) | st.builds(lambda d: json.dumps(d).encode(), _VALUES))
def test_fuzzed_bytes_decode_or_are_refused(data: bytes) -> None:
    try:
        decode_json(data, "fuzz.json")
    except ManifestError as exc:
        assert str(exc).startswith("fuzz.json: expected ")


def test_each_load_command_refuses_a_document_of_the_wrong_shape_in_one_sentence(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("[]")
    for command in ("manifest", "orders", "operators"):
        result = station(tmp_path, command, "load", str(bad))
        assert result.returncode == 2
        assert result.stderr == f"error: {bad}: expected an object, found a list of 0.\n"
