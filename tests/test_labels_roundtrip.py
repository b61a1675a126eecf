"""Every template's PNG preview decodes with zxing-cpp to exactly the data put in, at 203 and 300 dpi."""

from __future__ import annotations

import io
import string
from typing import Any

import pytest
import zxingcpp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from station.labels import TEMPLATES, LabelDataError, render_label, render_preview
from tests.fixtures_printers import SAMPLES, expected_barcodes
from tests.test_labels_zpl import assert_safe_zpl

PREVIEWABLE = [name for name, t in TEMPLATES.items() if not t.passthrough]


def decoded(png: bytes) -> list[tuple[str, str]]:
    image = Image.open(io.BytesIO(png))
    found = []
    gray = image.convert("L")
    hri = {b.symbology_identifier: b.text for b in zxingcpp.read_barcodes(gray, try_rotate=False)}
    for b in zxingcpp.read_barcodes(gray, try_rotate=False, text_mode=zxingcpp.TextMode.Plain):
        sid = b.symbology_identifier
        text = hri[sid] if b.content_type == zxingcpp.ContentType.GS1 else b.text  # GS1 as (AI)value
        found.append((sid[:2] if sid.startswith("]Q") else sid, text))
    return sorted(found)


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("template", PREVIEWABLE)
def test_every_template_preview_scans_back_to_its_data(template: str, dpi: int) -> None:
    data = SAMPLES[template]
    png = render_preview(template, data, dpi=dpi)
    image = Image.open(io.BytesIO(png))
    assert image.size == TEMPLATES[template].size.dots(dpi)
    assert decoded(png) == expected_barcodes(template, data)


@pytest.mark.parametrize("dpi", [203, 300])
def test_fields_at_their_longest_widest_still_scan(dpi: int) -> None:
    """Worst-case text (every field full of the widest glyph) must not run into a barcode."""
    for template in PREVIEWABLE:
        spec = TEMPLATES[template]
        data: dict[str, Any] = dict(SAMPLES[template])
        for f in spec.fields:
            if f.kind == "text":
                data[f.name] = "W" * f.limit
        if template == "scanner_config":
            data["codes"] = [{"caption": "W" * 26, "data": "~" * 29 + str(i)} for i in range(6)]
        if template == "return_lpn":
            data["lpn"] = "W" * 20
        if template == "work_order":
            data["link"] = "https://x.example/" + "é" * 41
        if template == "item_relabel":
            data["serial"] = "W" * 20
        assert decoded(render_preview(template, data, dpi=dpi)) == expected_barcodes(template, data), template


code128_text = st.text(alphabet=[chr(c) for c in range(0x20, 0x7F)], min_size=1, max_size=12)
gs1_serial = st.text(
    alphabet=string.ascii_letters + string.digits + "!\"%&'*+,-./:;<=?_", min_size=1, max_size=20
)
anything = st.text(max_size=14)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lpn=code128_text,
    texts=st.lists(anything, min_size=8, max_size=8),
    link=st.text(min_size=1, max_size=25),
    serial=gs1_serial,
    dpi=st.sampled_from([203, 300]),
)
def test_arbitrary_field_text_keeps_the_round_trip_and_safe_zpl(
    lpn: str, texts: list[str], link: str, serial: str, dpi: int
) -> None:
    t = [text or "x" for text in texts]  # required fields take any text but the empty one
    labels = {
        "return_lpn": dict(zip(["rma", "grade", "disposition", "bin", "date", "operator"], t, strict=False))
        | {"lpn": lpn, "title": texts[6], "note": texts[7]},
        "work_order": {
            "work_order": lpn,
            "lpn": t[0],
            "title": texts[1],
            "fault": texts[2],
            "technician": texts[3],
            "date": texts[4][:10],
            "link": link,
        },
        "item_relabel": {"gtin": "09506000134352", "serial": serial, "title": texts[5], "grade": texts[6]},
        "scanner_config": {"title": t[7], "codes": [{"caption": t[0], "data": lpn}]},
    }
    for template, data in labels.items():
        rendered = render_label(template, data, dpi=dpi)
        assert_safe_zpl(rendered.zpl)
        assert decoded(render_preview(template, data, dpi=dpi)) == expected_barcodes(template, data)


def test_a_character_the_font_lacks_is_replaced_visibly_and_reported() -> None:
    data = SAMPLES["return_lpn"] | {"title": "Mug \U0001f642 \u05e9", "note": "caf\u00e9"}
    rendered = render_label("return_lpn", data)
    assert b"^FDMug ? ?^FS" in rendered.zpl
    assert b"^FDcaf_C3_A9^FS" in rendered.zpl  # Latin-1 letters print as themselves (UTF-8 under ^CI28)
    assert [(r.field, r.codepoint) for r in rendered.replaced] == [("title", "U+1F642"), ("title", "U+05E9")]
    assert "U+1F642" in rendered.warnings()[0]


@pytest.mark.parametrize(
    ("template", "change", "message"),
    [
        ("return_lpn", {"lpn": "L" * 21}, "at most 20"),
        ("return_lpn", {"lpn": "LPN\u00e9"}, "printable ASCII"),
        ("return_lpn", {"rma": ""}, "required"),
        ("return_lpn", {"colour": "red"}, "unknown field"),
        ("return_lpn", {"grade": 3}, "must be text"),
        ("item_relabel", {"gtin": "09506000134353"}, "check digit"),
        ("item_relabel", {"serial": "A(21)B"}, "GS1"),
        ("work_order", {"link": "\U0001f642" * 26}, "104 bytes"),
        ("scanner_config", {"codes": []}, "1 to 6"),
        ("scanner_config", {"codes": [{"caption": "x", "data": "y", "fnc3": "yes"}]}, "true or false"),
    ],
)
def test_bad_data_is_refused_with_a_clear_error(template: str, change: dict[str, Any], message: str) -> None:
    with pytest.raises(LabelDataError, match=message):
        render_label(template, SAMPLES[template] | change)


def test_unknown_template_lists_the_known_ones() -> None:
    with pytest.raises(LabelDataError, match="return_lpn"):
        render_label("nope", {})
