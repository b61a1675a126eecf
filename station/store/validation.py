"""Checking loaded documents (manifests, orders, operators) whole, naming the file and the path inside it.

One place for the path-naming errors: :func:`decode_json` reads a file's bytes, :func:`check_document`
checks any decoded document (from a file or a downlink message) against a JSON schema of this module's
small vocabulary (:func:`record`, :data:`TEXT`...) after a walk that refuses what JSON may carry but a
station must not store: NaN and Infinity, integers beyond 64 bits, deep nesting and lone surrogates.
Every error is a :class:`ManifestError` reading ``FILE: returns[3].items[0].value: expected ..., found ...``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from station.core.errors import StoreError

#: Deepest nesting of lists and objects a document may have (the formats need 4).
MAX_DEPTH = 16
INT64 = 2**63 - 1
#: Largest money amount or value a document may carry.
MAX_AMOUNT = 1e9


class ManifestError(StoreError):
    """A loaded document (file or downlink message) that does not have the expected shape."""


PathParts = Sequence[str | int]


def dotted(path: PathParts) -> str:
    """``returns[3].items[0].value`` for ``("returns", 3, "items", 0, "value")``; a key that is not a
    plain name is shown quoted and escaped (``returns[0]['\\n']``), so a message stays one line."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif part.isidentifier() and part.isascii():
            out += f".{part}" if out else part
        else:
            out += f"[{shown(part)}]"
    return out


class Words(str):
    """A description of what was found (shown as it is, not quoted like a value)."""

    __slots__ = ()


def shown(value: object) -> str:
    """A short rendering of a found value for a message (control characters and surrogates escaped)."""
    if isinstance(value, Words):
        return str(value)
    if isinstance(value, Mapping):
        return "an object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def fail(source: str, path: PathParts, expected: str, found: object) -> ManifestError:
    """The one error of this module: file, path inside it, what was expected and what was found."""
    where = f"{source}: {dotted(path)}" if path else source
    return ManifestError(f"{where}: expected {expected}, found {shown(found)}.")


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def decode_json(data: bytes, source: str) -> Any:
    """A file's bytes as JSON (strict: no NaN or Infinity), or ManifestError saying where it breaks."""
    try:
        return json.loads(data.decode("utf-8"), parse_constant=_no_constants)
    except UnicodeDecodeError as exc:
        found = Words(f"the byte {data[exc.start : exc.start + 1]!r} at offset {exc.start}")
        raise fail(source, (), "UTF-8 text", found) from None
    except json.JSONDecodeError as exc:
        found = Words(f"{exc.msg} at line {exc.lineno} column {exc.colno}")
        raise fail(source, (), "JSON", found) from None
    except RecursionError:
        raise fail(
            source, (), f"lists and objects nested at most {MAX_DEPTH} deep", Words("deeper")
        ) from None
    except ValueError as exc:  # NaN/Infinity (parse_constant) or an integer of thousands of digits
        raise fail(source, (), "JSON numbers that fit 64 bits", Words(str(exc))) from None


def _walk(doc: Any, source: str) -> None:
    """Refuse what a schema cannot see: NaN/Infinity, huge integers, deep nesting, lone surrogates."""
    stack: list[tuple[Any, tuple[str | int, ...]]] = [(doc, ())]
    while stack:
        node, path = stack.pop()
        if len(path) > MAX_DEPTH:
            raise fail(source, path, f"lists and objects nested at most {MAX_DEPTH} deep", Words("deeper"))
        if isinstance(node, bool) or node is None:
            continue
        if isinstance(node, int) and not -INT64 - 1 <= node <= INT64:
            raise fail(source, path, "a whole number that fits 64 bits", node)
        if isinstance(node, float) and not math.isfinite(node):
            raise fail(source, path, "a finite number (JSON has no NaN or Infinity)", node)
        if isinstance(node, str):
            _check_text(node, source, path)
        elif isinstance(node, Mapping):
            for key in node:
                _check_text(str(key), source, (*path, str(key)))
            stack.extend(reversed([(value, (*path, str(key))) for key, value in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(value, (*path, i)) for i, value in enumerate(node)]))  # first on top


def _check_text(text: str, source: str, path: PathParts) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise fail(source, path, "text without lone surrogates (\\ud800-\\udfff)", text) from None


_KIND_WORDS = {
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "array": "a list",
    "object": "an object",
    "boolean": "true or false",
    "null": "null",
}


def _explain(error: ValidationError, source: str) -> ManifestError:
    path = list(error.absolute_path)
    schema: Mapping[str, Any] = error.schema if isinstance(error.schema, Mapping) else {}
    instance = error.instance
    rule: Any = error.validator_value
    if error.validator == "required" and isinstance(instance, Mapping):
        missing = next(k for k in rule if k not in instance)
        return fail(source, [*path, missing], "a value (the key is required)", Words("nothing"))
    if error.validator == "additionalProperties" and isinstance(instance, Mapping):
        known = sorted(schema.get("properties", {}))
        extra = sorted(k for k in instance if k not in known)[0]
        return fail(source, [*path, extra], "one of the keys " + ", ".join(known), Words("an unknown key"))
    if error.validator == "type":
        kinds = rule if isinstance(rule, list) else [rule]
        return fail(source, path, " or ".join(_KIND_WORDS[k] for k in kinds), instance)
    return fail(source, path, str(schema.get("expected", error.message)), instance)


def check_document(doc: Any, schema: Mapping[str, Any], source: str) -> None:
    """Raise ManifestError for the first problem in ``doc`` (the walk's first, then the schema's)."""
    _walk(doc, source)
    error = best_match(Draft202012Validator(schema).iter_errors(doc))
    if error is not None:
        raise _explain(error, source)


def first_duplicate(values: Iterable[tuple[PathParts, str]]) -> tuple[PathParts, str] | None:
    """The first ``(path, value)`` whose value came before."""
    seen: set[str] = set()
    for path, value in values:
        if value in seen:
            return path, value
        seen.add(value)
    return None


# -- the schema vocabulary ------------------------------------------------------------------------------


def record(required: Mapping[str, Any], optional: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """An object with exactly these keys (unknown keys are refused)."""
    return {
        "type": "object",
        "required": list(required),
        "properties": {**required, **(optional or {})},
        "additionalProperties": False,
    }


def list_of(item: Mapping[str, Any], min_items: int = 0, unique: bool = False) -> dict[str, Any]:
    """A list of ``item``; ``unique``: no entry twice."""
    expected = (
        "a list" + (f" of at least {min_items}" if min_items else "") + (", each once" if unique else "")
    )
    return {
        "type": "array",
        "items": item,
        "minItems": min_items,
        "uniqueItems": unique,
        "expected": expected,
    }


def one_of(names: Iterable[str]) -> dict[str, Any]:
    known = sorted(names)
    return {"enum": known, "expected": "one of " + ", ".join(known)}


def whole(low: int, high: int = INT64) -> dict[str, Any]:
    return {
        "type": "integer",
        "minimum": low,
        "maximum": high,
        "expected": f"a whole number from {low} to {high}",
    }


TEXT: dict[str, Any] = {"type": "string", "minLength": 1, "pattern": r"\S", "expected": "non-empty text"}
OPTIONAL_TEXT: dict[str, Any] = {"type": ["string", "null"]}
NAME_TEXT: dict[str, Any] = {"type": "string", "maxLength": 200, "expected": "text of at most 200 characters"}
GTIN_TEXT: dict[str, Any] = {
    "type": "string",
    "pattern": "^([0-9]{8}|[0-9]{12,14})$",
    "expected": "a GTIN of 8, 12, 13 or 14 digits",
}
AMOUNT: dict[str, Any] = {
    "type": ["number", "null"],
    "minimum": 0,
    "maximum": MAX_AMOUNT,
    "expected": f"an amount from 0 to {MAX_AMOUNT:,.0f}",
}
VERSION = whole(1)
QUANTITY = whole(1, 100_000)
