"""The Code 128 symbol sequence of a plain (non-GS1) Code 128 barcode, written here, and its bars.

Both renderers draw the same symbols: the ZPL (:mod:`station.labels.zpl`) spells them with ``^BC``
invocation characters, the PNG (:mod:`station.labels.png`) draws their bars. zxing-cpp's writer can only put
FNC3 first (``reader_init``); Honeywell's programming codes carry it last, so the sequence is built here.
Printable ASCII is written in code set B, a control character (a CR ending a Datalogic code) in code set A
(ISO/IEC 15417; ZPL II Programming Guide, ``^BC``).
"""

from __future__ import annotations

from station.labels.layout import LabelDataError

FNC3 = 96
CODE_B = 100  # in code set A: switch to B
CODE_A = 101  # in code set B: switch to A
START_B = 104
STOP = 106

#: Bar and space widths (in modules) of each symbol value 0..106 (ISO/IEC 15417, table 1).
_PATTERNS = (
    "212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 122132 "
    "122231 113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 321221 312212 "
    "322112 322211 212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 231113 231311 "
    "112133 112331 132131 113123 113321 133121 313121 211331 231131 213113 213311 213131 311123 311321 "
    "331121 312113 312311 332111 314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 "
    "112412 122114 122411 142112 142211 241211 221114 413111 241112 134111 111242 121142 121241 114212 "
    "124112 124211 411212 421112 421211 212141 214121 412121 111143 111341 131141 114113 114311 411113 "
    "411311 113141 114131 311141 411131 211412 211214 211232 2331112"
)
_WIDTHS = _PATTERNS.split()


def check_value(values: list[int]) -> int:
    """The mod-103 check: the start value plus each data symbol times its position."""
    return (values[0] + sum(i * v for i, v in enumerate(values[1:], 1))) % 103


def symbols(data: str, fnc3: str | None = None) -> list[int]:
    """Start B, FNC3 ``"first"`` or ``"last"`` when asked, the data, the check value and Stop."""
    if not data or any(ord(c) > 0x7E for c in data):
        raise LabelDataError(f"Code 128 data {data!r} must be 1 or more ASCII characters (no accents).")
    if fnc3 not in (None, "first", "last"):
        raise LabelDataError(f"FNC3 goes first or last in a Code 128 symbol, not {fnc3!r}.")
    values = [START_B, FNC3] if fnc3 == "first" else [START_B]
    in_a = False
    for c in data:
        control = ord(c) < 0x20
        if control != in_a:
            values.append(CODE_A if control else CODE_B)
            in_a = control
        values.append(ord(c) + 64 if control else ord(c) - 32)
    if fnc3 == "last":
        values.append(FNC3)
    return [*values, check_value(values), STOP]


def bar_widths(values: list[int]) -> list[int]:
    """Widths in modules, bar first, bars and spaces alternating, of the symbols (and the final bar)."""
    return [int(w) for v in values for w in _WIDTHS[v]]
