"""Loading expected returns: idempotent by version, all or nothing, and every mistake named."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest

from station.core.codes import DEFAULT_CODE_PATTERNS
from station.store.database import open_database
from station.store.manifests import ManifestError, find_return, is_stocked, load_manifest

DOC = json.loads((Path(__file__).parent / "data" / "manifest.json").read_text())


def test_load_then_find_by_rma_and_by_return_qr(tmp_path: Path) -> None:
    store = open_database(tmp_path / "s.db")
    result = load_manifest(store, DOC, DEFAULT_CODE_PATTERNS)
    assert (result.returns_applied, result.stocked_gtins) == (1, 1)
    by_rma = find_return(store, "1000001")  # what a scan of RMA-1000001 classifies to
    by_qr = find_return(store, "AB12CD34")  # LOOP:AB12CD34
    assert by_rma is not None and by_rma == by_qr
    assert [(i.gtin, i.serial, i.quantity) for i in by_rma.items] == [
        ("09501101530003", "SN-1", 1),
        ("00012345678905", None, 2),
    ]
    assert is_stocked(store, "09501101530003") and not is_stocked(store, "00012345678905")


def test_same_or_older_version_is_skipped_newer_applied(tmp_path: Path) -> None:
    store = open_database(tmp_path / "s.db")
    load_manifest(store, DOC, DEFAULT_CODE_PATTERNS)
    assert load_manifest(store, DOC, DEFAULT_CODE_PATTERNS).returns_skipped == 1
    newer = copy.deepcopy(DOC)
    newer["returns"][0]["version"] = 2
    newer["returns"][0]["refund_cap"] = 10.0
    assert load_manifest(store, newer, DEFAULT_CODE_PATTERNS).returns_applied == 1
    found = find_return(store, "1000001")
    assert found is not None and found.refund_cap == 10.0


def _nest(depth: int) -> object:
    value: object = "x"
    for _ in range(depth):
        value = [value]
    return value


def _set(*path_and_value: object):
    """A change that sets ``doc[path...] = value``."""
    *path, key, value = path_and_value

    def change(d: dict) -> None:
        node = d
        for part in path:
            node = node[part]
        node[key] = value

    return change


ITEM0 = ("returns", 0, "items", 0)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(returns="RMA-1"), "returns: expected a list, found 'RMA-1'"),
        (lambda d: d["returns"].append("RMA-2"), "returns[2]: expected an object, found 'RMA-2'"),
        (lambda d: d["returns"][0].pop("rma"), "returns[0].rma: expected a value (the key is required)"),
        (
            _set(*ITEM0, "gtin", "12345"),
            "returns[0].items[0].gtin: expected a GTIN of 8, 12, 13 or 14 digits",
        ),
        (
            _set(*ITEM0, "gtin", "09501101530004"),
            "items[0].gtin: expected a GTIN of 8, 12, 13 or 14 digits with",
        ),
        (_set(*ITEM0, "gtin", "00000000000000"), "returns[0].items[0].gtin: expected a GTIN"),
        (lambda d: d["returns"][0]["items"][1].update(serial="X", quantity=2), "a line with a serial"),
        (
            _set("returns", 0, "items", 1, "quantity", 0),
            "items[1].quantity: expected a whole number from 1 to",
        ),
        (
            _set("returns", 0, "items", 1, "quantity", 1.5),
            "items[1].quantity: expected a whole number, found 1.5",
        ),
        (
            _set("returns", 0, "items", 1, "quantity", True),
            "items[1].quantity: expected a whole number, found True",
        ),
        (
            _set("returns", 0, "refund_cap", "lots"),
            "returns[0].refund_cap: expected a number or null, found 'lots'",
        ),
        (lambda d: d.update(stocked_gtins=["abc"]), "stocked_gtins[0]: expected a GTIN"),
        # unknown keys, at every level
        (
            _set("extra", 1),
            "manifest.json: extra: expected one of the keys returns, stocked_gtins",
        ),
        (
            _set("returns", 0, "refund", 1),
            "returns[0].refund: expected one of the keys codes, currency, customer",
        ),
        (
            _set(*ITEM0, "colour", "red"),
            "returns[0].items[0].colour: expected one of the keys category, gtin",
        ),
        (_set(*ITEM0, "value", float("nan")), "returns[0].items[0].value: expected a finite number"),
        (_set("returns", 0, "refund_cap", float("inf")), "returns[0].refund_cap: expected a finite number"),
        (
            _set(*ITEM0, "value", 1e12),
            "returns[0].items[0].value: expected an amount from 0 to 1,000,000,000",
        ),
        (_set("returns", 0, "refund_cap", -5), "returns[0].refund_cap: expected an amount from 0"),
        (
            _set("returns", 0, "version", 2**64),
            "returns[0].version: expected a whole number that fits 64 bits",
        ),
        (_set("returns", 0, "version", 0), "returns[0].version: expected a whole number from 1"),
        (_set(*ITEM0, "title", _nest(40)), "expected lists and objects nested at most 16 deep, found deeper"),
        (
            _set("returns", 0, "customer", "A\ud800B"),
            "returns[0].customer: expected text without lone surrogates",
        ),
        # names the station does not know, codes it can never scan
        (
            _set("returns", 0, "status", "lost"),
            "returns[0].status: expected one of cancelled, expected, received",
        ),
        (_set("returns", 0, "codes", ["XYZ"]), "returns[0].codes[0]: expected an RMA or return QR code"),
        (_set("returns", 0, "rma", "R1"), "returns[0].rma: expected an RMA or return QR code"),
        (
            _set("returns", 1, "codes", ["LOOP:AB12CD34"]),
            "returns[1].codes[0]: expected a code of this return only",
        ),
        (_set("returns", 1, "rma", "RMA-1000001"), "returns[1].rma: expected each return once"),
        (_set("returns", 0, "rma", ""), "returns[0].rma: expected non-empty text, found ''"),
        (_set("returns", 0, "rma", "  "), "returns[0].rma: expected non-empty text, found '  '"),
        (
            lambda d: d.update(operators=[{"badge": "BADGE-9001", "name": "S", "roles": ["supervisor"]}]),
            "a manifest no longer carries operators",
        ),
    ],
)
def test_a_bad_document_names_the_field_and_applies_nothing(tmp_path: Path, change, message: str) -> None:
    store = open_database(tmp_path / "s.db")
    bad = copy.deepcopy(DOC)
    bad["returns"].append({"rma": "RMA-1000002", "items": [{"gtin": "4006381333931"}]})  # a good one too
    change(bad)
    with pytest.raises(ManifestError, match=re.escape("manifest.json: ")) as raised:
        load_manifest(store, bad, DEFAULT_CODE_PATTERNS, "manifest.json")
    assert message in str(raised.value)
    for table in ("expected_returns", "return_codes", "stocked_gtins", "operators"):
        assert store.conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] == 0


def test_a_code_another_stored_return_has_refuses_the_whole_load(tmp_path: Path) -> None:
    store = open_database(tmp_path / "s.db")
    load_manifest(store, DOC, DEFAULT_CODE_PATTERNS)
    second = {
        "returns": [
            {"rma": "RMA-1000002", "items": [{"gtin": "4006381333931"}]},
            {"rma": "RMA-1000003", "codes": ["LOOP:AB12CD34"], "items": [{"gtin": "4006381333931"}]},
        ],
        "stocked_gtins": ["4006381333931"],
    }
    with pytest.raises(ManifestError) as raised:
        load_manifest(store, second, DEFAULT_CODE_PATTERNS, "second.json")
    assert str(raised.value) == (
        "second.json: returns[1].codes[0]: expected a code of this return only "
        "(the station has it for RMA-1000001), found 'AB12CD34'."
    )
    assert find_return(store, "1000002") is None and not is_stocked(store, "04006381333931")
    # a newer version of the first return that gives the code up lets another return take it
    moved = copy.deepcopy(second)
    moved["returns"].append({**DOC["returns"][0], "codes": [], "version": 2})
    assert load_manifest(store, moved, DEFAULT_CODE_PATTERNS).returns_applied == 3
    taken = find_return(store, "AB12CD34")
    assert taken is not None and taken.rma == "RMA-1000003"
