"""Manifest cache: expected returns and the GTINs this hub stocks, for offline intake.

Loaded from a file (``station manifest load``) or from the OMS over MQTT; both go through
:func:`load_manifest`, which is idempotent by each return's version.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from station.core.codes import CodePatterns
from station.core.errors import StoreError
from station.core.manifest import ExpectedItem, ExpectedReturn, Operator
from station.store.database import StationDB


class ManifestError(StoreError):
    """A manifest document that does not have the expected shape."""


@dataclass(frozen=True)
class LoadResult:
    returns_applied: int
    returns_skipped: int  # an equal or newer version was already here
    stocked_gtins: int


def need(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    if key not in obj:
        raise ManifestError(f"{where}: expected a key {key!r}, found only {sorted(obj)}.")
    value = obj[key]
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ManifestError(f"{where}.{key}: expected {names}, found {value!r}.")
    return value


def optional(obj: Mapping[str, Any], key: str, kind: type | tuple[type, ...], where: str) -> Any:
    return None if obj.get(key) is None else need(obj, key, kind, where)


def objects(doc: Mapping[str, Any], key: str, source: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Each object of the list ``doc[key]`` with where it stands (for messages); no key is an empty list."""
    raw = doc.get(key) or []
    if not isinstance(raw, list):
        raise ManifestError(f"{source}: {key}: expected a list, found {raw!r}.")
    for i, item in enumerate(raw):
        where = f"{source}: {key}[{i}]"
        if not isinstance(item, Mapping):
            raise ManifestError(f"{where}: expected an object, found {item!r}.")
        yield where, item


def normalize_gtin(text: str, where: str) -> str:
    """A GTIN-8/12/13/14 as its 14-digit form (what scans are matched on)."""
    if not text.isdigit() or len(text) not in (8, 12, 13, 14):
        raise ManifestError(f"{where}: expected a GTIN of 8, 12, 13 or 14 digits, found {text!r}.")
    return text.zfill(14)


def code_key(patterns: CodePatterns, text: str) -> str:
    """The value a scan of ``text`` classifies to, so manifest codes and scans meet on the same key."""
    found = patterns.match(text)
    return found[1] if found else text


def _parse_return(raw: Mapping[str, Any], where: str) -> tuple[ExpectedReturn, list[str]]:
    rma = need(raw, "rma", str, where)
    items_raw = need(raw, "items", list, where)
    items = []
    for i, item in enumerate(items_raw, start=1):
        w = f"{where}.items[{i - 1}]"
        if not isinstance(item, Mapping):
            raise ManifestError(f"{w}: expected an object, found {item!r}.")
        quantity = optional(item, "quantity", int, w)
        quantity = 1 if quantity is None else quantity
        if quantity < 1:
            raise ManifestError(f"{w}.quantity: expected 1 or more, found {quantity}.")
        serial = optional(item, "serial", str, w)
        if serial and quantity != 1:
            raise ManifestError(f"{w}: a line with a serial must have quantity 1, found {quantity}.")
        items.append(
            ExpectedItem(
                line=i,
                gtin=normalize_gtin(need(item, "gtin", str, w), f"{w}.gtin"),
                quantity=quantity,
                title=optional(item, "title", str, w) or "",
                category=optional(item, "category", str, w) or "",
                value=float(optional(item, "value", (int, float), w) or 0.0),
                serial=serial,
            )
        )
    codes = optional(raw, "codes", list, where) or []
    if not all(isinstance(c, str) for c in codes):
        raise ManifestError(f"{where}.codes: expected a list of strings, found {codes!r}.")
    cap = optional(raw, "refund_cap", (int, float), where)
    ret = ExpectedReturn(
        rma=rma,
        items=tuple(items),
        currency=optional(raw, "currency", str, where) or "EUR",
        refund_cap=None if cap is None else float(cap),
        order_number=optional(raw, "order_number", str, where),
        customer=optional(raw, "customer", str, where),
        status=optional(raw, "status", str, where) or "expected",
        version=optional(raw, "version", int, where) or 1,
    )
    return ret, codes


def load_manifest(store: StationDB, doc: Any, patterns: CodePatterns, source: str = "manifest") -> LoadResult:
    """Validate ``doc`` whole, then apply it in one transaction (nothing applied when any part is bad)."""
    if not isinstance(doc, Mapping):
        raise ManifestError(f"{source}: expected a JSON object with 'returns', found {type(doc).__name__}.")
    returns = [_parse_return(r, where) for where, r in objects(doc, "returns", source)]
    stocked = [normalize_gtin(str(g), f"{source}: stocked_gtins") for g in doc.get("stocked_gtins") or []]
    if "operators" in doc:
        raise ManifestError(
            f"{source}: operators: a manifest no longer carries operators; load them as one list with "
            "their PINs ('station operators load FILE.json'), or have the OMS send its operators list."
        )
    applied = skipped = 0
    now = int(time.time() * 1000)
    with store.write() as conn:
        for ret, codes in returns:
            row = conn.execute(
                "SELECT version, status FROM expected_returns WHERE rma = ?", (ret.rma,)
            ).fetchone()
            if row is not None and row[0] >= ret.version:
                skipped += 1
                continue
            status = row[1] if row is not None and row[1] == "received" else ret.status
            conn.execute("DELETE FROM return_codes WHERE rma = ?", (ret.rma,))
            conn.execute("DELETE FROM expected_return_items WHERE rma = ?", (ret.rma,))
            conn.execute(
                "INSERT OR REPLACE INTO expected_returns VALUES (?,?,?,?,?,?,?,?)",
                (
                    ret.rma,
                    ret.order_number,
                    ret.customer,
                    ret.refund_cap,
                    ret.currency,
                    ret.version,
                    status,
                    now,
                ),
            )
            conn.executemany(
                "INSERT INTO expected_return_items VALUES (?,?,?,?,?,?,?,?)",
                [
                    (ret.rma, i.line, i.gtin, i.serial, i.quantity, i.title, i.category, i.value)
                    for i in ret.items
                ],
            )
            keys = {code_key(patterns, c) for c in [ret.rma, *codes]}
            conn.executemany(
                "INSERT OR REPLACE INTO return_codes VALUES (?, ?)", [(k, ret.rma) for k in keys]
            )
            applied += 1
        conn.executemany("INSERT OR IGNORE INTO stocked_gtins VALUES (?)", [(g,) for g in stocked])
    return LoadResult(applied, skipped, len(stocked))


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
