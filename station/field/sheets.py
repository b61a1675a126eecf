"""Sheets to scan: a scanner profile's programming barcodes, and the three test codes of the scanner check.

A programming sheet is one or more ``scanner_config`` labels (five codes each), scanned top to bottom, page
after page, in the vendor's order (see :meth:`ScannerProfile.sheet_codes`). Each page carries its title,
the profile's family and version, and each code's confidence in small print; the first page also says which
settings have no code on the sheet (set by the reset, or with the vendor's tool). On screen
(``-o FILE.png``) the pages are stacked into one image.
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

PER_PAGE = 5


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


def sheet_note(profile: ScannerProfile) -> str:
    """What the sheet does not print, and why: settings made by the reset, and those for the vendor's tool."""
    parts = ["Scan top to bottom, page after page."]
    if profile.around is not None:
        parts.append(f"'{profile.code(profile.around).caption}' is scanned first and again last.")
    by_reset = profile.not_on_sheet("reset")
    if by_reset:
        names = "; ".join(c.caption for c in by_reset)
        parts.append(f"Set by the reset (factory defaults), no code of their own: {names}.")
    by_tool = profile.not_on_sheet("vendor-tool")
    if by_tool:
        names = ", ".join(c.caption for c in by_tool)
        parts.append(
            f"NOT on this sheet (no sourced code): set {names} with {profile.vendor_tool}. "
            "'station scanner check' shows whether it is set."
        )
    return " ".join(parts)


def programming_sheet(profile: ScannerProfile, dpi: int = 203, interface: str = "keyboard") -> Sheet:
    """The profile's codes for a scanner on ``interface`` on ``scanner_config`` labels, in scanning order."""
    codes = profile.sheet_codes(interface)
    pages = [codes[i : i + PER_PAGE] for i in range(0, len(codes), PER_PAGE)]
    template = get_template("scanner_config")
    state = "verified" if profile.verified else "NOT verified"
    version = f"{profile.family} {profile.version}, {interface}, {state}"
    layouts = []
    for n, page in enumerate(pages, 1):
        codes_data = [
            {
                "caption": c.caption,
                "data": c.data,
                "fnc3": profile.fnc3 is not None,
                "fnc3_last": profile.fnc3 == "last",
                "cr": profile.ends_with_cr,
                "confidence": c.confidence,
            }
            for c in page
        ]
        data = {
            "title": f"{profile.vendor} {interface} {n}/{len(pages)}",
            "version": version,
            "codes": codes_data,
            "note": sheet_note(profile) if n == 1 else "",
        }
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
