"""Projections from the sink's events, on SQLite and PostgreSQL: late and out-of-order events from
several stations land in the right place, a gap waits for its events, two followers never project an
event twice, and a rebuild from zero gives the same state."""

from __future__ import annotations

import threading
from typing import Any

from uuid6 import uuid7

from sync.central import follower, queries, schema
from sync.central.db import Database
from sync.sinks import open_sink


def ev(station: str, seq: int, kind: str, time: str, subject: str = "", **data: Any) -> dict[str, Any]:
    """A CloudEvent as a station of hub ams-1 sends it."""
    return {
        "specversion": "1.0",
        "id": str(uuid7()),
        "source": f"urn:hubstation:ams-1:{station}",
        "type": kind,
        "subject": subject or data.get("rma") or data.get("lpn") or kind,
        "time": f"2026-03-0{time}+00:00",
        "seq": seq,
        "operator": "2001",
        "data": data,
    }


RMA, LPN = "RMA-7000001", "LPNAMS0000001"
UNIT = {"lpn": LPN, "gtin": "09501101530003", "serial": "SN-7"}
COUNTER = [  # the counter took the return in on the 1st, but was offline until the 3rd
    ev(
        "counter",
        1,
        "return.received",
        "1T09:00:00.000",
        rma=RMA,
        return_code=RMA,
        code_kind="rma",
        order_number="SO-1",
        expected=[],
        blind=False,
    ),
    ev(
        "counter",
        2,
        "return.graded",
        "1T09:01:00.000",
        rma=RMA,
        unit=1,
        gtin=UNIT["gtin"],
        serial="SN-7",
        grade="A",
        reasons=[],
    ),
    ev(
        "counter",
        3,
        "return.dispositioned",
        "1T09:01:00.001",
        rma=RMA,
        unit=1,
        **UNIT,
        disposition="restock_local",
        rule="r1",
        category="electronics",
        value=300.0,
    ),
    ev(
        "counter",
        4,
        "refund.eligible",
        "1T09:02:00.000",
        rma=RMA,
        amount=300.0,
        currency="EUR",
        cap=250.0,
        capped=True,
        units=[1],
    ),
    ev(
        "counter",
        5,
        "return.completed",
        "1T09:02:00.001",
        rma=RMA,
        units=1,
        missing=0,
        blind=False,
        flagged_for_review=False,
    ),
]
SHELF = [  # the restock station put it away on the 2nd and moved it on the 3rd
    ev(
        "shelf",
        1,
        "inventory.restocked",
        "2T10:00:00.000",
        **UNIT,
        bin="BIN-A-01",
        hub="ams-1",
        disposition="restock_local",
        override=None,
    ),
    ev(
        "shelf",
        2,
        "inventory.moved",
        "3T08:00:00.000",
        **UNIT,
        from_bin="BIN-A-01",
        to_bin="BIN-B-02",
        hub="ams-1",
    ),
]


def _setup(url: str) -> tuple[Any, Database]:
    sink = open_sink(url)
    db = Database(url)
    schema.create(db)
    return sink, db


def _drain(db: Database) -> int:
    total = 0
    while n := follower.step(db):
        total += n
    return total


def test_late_events_from_another_station_land_in_place(central_db: str) -> None:
    sink, db = _setup(central_db)
    try:
        sink.insert(SHELF)  # the shelf's events arrive first
        assert _drain(db) == 2
        unit = queries.unit(db, LPN)
        assert unit is not None and (unit["status"], unit["bin"], unit["rma"]) == (
            "stocked",
            "BIN-B-02",
            None,
        )

        sink.insert([COUNTER[0], COUNTER[2], COUNTER[4]])  # a day late, and seq 2 and 4 still missing
        assert _drain(db) == 1  # only seq 1: 3 and 5 wait for the gap to close
        sink.insert([COUNTER[1], COUNTER[3]])
        assert _drain(db) == 4

        unit = queries.unit(db, LPN)
        assert unit is not None
        # the older disposition filled in what the unit is, but did not take it off the shelf
        assert (unit["status"], unit["bin"], unit["rma"], unit["grade"], unit["disposition"]) == (
            "stocked",
            "BIN-B-02",
            RMA,
            "A",
            "restock_local",
        )
        story = queries.return_story(db, RMA)
        assert story is not None
        # the timeline is in event time, with the shelf's events (projected first) after the intake
        assert [(e["station"], e["type"]) for e in story["timeline"]] == [
            ("counter", "return.received"),
            ("counter", "return.graded"),
            ("counter", "return.dispositioned"),
            ("counter", "refund.eligible"),
            ("counter", "return.completed"),
            ("shelf", "inventory.restocked"),
            ("shelf", "inventory.moved"),
        ]
        s = story["summary"]
        assert (s["status"], s["refund_amount"], s["refund_cap"], s["refund_capped"]) == (
            "completed",
            300.0,
            250.0,
            1,
        )
        lines = queries.stock(db, "ams-1")
        assert [(line["gtin"], line["available"]) for line in lines] == [(UNIT["gtin"], 1)]

        # a pack that is cancelled gives the unit back; a pack that is finished takes it away
        sink.insert(
            [
                ev("shelf", 3, "order.unit_scanned", "3T09:00:00.000", order="SO-9", line=1, **UNIT),
            ]
        )
        _drain(db)
        assert queries.stock(db, "ams-1")[0]["reserved"] == 1
        sink.insert([ev("shelf", 4, "order.pack_cancelled", "3T09:01:00.000", order="SO-9", units=1)])
        _drain(db)
        assert queries.stock(db, "ams-1")[0]["available"] == 1
        sink.insert(
            [
                ev("shelf", 5, "order.unit_scanned", "3T09:02:00.000", order="SO-10", line=1, **UNIT),
                ev(
                    "shelf",
                    6,
                    "order.packed",
                    "3T09:03:00.000",
                    order="SO-10",
                    hub="ams-1",
                    carrier="x",
                    units=[{"line": 1, **UNIT}],
                ),
            ]
        )
        _drain(db)
        assert queries.stock(db, "ams-1") == []
        assert queries.unit(db, LPN)["status"] == "packed"  # type: ignore[index]

        before = (queries.return_story(db, RMA), queries.unit(db, LPN), queries.feed(db, 0, 100))
        assert follower.rebuild(db) == 11
        assert (queries.return_story(db, RMA), queries.unit(db, LPN), queries.feed(db, 0, 100)) == before
    finally:
        sink.close()
        db.close()


def test_two_followers_project_every_event_once(central_db: str) -> None:
    sink, db = _setup(central_db)
    stations, per = 12, 40
    try:
        done = threading.Event()

        def receive() -> None:  # the receiver keeps inserting while both followers run
            for i in range(per):
                sink.insert(
                    [
                        ev(
                            f"s{s}",
                            i + 1,
                            "inventory.restocked",
                            f"2T10:{i:02d}:00.000",
                            lpn=f"LPN{s:03d}{i:04d}",
                            gtin="00012345678905",
                            serial=None,
                            bin=f"BIN-{s}",
                            hub="ams-1",
                            disposition=None,
                            override=None,
                        )
                        for s in range(stations)
                    ]
                )
            done.set()

        counts = [0, 0]

        def follow(k: int) -> None:
            mine = Database(central_db)
            try:
                while True:
                    finished = done.is_set()
                    n = follower.step(mine, limit=50)
                    counts[k] += n
                    if finished and not n:
                        return
            finally:
                mine.close()

        threads = [
            threading.Thread(target=receive),
            *(threading.Thread(target=follow, args=(k,)) for k in (0, 1)),
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert sum(counts) == stations * per
        feed = queries.feed(db, 0, 10_000)
        assert len(feed) == stations * per == len({(f["event"]["source"], f["event"]["seq"]) for f in feed})
        for s in range(stations):  # each station's events in its seq order
            seqs = [f["event"]["seq"] for f in feed if f["event"]["source"].endswith(f":s{s}")]
            assert seqs == list(range(1, per + 1))
        assert queries.stock(db, "ams-1")[0]["available"] == stations * per
    finally:
        sink.close()
        db.close()


EVENT_TYPES = [
    "return.received",
    "return.graded",
    "return.dispositioned",
    "refund.eligible",
    "return.completed",
    "return.cancelled",
    "inventory.restocked",
    "inventory.moved",
    "order.unit_scanned",
    "order.packed",
    "order.pack_cancelled",
    "workorder.opened",
    "workorder.closed",
    "workorder.noted",
    "config.applied",
    "label.printed",
    "something.new",
]
KEYS = [
    "rma",
    "lpn",
    "serial",
    "gtin",
    "unit",
    "grade",
    "disposition",
    "bin",
    "to_bin",
    "hub",
    "order",
    "units",
    "amount",
    "cap",
    "capped",
    "currency",
    "workorder",
    "labour_minutes",
    "diagnoses",
    "version",
    "missing",
]
NASTY = [
    "",
    "\x00",
    "RMA-\x00-1",
    "x" * 2000,
    2**63 - 1,
    -(2**63),
    1e308,
    float("nan"),
    True,
    None,
    [],
    {},
    [1, "a"],
    {"lpn": {"x": 1}},
    [{"lpn": "\x00"}, {"lpn": 5}, "not a unit"],
]


def _junk() -> Any:
    from hypothesis import strategies as st

    scalar = st.one_of(
        st.sampled_from(NASTY),
        st.text(max_size=20),
        st.integers(min_value=-(2**63), max_value=2**63 - 1),
        st.floats(allow_nan=False),
        st.booleans(),
        st.none(),
    )
    value = st.recursive(
        scalar,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.sampled_from(KEYS), inner, max_size=3)
        ),
        max_leaves=6,
    )
    data = st.one_of(st.dictionaries(st.sampled_from(KEYS), value, max_size=8), value)
    return st.lists(st.tuples(st.sampled_from(EVENT_TYPES), data), min_size=1, max_size=12)


def test_malformed_event_data_never_stops_the_projections(tmp_path_factory: Any) -> None:
    """Fuzzed: any JSON data at all (wrong types, NUL, extreme numbers; what a sink can hold) is projected
    or left aside, never stuck."""
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
    @given(_junk())
    def run(events: list[tuple[str, Any]]) -> None:
        url = f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'c.db'}"
        sink, db = _setup(url)
        try:
            docs = [ev("s1", i + 1, kind, f"1T09:00:{i:02d}.000") for i, (kind, _) in enumerate(events)]
            for doc, (_, data) in zip(docs, events, strict=True):
                doc["data"] = data
            sink.insert(docs)
            assert _drain(db) == len(docs)
            assert {u["status"] for u in db.rows("SELECT status FROM units")} <= {
                "stocked",
                "reserved",
                "in_repair",
                "received",
                "packed",
            }
        finally:
            sink.close()
            db.close()

    run()


def test_nasty_values_on_postgresql(central_db: str) -> None:
    """What PostgreSQL refuses (NUL in text, numbers out of range) never reaches it from event data."""
    sink, db = _setup(central_db)
    try:
        docs = []
        for i, value in enumerate(NASTY):
            for kind in (
                "return.dispositioned",
                "refund.eligible",
                "order.packed",
                "workorder.closed",
                "config.applied",
            ):
                data = {key: value for key in KEYS} | {"rma": f"RMA-{i}\x00", "lpn": f"LPN{i}\x00"}
                docs.append(ev("s1", len(docs) + 1, kind, f"1T09:00:00.{len(docs):03d}", f"S-{i}", **data))
        sink.insert(docs)
        assert _drain(db) == len(docs)
        assert queries.return_story(db, "RMA-0") is not None  # NUL stripped from what it is about
    finally:
        sink.close()
        db.close()
