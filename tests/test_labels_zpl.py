"""ZPL that no field can hijack: ^CI28, ^FH before every ^FD, hex escapes, symbology layers, size limits."""

from __future__ import annotations

import re

import pytest

from station.labels import LabelDataError, render_label
from station.labels.layout import Barcode, LabelSize, Layout, Symbology, Text
from station.labels.zpl import FD_MAX_BYTES, check_passthrough, escape, render_zpl
from tests.fixtures_printers import SAMPLES

_FIELD = re.compile(rb"\^FD(.*?)\^FS", re.S)
_HEX = re.compile(rb"_([0-9A-F]{2})")


def fields(zpl: bytes) -> list[bytes]:
    """The raw field data of each ^FD..^FS."""
    return _FIELD.findall(zpl)


def unescape(data: bytes) -> bytes:
    """What the printer makes of ^FH data."""
    return _HEX.sub(lambda m: bytes([int(m.group(1), 16)]), data)


def assert_safe_zpl(zpl: bytes) -> None:
    """One format, UTF-8, every field hex-escaped with nothing a printer would read as a command."""
    assert zpl.count(b"^XA") == 1 and zpl.count(b"^XZ") == 1
    assert zpl.startswith(b"^XA^CI28") and zpl.rstrip().endswith(b"^XZ")
    assert b"~" not in zpl
    assert zpl.count(b"^FD") == zpl.count(b"^FH^FD") == len(fields(zpl))
    for data in fields(zpl):
        assert all(0x20 <= b <= 0x7E for b in data) and b"^" not in data
        assert re.fullmatch(rb"(?:[^_]|_[0-9A-F]{2})*", data), data  # every _ starts a hex escape
        assert len(data) <= FD_MAX_BYTES


def test_escape_keeps_only_printable_ascii_and_escapes_the_prefixes() -> None:
    assert escape(b"A^B~C_D\x10\x1e\x03\xc3\xa9 ") == b"A_5EB_7EC_5FD_10_1E_03_C3_A9 "
    assert unescape(escape(bytes(range(256)))) == bytes(range(256))


def test_hostile_text_prints_literally() -> None:
    hostile = "^XZ~JR\x10\x1e\x03>^FS"
    data = SAMPLES["return_lpn"] | {"note": hostile[:30], "lpn": "LPN>^~_X"}
    zpl = render_label("return_lpn", data).zpl
    assert_safe_zpl(zpl)
    decoded = [unescape(f) for f in fields(zpl)]
    assert b"^XZ~JR???>^FS" in decoded  # controls the font lacks show as '?', the rest as themselves
    assert b">:LPN>0><>=_X" in decoded  # Code 128 layer: > is >0, ^ is ><, ~ is >=, >: starts subset B


def test_gs1_symbols_carry_fnc1_through_each_layer() -> None:
    zpl = render_label("item_relabel", SAMPLES["item_relabel"]).zpl
    assert b"^BCN,96,N,N,N,D" in zpl  # GS1-128: UCC/EAN mode D
    assert b"^BXN,4,200,,,,_" in zpl  # Data Matrix ECC 200, escape character set explicitly
    decoded = [unescape(f) for f in fields(zpl)]
    assert b"(01)09506000134352(21)SN-123/A" in decoded
    assert b"_10109506000134352" + b"21SN-123/A" in decoded  # _1 = FNC1 after ^FH is undone


def test_gs1_datamatrix_separates_variable_fields_and_doubles_the_escape_character() -> None:
    layout = Layout(LabelSize.L4X2, (Barcode(1, 1, Symbology.GS1_DATAMATRIX, "(21)A_B(10)L1(17)250101"),))
    assert unescape(fields(render_zpl(layout, 203))[0]) == b"_121A__B_110L1_117250101"


def test_a_programming_code_starts_with_fnc3_and_only_code_128_takes_it() -> None:
    decoded = [unescape(f) for f in fields(render_label("scanner_config", SAMPLES["scanner_config"]).zpl)]
    assert b">:PAPAIM1" in decoded  # fnc3 not asked for
    assert b">:>2PSUFX0D" in decoded  # >2 is code value 96: FNC3 in subset B
    cr_code = {"caption": "x", "data": "$AE", "fnc3": True, "cr": True}
    zpl = render_label("scanner_config", {"title": "t", "codes": [cr_code]}).zpl
    assert b">:>2$AE>777" in [unescape(f) for f in fields(zpl)]  # >7 to subset A, 77 is CR there
    mixed = Layout(LabelSize.L4X2, (Barcode(1, 1, Symbology.CODE128, "A\r\x1dB>"),))
    assert unescape(fields(render_zpl(mixed, 203))[0]) == b">:A>77793>6B>0"  # GS is 93 in subset A
    with pytest.raises(LabelDataError, match="Code 128 only"):
        Barcode(1, 1, Symbology.QR, "X", reader_init=True)


def test_qr_data_gets_its_mode_prefix() -> None:
    zpl = render_label("work_order", SAMPLES["work_order"]).zpl
    assert b"^BQN,2,4" in zpl
    assert b"QA,https://repair.example/wo/12345" in [unescape(f) for f in fields(zpl)]


@pytest.mark.parametrize(("dpi", "pw", "ll"), [(203, 812, 1218), (300, 1200, 1800)])
def test_label_size_in_dots(dpi: int, pw: int, ll: int) -> None:
    zpl = render_label("return_lpn", SAMPLES["return_lpn"], dpi=dpi, copies=3).zpl
    assert f"^PW{pw}^LL{ll}".encode() in zpl and b"^PQ3," in zpl


def test_a_field_longer_than_the_printer_holds_is_refused() -> None:
    layout = Layout(LabelSize.L4X6, (Text(1, 1, 3, "\U0001f642" * 300),))
    render_zpl(layout, 203)  # 300 emoji become 300 '?': fine
    big = Layout(LabelSize.L4X6, (Barcode(1, 1, Symbology.QR, "\u00e9" * 600),))
    with pytest.raises(LabelDataError, match="at most 3072"):
        render_zpl(big, 203)


def test_unsupported_resolution_is_refused() -> None:
    with pytest.raises(LabelDataError, match="600 dpi"):
        render_label("restock_bin", SAMPLES["restock_bin"], dpi=600)


SHIP = SAMPLES["shipping"]["zpl"].encode()


def test_shipping_label_passes_through_unchanged() -> None:
    assert render_label("shipping", SAMPLES["shipping"]).zpl == SHIP
    assert check_passthrough(b"\r\n" + SHIP + b"\r\n", LabelSize.L4X6, 203) == b"\r\n" + SHIP + b"\r\n"


@pytest.mark.parametrize(
    ("zpl", "message"),
    [
        (SHIP + SHIP, "exactly one"),
        (b"~JR" + SHIP, "exactly one"),
        (SHIP.replace(b"^FS", b"~JR^FS"), "control command"),
        (SHIP.replace(b"SHIP", b"\x10SHIP"), "control byte"),
        (b"^XA^FDa^FS^XZ^FDb^FS^XZ", "more than one"),
        (SHIP.replace(b"^PW812", b"^PW1200"), "width"),
        (SHIP.replace(b"^LL1218", b"^LL2436"), "length"),
        (b"^XA^FDno end", "exactly one"),
    ],
)
def test_shipping_label_that_is_not_one_fitting_format_is_refused(zpl: bytes, message: str) -> None:
    with pytest.raises(LabelDataError, match=message):
        check_passthrough(zpl, LabelSize.L4X6, 203)
