"""Manifest cache: expected returns and the GTINs this hub stocks, for offline intake.

Loaded from a file (``station manifest load``) or from the OMS over MQTT; both go through
:func:`load_manifest`, which checks the document whole (:mod:`station.store.validation`), then applies it
in one transaction, idempotent by each return's version.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from biip import ParseError
from biip.gtin import Gtin

from station.core.codes import CodePatterns
from station.core.manifest import ExpectedItem, ExpectedReturn, Operator
from station.core.operators import SUPERVISOR, Flow
from station.core.scans import ScanKind
from station.store.database import StationDB
from station.store.validation import (
    AMOUNT,
    GTIN_TEXT,
    NAME_TEXT,
    OPTIONAL_TEXT,
    QUANTITY,
    TEXT,
    VERSION,
    PathParts,
    check_document,
    fail,
    first_duplicate,
    list_of,
    one_of,
    record,
)
from station.store.validation import ManifestError as ManifestError  # the loaders' error

ROLE_NAMES = frozenset({*(f.value for f in Flow), SUPERVISOR})
#: What an expected return's ``status`` may be in a manifest (``received`` is set by intake here).
RETURN_STATUSES = ("expected", "received", "cancelled")
_RETURN_KINDS = (ScanKind.RMA, ScanKind.RETURN_QR)
_KIND_NAMES = {ScanKind.RMA: "RMA", ScanKind.RETURN_QR: "return QR", ScanKind.LPN: "LPN"}

MANIFEST_OPERATOR = record({"badge": TEXT, "name": TEXT, "roles": list_of(one_of(ROLE_NAMES), unique=True)})
MANIFEST_SCHEMA = record(
    {},
    {
        "returns": list_of(
            record(
                {
                    "rma": TEXT,
                    "items": list_of(
                        record(
                            {"gtin": GTIN_TEXT},
                            {
                                "serial": OPTIONAL_TEXT,
                                "quantity": QUANTITY,
                                "title": NAME_TEXT,
                                "category": NAME_TEXT,
                                "value": AMOUNT,
                            },
                        )
                    ),
                },
                {
                    "codes": list_of(TEXT),
                    "order_number": OPTIONAL_TEXT,
                    "customer": OPTIONAL_TEXT,
                    "refund_cap": AMOUNT,
                    "currency": {
                        "type": "string",
                        "pattern": "^[A-Z]{3}$",
                        "expected": "an ISO 4217 code (EUR)",
                    },
                    "version": VERSION,
                    "status": one_of(RETURN_STATUSES),
                },
            )
        ),
        "stocked_gtins": list_of(GTIN_TEXT),
    },
)


@dataclass(frozen=True)
class LoadResult:
    returns_applied: int
    returns_skipped: int  # an equal or newer version was already here
    stocked_gtins: int


def normalize_gtin(text: str, source: str, path: PathParts) -> str:
    """A GTIN-8/12/13/14 (check digit verified by biip) as its 14-digit form (what scans are matched on)."""
    expected = "a GTIN of 8, 12, 13 or 14 digits with a right check digit"
    if not (text.isascii() and text.isdigit()) or len(text) not in (8, 12, 13, 14) or int(text) == 0:
        raise fail(source, path, expected, text)
    try:
        return Gtin.parse(text).as_gtin_14()
    except ParseError as exc:
        raise fail(source, path, f"{expected} ({exc})", text) from None


def scannable(
    patterns: CodePatterns, text: str, kinds: tuple[ScanKind, ...], source: str, path: PathParts
) -> str:
    """The value a scan of ``text`` classifies to (so manifest codes and scans meet on the same key), when
    the configured patterns read it as one of ``kinds``; else ManifestError."""
    found = patterns.match(text)
    if found is None or found[0] not in kinds:
        shapes = " or ".join(p.pattern for k, p in patterns.patterns if k in kinds)
        names = " or ".join(_KIND_NAMES.get(k, k.value.replace("_", " ")) for k in kinds)
        article = "an" if names[0] in "aeiouRL" else "a"
        raise fail(source, path, f"{article} {names} code the configured patterns can scan ({shapes})", text)
    return found[1]


def parse_operator(op: Mapping[str, Any], patterns: CodePatterns, source: str, path: PathParts) -> Operator:
    """An operator of an already checked document (its badge must be scannable)."""
    badge = scannable(patterns, op["badge"], (ScanKind.BADGE,), source, [*path, "badge"])
    return Operator(badge, op["name"], frozenset(op["roles"]))


def unique_badges(operators: Sequence[Operator], source: str, key: str) -> None:
    """Refuse a badge that stands for two operators of one document."""
    twice = first_duplicate(([key, i, "badge"], o.badge) for i, o in enumerate(operators))
    if twice is not None:
        raise fail(source, twice[0], "each badge once", twice[1])


def _parse_return(
    raw: Mapping[str, Any], patterns: CodePatterns, source: str, path: PathParts
) -> tuple[ExpectedReturn, list[tuple[PathParts, str]]]:
    """A return of a checked document with the keys of its codes (each with its path)."""
    items = []
    for i, item in enumerate(raw["items"]):
        quantity = int(item.get("quantity", 1))
        serial = item.get("serial")
        if serial and quantity != 1:
            raise fail(source, [*path, "items", i, "quantity"], "1 on a line with a serial", quantity)
        items.append(
            ExpectedItem(
                line=i + 1,
                gtin=normalize_gtin(item["gtin"], source, [*path, "items", i, "gtin"]),
                quantity=quantity,
                title=item.get("title") or "",
                category=item.get("category") or "",
                value=float(item.get("value") or 0.0),
                serial=serial,
            )
        )
    codes: list[tuple[PathParts, str]] = [([*path, "rma"], raw["rma"])] + [
        ([*path, "codes", j], c) for j, c in enumerate(raw.get("codes", []))
    ]
    keys = [(p, scannable(patterns, c, _RETURN_KINDS, source, p)) for p, c in codes]
    cap = raw.get("refund_cap")
    ret = ExpectedReturn(
        rma=raw["rma"],
        items=tuple(items),
        currency=raw.get("currency", "EUR"),
        refund_cap=None if cap is None else float(cap),
        order_number=raw.get("order_number"),
        customer=raw.get("customer"),
        status=raw.get("status", "expected"),
        version=int(raw.get("version", 1)),
    )
    return ret, keys


def _unique_codes(parsed: Sequence[tuple[ExpectedReturn, list[tuple[PathParts, str]]]], source: str) -> None:
    """One code (or RMA) per return within a document."""
    twice = first_duplicate((["returns", i, "rma"], r.rma) for i, (r, _) in enumerate(parsed))
    if twice is not None:
        raise fail(source, twice[0], "each return once", twice[1])
    owner: dict[str, str] = {}
    for ret, keys in parsed:
        for path, key in keys:
            if owner.setdefault(key, ret.rma) != ret.rma:
                raise fail(source, path, f"a code of this return only (it is also {owner[key]}'s)", key)


def load_manifest(store: StationDB, doc: Any, patterns: CodePatterns, source: str = "manifest") -> LoadResult:
    """Validate ``doc`` whole, then apply it in one transaction (nothing applied when any part is bad)."""
    if isinstance(doc, Mapping) and "operators" in doc:
        raise ManifestError(
            f"{source}: operators: a manifest no longer carries operators; load them as one list with "
            "their PINs ('station operators load FILE.json'), or have the OMS send its operators list."
        )
    check_document(doc, MANIFEST_SCHEMA, source)
    returns = [
        _parse_return(r, patterns, source, ["returns", i]) for i, r in enumerate(doc.get("returns", []))
    ]
    _unique_codes(returns, source)
    stocked = [
        normalize_gtin(g, source, ["stocked_gtins", i]) for i, g in enumerate(doc.get("stocked_gtins", []))
    ]
    now = int(time.time() * 1000)
    with store.write() as conn:
        applied = []
        for ret, keys in returns:
            row = conn.execute(
                "SELECT version, status FROM expected_returns WHERE rma = ?", (ret.rma,)
            ).fetchone()
            if row is None or row[0] < ret.version:
                applied.append((ret, keys, row[1] if row is not None else None))
                conn.execute("DELETE FROM return_codes WHERE rma = ?", (ret.rma,))
        for ret, keys, held_status in applied:
            _apply_return(conn, ret, keys, held_status, now, source)
        conn.executemany("INSERT OR IGNORE INTO stocked_gtins VALUES (?)", [(g,) for g in stocked])
    return LoadResult(len(applied), len(returns) - len(applied), len(stocked))


def _apply_return(
    conn: Any,
    ret: ExpectedReturn,
    keys: Sequence[tuple[PathParts, str]],
    held_status: str | None,
    now: int,
    source: str,
) -> None:
    """Store one return (inside the load's write); a code another stored return has refuses the load."""
    for path, key in keys:
        other = conn.execute("SELECT rma FROM return_codes WHERE code = ?", (key,)).fetchone()
        if other is not None and other[0] != ret.rma:
            raise fail(source, path, f"a code of this return only (the station has it for {other[0]})", key)
    status = "received" if held_status == "received" else ret.status
    conn.execute("DELETE FROM expected_return_items WHERE rma = ?", (ret.rma,))
    conn.execute(
        "INSERT OR REPLACE INTO expected_returns VALUES (?,?,?,?,?,?,?,?)",
        (ret.rma, ret.order_number, ret.customer, ret.refund_cap, ret.currency, ret.version, status, now),
    )
    conn.executemany(
        "INSERT INTO expected_return_items VALUES (?,?,?,?,?,?,?,?)",
        [(ret.rma, i.line, i.gtin, i.serial, i.quantity, i.title, i.category, i.value) for i in ret.items],
    )
    conn.executemany("INSERT OR REPLACE INTO return_codes VALUES (?, ?)", [(k, ret.rma) for _, k in keys])


def find_return(store: StationDB, code_value: str) -> ExpectedReturn | None:
    """The expected return a scanned return code (its classified value) stands for, if the manifest has it."""
    conn = store.conn
    row = conn.execute(
        "SELECT r.rma, r.order_number, r.customer, r.refund_cap, r.currency, r.version, r.status "
        "FROM return_codes c JOIN expected_returns r ON r.rma = c.rma WHERE c.code = ?",
        (code_value,),
    ).fetchone()
    if row is None:
        return None
    items = tuple(
        ExpectedItem(line=i[0], gtin=i[1], serial=i[2], quantity=i[3], title=i[4], category=i[5], value=i[6])
        for i in conn.execute(
            "SELECT line, gtin, serial, quantity, title, category, value FROM expected_return_items "
            "WHERE rma = ? ORDER BY line",
            (row[0],),
        )
    )
    return ExpectedReturn(
        rma=row[0],
        items=items,
        order_number=row[1],
        customer=row[2],
        refund_cap=row[3],
        currency=row[4],
        version=row[5],
        status=row[6],
    )


def mark_return(conn: Any, rma: str, status: str) -> None:
    """Set a return's status (``received`` once intake completes); call inside a write transaction."""
    conn.execute("UPDATE expected_returns SET status = ? WHERE rma = ?", (status, rma))


def is_stocked(store: StationDB, gtin: str) -> bool:
    return store.conn.execute("SELECT 1 FROM stocked_gtins WHERE gtin = ?", (gtin,)).fetchone() is not None


def find_operator(store: StationDB, badge_value: str) -> Operator | None:
    row = store.conn.execute(
        "SELECT badge, name, roles FROM operators WHERE badge = ? AND active = 1", (badge_value,)
    ).fetchone()
    if row is None:
        return None
    return Operator(row[0], row[1], frozenset(json.loads(row[2])))
