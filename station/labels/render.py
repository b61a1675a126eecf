"""Template + data -> ZPL bytes (for the printer) and PNG bytes (for the screen and the spool)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from station.labels.fonts import Replaced, unprintable
from station.labels.layout import LabelDataError, Layout, Text
from station.labels.png import render_png
from station.labels.templates import get_template
from station.labels.zpl import check_passthrough, render_zpl


@dataclass(frozen=True)
class RenderedLabel:
    """A label ready to print: its ZPL, and the characters the printer font could not show."""

    template: str
    zpl: bytes
    replaced: tuple[Replaced, ...] = ()

    def warnings(self) -> list[str]:
        """One sentence per replaced character, to show the person printing."""
        return [
            f"Field {r.field!r}: {r.char!r} ({r.codepoint}) cannot be printed by the printer font; "
            "it shows as '?'."
            for r in self.replaced
        ]


def _replaced(layout: Layout) -> tuple[Replaced, ...]:
    return tuple(
        r for e in layout.elements if isinstance(e, Text) for r in unprintable(e.text, e.field or "text")
    )


def render_label(template: str, data: Mapping[str, Any], *, dpi: int = 203, copies: int = 1) -> RenderedLabel:
    """Check ``data`` against ``template`` and render its ZPL (raises :class:`LabelDataError`)."""
    if not 1 <= copies <= 99:
        raise LabelDataError(f"Copies must be 1 to 99, got {copies}.")
    t = get_template(template)
    if t.passthrough:
        zpl = t.check(data)["zpl"].encode("utf-8")
        return RenderedLabel(t.name, check_passthrough(zpl, t.size, dpi))
    layout = t.layout(data, copies)
    return RenderedLabel(t.name, render_zpl(layout, dpi), _replaced(layout))


def render_preview(template: str, data: Mapping[str, Any], *, dpi: int = 203) -> bytes:
    """The PNG preview of ``template`` with ``data`` (the shipping label has none: LabelDataError).

    The last few are kept, so the screen's preview and the spool's PNG of one label are drawn once.
    """
    return _preview(template, json.dumps(dict(data), sort_keys=True, ensure_ascii=False), dpi)


@lru_cache(maxsize=8)
def _preview(template: str, data_json: str, dpi: int) -> bytes:
    return render_png(get_template(template).layout(json.loads(data_json)), dpi)
