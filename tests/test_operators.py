"""Operators: roles per flow, PIN policy and argon2 hashes, lockout after wrong PINs, supervisor overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from station.core.codes import DEFAULT_CODE_PATTERNS
from station.core.errors import FlowError
from station.core.manifest import Operator
from station.core.operators import (
    Attempts,
    Flow,
    OverrideKind,
    PinPolicy,
    after_failure,
    allowed_flows,
    check_pin_format,
    grant,
    require_flow,
)
from station.runtime.desk import Desk
from station.store.database import open_database
from station.store.manifests import ManifestError, find_operator
from station.store.operators import attempts, has_pin, load_operators, verify_pin
from tests.fixtures_hubwork import feed, make_desk, touch

ALL = ("intake", "restock", "pack", "repair")
ANA = Operator("1001", "Ana", frozenset({"intake"}))
SAM = Operator("9001", "Sam", frozenset({"supervisor"}))


def test_roles_choose_the_flows_and_supervisors_run_all() -> None:
    assert allowed_flows(ANA, ALL) == (Flow.INTAKE,)
    assert allowed_flows(SAM, ALL) == tuple(Flow)
    assert allowed_flows(SAM, ("pack",)) == (Flow.PACK,)
    with pytest.raises(FlowError, match=r"Ana may not run repair .*ask a supervisor"):
        require_flow(ANA, Flow.REPAIR, ALL)
    with pytest.raises(FlowError, match="not set up for repair"):
        require_flow(SAM, Flow.REPAIR, ("intake",))


@pytest.mark.parametrize("pin", ["", "123", "123456789", "12a4", "١٢٣٤", "12 34"])
def test_pin_format_refused_with_a_sentence(pin: str) -> None:
    with pytest.raises(FlowError, match="A PIN is 4 to 8 digits"):
        check_pin_format(pin)


def test_lockout_after_the_fifth_wrong_pin_then_counting_again() -> None:
    policy = PinPolicy(max_failures=3, lockout_ms=1000)
    a = Attempts()
    for n in (1, 2):
        a = after_failure(a, 0, policy)
        assert a == Attempts(n, 0) and not a.locked(0)
    a = after_failure(a, 500, policy)
    assert a.locked(1499) and not a.locked(1500) and a.failures == 0


def test_override_needs_a_supervisor_and_names_both() -> None:
    event = grant(OverrideKind.RESTOCK, "LPN1", "because", SAM, ANA)
    assert event.type == "override.granted"
    assert event.data == {
        "kind": "restock",
        "subject": "LPN1",
        "reason": "because",
        "supervisor": "9001",
        "operator": "1001",
    }
    with pytest.raises(FlowError, match="Ana is not a supervisor"):
        grant(OverrideKind.RESTOCK, "LPN1", "because", ANA, ANA)


def test_pins_are_argon2_hashes_verified_and_locked(tmp_path: Path) -> None:
    store = open_database(tmp_path / "s.db")
    doc = {"operators": [{"badge": "BADGE-777", "name": "Kim", "roles": ["pack"], "pin": "4321"}]}
    assert load_operators(store, doc, DEFAULT_CODE_PATTERNS) == 1
    stored = store.conn.execute("SELECT pin_hash FROM operator_pins").fetchone()[0]
    assert stored.startswith("$argon2id$") and "4321" not in stored
    assert find_operator(store, "777") == Operator("777", "Kim", frozenset({"pack"}))
    policy = PinPolicy(max_failures=2, lockout_ms=60_000)
    with store.write():
        assert verify_pin(store, "777", "4321", 0, policy).ok
        assert not verify_pin(store, "777", "0000", 0, policy).ok
        assert verify_pin(store, "777", "0000", 10, policy).locked(10)
    with store.write(), pytest.raises(FlowError, match=r"locked .* try again in 1 min"):
        verify_pin(store, "777", "4321", 20, policy)  # even the right PIN, while locked
    assert attempts(store, "777").locked_until_ms == 60_010
    with store.write():
        assert verify_pin(store, "777", "4321", 60_010, policy).ok
    assert attempts(store, "777") == Attempts()
    assert has_pin(store, "777") and not has_pin(store, "778")
    store.close()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "operators: expected an object, found a list"),
        ({"operators": [{"badge": "BADGE-1", "name": "N", "roles": ["boss"]}]}, "roles.0.: expected one of"),
        (
            {"operators": [{"badge": "BADGE-123", "name": "N", "roles": [], "pin": "12"}]},
            "pin: A PIN is 4 to 8",
        ),
        ({"operators": [{"badge": "B", "name": "N", "roles": [], "pin_hash": "plain"}]}, "an argon2 hash"),
        (
            {"operators": [{"badge": 5, "name": "N", "roles": []}]},
            "operators.0..badge: expected text, found 5",
        ),
    ],
)
def test_bad_operator_files_refused_whole(tmp_path: Path, doc: object, message: str) -> None:
    store = open_database(tmp_path / "s.db")
    with pytest.raises(ManifestError, match=message):
        load_operators(store, doc, DEFAULT_CODE_PATTERNS)
    assert store.conn.execute("SELECT count(*) FROM operators").fetchone()[0] == 0
    store.close()


def test_sign_in_with_pin_and_every_event_carries_the_operator(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    first = feed(desk, "BADGE-2001")[0]
    assert first.ok and desk.prompt == "Rita: enter your PIN." and desk.operator is None
    assert not touch(desk, "pin", "1111").ok
    assert touch(desk, "pin", "2468").ok and desk.operator is not None
    feed(desk, "RMA-3000001", "CMD:CANCEL", "CMD:SIGN_OUT")
    rows = desk.store.conn.execute("SELECT type, operator FROM events ORDER BY seq").fetchall()
    assert rows == [
        ("operator.pin_failed", "2001"),
        ("operator.signed_in", "2001"),
        ("return.received", "2001"),
        ("return.cancelled", "2001"),
        ("operator.signed_out", "2001"),
    ]
    desk.store.close()


def test_a_supervisor_without_the_pin_cannot_override(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    feed(desk, "BADGE-2001", "CMD:PIN:2468", "RMA-9999999")  # unknown return: waits for a supervisor
    assert not feed(desk, "BADGE-2003")[0].ok  # Paul is no supervisor
    assert feed(desk, "BADGE-2002")[0].ok and "Sam: enter your PIN" in desk.prompt
    assert not touch(desk, "pin", "0000").ok
    approved = touch(desk, "pin", "1357")
    assert approved.ok and "blind receipt" in approved.message
    desk.store.close()


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=12))
def test_any_pin_text_is_a_typed_refusal_or_ok(pin: str) -> None:
    try:
        check_pin_format(pin)
    except FlowError as exc:
        assert str(exc).endswith("enter the PIN again.")
    else:
        assert pin.isdigit() and 4 <= len(pin) <= 8


def test_operators_file_in_tests_data_is_valid() -> None:
    doc = json.loads((Path(__file__).parent / "data" / "hubwork_operators.json").read_text())
    assert {op["name"] for op in doc["operators"]} == {"Rita", "Sam", "Paul"}


def test_refund_cap_lifted_only_by_a_supervisor(hub_desk: Desk) -> None:
    items = ["]C1010950110153000321SNA1", "CMD:GRADE:A", "0012345678905", "CMD:GRADE:B"]
    out = feed(hub_desk, "BADGE-2001", "RMA-3000001", *items, "CMD:OVERRIDE:REFUND_CAP", "BADGE-2003")
    assert all(o.ok for o in out[:6])
    assert (
        not out[6].ok and "a supervisor scans their badge to pay the refund above its cap" in out[6].message
    )
    assert not out[7].ok and "Paul is not a supervisor" in out[7].message
    out = feed(hub_desk, "BADGE-2002", "]C1010400638133393121TAB1", "CMD:GRADE:C", "CMD:DONE")
    assert all(o.ok for o in out), [o.message for o in out]
    granted = out[0].events[0].data
    assert granted == {
        "kind": "refund_cap",
        "subject": "RMA-3000001",
        "reason": "refund above the cap of 500.00 EUR",
        "supervisor": "2002",
        "operator": "2001",
    }
    refund = next(e.data for e in out[-1].events if e.type == "refund.eligible")
    assert (refund["amount"], refund["capped"], refund["cap_lifted_by"]) == (710.0, False, "2002")


def test_without_the_override_the_cap_holds(hub_desk: Desk) -> None:
    out = feed(hub_desk, "BADGE-2001", "RMA-3000001", "]C1010400638133393121TAB1", "CMD:GRADE:C")
    out += feed(hub_desk, "]C1010950110153000321SNA1", "CMD:GRADE:A", "CMD:DONE")
    refund = next(e.data for e in out[-1].events if e.type == "refund.eligible")
    assert (refund["amount"], refund["capped"]) == (500.0, True) and "cap_lifted_by" not in refund
    late = touch(hub_desk, "override", "refund_cap")
    assert not late.ok and "only on an open return" in late.message
