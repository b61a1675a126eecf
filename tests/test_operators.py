"""Operators: roles per flow, the PIN policy and argon2 hashes, lockouts that grow, operator lists as
snapshots, and approvals bound to one request by a second person's badge and PIN."""

from __future__ import annotations

import copy
import json
from dataclasses import replace
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from hypothesis import given, settings
from hypothesis import strategies as st

from station.core.codes import DEFAULT_CODE_PATTERNS
from station.core.errors import FlowError
from station.core.hlc import ClockReading
from station.core.manifest import Operator
from station.core.operators import (
    UNTIL_UNLOCKED,
    Attempts,
    Flow,
    OverrideKind,
    Pin,
    PinPolicy,
    Request,
    after_failure,
    allowed_flows,
    check_pin_format,
    grant,
    require_flow,
)
from station.runtime.clock import SystemClock
from station.runtime.desk import Desk
from station.store.database import open_database
from station.store.events import EventLog
from station.store.manifests import ManifestError, find_operator
from station.store.operators import PinCheck, attempts, check_pin, has_pin, load_operators, record
from tests.fixtures_hubwork import DATA, KEYPAD, SAM_PIN, feed, make_desk, touch

ALL = ("intake", "restock", "pack", "repair")
ANA = Operator("1001", "Ana", frozenset({"intake"}))
SAM = Operator("9001", "Sam", frozenset({"supervisor"}))
TOM = Operator("2004", "Tom", frozenset({"repair"}))
RITA_PIN = KEYPAD + "246813"
PHONE, TABLET, CABLE = "]C1010950110153000321SNA1", "]C1010400638133393121TAB1", "0012345678905"


def people() -> dict:
    return json.loads((DATA / "hubwork_operators.json").read_text())


def test_roles_choose_the_flows_and_supervisors_run_all() -> None:
    assert allowed_flows(ANA, ALL) == (Flow.INTAKE,)
    assert allowed_flows(SAM, ALL) == tuple(Flow)
    assert allowed_flows(SAM, ("pack",)) == (Flow.PACK,)
    with pytest.raises(FlowError, match=r"Ana may not run repair .*ask a supervisor"):
        require_flow(ANA, Flow.REPAIR, ALL)
    with pytest.raises(FlowError, match="not set up for repair"):
        require_flow(SAM, Flow.REPAIR, ("intake",))


@pytest.mark.parametrize("pin", ["", "12345", "1234567890123", "12a456", "١٢٣٤٥٦", "123 456"])
def test_pin_format_refused_with_a_sentence(pin: str) -> None:
    with pytest.raises(FlowError, match="A PIN is 6 to 12 digits") as refused:
        check_pin_format(pin)
    assert not pin or pin not in str(refused.value)


def test_a_pin_never_shows_in_a_repr() -> None:
    assert repr(Pin("735190")) == "'******'" and "735190" not in repr(("pin", Pin("735190")))
    assert Pin("735190") == "735190"


def test_lockouts_grow_each_round_then_wait_for_a_supervisor() -> None:
    policy = PinPolicy(max_failures=3, lockouts_ms=(1000, 5000))
    a = Attempts()
    for n in (1, 2):
        a = after_failure(a, 0, policy)
        assert a == Attempts(n, 0, 0) and not a.locked(0)
    a = after_failure(a, 500, policy)  # round 1: locked 1 s
    assert a == Attempts(0, 1500, 1) and a.locked(1499) and not a.locked(1500)
    for _ in range(3):
        a = after_failure(a, 2000, policy)  # round 2: locked 5 s
    assert a == Attempts(0, 7000, 2)
    for _ in range(3):
        a = after_failure(a, 8000, policy)  # round 3: until a supervisor unlocks it
    assert a.needs_unlock and a.locked(10**15) and a.locked_until_ms == UNTIL_UNLOCKED


def test_an_approval_names_the_request_both_people_and_the_pin_check() -> None:
    request = Request(OverrideKind.REFUND_CAP, "RMA-1", "refund above the cap", "1001", 320.0, "EUR")
    event = grant(request, SAM, pin_verified=True)
    assert event.type == "override.granted"
    assert event.data == {
        "kind": "refund_cap",
        "subject": "RMA-1",
        "amount": 320.0,
        "currency": "EUR",
        "reason": "refund above the cap",
        "requester": "1001",
        "approver": "9001",
        "pin_verified": True,
    }
    with pytest.raises(FlowError, match="Ana may not approve refund cap: a supervisor"):
        grant(replace(request, requester="2001"), ANA, pin_verified=True)
    with pytest.raises(FlowError, match="Sam asked for this and cannot also approve it"):
        grant(replace(request, requester="9001"), SAM, pin_verified=True)
    wipe = Request(OverrideKind.WIPE, "LPN1", "verify the purge wipe", "2001")
    assert grant(wipe, TOM, pin_verified=True).data["approver"] == "2004"  # a second technician may


def test_pins_are_argon2_hashes_verified_and_locked(tmp_path: Path) -> None:
    store = open_database(tmp_path / "s.db")
    doc = {"operators": [{"badge": "BADGE-777", "name": "Kim", "roles": ["pack"], "pin": "432109"}]}
    assert load_operators(store, doc, DEFAULT_CODE_PATTERNS).added == ("777",)
    stored = store.conn.execute("SELECT pin_hash FROM operator_pins").fetchone()[0]
    assert stored.startswith("$argon2id$") and "432109" not in stored
    assert doc["operators"][0] == {"badge": "BADGE-777", "name": "Kim", "roles": ["pack"], "pin_hash": stored}
    assert find_operator(store, "777") == Operator("777", "Kim", frozenset({"pack"}))
    policy = PinPolicy(max_failures=2, lockouts_ms=(60_000,))

    def verify(pin: str, now_ms: int) -> PinCheck:
        check = check_pin(store, "777", pin, now_ms, policy)
        with store.write() as conn:
            record(conn, "777", check)
        return check

    assert verify("432109", 0).ok
    assert not verify("000000", 0).ok
    assert verify("000000", 10).locked(10)
    with pytest.raises(FlowError, match=r"locked .* try again in 1 min"):
        verify("432109", 20)  # even the right PIN, while locked
    assert attempts(store, "777").locked_until_ms == 60_010
    assert verify("432109", 60_010).ok
    assert attempts(store, "777") == Attempts()
    assert has_pin(store, "777") and not has_pin(store, "778")
    store.close()


WEAK = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash("135792")
ARGON2I = PasswordHasher(type=Type.I).hash("135792")


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([], "operators: expected an object, found a list"),
        ({"operators": [{"badge": "B-1", "name": "N", "roles": []}]}, "badge: expected a badge code"),
        (
            {"operators": [{"badge": "BADGE-123", "name": "N", "roles": ["boss"]}]},
            r"roles\[0\]: expected one of",
        ),
        (
            {"operators": [{"badge": "BADGE-123", "name": "N", "roles": [], "pin": "1234"}]},
            "pin: A PIN is 6 to 12",
        ),
        (
            {"operators": [{"badge": "BADGE-123", "name": "N", "roles": [], "pin_hash": "plain"}]},
            "an argon2 hash",
        ),
        (
            {"operators": [{"badge": "BADGE-123", "name": "N", "roles": [], "pin_hash": WEAK}]},
            "weaker than this",
        ),
        (
            {"operators": [{"badge": "BADGE-123", "name": "N", "roles": [], "pin_hash": ARGON2I}]},
            "weaker than this",
        ),
        ({"operators": [{"badge": 5, "name": "N", "roles": []}]}, "badge: expected text, found 5"),
        (
            {"operators": [{"badge": "BADGE-123", "name": "N", "roles": ["supervisor"]}]},
            "supervisor N has no PIN",
        ),
        (
            {
                "operators": [
                    {"badge": "BADGE-123", "name": "N", "roles": []},
                    {"badge": "BADGE-123", "name": "M", "roles": []},
                ]
            },
            "expected each badge once",
        ),
    ],
)
def test_bad_operator_files_refused_whole(tmp_path: Path, doc: object, message: str) -> None:
    store = open_database(tmp_path / "s.db")
    with pytest.raises(ManifestError, match=message) as refused:
        load_operators(store, doc, DEFAULT_CODE_PATTERNS)
    assert "1234" not in str(refused.value)
    assert store.conn.execute("SELECT count(*) FROM operators").fetchone()[0] == 0
    store.close()


def test_the_configured_pin_length_holds_for_every_pin(tmp_path: Path) -> None:
    store = open_database(tmp_path / "s.db")
    doc = {"operators": [{"badge": "BADGE-123", "name": "N", "roles": ["supervisor"], "pin": "135792"}]}
    with pytest.raises(ManifestError, match="A PIN is 8 to 12 digits"):
        load_operators(store, doc, DEFAULT_CODE_PATTERNS, policy=PinPolicy(min_length=8))
    store.set_meta("pin_length", "8")  # what a running station keeps for lists from the OMS
    with pytest.raises(ManifestError, match="A PIN is 8 to 12 digits"):
        load_operators(store, copy.deepcopy(doc), DEFAULT_CODE_PATTERNS)
    store.close()


def test_a_list_is_a_snapshot(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    store = desk.store
    later = people()
    later["operators"] = [op for op in later["operators"] if op["name"] != "Paul"]
    rita = later["operators"][0]
    rita["roles"] = ["intake"]
    rita.pop("pin")  # a PIN held stays when a list leaves it out
    result = load_operators(store, later, DEFAULT_CODE_PATTERNS)
    assert (result.removed, result.changed) == (("2003",), ("2001",))
    assert find_operator(store, "2003") is None
    out = feed(desk, "BADGE-2003")
    assert not out[0].ok and "Badge 2003 is not known at this hub" in out[0].message
    assert find_operator(store, "2001") == Operator("2001", "Rita", frozenset({"intake"}))
    # a reload neither brings Paul back nor unlocks a locked badge
    for _ in range(5):
        check = check_pin(store, "2004", "000000", desk.log.clock().wall_ms)
        with store.write() as conn:
            record(conn, "2004", check)
    assert attempts(store, "2004").lockouts == 1
    load_operators(store, later, DEFAULT_CODE_PATTERNS)
    assert find_operator(store, "2003") is None and attempts(store, "2004").lockouts == 1
    inactive = copy.deepcopy(later)
    inactive["operators"][0]["active"] = False
    assert load_operators(store, inactive, DEFAULT_CODE_PATTERNS).removed == ("2001",)
    assert find_operator(store, "2001") is None
    store.close()


def test_a_fresh_database_signs_nobody_in(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    desk.store.conn.execute("DELETE FROM operators")
    out = feed(desk, "BADGE-2001", "BADGE-4242")
    assert not any(o.ok for o in out)
    assert all("No operators are loaded at this station" in o.message for o in out)
    assert "station setup" in out[0].message and desk.operator is None
    desk.store.close()


def test_sign_in_with_pin_and_every_event_carries_the_operator(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    first = feed(desk, "BADGE-2001")[0]
    assert first.ok and desk.prompt == "Rita: enter your PIN." and desk.operator is None
    scanned = feed(desk, "CMD:PIN:246813")[0]
    assert not scanned.ok and "A PIN is never scanned" in scanned.message and desk.operator is None
    typed = feed(desk, "246813", "12345670")  # typed where scans go (the second is even an EAN-8)
    assert all(not o.ok and o.input == "******" and "246813" not in o.message for o in typed)
    wrong = touch(desk, "pin", "111111")
    assert not wrong.ok and wrong.input == "PIN"
    assert touch(desk, "pin", "246813").ok and desk.operator is not None
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


def _overrides(desk: Desk) -> list[dict]:
    rows = desk.store.conn.execute("SELECT data FROM events WHERE type = 'override.granted' ORDER BY seq")
    return [json.loads(r[0]) for r in rows]


def test_a_supervisor_badge_without_the_pin_approves_nothing(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    feed(desk, "BADGE-2001", RITA_PIN, "RMA-9999999")  # unknown return: waits for a supervisor
    assert not feed(desk, "BADGE-2003")[0].ok  # Paul is no supervisor
    assert feed(desk, "BADGE-2002")[0].ok and "Sam: enter your PIN to approve blind receipt" in desk.prompt
    out = feed(desk, "CMD:PIN:135792", "RMA-9999999", CABLE)  # no PIN on the keypad: nothing approved
    assert not out[0].ok and "never scanned" in out[0].message
    assert desk.intake.phase.value == "awaiting_override" and _overrides(desk) == []
    feed(desk, "BADGE-2002")
    assert not touch(desk, "pin", "000000").ok and _overrides(desk) == []
    approved = touch(desk, "pin", "135792")
    assert approved.ok and "blind_receipt allowed by 2002 (asked by 2001)" in approved.message
    assert _overrides(desk)[0] | {"subject": "-"} == {
        "kind": "blind_receipt",
        "subject": "-",
        "amount": None,
        "currency": None,
        "reason": "unknown return code",
        "requester": "2001",
        "approver": "2002",
        "pin_verified": True,
    }
    desk.store.close()


def test_a_pin_typed_after_the_request_changed_approves_nothing(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    feed(desk, "BADGE-2001", RITA_PIN, "RMA-3000001", CABLE, "CMD:GRADE:B", "CMD:OVERRIDE:REFUND_CAP")
    assert "refund cap on RMA-3000001, 10.00 EUR" in desk.view().pending
    feed(desk, "BADGE-2002")  # Sam comes for a 10 EUR refund ...
    assert "Sam: enter your PIN to approve refund cap on RMA-3000001, 10.00 EUR" in desk.prompt
    feed(desk, PHONE, "CMD:GRADE:A")  # ... the 300 EUR phone goes in before his PIN
    late = touch(desk, "pin", "135792")
    assert not late.ok and "No one is waiting to enter a PIN" in late.message
    assert _overrides(desk) == [] and desk.intake.cap_override is None
    feed(desk, "CMD:OVERRIDE:REFUND_CAP", "BADGE-2002", SAM_PIN)
    assert _overrides(desk)[0]["amount"] == 310.0 and desk.intake.cap_override == "2002"
    # the tablet after the approval: 710 EUR is more than Sam allowed, so the cap holds again
    grew = feed(desk, TABLET, "CMD:GRADE:C")[1]
    assert grew.ok and "more than the 310.00 approved above the cap: the cap applies again" in grew.message
    refund = next(e.data for e in feed(desk, "CMD:DONE")[0].events if e.type == "refund.eligible")
    assert (refund["amount"], refund["capped"], refund["uncapped_amount"]) == (500.0, True, 710.0)
    desk.store.close()


def test_an_approval_is_void_when_the_request_changes_before_the_pin(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    intake = ["RMA-3000001", PHONE, "CMD:GRADE:A", CABLE, "CMD:GRADE:B", TABLET, "CMD:GRADE:C", "CMD:DONE"]
    feed(desk, "BADGE-2001", RITA_PIN, *intake, "CMD:FLOW:RESTOCK")
    cable, tablet = "LPNHUBON10000002", "LPNHUBON10000003"
    assert not feed(desk, cable)[0].ok  # liquidate: restocking it needs a supervisor
    feed(desk, "BADGE-2002")
    assert f"to approve restock on {cable}" in desk.prompt
    assert not feed(desk, tablet)[0].ok  # another unit (also needing a supervisor) before the PIN
    void = touch(desk, "pin", "135792")
    assert not void.ok and "changed after Sam scanned their badge" in void.message
    assert f"now: restock on {tablet}" in void.message and _overrides(desk) == []
    desk.store.close()


def test_nobody_approves_their_own_request(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    out = feed(desk, "BADGE-2002", SAM_PIN, "RMA-9999999", "BADGE-2002")
    assert out[1].ok and desk.operator is not None and desk.operator.name == "Sam"
    assert not out[3].ok and "Sam asked for this and cannot also approve it" in out[3].message
    assert desk.pin_wait is None and _overrides(desk) == []
    desk.store.close()


def test_a_wipe_is_verified_by_a_second_person_with_badge_and_pin(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    feed(desk, "BADGE-2001", RITA_PIN, "WO-500001", "CMD:DIAG:NO_POWER")
    old = feed(desk, "CMD:WIPE:purge:blancco:BADGE-2002")[0]
    assert not old.ok and "wipe:METHOD:TOOL" in old.message
    tool = feed(desk, "CMD:WIPE:purge:hammer")[0]
    assert not tool.ok and "not one this hub uses: choose blancco" in tool.message
    asked = feed(desk, "CMD:WIPE:purge:blancco")[0]
    assert not asked.ok and "scans their own badge and enters their PIN" in asked.message
    assert "wipe or supervisor" not in desk.prompt and "repair or supervisor" in desk.prompt
    alone = feed(desk, "BADGE-2001")[0]
    assert not alone.ok and "Rita asked for this and cannot also approve it" in alone.message
    paul = feed(desk, "BADGE-2003")[0]
    assert not paul.ok and "Paul may not approve wipe: a repair or supervisor" in paul.message
    wiped = desk.store.conn.execute("SELECT count(*) FROM events WHERE type = 'workorder.wiped'")
    assert wiped.fetchone()[0] == 0
    out = feed(desk, "BADGE-2004", KEYPAD + "864209", "CMD:WIPE:clear:nwipe", "BADGE-2002", SAM_PIN)
    assert [o.ok for o in out] == [True, True, False, True, True], [o.message for o in out]
    assert out[1].events[0].data | {"workorder": "-"} == {
        "workorder": "-",
        "lpn": "LPNOMS000001",
        "method": "purge",
        "tool": "blancco",
        "verified_by": "2004",
        "pin_verified": True,
    }
    assert desk.repair.current is not None
    assert [w.verified_by for w in desk.repair.current.wipes] == ["2004", "2002"]  # added, not replaced
    desk.store.close()


class _Clock:
    """The system clock moved on by hand (waiting out a 15 min lockout is no test)."""

    def __init__(self) -> None:
        self.system = SystemClock()
        self.ahead_ms = 0

    def __call__(self) -> ClockReading:
        now = self.system()
        return replace(now, wall_ms=now.wall_ms + self.ahead_ms)


def test_rounds_of_wrong_pins_escalate_the_lockout_until_a_supervisor_unlocks(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    clock = _Clock()
    desk.log = EventLog(desk.store, clock)
    wrong = [KEYPAD + "000000"] * 5
    round1 = feed(desk, "BADGE-2001", *wrong, "BADGE-2001")
    assert "locked after too many wrong PINs: try again in 15 min" in round1[5].message
    assert not round1[6].ok and "try again in 15 min" in round1[6].message
    clock.ahead_ms = 15 * 60_000
    round2 = feed(desk, "BADGE-2001", *wrong, "BADGE-2001")
    assert "try again in 60 min" in round2[6].message
    clock.ahead_ms += 60 * 60_000
    round3 = feed(desk, "BADGE-2001", *wrong)
    assert "a supervisor must unlock it" in round3[5].message
    clock.ahead_ms += 10 * 24 * 3600_000
    assert "a supervisor must unlock it" in feed(desk, "BADGE-2001")[0].message
    locked = desk.store.conn.execute(
        "SELECT data FROM events WHERE type = 'operator.locked_out' ORDER BY seq"
    ).fetchall()
    rounds = [json.loads(r[0]) for r in locked]
    assert [(r["round"], r["needs_unlock"]) for r in rounds] == [(1, False), (2, False), (3, True)]
    assert rounds[1]["until_ms"] - rounds[0]["until_ms"] >= 60 * 60_000
    failed = desk.store.conn.execute("SELECT count(*) FROM events WHERE type = 'operator.pin_failed'")
    assert failed.fetchone()[0] == 15
    assert not feed(desk, "BADGE-2003", "CMD:UNLOCK:BADGE-2001")[1].ok  # Paul is no supervisor
    unlocked = feed(desk, "CMD:SIGN_OUT", "BADGE-2002", SAM_PIN, "CMD:UNLOCK:BADGE-2001", "CMD:SIGN_OUT")
    assert all(o.ok for o in unlocked), [o.message for o in unlocked]
    assert unlocked[3].events[0].type == "operator.unlocked"
    assert all(o.ok for o in feed(desk, "BADGE-2001", RITA_PIN))
    desk.store.close()


def test_idle_sign_out_parks_the_open_work_for_that_person(tmp_path: Path) -> None:
    desk = make_desk(tmp_path)
    feed(desk, "BADGE-2001", RITA_PIN, "RMA-3000001", PHONE)
    idle = touch(desk, "sign_out", "idle")
    assert idle.ok and desk.operator is None
    signed_out = idle.events[0].data
    assert signed_out["automatic"] is True and signed_out["parked"] == "the open return"
    assert idle.message == "signed out automatically after no input: 2001; the open return is parked for them"
    paul = feed(desk, "BADGE-2003")[0]
    assert not paul.ok and "The open return is parked for badge 2001" in paul.message
    back = feed(desk, "BADGE-2001", RITA_PIN, "CMD:GRADE:A")
    assert all(o.ok for o in back) and desk.intake.ret is not None
    desk.store.close()


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=14))
def test_any_pin_text_is_a_typed_refusal_or_ok(pin: str) -> None:
    try:
        check_pin_format(pin)
    except FlowError as exc:
        assert str(exc).endswith("enter the PIN again.")
    else:
        assert pin.isdigit() and 6 <= len(pin) <= 12


def test_operators_file_in_tests_data_is_valid() -> None:
    assert {op["name"] for op in people()["operators"]} == {"Rita", "Sam", "Paul", "Tom"}


def test_pin_length_and_wipe_tools_in_the_config() -> None:
    from station.core.errors import ConfigError
    from station.runtime.config import parse_config

    config = parse_config({"pin_length": 8, "wipe_tools": ["blancco"]}, "station.toml")
    assert (config.pin_length, config.wipe_tools) == (8, ("blancco",))
    assert parse_config({}, "station.toml").pin_length == 6
    for bad in ({"pin_length": 4}, {"pin_length": "6"}, {"wipe_tools": [""]}):
        with pytest.raises(ConfigError, match=r"station\.toml: (pin_length|wipe_tools)"):
            parse_config(bad, "station.toml")
