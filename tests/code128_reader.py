"""A small Code 128 reader for the tests: bars in a 1-bit image -> symbol values, check character verified.

Independent of station.labels: its own table of bar/space widths (ISO/IEC 15417), its own code-set logic, and
an interpreter of ZPL ``^BC`` field data written from the ZPL II guide's table of invocation characters.
zxing-cpp reads the text only; this reader keeps every symbol: start code, FNC3 and where it stands, code-set
switches, the check character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from PIL import Image

_WIDTHS = """
212222 222122 222221 121223 121322 131222 122213 122312 132212 221213 221312 231212 112232 122132 122231
113222 123122 123221 223211 221132 221231 213212 223112 312131 311222 321122 321221 312212 322112 322211
212123 212321 232121 111323 131123 131321 112313 132113 132311 211313 231113 231311 112133 112331 132131
113123 113321 133121 313121 211331 231131 213113 213311 213131 311123 311321 331121 312113 312311 332111
314111 221411 431111 111224 111422 121124 121421 141122 141221 112214 112412 122114 122411 142112 142211
241211 221114 413111 241112 134111 111242 121142 121241 114212 124112 124211 411212 421112 421211 212141
214121 412121 111143 111341 131141 114113 114311 411113 411311 113141 114131 311141 411131 211412 211214
211232
"""
VALUE_OF = {tuple(int(c) for c in w): v for v, w in enumerate(_WIDTHS.split())}
STOP_WIDTHS = (2, 3, 3, 1, 1, 1, 2)
START_A, START_B, START_C, STOP = 103, 104, 105, 106
FNC = {96: "<FNC3>", 97: "<FNC2>", 102: "<FNC1>"}
#: (code set, symbol value) -> the code set it switches to
_SWITCH = {("A", 99): "C", ("B", 99): "C", ("A", 100): "B", ("B", 101): "A", ("C", 100): "B", ("C", 101): "A"}


@dataclass(frozen=True)
class Code128Symbol:
    """One barcode found: its symbol values (start, data symbols, check, stop) and the rows it spans."""

    values: tuple[int, ...]
    top: int
    bottom: int

    @property
    def start(self) -> int:
        return self.values[0]

    @property
    def data_values(self) -> tuple[int, ...]:
        """The symbols between the start and the check character (code-set switches and FNCs included)."""
        return self.values[1:-2]

    @property
    def check(self) -> int:
        return self.values[-2]

    def tokens(self) -> list[str]:
        """The data as read: one character each, function characters as ``<FNC3>``; switches dropped."""
        return tokens(self.values)

    @property
    def text(self) -> str:
        return "".join(t for t in self.tokens() if not t.startswith("<"))


def check_value(values: tuple[int, ...] | list[int]) -> int:
    """Mod 103 of the start value plus each data symbol times its position (1, 2, ...)."""
    return (values[0] + sum(n * v for n, v in enumerate(values[1:], start=1))) % 103


def tokens(values: tuple[int, ...] | list[int]) -> list[str]:
    """Decode start + data symbols (+ check, stop ignored) through code sets A, B and C."""
    code_set = {START_A: "A", START_B: "B", START_C: "C"}[values[0]]
    out: list[str] = []
    shifted = False
    for v in values[1:-2]:
        current = code_set
        if shifted:  # SHIFT: this one symbol in the other of A and B
            current, shifted = ("B" if code_set == "A" else "A"), False
        if v in FNC:
            out.append(FNC[v])
        elif (current, v) in _SWITCH:
            code_set = _SWITCH[(current, v)]
        elif current == "C":
            out.extend(f"{v:02d}")
        elif v == 98:
            shifted = True
        elif v >= 100:
            out.append("<FNC4>")
        elif current == "B":
            out.append(chr(v + 32))
        else:
            out.append(chr(v + 32) if v < 64 else chr(v - 64))
    return out


_RUN = re.compile(rb"\x00+|\xff+")


def read_row(row: bytes) -> tuple[int, ...] | None:
    """The first complete Code 128 symbol along one row (0 = bar, 255 = space), check character verified."""
    runs = [(m.group()[0] == 0, m.end() - m.start()) for m in _RUN.finditer(row)]
    lengths = [n for _, n in runs]
    for i, (dark, _) in enumerate(runs):
        if dark:
            found = _decode_from(lengths, i)
            if found is not None:
                return found
    return None


def _decode_from(lengths: list[int], i: int) -> tuple[int, ...] | None:
    if i + 6 > len(lengths):
        return None
    module = sum(lengths[i : i + 6]) / 11

    def widths(j: int, n: int) -> tuple[int, ...]:
        return tuple(round(x / module) for x in lengths[j : j + n])

    first = VALUE_OF.get(widths(i, 6))
    if first not in (START_A, START_B, START_C):
        return None
    values = [first]
    j = i + 6
    while j + 7 <= len(lengths):
        if widths(j, 7) == STOP_WIDTHS:
            if len(values) >= 2 and check_value(values[:-1]) == values[-1]:
                return (*values, STOP)
            return None
        value = VALUE_OF.get(widths(j, 6))
        if value is None or value >= START_A:
            return None
        values.append(value)
        j += 6
    return None


def read_symbols(image: Image.Image, min_rows: int = 8) -> list[Code128Symbol]:
    """Every Code 128 symbol in the image, top to bottom: consecutive rows that read the same are one."""
    gray = image.convert("L").point(lambda p: 0 if p < 128 else 255)
    width, height = gray.size
    pixels = gray.tobytes()
    seen: dict[bytes, tuple[int, ...] | None] = {}
    found: list[Code128Symbol] = []
    current: tuple[int, ...] | None = None
    top = 0
    for y in range(height + 1):
        values = None
        if y < height:
            row = pixels[y * width : (y + 1) * width]
            if row not in seen:
                seen[row] = read_row(row)
            values = seen[row]
        if values != current:
            if current is not None and y - top >= min_rows:
                found.append(Code128Symbol(current, top, y - 1))
            current, top = values, y
    return found


# ZPL ^BC field data, from the ZPL II Programming Guide's table "Code 128 invocation characters".
_INVOKE = {
    "<": 62,
    "0": 30,
    "=": 94,
    "1": 95,
    "2": 96,
    "3": 97,
    "4": 98,
    "5": 99,
    "6": 100,
    "7": 101,
    "8": 102,
}
_ZPL_START = {":": START_B, "9": START_A, ";": START_C}
_FIELD = re.compile(rb"\^BC[^\^]*\^FH\^FD(.*?)\^FS")


def unescape_fh(data: bytes) -> str:
    """Undo ``^FH`` hex escapes (``_XX``)."""
    return re.sub(rb"_([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), data).decode("utf-8")


def zpl_code128_fields(zpl: bytes) -> list[str]:
    """The field data of every ``^BC`` barcode in a ZPL label, ``^FH`` escapes undone, in order."""
    return [unescape_fh(m.group(1)) for m in _FIELD.finditer(zpl)]


def zpl_symbols(field: str) -> tuple[int, ...]:
    """The symbol values a printer makes of ``^BC`` mode N field data that names its start code: the start,
    the data symbols, and the check character it computes (then Stop)."""
    if field[:1] != ">" or field[1:2] not in _ZPL_START:
        raise ValueError(f"^BC data {field!r} does not start with a start code (>9, >: or >;)")
    values = [_ZPL_START[field[1]]]
    code_set = {START_A: "A", START_B: "B", START_C: "C"}[values[0]]
    i = 2
    while i < len(field):
        if field[i] == ">":
            value = _INVOKE[field[i + 1]]
            i += 2
            code_set = _SWITCH.get((code_set, value), code_set)
        elif code_set in ("A", "C"):  # subsets A and C: pairs of digits, each the symbol's code value
            value = int(field[i : i + 2])
            i += 2
        else:
            value = ord(field[i]) - 32
            i += 1
        values.append(value)
    return (*values, check_value(values), STOP)
