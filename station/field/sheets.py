"""Sheets to scan: a scanner profile's programming barcodes, and the three test codes of the scanner check.

A programming sheet is one or more ``scanner_config`` labels (six codes each), scanned top to bottom, page
after page. On screen (``-o FILE.png``) the pages are stacked into one image.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image

from station.field.profiles import ScannerProfile
from station.field.scanner_check import TEST_CODES
from station.labels import get_template, render_label
from station.labels.layout import Barcode, LabelSize, Layout, Text
from station.labels.png import render_image
from station.labels.zpl import render_zpl

PER_PAGE = 6
_TITLE_CHARS = 18


@dataclass(frozen=True)
class Sheet:
    """Pages of a sheet: their layouts (for the screen) and ZPL (for the printer)."""

    layouts: tuple[Layout, ...]
    dpi: int = 203

    def zpl(self) -> list[bytes]:
        return [render_zpl(layout, self.dpi) for layout in self.layouts]

    def png(self) -> bytes:
        """All pages stacked top to bottom in one PNG, a gap between pages."""
        images = [render_image(layout, self.dpi) for layout in self.layouts]
        gap = self.dpi // 4
        width = max(i.width for i in images)
        sheet = Image.new("1", (width, sum(i.height for i in images) + gap * (len(images) - 1)), 1)
        y = 0
        for image in images:
            sheet.paste(image, (0, y))
            y += image.height + gap
        out = io.BytesIO()
        sheet.save(out, format="PNG", dpi=(self.dpi, self.dpi))
        return out.getvalue()


def programming_sheet(profile: ScannerProfile, dpi: int = 203, interface: str = "keyboard") -> Sheet:
    """The profile's codes for a scanner on ``interface`` on ``scanner_config`` labels, in scanning order."""
    codes = profile.sheet_codes(interface)
    pages = [codes[i : i + PER_PAGE] for i in range(0, len(codes), PER_PAGE)]
    template = get_template("scanner_config")
    layouts = []
    for n, page in enumerate(pages, 1):
        title = f"{profile.vendor} {n}/{len(pages)}"[:_TITLE_CHARS]
        codes_data = [
            {"caption": c.caption, "data": c.data, "fnc3": profile.fnc3, "cr": profile.ends_with_cr}
            for c in page
        ]
        data = {"title": title, "codes": codes_data}
        render_label("scanner_config", data, dpi=dpi)  # checks the data against the template's limits
        layouts.append(template.layout(data))
    return Sheet(tuple(layouts), dpi)


def check_sheet(dpi: int = 203) -> Sheet:
    """One 4x6 label with the three test codes of ``station scanner check``, numbered as it asks for them."""
    elements: list[Text | Barcode] = [Text(5, 5, 5, "SCANNER CHECK")]
    y = 14.0
    for n, code in enumerate(TEST_CODES, 1):
        elements.append(Text(5, y, 3.5, f"{n}. {code.name}"))
        if code.symbology.is_linear:
            elements.append(Barcode(5, y + 5, code.symbology, code.label_data, module=0.25, height=14))
            y += 30
        else:
            elements.append(Barcode(5, y + 5, code.symbology, code.label_data, module=0.6))
            y += 40
    return Sheet((Layout(LabelSize.L4X6, tuple(elements)),), dpi)
