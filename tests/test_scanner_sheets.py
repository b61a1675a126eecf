"""Every code on every programming sheet, read back symbol by symbol (start code, FNC3 position, data, check).

The reader is tests/code128_reader.py (its own width table and code-set logic, checked here against
zxing-cpp's writer). The ZPL is checked two ways: its ``^BC`` field data interpreted symbol by symbol, and
drawn by an independent ZPL renderer (zebrash, as the npm package zpl-renderer-js, run by Node).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
from pathlib import Path

import pytest
import zxingcpp
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from station.field.profiles import INTERFACES, ProgrammingCode, ScannerProfile, find_scanner_profile
from station.field.scanner_check import TEST_CODES, Received, analyse
from station.field.sheets import programming_sheet
from station.labels.layout import Barcode, LabelSize, Layout, Symbology
from station.labels.png import render_image
from station.labels.zpl import render_zpl
from tests import system_packages
from tests.code128_reader import (
    START_A,
    START_B,
    STOP,
    Code128Symbol,
    check_value,
    read_symbols,
    tokens,
    zpl_code128_fields,
    zpl_symbols,
)

FNC3 = 96
MODELS = ("DS2208", "1950g", "QD2430")  # Zebra, Honeywell, Datalogic
ZPL_RENDERER = "zpl-renderer-js@3.4.0"  # zebrash (Go) built to WebAssembly


def expected_tokens(profile: ScannerProfile, code: ProgrammingCode) -> list[str]:
    """What the barcode must hold: the data (and the family's CR), FNC3 where the vendor puts it."""
    body = [*code.data, *(["\r"] if profile.ends_with_cr else [])]
    return ["<FNC3>", *body] if profile.fnc3 == "first" else [*body, "<FNC3>"]


def symbols_on(png: bytes) -> list[Code128Symbol]:
    return read_symbols(Image.open(io.BytesIO(png)))


@pytest.mark.parametrize("dpi", [203, 300])
@pytest.mark.parametrize("interface", INTERFACES)
@pytest.mark.parametrize("model", MODELS)
def test_every_code_on_every_sheet_reads_back_symbol_by_symbol(model: str, interface: str, dpi: int) -> None:
    profile = find_scanner_profile(model)
    sheet = programming_sheet(profile, dpi, interface)
    codes = profile.sheet_codes(interface)
    found = symbols_on(sheet.png())
    assert [s.text for s in found] == [c.data + ("\r" if profile.ends_with_cr else "") for c in codes]
    for symbol, code in zip(found, codes, strict=True):
        assert symbol.start == START_B, code.caption
        assert symbol.tokens() == expected_tokens(profile, code), code.caption
        at = [i for i, v in enumerate(symbol.data_values) if v == FNC3]
        assert at == ([0] if profile.fnc3 == "first" else [len(symbol.data_values) - 1]), code.caption
        assert symbol.check == check_value(symbol.values[:-2]) and symbol.values[-1] == STOP
    # The printer gets the same symbols: the ^BC data, read symbol by symbol, plus the check it computes.
    fields = [f for page in sheet.zpl() for f in zpl_code128_fields(page)]
    assert [zpl_symbols(f) for f in fields] == [s.values for s in found]


def test_the_station_prints_the_symbols_decoded_from_the_vendors_own_barcodes() -> None:
    """The symbol sequences decoded from images of vendor-printed codes (firmware-config/scanners/sources)."""
    zebra = symbols_on(programming_sheet(find_scanner_profile("DS2208")).png())
    assert zebra[0].values == (104, 96, 25, 18, 98, 106)  # Set Factory Defaults: Start B, FNC3, '9', '2'
    honeywell = symbols_on(programming_sheet(find_scanner_profile("1950g")).png())
    defalt = next(s for s in honeywell if s.text == "~DEFALT.")
    assert defalt.values == (104, 94, 36, 37, 38, 33, 44, 52, 14, 96, 36, 106)  # FNC3 9th, check 36 'D'
    datalogic = symbols_on(programming_sheet(find_scanner_profile("QD2430")).png())
    vendor = [START_A, FNC3, 4, 48, 77]  # Datalogic's own $P label: Start A, FNC3, '$', 'P', CR
    vendor += [check_value(vendor), STOP]
    assert datalogic[0].tokens() == datalogic[-1].tokens() == tokens(vendor)  # same data, Start B here


def test_a_setting_left_to_the_vendor_tool_is_still_caught_by_the_scanner_check() -> None:
    zebra = find_scanner_profile("DS2208")
    assert zebra.code("aim_id").how == "vendor-tool"
    no_aim = [Received(c.data, terminated=True) for c in TEST_CODES]  # the scanner sends no AIM id
    assert "aim_id" in {f.setting for f in analyse(no_aim)}


@pytest.mark.parametrize("text", ["HELLO world 123", "12345678", "a\rb", "~DEFALT.", "$P,HA47,P", "x\x1dy"])
def test_the_reader_agrees_with_zxing_cpps_writer(text: str) -> None:
    """The reader's own table and code-set logic, checked on symbols a third party wrote (code sets A/B/C,
    SHIFT), so it can judge the station's symbols."""
    bitmap = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.Code128).to_image(scale=2)
    image = Image.frombuffer(
        "L", (bitmap.shape[1], bitmap.shape[0]), bytes(memoryview(bitmap)), "raw", "L", 0, 1
    )
    [symbol] = read_symbols(image.resize((image.width, 40)))
    assert symbol.text == text


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(alphabet=[chr(c) for c in [*range(0x20, 0x7F), 0x0D, 0x1D]], min_size=1, max_size=20),
    fnc3=st.sampled_from([None, "first", "last"]),
)
def test_any_code128_text_round_trips_symbol_by_symbol(text: str, fnc3: str | None) -> None:
    barcode = Barcode(2, 2, Symbology.CODE128, text, reader_init=fnc3 is not None, fnc3_last=fnc3 == "last")
    layout = Layout(LabelSize.L4X2, (barcode,))
    png = io.BytesIO()
    render_image(layout, 203).save(png, format="PNG")
    [symbol] = symbols_on(png.getvalue())
    want = [*text]
    assert symbol.tokens() == {"first": ["<FNC3>", *want], "last": [*want, "<FNC3>"]}.get(fnc3, want)
    assert [zpl_symbols(f) for f in zpl_code128_fields(render_zpl(layout, 203))] == [symbol.values]
    [found] = zxingcpp.read_barcodes(Image.open(png), text_mode=zxingcpp.TextMode.Plain)
    assert found.text == text
    if fnc3:  # zxing-cpp also says ReaderInit, wrongly, when the check character is 96 (FNC3's value)
        assert (found.extra or {}).get("ReaderInit")


def test_a_damaged_symbol_is_not_read() -> None:
    """A bar drawn wider breaks the pattern or the check character: the reader reports nothing for it."""
    image = render_image(programming_sheet(find_scanner_profile("DS2208")).layouts[0], 203)
    before = read_symbols(image)
    first = before[0]
    damaged = image.copy()
    for y in range(first.top, first.bottom + 1):
        row = [damaged.getpixel((x, y)) for x in range(damaged.width)]
        x = next(x for x in range(60, damaged.width) if row[x] == 0 and row[x - 1] != 0)  # a bar's edge
        damaged.putpixel((x - 1, y), 0)
    assert [s.values for s in read_symbols(damaged)] == [s.values for s in before[1:]]


@pytest.fixture(scope="session")
def zpl_renderer() -> list[str]:
    """The command that renders ZPL with zebrash: node, the npm package installed once in the user's cache."""
    tools = system_packages.ensure("node", "npm")
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "hubstation-tests"
    home = cache / ZPL_RENDERER.replace("@", "-")
    if not (home / "node_modules" / "zpl-renderer-js" / "package.json").exists():
        home.mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [
                tools["npm"],
                "install",
                "--silent",
                "--no-audit",
                "--no-fund",
                "--prefix",
                str(home),
                ZPL_RENDERER,
            ],
            check=True,
            timeout=600,
        )
    script = home / "render.cjs"
    script.write_text(_RENDER_JS)
    return [tools["node"], str(script)]


_RENDER_JS = """
// Render each {zpl, out, dpmm} job of the JSON file argv[2] to a PNG with zebrash (zpl-renderer-js).
const { ready } = require("zpl-renderer-js");
const fs = require("node:fs");
(async () => {
  const { api } = await ready;
  for (const job of JSON.parse(fs.readFileSync(process.argv[2], "utf8"))) {
    const png = await api.zplToBase64Async(job.zpl, 101.6, 152.4, job.dpmm);
    fs.writeFileSync(job.out, Buffer.from(png, "base64"));
  }
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });
"""


@pytest.mark.parametrize("dpi", [203, 300])
def test_an_independent_zpl_renderer_draws_the_same_symbols(
    zpl_renderer: list[str], tmp_path: Path, dpi: int
) -> None:
    sheets = [programming_sheet(find_scanner_profile(m), dpi, i) for m in MODELS for i in INTERFACES]
    jobs = [
        {"zpl": page.decode("utf-8"), "out": str(tmp_path / f"{n}-{p}.png"), "dpmm": 8 if dpi == 203 else 12}
        for n, sheet in enumerate(sheets)
        for p, page in enumerate(sheet.zpl())
    ]
    (tmp_path / "jobs.json").write_text(json.dumps(jobs))
    subprocess.run([*zpl_renderer, str(tmp_path / "jobs.json")], check=True, timeout=300)
    printed = [s.values for job in jobs for s in read_symbols(Image.open(job["out"]))]
    previewed = [s.values for sheet in sheets for s in symbols_on(sheet.png())]
    assert printed == previewed
    assert len(printed) == sum(
        len(find_scanner_profile(m).sheet_codes(i)) for m in MODELS for i in INTERFACES
    )
