"""Layout -> ZPL bytes that no field can hijack, and checks for ZPL passed through from the OMS.

Every field is ``^FH^FD...^FS`` with every byte outside 0x20-0x7E and every ``^ ~ _`` hex-escaped, under
``^CI28`` (UTF-8). Each symbology's own layer is applied before the hex escape, as the printer undoes them in
the other order: Code 128 invocation characters (``>``), the Data Matrix escape character (``_``) and the
QR mode prefix (``QA,``).
"""

from __future__ import annotations

import re

from station.labels import code128, gs1
from station.labels.fonts import printable
from station.labels.layout import Barcode, Box, LabelDataError, LabelSize, Layout, Symbology, Text, mm

#: The most bytes a ``^FD`` holds (ZPL II Programming Guide).
FD_MAX_BYTES = 3072

_ESCAPED = [bytes([b]) if 0x20 <= b <= 0x7E and b not in b"^~_" else b"_%02X" % b for b in range(256)]
_CODE128_LAYER = str.maketrans({">": ">0", "^": "><", "~": ">="})
_DATAMATRIX_ESCAPE = "_"


def escape(data: bytes) -> bytes:
    """Hex-escape for ``^FH``: only printable ASCII other than ``^ ~ _`` stays as it is."""
    return b"".join(_ESCAPED[b] for b in data)


def field(data: str, what: str) -> bytes:
    """``^FH^FD<escaped UTF-8>^FS``; raises :class:`LabelDataError` past :data:`FD_MAX_BYTES`."""
    escaped = escape(data.encode("utf-8"))
    if len(escaped) > FD_MAX_BYTES:
        raise LabelDataError(
            f"{what} is {len(escaped)} bytes once escaped; a printer field holds at most {FD_MAX_BYTES}. "
            "Shorten it."
        )
    return b"^FH^FD" + escaped + b"^FS"


def _code128_data(b: Barcode) -> str:
    """The symbols of :func:`code128.symbols` in ``^BC`` field data: ``>:`` Start B, ``>2`` FNC3 (code
    value 96), ``>7`` B to A and ``>6`` A back to B; in subset A ZPL takes each character as its two-digit
    code value (a CR is ``77``) (ZPL II Programming Guide, ^BC, Code 128 subsets and invocation codes)."""
    out = [">:"]
    in_a = False
    for value in code128.symbols(b.data, b.fnc3)[1:-2]:  # the printer adds the check character and Stop
        if value == code128.FNC3:
            out.append(">2")
        elif value in (code128.CODE_A, code128.CODE_B):
            in_a = value == code128.CODE_A
            out.append(">7" if in_a else ">6")
        else:
            out.append(f"{value:02d}" if in_a else chr(value + 32).translate(_CODE128_LAYER))
    return "".join(out)


def _gs1_datamatrix_data(data: str) -> str:
    out = [_DATAMATRIX_ESCAPE + "1"]  # FNC1 first: GS1 Data Matrix
    elements = gs1.parse(data)
    for i, (ai, value) in enumerate(elements):
        out.append(ai + value.replace(_DATAMATRIX_ESCAPE, _DATAMATRIX_ESCAPE * 2))
        if not gs1.is_fixed_length(ai) and i < len(elements) - 1:
            out.append(_DATAMATRIX_ESCAPE + "1")
    return "".join(out)


def _barcode(b: Barcode, dpi: int) -> bytes:
    module = mm(b.module, dpi)
    what = f"{b.symbology} data"
    if b.symbology is Symbology.CODE128:
        command, data = f"^BY{module}^BCN,{mm(b.height, dpi)},N,N,N", _code128_data(b)
    elif b.symbology is Symbology.GS1_128:
        gs1.parse(b.data)
        command, data = f"^BY{module}^BCN,{mm(b.height, dpi)},N,N,N,D", b.data
    elif b.symbology is Symbology.DATAMATRIX:
        if not b.data:
            raise LabelDataError("Data Matrix data is empty; expected at least one character.")
        escape_char = _DATAMATRIX_ESCAPE
        command, data = f"^BXN,{module},200,,,,{escape_char}", b.data.replace(escape_char, escape_char * 2)
    elif b.symbology is Symbology.GS1_DATAMATRIX:
        command, data = f"^BXN,{module},200,,,,{_DATAMATRIX_ESCAPE}", _gs1_datamatrix_data(b.data)
    else:
        if not b.data:
            raise LabelDataError("QR data is empty; expected at least one character.")
        command, data = f"^BQN,2,{module}", "QA," + b.data
    return f"^FO{mm(b.x, dpi)},{mm(b.y, dpi)}{command}".encode() + field(data, what)


def _element(e: Text | Barcode | Box, dpi: int) -> bytes:
    if isinstance(e, Text):
        h = mm(e.height, dpi)
        return f"^FO{mm(e.x, dpi)},{mm(e.y, dpi)}^A0N,{h},{h}".encode() + field(
            printable(e.text), e.field or "text"
        )
    if isinstance(e, Barcode):
        return _barcode(e, dpi)
    t = mm(e.thickness, dpi)
    width, height = max(t, mm(e.width, dpi)), max(t, mm(e.height, dpi))
    return f"^FO{mm(e.x, dpi)},{mm(e.y, dpi)}^GB{width},{height},{t}^FS".encode()


def render_zpl(layout: Layout, dpi: int) -> bytes:
    """One ``^XA..^XZ`` label format for ``layout`` at ``dpi`` (raises :class:`LabelDataError`)."""
    width, length = layout.size.dots(dpi)
    parts = [f"^XA^CI28^PW{width}^LL{length}^LH0,0".encode()]
    parts.extend(_element(e, dpi) for e in layout.elements)
    parts.append(f"^PQ{layout.copies},0,1,Y^XZ\n".encode())
    return b"\n".join(parts)


_PW = re.compile(rb"\^PW(\d+)")
_LL = re.compile(rb"\^LL(\d+)")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def check_passthrough(zpl: bytes, size: LabelSize, dpi: int) -> bytes:
    """Check ZPL made elsewhere (the OMS's shipping label) and return it unchanged.

    It must be one ``^XA..^XZ`` format with nothing but white space around it, hold no ``~`` control
    command and no control byte (either acts the moment it arrives), and fit ``size`` at ``dpi``.
    """
    body = zpl.strip()
    if not body.startswith(b"^XA") or not body.endswith(b"^XZ") or body.count(b"^XA") != 1:
        raise LabelDataError(
            "The shipping label is not exactly one ^XA...^XZ label format; ask the OMS to resend it."
        )
    if body.count(b"^XZ") != 1:
        raise LabelDataError("The shipping label holds more than one ^XZ; ask the OMS to resend it.")
    if b"~" in body or _CONTROL.search(body):
        raise LabelDataError(
            "The shipping label holds a ~ control command or a control byte that would act on the printer; "
            "ask the OMS to resend it with ^FH escapes."
        )
    width, length = size.dots(dpi)
    for pattern, limit, name in ((_PW, width, "width ^PW"), (_LL, length, "length ^LL")):
        for m in pattern.finditer(body):
            if int(m.group(1)) > limit:
                raise LabelDataError(
                    f"The shipping label's {name} is {int(m.group(1))} dots; the {size.label} in label at "
                    f"{dpi} dpi has {limit}. Ask the OMS for a {size.label} label at {dpi} dpi."
                )
    return zpl
