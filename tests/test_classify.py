"""Scan classification: what the station makes of each scan an operator can produce."""

from __future__ import annotations

import json
import subprocess
import sys
from urllib.parse import quote

import pytest
from biip.checksums import gs1_standard_check_digit
from hypothesis import given, settings
from hypothesis import strategies as st

from station.core.classify import classify, scan_as_dict
from station.core.codes import CodePatterns
from station.core.errors import ScanRejected
from station.core.scans import ScanKind

GS = "\x1d"
GTIN = "09501101530003"  # GS1's example GTIN-13 9501101530003, as GTIN-14

Case = tuple[str, ScanKind, str, dict[str, object]]

ITEMS: list[Case] = [
    # raw, kind, value, other attributes a user would check
    ("5012345678900", ScanKind.GTIN, "05012345678900", {"gtin": "05012345678900"}),  # EAN-13
    ("]E05012345678900", ScanKind.GTIN, "05012345678900", {"aim": "]E0"}),  # EAN-13 with AIM
    ("036000291452", ScanKind.GTIN, "00036000291452", {"gtin": "00036000291452"}),  # UPC-A
    ("96385074", ScanKind.GTIN, "00000096385074", {}),  # EAN-8
    ("12345678901231", ScanKind.GTIN, "12345678901231", {}),  # GTIN-14 (ITF-14)
    ("106141411234567897", ScanKind.SSCC, "106141411234567897", {}),  # bare SSCC
    ("]C100106141411234567897", ScanKind.SSCC, "106141411234567897", {"aim": "]C1"}),  # GS1-128 SSCC
    (
        f"]C101{GTIN}10ABC123{GS}21XYZ",  # GS1-128 with GS
        ScanKind.GS1,
        GTIN,
        {"gtin": GTIN, "lot": "ABC123", "serial": "XYZ", "aim": "]C1", "warnings": ()},
    ),
    (
        f"]d201{GTIN}17250131{GS}10L0T-7{GS}21S/N1",  # GS1 DataMatrix
        ScanKind.GS1,
        GTIN,
        {"expiry": "2025-01-31", "lot": "L0T-7", "serial": "S/N1"},
    ),
    (f"]Q301{GTIN}1728020010B7", ScanKind.GS1, GTIN, {"expiry": "2028-02-29", "lot": "B7"}),  # GS1 QR, day 00
    (f"01{GTIN}", ScanKind.GS1, GTIN, {"aim": None}),  # element string with no AIM
    ("]C110ABC", ScanKind.GS1, "(10)ABC", {"lot": "ABC", "gtin": None}),  # no (01): the whole message
    (  # the human-readable text under a GS1 barcode, keyed in by hand
        "(01)09506000134352(17)261231(10)ABC",
        ScanKind.GS1,
        "09506000134352",
        {"lot": "ABC", "expiry": "2026-12-31"},
    ),
    ("(00)106141412345678908", ScanKind.SSCC, "106141412345678908", {}),
    (
        f"https://id.gs1.org/01/{GTIN}/10/ABC/21/XYZ?17=250101",
        ScanKind.DIGITAL_LINK,
        GTIN,
        {"lot": "ABC", "serial": "XYZ", "expiry": "2025-01-01"},
    ),
    (f"]Q1https://example.com/shop/01/{GTIN}/21/4711", ScanKind.DIGITAL_LINK, GTIN, {"serial": "4711"}),
    (f"HTTPS://ID.GS1.ORG/01/{GTIN}", ScanKind.DIGITAL_LINK, GTIN, {}),  # QR alphanumeric mode
    (f"]Q3https://id.gs1.org/01/{GTIN}", ScanKind.DIGITAL_LINK, GTIN, {"aim": "]Q3"}),
]

HUB_CODES: list[Case] = [
    ("RMA-1234567", ScanKind.RMA, "1234567", {}),
    ("RMA99887766\r\n", ScanKind.RMA, "99887766", {}),  # the scanner's CR LF suffix
    ("LOOP:AB12CD34", ScanKind.RETURN_QR, "AB12CD34", {"source": "loop"}),
    ("https://returns.example/HR-XY987654", ScanKind.RETURN_QR, "XY987654", {"source": "happy_returns"}),
    ("LPN00AB1234", ScanKind.LPN, "LPN00AB1234", {}),
    ("BIN-A1-03", ScanKind.BIN, "BIN-A1-03", {}),
    ("SO-123456", ScanKind.ORDER, "123456", {}),
    ("BADGE-JD42", ScanKind.BADGE, "JD42", {}),
    ("WO-55555", ScanKind.WORK_ORDER, "55555", {}),
    ("PART-FAN-92MM", ScanKind.PART, "FAN-92MM", {}),
    ("CMD:GRADE:B:scratched", ScanKind.COMMAND, "GRADE:B:scratched", {}),
    ("]Q1RMA-1234567", ScanKind.RMA, "1234567", {"aim": "]Q1"}),  # AIM prefix split off hub codes too
]


@pytest.mark.parametrize(("raw", "kind", "value", "attrs"), ITEMS + HUB_CODES)
def test_every_kind_is_classified(raw: str, kind: ScanKind, value: str, attrs: dict[str, object]) -> None:
    scan = classify(raw)
    assert (scan.kind, scan.value, scan.raw) == (kind, value, raw)
    for name, want in attrs.items():
        assert getattr(scan, name) == want, name


def test_gs1_fields_hold_every_ai() -> None:
    scan = classify(f"]d201{GTIN}17250131{GS}10L0T-7{GS}21S/N1")
    assert dict(scan.fields) == {"01": GTIN, "17": "250131", "10": "L0T-7", "21": "S/N1"}


def test_aim_given_by_the_reader() -> None:
    scan = classify(f"01{GTIN}10ABC", aim="]d2")
    assert (scan.kind, scan.aim, scan.lot) == (ScanKind.GS1, "]d2", "ABC")


@pytest.mark.parametrize(
    ("raw", "looked_like"),
    [
        ("5012345678901", "a 13-digit number with a wrong check digit (check digit is 1, expected 0)"),
        ("036000291453", "a 12-digit number with a wrong check digit (check digit is 3, expected 2)"),
        ("96385075", "an 8-digit number with a wrong check digit (check digit is 5, expected 4)"),
        ("12345678901232", "a 14-digit number with a wrong check digit (check digit is 2, expected 1)"),
        ("106141411234567890", "an 18-digit number with a wrong check digit (check digit is 0, expected 7)"),
        ("]E05012345678901", "with a wrong check digit (check digit is 1, expected 0)"),
        ("]C10109501101530004", "(01) has a wrong check digit (check digit is 4, expected 3)"),
        ("00106141411234567890", "(00) has a wrong check digit (check digit is 0, expected 7)"),
        ("https://id.gs1.org/01/09501101530004", "GS1 Digital Link whose (01) has a wrong check digit"),
        ("(01)09501101530004(10)A", "GS1 text in parentheses whose (01) has a wrong check digit"),
    ],
)
def test_wrong_check_digit_is_rejected_and_says_so(raw: str, looked_like: str) -> None:
    with pytest.raises(ScanRejected) as caught:
        classify(raw)
    assert looked_like in caught.value.looked_like
    assert looked_like in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "looked_like"),
    [
        ("", "empty"),
        ("  \r\n", "empty"),
        ("]C1", "empty after ]C1"),
        ("hello", "text of 5 characters"),
        ("x", "text of 1 character"),
        ("12345", "a 5-digit number"),
        ("https://example.com/foo", "a URL that is not a GS1 Digital Link"),
        ("http://[broken/01/1", "a URL that is not a GS1 Digital Link"),
        ("ftp://example.com/01/09501101530003", "a URL that is not a GS1 Digital Link"),
        ("10ABC", "text of 5 characters"),  # element strings with no GTIN/SSCC and no GS1 AIM
        ("]C10109501101530003XX", "GS1 element strings that do not parse"),
        ("]E0abc", "text of 3 characters after ]E0"),
        ("a\x00b", "text of 3 characters with control characters"),
        ("9" * 5000, "a 5000-digit number, longer than any barcode the station reads"),
        # an empty or zero GTIN is no product, from a Digital Link or any other form
        ("https://id.gs1.org/01/", "a GS1 Digital Link whose (01) is empty or all zeros"),
        ("https://id.gs1.org/01//21/SN1", "a GS1 Digital Link whose (01) is empty or all zeros"),
        (
            "]Q1https://id.gs1.org/01/00000000000000/21/SN1",
            "a GS1 Digital Link whose (01) is empty or all zeros",
        ),
        ("https://example.com/01/0/21/X", "a GS1 Digital Link whose (01) is empty or all zeros"),
        ("00000000000000", "a 14-digit number of only zeros, which is no product"),
        ("00000000", "an 8-digit number of only zeros, which is no product"),
        ("]C10100000000000000", "GS1 element strings whose (01) is empty or all zeros"),
        ("000000000000000000", "an 18-digit number that is no GTIN or SSCC (only zeros)"),
    ],
)
def test_rejections_say_what_the_scan_looked_like(raw: str, looked_like: str) -> None:
    with pytest.raises(ScanRejected) as caught:
        classify(raw)
    assert caught.value.looked_like == looked_like or caught.value.looked_like.startswith(looked_like)
    assert "GTIN" in caught.value.expected and "rma" in caught.value.expected


def test_control_characters_are_shown_escaped() -> None:
    with pytest.raises(ScanRejected) as caught:
        classify("ab\x00\x1b[2J\x07")
    message = str(caught.value)
    assert "\\x00" in message and "\\x1b" in message and "\x00" not in message and "\x1b" not in message


def test_custom_patterns() -> None:
    patterns = CodePatterns.from_mapping({"lpn": r"TOTE\d{4}", "rma": [r"R(?P<code>\d{5})", r"RMA\d{6}"]})
    assert classify("TOTE1234", patterns).kind is ScanKind.LPN
    assert classify("R12345", patterns).value == "12345"
    assert classify("RMA123456", patterns).value == "RMA123456"  # no `code` group: the whole scan
    assert classify("BIN-A1-03", patterns).kind is ScanKind.BIN  # kinds not configured keep their defaults
    with pytest.raises(ScanRejected):
        classify("LPN00AB1234", patterns)  # the default LPN pattern was replaced


def test_hub_codes_come_before_gs1() -> None:
    patterns = CodePatterns.from_mapping({"part": r"(?P<code>\d{13})"})
    assert classify("5012345678900", patterns).kind is ScanKind.PART


# Missing GS separator ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "lot", "hint"),
    [
        (f"01{GTIN}10ABC12321XYZ", "ABC12321XYZ", "(10) 'ABC12321XYZ' may hold (21) 'XYZ'"),
        (f"]C101{GTIN}10ABC12321XYZ", "ABC12321XYZ", "(10) 'ABC12321XYZ' may hold (21) 'XYZ'"),
        (f"]d201{GTIN}10ABC12317250101", "ABC12317250101", "(10) 'ABC12317250101' may hold (17) '250101'"),
        (f"01{GTIN}10B7213012345", "B7213012345", "(10) 'B7213012345' may hold (21) '3012345'"),
    ],
)
def test_swallowed_ai_is_flagged_and_the_literal_reading_kept(raw: str, lot: str, hint: str) -> None:
    scan = classify(raw)
    assert scan.gs_missing and scan.warnings == ("gs_missing",)
    assert scan.lot == lot and scan.gtin == GTIN
    assert scan.fields["gs_hint"] == hint


def test_field_longer_than_its_ai_allows_is_split_and_flagged() -> None:
    scan = classify(f"01{GTIN}10ABCDEFGHIJKLMNOPQR21SERIAL123")  # lot + serial: 29 characters, (10) allows 20
    assert (scan.gtin, scan.lot, scan.serial) == (GTIN, "ABCDEFGHIJKLMNOPQR", "SERIAL123")
    assert scan.gs_missing
    assert scan.fields["gs_hint"] == "(10) 'ABCDEFGHIJKLMNOPQR21SERIAL123' may hold (21) 'SERIAL123'"


@pytest.mark.parametrize(
    "raw",
    [
        f"01{GTIN}10LOT4711",  # nothing AI-like in the lot
        f"01{GTIN}1725013110ABC123",  # fixed-length (17) before the lot needs no GS
        f"]C101{GTIN}21SER{GS}10ABC12321XYZ",  # this scanner sends GS: the lot is what it says
        f"01{GTIN}10B1017X",  # "10" again would repeat the lot's own AI; "17X" is no date
        f"01{GTIN}10A21",  # "21" with nothing after it
        f"01{GTIN}10L1799999",  # "17" followed by no valid date
        f"01{GTIN}21SN0001",  # no follower AI inside the serial
    ],
)
def test_no_false_gs_missing(raw: str) -> None:
    scan = classify(raw)
    assert not scan.gs_missing and "gs_hint" not in scan.fields


def test_gs_missing_limit_documented() -> None:
    """A genuine lot that reads as lot + (21) serial is flagged: the heuristic cannot tell them apart."""
    assert classify(f"01{GTIN}10L2112345").gs_missing


# JSON ----------------------------------------------------------------------------------------------------


def test_scan_as_dict_is_json_ready_and_drops_none() -> None:
    scan = classify(f"01{GTIN}10ABC12321XYZ")
    data = json.loads(json.dumps(scan_as_dict(scan)))
    assert data == {
        "kind": "gs1",
        "value": GTIN,
        "raw": f"01{GTIN}10ABC12321XYZ",
        "gtin": GTIN,
        "lot": "ABC12321XYZ",
        "fields": {"01": GTIN, "10": "ABC12321XYZ", "gs_hint": "(10) 'ABC12321XYZ' may hold (21) 'XYZ'"},
        "warnings": ["gs_missing"],
    }
    assert scan_as_dict(classify("LOOP:AB12CD34"))["source"] == "loop"
    assert set(scan_as_dict(classify("5012345678900"))) == {"kind", "value", "raw", "gtin"}


# Fuzzing -------------------------------------------------------------------------------------------------

AIMS = st.sampled_from(["", "]C1", "]d2", "]Q3", "]E0", "]Q1", "]E4", "]I1", "]e0", "]X9", "]"])
GS1ISH = st.text(alphabet="0123456789ABCxyz-/\x1d\x00 \r\n]()", max_size=60)
ANY_TEXT = st.one_of(
    st.text(),
    st.builds(lambda a, t: a + t, AIMS, GS1ISH),
    st.builds(lambda a, t: a + "https://id.gs1.org/" + t, AIMS, GS1ISH),
    st.binary(max_size=80).map(lambda b: b.decode("latin-1")),
)


@settings(max_examples=400, deadline=None)
@given(ANY_TEXT, st.one_of(st.none(), AIMS))
def test_any_text_is_a_scan_or_a_rejection(raw: str, aim: str | None) -> None:
    try:
        scan = classify(raw, aim=aim)
    except ScanRejected as rejected:
        assert rejected.looked_like and rejected.expected
        assert all(c.isprintable() for c in str(rejected)), "control characters must be escaped"
    else:
        assert isinstance(scan.kind, ScanKind) and scan.value
        json.dumps(scan_as_dict(scan))


CSET82 = "!\"%&'()*+,-./0123456789:;<=>?ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz"
GTINS = (
    st.text(alphabet="0123456789", min_size=13, max_size=13)
    .map(lambda p: p + str(gs1_standard_check_digit(p)))
    .filter(lambda gtin: gtin.strip("0"))
)  # all zeros is no product: refused
VALUES = st.text(alphabet=CSET82, min_size=1, max_size=20)


@settings(max_examples=150, deadline=None)
@given(GTINS, VALUES, VALUES, st.sampled_from(["]C1", "]d2", "]Q3", ""]), st.booleans())
def test_gs1_element_strings_round_trip(
    gtin: str, lot: str, serial: str, aim: str, serial_first: bool
) -> None:
    parts = [f"10{lot}", f"21{serial}"]
    if serial_first:
        parts.reverse()
    scan = classify(f"{aim}01{gtin}{GS.join(parts)}")
    assert (scan.kind, scan.gtin, scan.lot, scan.serial) == (ScanKind.GS1, gtin, lot, serial)
    assert not scan.gs_missing  # the GS is there


@settings(max_examples=100, deadline=None)
@given(GTINS, VALUES, VALUES, st.sampled_from(["]Q1", "]Q3", ""]))
def test_digital_link_round_trip(gtin: str, lot: str, serial: str, aim: str) -> None:
    scan = classify(f"{aim}https://id.gs1.org/01/{gtin}/10/{quote(lot, safe='')}/21/{quote(serial, safe='')}")
    assert (scan.kind, scan.gtin, scan.lot, scan.serial) == (ScanKind.DIGITAL_LINK, gtin, lot, serial)


@settings(max_examples=100, deadline=None)
@given(GTINS, st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ-/", min_size=1, max_size=20))
def test_lot_without_digits_is_never_flagged(gtin: str, lot: str) -> None:
    scan = classify(f"01{gtin}10{lot}")
    assert scan.lot == lot and not scan.gs_missing


@settings(max_examples=100, deadline=None)
@given(GTINS, VALUES, st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=10))
def test_dropped_gs_before_a_letter_serial_is_always_flagged(gtin: str, lot: str, serial: str) -> None:
    scan = classify(f"01{gtin}10{lot}21{serial}")  # the GS between lot and serial was dropped
    assert scan.gs_missing and scan.gtin == gtin
    assert "(10) '" in scan.fields["gs_hint"] and "may hold" in scan.fields["gs_hint"]


def test_scan_test_reads_gs1_text_in_parentheses() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "station.cli", "scan-test", "--json", "(01)09506000134352(17)261231(10)ABC"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"STATION_CONFIG": "", "PATH": "/usr/bin:/bin"},
    )
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    read = (row["kind"], row["gtin"], row["lot"], row["expiry"])
    assert read == ("gs1", "09506000134352", "ABC", "2026-12-31")


@given(st.text(alphabet="()0123456789ABC", max_size=60))
def test_any_text_in_parentheses_is_read_or_refused_with_a_reason(text: str) -> None:
    try:
        scan = classify(text)
    except ScanRejected as exc:
        assert exc.expected
    else:
        assert scan.kind in (ScanKind.GTIN, ScanKind.GS1, ScanKind.SSCC)
