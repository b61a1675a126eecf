"""Scan classification: the text a scanner delivered -> a typed :class:`Scan`, or :class:`ScanRejected`.

Order: an AIM symbology identifier (``]C1``, ``]d2``, ``]Q3``, ``]E0``, ``]Q1``...) is split off the front,
then the hub's own codes are tried (:class:`CodePatterns`), then GS1 through ``biip``: a GS1 Digital Link
URI, a bare GTIN/UPC/EAN (8, 12, 13 or 14 digits) or SSCC (18 digits) with its check digit verified, and
GS1 element strings. Without a GS1 identifier (``]C1 ]e0 ]d2 ]Q3 ]J1``) element strings are accepted only
when they hold a (01) GTIN or an (00) SSCC, so that a random number is not taken for GS1 data. Element
strings that hold an (00) SSCC and no (01) GTIN are a pallet or parcel label: kind SSCC. The human-readable
form printed under a GS1 barcode, AIs in parentheses (``(01)09506000134352(17)261231(10)ABC``), is read as
the same element strings (a code keyed in from the label when the barcode will not scan).

Missing GS separator. When a keyboard-wedge scanner drops the GS (FNC1) key, a variable-length field such as
(10) lot runs on into the next element: ``01 09501101530003 10 ABC123 21 XYZ`` arrives as lot
``ABC12321XYZ``. The heuristic looks, in element strings that hold no GS at all, for the leftmost position
inside a variable-length field where the rest of the scan parses as complete, valid element strings that
start with an AI that commonly follows (:data:`FOLLOWER_AIS`) and repeat no AI already read. When the scan
parses as it is, that reading is kept (the swallowing field keeps its whole value); when it does not (the
field ran past the length its AI allows), the split reading is used. Either way the scan is flagged with
``warnings=("gs_missing",)`` and ``fields["gs_hint"]`` says what the field may hold. Limits:

- Genuine data can look the same: a lot ``L2112345`` reads as lot ``L`` plus (21) ``12345``. The flag is a
  warning for the flow to act on (e.g. ask for the serial), never a rejection.
- A scan with any GS in it is trusted: that scanner sends GS, so a field holding AI-like text is genuine.
- Only the leftmost suspect split is reported; a second dropped GS further on is not separated.
- Swallowed AIs outside :data:`FOLLOWER_AIS`, or a swallowed GTIN (01), are not detected; nor is a field
  that swallowed exactly up to its maximum length when the rest happens to parse.
- The search runs only on scans up to :data:`SEARCH_LIMIT` characters.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

import biip
from biip.checksums import gs1_standard_check_digit
from biip.gs1_element_strings import GS1ElementString
from biip.gs1_messages import GS1Message
from biip.symbology import GS1Symbology

from station.core.codes import DEFAULT_CODE_PATTERNS, CodePatterns
from station.core.errors import ScanRejected
from station.core.scans import Scan, ScanKind

GS = "\x1d"
#: Longest scan the station tries to read (GS1 DataMatrix holds about 3,100 characters).
MAX_LENGTH = 4096
#: Longest element strings the missing-GS search runs on.
SEARCH_LIMIT = 256
#: AIs that commonly follow a variable-length field; text inside a field that parses as these is suspect.
FOLLOWER_AIS = ("10", "11", "13", "15", "16", "17", "21", "22", "30", "37", "240", "241", "250", "251", "400")
GTIN_LENGTHS = frozenset({8, 12, 13, 14})
#: Without a GS1 symbology identifier, element strings must hold one of these keys: (00) SSCC, (01) GTIN.
_KEY_AIS = ("00", "01")

_CONFIG = biip.ParseConfig(separator_chars=(GS,))
_AIM = re.compile(r"\][A-Za-z][0-9A-Za-z]")
_HTTP = re.compile(r"https?://", re.IGNORECASE)
_HRI = re.compile(r"\(\d{2,4}\)")
_MESSAGE_SYMBOLOGIES = GS1Symbology.with_gs1_messages()
_GTIN_SYMBOLOGIES = GS1Symbology.with_gtin()


def classify(raw: str, patterns: CodePatterns = DEFAULT_CODE_PATTERNS, aim: str | None = None) -> Scan:
    """Classify one scan. ``aim`` is the symbology identifier when a reader already split it off.

    Raises :class:`ScanRejected` (and nothing else) when the scan is none of the codes the station reads.
    """
    text = raw.strip()
    if aim is None and (m := _AIM.match(text)):
        aim, text = m.group(), text[m.end() :]
    expected = _expected(patterns)
    if not text:
        raise _rejected(raw, "empty" if aim is None else f"empty after {aim}", expected)
    if len(text) > MAX_LENGTH:
        raise _rejected(raw, f"{_looks(text, aim)}, longer than any barcode the station reads", expected)
    hub = patterns.match(text)
    if hub is not None:
        kind, value, groups = hub
        return Scan(kind, raw, value, aim=aim, fields=groups, source=groups.get("source"))
    return _classify_gs1(raw, text, aim, expected)


def scan_as_dict(scan: Scan) -> dict[str, object]:
    """A JSON-ready dict of ``scan`` (for ``station scan-test --json``); unset values are left out."""
    full: dict[str, object] = {
        "kind": scan.kind.value,
        "value": scan.value,
        "raw": scan.raw,
        "aim": scan.aim,
        "gtin": scan.gtin,
        "serial": scan.serial,
        "lot": scan.lot,
        "expiry": scan.expiry,
        "fields": dict(scan.fields) or None,
        "warnings": list(scan.warnings) or None,
        "source": scan.source,
    }
    return {k: v for k, v in full.items() if v is not None}


def _rejected(raw: str, looked_like: str, expected: str) -> ScanRejected:
    """The rejection, with control characters in ``looked_like`` (biip quotes the scan) shown escaped."""
    shown = "".join(c if c.isprintable() else repr(c)[1:-1] for c in looked_like)
    return ScanRejected(raw, shown, expected)


def _expected(patterns: CodePatterns) -> str:
    return (
        "a product barcode (GTIN, UPC, EAN), an SSCC, GS1 element strings (GS1-128, GS1 DataMatrix, GS1 QR), "
        f"a GS1 Digital Link, or a hub code ({patterns.describe()})"
    )


def _classify_gs1(raw: str, text: str, aim: str | None, expected: str) -> Scan:
    symbology = _symbology(aim)
    if _HRI.match(text):
        return _human_readable(raw, text, aim, expected)
    url = _HTTP.match(text)
    if url:
        text = url.group().lower() + text[url.end() :]
    result = _parse(text) if text.isascii() and (url or text[0].isdigit()) else None
    if result is None:
        raise _rejected(raw, _looks(text, aim), expected)
    if url:
        return _digital_link(raw, text, aim, expected, result)
    digits = text.isdigit()
    if symbology in _GTIN_SYMBOLOGIES or (symbology is None and digits and len(text) in GTIN_LENGTHS):
        if result.gtin is None:
            raise _rejected(raw, _bad_number(text, aim, result.gtin_error), expected)
        gtin = result.gtin.as_gtin_14()
        if not gtin.strip("0"):
            raise _rejected(raw, f"{_looks(text, aim)} of only zeros, which is no product", expected)
        return Scan(ScanKind.GTIN, raw, gtin, aim=aim, gtin=gtin)
    if symbology is None and digits and len(text) == 18:
        if result.sscc is None or not text.strip("0"):
            why = result.sscc_error or "only zeros"
            raise _rejected(raw, _bad_number(text, aim, why), expected)
        return Scan(ScanKind.SSCC, raw, result.sscc.value, aim=aim)
    return _element_strings(raw, text, aim, expected, result, gs1_aim=symbology in _MESSAGE_SYMBOLOGIES)


def _human_readable(raw: str, text: str, aim: str | None, expected: str) -> Scan:
    """GS1 element strings written with their AIs in parentheses, as printed under the barcode."""
    try:
        message = GS1Message.parse_hri(text)
    except (biip.BiipException, ValueError) as exc:
        raise _rejected(raw, f"GS1 text in parentheses that does not parse ({exc})", expected) from None
    elements = list(message.element_strings)
    _check_keys(raw, elements, "GS1 text in parentheses", expected)
    ais = {e.ai.ai for e in elements}
    kind = ScanKind.SSCC if "00" in ais and "01" not in ais else ScanKind.GS1
    return _from_elements(raw, kind, message.as_hri(), aim, elements)


def _digital_link(raw: str, text: str, aim: str | None, expected: str, result: biip.ParseResult) -> Scan:
    link = result.gs1_digital_link_uri
    if link is None:
        why = result.gs1_digital_link_uri_error or "no GS1 primary key in the path"
        raise _rejected(raw, f"a URL that is not a GS1 Digital Link ({why})", expected)
    elements = list(link.element_strings)
    _check_keys(raw, elements, "a GS1 Digital Link", expected)
    return _from_elements(raw, ScanKind.DIGITAL_LINK, text, aim, elements)


def _element_strings(
    raw: str, text: str, aim: str | None, expected: str, result: biip.ParseResult, *, gs1_aim: bool
) -> Scan:
    message = result.gs1_message
    split = _find_swallowed(text)
    if message is not None:
        elements = list(message.element_strings)
        whole = message.as_hri()
    elif split is not None:
        elements = list(split[0].element_strings) + list(split[1].element_strings)
        whole = split[0].as_hri() + split[1].as_hri()
    elif gs1_aim or text.startswith(_KEY_AIS):
        why = result.gs1_message_error
        raise _rejected(raw, f"GS1 element strings that do not parse ({why})", expected)
    else:
        raise _rejected(raw, _looks(text, aim), expected)
    ais = {e.ai.ai for e in elements}
    if not gs1_aim and not ais.intersection(_KEY_AIS):
        raise _rejected(raw, _looks(text, aim), expected)
    _check_keys(raw, elements, "GS1 element strings", expected)
    kind = ScanKind.SSCC if "00" in ais and "01" not in ais else ScanKind.GS1
    if split is None:
        return _from_elements(raw, kind, whole, aim, elements)
    return _from_elements(raw, kind, whole, aim, elements, hint=_hint(elements, *split))


def _from_elements(
    raw: str,
    kind: ScanKind,
    whole: str,
    aim: str | None,
    elements: Sequence[GS1ElementString],
    hint: str | None = None,
) -> Scan:
    by_ai = {e.ai.ai: e for e in elements}
    fields = {ai: e.value for ai, e in by_ai.items()}
    gtin = fields.get("01")
    value = fields["00"] if kind is ScanKind.SSCC else gtin or whole
    expiry_date = by_ai["17"].date if "17" in by_ai else None
    if hint is not None:
        fields["gs_hint"] = hint
    return Scan(
        kind,
        raw,
        value,
        aim=aim,
        gtin=gtin,
        serial=fields.get("21"),
        lot=fields.get("10"),
        expiry=expiry_date.isoformat() if expiry_date else None,
        fields=fields,
        warnings=("gs_missing",) if hint else (),
    )


def _check_keys(raw: str, elements: Sequence[GS1ElementString], what: str, expected: str) -> None:
    """Reject a GTIN or SSCC inside GS1 data that is empty, all zeros, or whose check digit is wrong."""
    for element in elements:
        if element.ai.ai in ("00", "01") and not element.value.strip("0"):
            raise _rejected(raw, f"{what} whose ({element.ai.ai}) is empty or all zeros", expected)
        error = element.gtin_error or element.sscc_error
        if element.ai.ai in ("00", "01") and error:
            problem = _check_digit_problem(element.value) or error
            raise _rejected(
                raw, f"{what} whose ({element.ai.ai}) has a wrong check digit ({problem})", expected
            )


def _find_swallowed(text: str) -> tuple[GS1Message, GS1Message] | None:
    """The leftmost split of ``text`` where a variable-length field may hold further element strings."""
    if GS in text or len(text) > SEARCH_LIMIT:
        return None
    for pos in range(3, len(text) - 2):
        if not text.startswith(FOLLOWER_AIS, pos):
            continue
        head = _message(text[:pos])
        if head is None or not head.element_strings[-1].ai.separator_required:
            continue
        tail = _message(text[pos:])
        if tail is None or tail.element_strings[0].ai.ai not in FOLLOWER_AIS:
            continue
        head_ais = {e.ai.ai for e in head.element_strings}
        if not head_ais & {e.ai.ai for e in tail.element_strings}:
            return head, tail
    return None


def _hint(elements: Sequence[GS1ElementString], head: GS1Message, tail: GS1Message) -> str:
    """A readable note of what a variable-length field may have swallowed."""
    field = head.element_strings[-1]
    read = next((e.value for e in elements if e.ai.ai == field.ai.ai), "")
    swallowed = read if len(read) > len(field.value) else field.value + tail.value
    held = ", ".join(f"({e.ai.ai}) '{e.value}'" for e in tail.element_strings)
    return f"({field.ai.ai}) '{swallowed}' may hold {held}"


def _parse(text: str) -> biip.ParseResult | None:
    try:
        return biip.parse(text, config=_CONFIG)
    except (
        biip.BiipException,
        ValueError,
    ):  # biip raises on some malformed URLs (urlsplit), despite its docs
        return None


def _message(text: str) -> GS1Message | None:
    try:
        message = GS1Message.parse(text, config=_CONFIG)
    except (biip.BiipException, ValueError):
        return None
    if not message.element_strings or any(e.gtin_error or e.sscc_error for e in message.element_strings):
        return None
    return message


def _symbology(aim: str | None) -> GS1Symbology | None:
    try:
        return GS1Symbology(aim[1:]) if aim else None
    except ValueError:
        return None


def _check_digit_problem(number: str) -> str | None:
    """``"check digit is 4, expected 3"`` when the last digit of ``number`` is not its GS1 check digit."""
    if len(number) < 2 or not (number.isascii() and number.isdigit()):
        return None
    want = gs1_standard_check_digit(number[:-1])
    return None if int(number[-1]) == want else f"check digit is {number[-1]}, expected {want}"


def _bad_number(text: str, aim: str | None, error: str | None) -> str:
    problem = _check_digit_problem(text)
    if problem is not None:
        return f"{_looks(text, aim)} with a wrong check digit ({problem})"
    return f"{_looks(text, aim)} that is no GTIN or SSCC ({error})"


def _looks(text: str, aim: str | None) -> str:
    """A few words on what ``text`` looks like."""
    if text.isascii() and text.isdigit():
        article = "an" if len(text) in (8, 11, 18) or str(len(text)).startswith("8") else "a"
        looks = f"{article} {len(text)}-digit number"
    elif _HTTP.match(text) or "://" in text:
        looks = "a URL that is not a GS1 Digital Link"
    else:
        looks = f"text of {len(text)} character{'s' if len(text) != 1 else ''}"
    if any(unicodedata.category(c) == "Cc" for c in text):
        looks += " with control characters"
    return looks if aim is None else f"{looks} after {aim}"
