"""GS1 element strings as labels carry them: ``(01)09506000134352(21)ABC123``.

Only the application identifiers the hub prints are accepted, each with its length and character set
checked, so that no value can carry a parenthesis or a Code 128 invocation character into the symbol.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from station.labels.layout import LabelDataError

# GS1 character set 82 less the characters that would change the meaning of a ZPL GS1 field: ( ) > and space.
_CSET82 = r"""[!"%&'*+,\-./0-9:;<=?A-Z_a-z]"""


@dataclass(frozen=True)
class _AI:
    pattern: re.Pattern[str]
    fixed: bool
    check_digit: bool
    what: str


_AIS = {
    "00": _AI(re.compile(r"\d{18}"), True, True, "an SSCC of 18 digits"),
    "01": _AI(re.compile(r"\d{14}"), True, True, "a GTIN of 14 digits"),
    "10": _AI(re.compile(_CSET82 + r"{1,20}"), False, False, "a lot of 1 to 20 GS1 characters"),
    "17": _AI(re.compile(r"\d{6}"), True, False, "an expiry date YYMMDD"),
    "21": _AI(re.compile(_CSET82 + r"{1,20}"), False, False, "a serial of 1 to 20 GS1 characters"),
}

_ELEMENT = re.compile(r"\((\d{2})\)([^()]*)")


def check_digit_ok(digits: str) -> bool:
    """The GS1 mod-10 check digit (last digit) of a GTIN or SSCC is right."""
    body, check = digits[:-1], int(digits[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10 == check


def parse(text: str) -> list[tuple[str, str]]:
    """Split and check ``(AI)value...``; raises :class:`LabelDataError` saying what is wrong."""
    elements: list[tuple[str, str]] = []
    pos = 0
    for m in _ELEMENT.finditer(text):
        if m.start() != pos:
            break
        elements.append((m.group(1), m.group(2)))
        pos = m.end()
    if not elements or pos != len(text):
        raise LabelDataError(
            f"GS1 data {text!r} is not a list of (AI)value elements; expected e.g. (01)09506000134352(21)A1."
        )
    if len({ai for ai, _ in elements}) != len(elements):
        raise LabelDataError(f"GS1 data {text!r} repeats an AI; each AI may appear once.")
    for ai, value in elements:
        element(ai, value)
    return elements


def element(ai: str, value: str) -> str:
    """``(ai)value`` once ``value`` is checked against the AI (raises :class:`LabelDataError`)."""
    spec = _AIS.get(ai)
    if spec is None:
        raise LabelDataError(f"GS1 AI ({ai}) is not printed here; expected one of {sorted(_AIS)}.")
    if not spec.pattern.fullmatch(value):
        raise LabelDataError(f"GS1 ({ai}) value {value!r} is not {spec.what}.")
    if spec.check_digit and not check_digit_ok(value):
        raise LabelDataError(f"GS1 ({ai}) value {value!r} has a wrong check digit; scan or type it again.")
    return f"({ai}){value}"


def is_fixed_length(ai: str) -> bool:
    """Whether the AI's value has a predefined length (no FNC1 separator needed after it)."""
    return _AIS[ai].fixed
