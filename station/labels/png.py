"""Layout -> PNG preview, one pixel per printer dot, for the screen and the spool.

Plain Code 128 is drawn from the symbol sequence of :mod:`station.labels.code128`, the very symbols the ZPL
spells (FNC3 first or last); the other barcodes by zxing-cpp's writer (which writes GS1-128, GS1 Data Matrix
and UTF-8 QR with the right FNC1 and ECI); text with DejaVu Sans Condensed Bold (close to the printer's
``^A0``) after the same replacement of characters the printer font cannot show.
"""

from __future__ import annotations

import io
from functools import lru_cache
from pathlib import Path

import zxingcpp
from PIL import Image, ImageDraw, ImageFont

from station.labels import code128
from station.labels.fonts import printable
from station.labels.layout import Barcode, Box, LabelDataError, Layout, Symbology, Text, mm

_FONT_FILE = Path("/usr/share/fonts/truetype/dejavu/DejaVuSansCondensed-Bold.ttf")

_FORMATS = {
    Symbology.GS1_128: zxingcpp.BarcodeFormat.Code128,
    Symbology.DATAMATRIX: zxingcpp.BarcodeFormat.DataMatrix,
    Symbology.GS1_DATAMATRIX: zxingcpp.BarcodeFormat.DataMatrix,
    Symbology.QR: zxingcpp.BarcodeFormat.QRCode,
}


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    if _FONT_FILE.exists():
        return ImageFont.truetype(str(_FONT_FILE), size)
    return ImageFont.load_default(size)


def _code128(b: Barcode, dpi: int) -> Image.Image:
    """The bars of the symbol sequence, ``module`` dots per module, no quiet zones (as ``^BC`` prints)."""
    module = mm(b.module, dpi)
    widths = code128.bar_widths(code128.symbols(b.data, b.fnc3))
    image = Image.new("1", (sum(widths) * module, mm(b.height, dpi)), 1)
    draw = ImageDraw.Draw(image)
    x = 0
    for i, width in enumerate(widths):
        if i % 2 == 0:  # bars at even positions, spaces between them
            draw.rectangle((x, 0, x + width * module - 1, image.height - 1), fill=0)
        x += width * module
    return image


def _symbol(b: Barcode, dpi: int) -> Image.Image:
    if b.symbology is Symbology.CODE128:
        return _code128(b, dpi)
    options: dict[str, object] = {}
    if b.symbology.is_gs1:
        options["gs1"] = True
    if b.symbology is Symbology.QR:
        options["ec_level"] = "Q"
    if b.symbology in (Symbology.DATAMATRIX, Symbology.GS1_DATAMATRIX):
        options["force_square"] = True  # ZPL's ^BX draws square symbols only
    if b.symbology in (Symbology.DATAMATRIX, Symbology.QR) and not b.data.isascii():
        options["eci"] = "UTF-8"  # else readers guess (Latin-1 or Shift_JIS) and get it wrong
    try:
        symbol = zxingcpp.create_barcode(b.data, _FORMATS[b.symbology], **options)
    except (ValueError, RuntimeError) as exc:
        raise LabelDataError(f"{b.symbology} data {b.data!r} cannot be encoded: {exc}.") from exc
    bitmap = symbol.to_image(scale=mm(b.module, dpi), add_quiet_zones=False)
    rows, cols = bitmap.shape[0], bitmap.shape[1]
    image = Image.frombuffer("L", (cols, rows), bytes(memoryview(bitmap)), "raw", "L", 0, 1)  # type: ignore[arg-type]
    if b.symbology.is_linear:
        image = image.resize((cols, mm(b.height, dpi)), Image.Resampling.NEAREST)
    return image.convert("1", dither=Image.Dither.NONE)


def render_image(layout: Layout, dpi: int) -> Image.Image:
    """The label as a 1-bit image of ``layout.size.dots(dpi)`` pixels."""
    image = Image.new("1", layout.size.dots(dpi), 1)
    draw = ImageDraw.Draw(image)
    for e in layout.elements:
        x, y = mm(e.x, dpi), mm(e.y, dpi)
        if isinstance(e, Text):
            draw.text((x, y), printable(e.text), font=_font(mm(e.height, dpi)), fill=0, anchor="lt")
        elif isinstance(e, Barcode):
            image.paste(_symbol(e, dpi), (x, y))
        elif isinstance(e, Box):
            t = mm(e.thickness, dpi)
            right, bottom = x + max(t, mm(e.width, dpi)) - 1, y + max(t, mm(e.height, dpi)) - 1
            draw.rectangle(
                (x, y, right, bottom), outline=0, fill=0 if t >= min(right - x, bottom - y) else None, width=t
            )
    return image


def render_png(layout: Layout, dpi: int) -> bytes:
    """The preview as PNG bytes (with its resolution recorded in the file)."""
    out = io.BytesIO()
    render_image(layout, dpi).save(out, format="PNG", dpi=(dpi, dpi))
    return out.getvalue()
