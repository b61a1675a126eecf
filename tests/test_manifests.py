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


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(returns="RMA-1"), "returns: expected a list"),
        (lambda d: d["returns"].append("RMA-2"), "returns[2]: expected an object"),
        (lambda d: d["returns"][0].pop("rma"), "expected a key 'rma'"),
        (lambda d: d["returns"][0]["items"][0].update(gtin="12345"), "items[0].gtin: expected a GTIN"),
        (lambda d: d["returns"][0]["items"][1].update(serial="X", quantity=2), "a line with a serial"),
        (lambda d: d["returns"][0]["items"][1].update(quantity=0), "quantity: expected 1 or more"),
        (lambda d: d["returns"][0].update(refund_cap="lots"), "refund_cap: expected int or float"),
        (
            lambda d: d.update(operators=[{"badge": "BADGE-9001", "name": "S", "roles": ["supervisor"]}]),
            "a manifest no longer carries operators",
        ),
        (lambda d: d.update(stocked_gtins=["abc"]), "stocked_gtins: expected a GTIN"),
    ],
)
def test_a_bad_document_names_the_field_and_applies_nothing(tmp_path: Path, change, message: str) -> None:
    store = open_database(tmp_path / "s.db")
    bad = copy.deepcopy(DOC)
    bad["returns"].append({"rma": "RMA-1000002", "items": [{"gtin": "4006381333931"}]})  # a good one too
    change(bad)
    with pytest.raises(ManifestError, match=re.escape(message)):
        load_manifest(store, bad, DEFAULT_CODE_PATTERNS, "manifest.json")
    assert store.conn.execute("SELECT count(*) FROM expected_returns").fetchone()[0] == 0
