"""The station's label templates, each with its data fields documented (``station label templates``).

A template checks its data (:meth:`Template.check`) and builds a :class:`Layout`; the shipping label is the
exception: the OMS's ZPL is checked and passed through unchanged.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from station.labels import gs1
from station.labels.layout import Barcode, Box, LabelDataError, LabelSize, Layout, Symbology, Text

TEXT = "text"
LIST = "list"
ZPL = "zpl"
FLAG = "flag"


@dataclass(frozen=True)
class FieldSpec:
    """One data field: ``kind`` is ``text``, ``list``, ``zpl``, ``flag`` (true or false) or a barcode
    symbology; ``limit`` its most characters (items for a list, UTF-8 bytes for QR and ZPL)."""

    name: str
    kind: str
    limit: int
    description: str
    required: bool = True
    items: tuple[FieldSpec, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "name": self.name,
            "kind": self.kind,
            "limit": self.limit,
            "required": self.required,
            "description": self.description,
        }
        if self.items:
            out["items"] = [i.as_dict() for i in self.items]
        return out

    def check(self, value: object, where: str) -> Any:
        """The value if it fits this field, else :class:`LabelDataError` naming the field and the limit."""
        name = f"{where}{self.name}"
        if self.kind == LIST:
            if not isinstance(value, list) or (not value and self.required):
                raise LabelDataError(
                    f"Field {name!r} must be a list of 1 to {self.limit} entries, got {value!r}."
                )
            if len(value) > self.limit:
                raise LabelDataError(f"Field {name!r} has {len(value)} entries; at most {self.limit} fit.")
            return [_check_fields(self.items, entry, f"{name}[{i}].") for i, entry in enumerate(value)]
        if self.kind == FLAG:
            if not isinstance(value, bool):
                raise LabelDataError(f"Field {name!r} must be true or false, got {value!r}.")
            return value
        if not isinstance(value, str):
            raise LabelDataError(f"Field {name!r} must be text, got {value!r}.")
        if self.required and not value:
            raise LabelDataError(f"Field {name!r} is empty; it is required.")
        size = len(value.encode("utf-8")) if self.kind in (Symbology.QR, ZPL) else len(value)
        unit = "bytes" if self.kind in (Symbology.QR, ZPL) else "characters"
        if size > self.limit:
            raise LabelDataError(
                f"Field {name!r} is {size} {unit} long; at most {self.limit} fit on the label."
            )
        if self.kind == Symbology.CODE128 and any(not 0x20 <= ord(c) <= 0x7E for c in value):
            raise LabelDataError(
                f"Field {name!r} ({value!r}) goes into a Code 128 barcode: only printable ASCII characters."
            )
        return value


def _check_fields(fields: tuple[FieldSpec, ...], data: object, where: str = "") -> dict[str, Any]:
    if not isinstance(data, Mapping):
        raise LabelDataError(f"Label data {where or ''}must be a JSON object, got {data!r}.")
    unknown = sorted(set(data) - {f.name for f in fields})
    if unknown:
        raise LabelDataError(
            f"Label data has unknown field {where}{unknown[0]!r}; expected {[f.name for f in fields]}."
        )
    out: dict[str, Any] = {}
    for f in fields:
        if f.name not in data:
            if f.required:
                raise LabelDataError(f"Label data is missing the field {where}{f.name!r} ({f.description}).")
            out[f.name] = {LIST: [], FLAG: False}.get(f.kind, "")
            continue
        out[f.name] = f.check(data[f.name], where)
    return out


@dataclass(frozen=True)
class Template:
    """A label template: its stock, its fields, and how a layout is built from checked data."""

    name: str
    description: str
    size: LabelSize
    fields: tuple[FieldSpec, ...]
    build: Callable[[dict[str, Any]], tuple[Any, ...]] | None = field(default=None, repr=False)

    @property
    def passthrough(self) -> bool:
        return self.build is None

    def check(self, data: Mapping[str, Any]) -> dict[str, Any]:
        return _check_fields(self.fields, data)

    def layout(self, data: Mapping[str, Any], copies: int = 1) -> Layout:
        """The layout for ``data`` (checked here); the shipping label has none."""
        if self.build is None:
            raise LabelDataError(f"The {self.name} label is ZPL from the OMS; it has no layout to preview.")
        return Layout(self.size, self.build(self.check(data)), copies)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "description": self.description,
            "size": self.size.label,
            "fields": [f.as_dict() for f in self.fields],
        }


def _t(name: str, limit: int, description: str, required: bool = True) -> FieldSpec:
    return FieldSpec(name, TEXT, limit, description, required)


def _return_lpn(d: dict[str, Any]) -> tuple[Any, ...]:
    return (
        Box(2, 2, 97, 147, 0.5),
        Text(5, 5, 5, "RETURN"),
        Barcode(5, 13, Symbology.CODE128, d["lpn"], height=25),
        Text(5, 41, 4.5, d["lpn"], "lpn"),
        Text(5, 50, 3, f"RMA {d['rma']}", "rma"),
        Text(5, 57, 6, d["grade"], "grade"),
        Text(5, 66, 6, d["disposition"], "disposition"),
        Text(5, 76, 3, f"BIN {d['bin']}", "bin"),
        Text(5, 82, 3, d["date"], "date"),
        Text(5, 88, 3, f"BY {d['operator']}", "operator"),
        Text(5, 96, 3, d["title"], "title"),
        Text(5, 102, 3, d["note"], "note"),
    )


def _restock_bin(d: dict[str, Any]) -> tuple[Any, ...]:
    return (
        Barcode(4, 2, Symbology.CODE128, d["bin"], height=12),
        Text(4, 16, 3.5, d["bin"], "bin"),
        Text(4, 21, 3, d["zone"], "zone"),
    )


def _work_order(d: dict[str, Any]) -> tuple[Any, ...]:
    link = (Barcode(70, 3, Symbology.QR, d["link"], module=0.5),) if d["link"] else ()
    return (
        Barcode(4, 3, Symbology.CODE128, d["work_order"], height=10),
        *link,
        Text(4, 15, 4, d["work_order"], "work_order"),
        Text(4, 21, 3, d["lpn"], "lpn"),
        Text(4, 30, 3.5, d["title"], "title"),
        Text(4, 36, 3.5, d["fault"], "fault"),
        Text(4, 42, 3, f"{d['technician']} {d['date']}", "technician"),
    )


def _item_relabel(d: dict[str, Any]) -> tuple[Any, ...]:
    data = gs1.element("01", d["gtin"]) + gs1.element("21", d["serial"])
    return (
        Barcode(3, 3, Symbology.GS1_128, data, height=12),
        Text(3, 16, 2.2, data, "serial"),
        Text(3, 21, 3.5, d["title"], "title"),
        Text(3, 27, 4, d["grade"], "grade"),
        Barcode(75, 30, Symbology.GS1_DATAMATRIX, data, module=0.5),
    )


def _scanner_config(d: dict[str, Any]) -> tuple[Any, ...]:
    """Title and version on top; each code with its caption under it and its confidence small; the note."""
    elements: list[Any] = [Text(5, 4, 5, d["title"], "title"), Text(5, 10.5, 2.5, d["version"], "version")]
    y = 15.0
    for i, code in enumerate(d["codes"]):
        data = code["data"] + ("\r" if code["cr"] else "")
        fnc3 = {"reader_init": code["fnc3"], "fnc3_last": code["fnc3"] and code["fnc3_last"]}
        elements.append(Barcode(5, y, Symbology.CODE128, data, height=10, **fnc3))
        elements.append(Text(5, y + 11, 3.5, code["caption"], f"codes[{i}].caption"))
        elements.append(Text(75, y + 11.5, 2.5, code["confidence"], f"codes[{i}].confidence"))
        y += 19
    lines = textwrap.wrap(d["note"], _NOTE_CHARS)
    if y + _NOTE_PITCH * len(lines) > _BOTTOM_MM:
        raise LabelDataError(
            f"Field 'note' takes {len(lines)} lines; under {len(d['codes'])} codes only "
            f"{int((_BOTTOM_MM - y) / _NOTE_PITCH)} fit. Shorten the note or put fewer codes on the label."
        )
    for line in lines:
        elements.append(Text(5, y, 2.2, line, "note"))
        y += _NOTE_PITCH
    return tuple(elements)


_NOTE_CHARS, _NOTE_PITCH, _BOTTOM_MM = 66, 2.8, 150


TEMPLATES: dict[str, Template] = {
    t.name: t
    for t in (
        Template(
            "return_lpn",
            "Return tote / LPN label printed at the drop-off counter",
            LabelSize.L4X6,
            (
                FieldSpec("lpn", Symbology.CODE128, 20, "licence plate number, printed as Code 128"),
                _t("rma", 24, "return authorization"),
                _t("grade", 14, "condition grade"),
                _t("disposition", 14, "what happens to the unit (restock, repair, ...)"),
                _t("bin", 24, "suggested bin"),
                _t("date", 20, "date received"),
                _t("operator", 24, "who received it"),
                _t("title", 30, "product title", required=False),
                _t("note", 30, "free note", required=False),
            ),
            _return_lpn,
        ),
        Template(
            "restock_bin",
            "Bin label for the hub's shelves",
            LabelSize.L2X1,
            (
                FieldSpec("bin", Symbology.CODE128, 12, "bin code, printed as Code 128"),
                _t("zone", 14, "zone or aisle", required=False),
            ),
            _restock_bin,
        ),
        Template(
            "work_order",
            "Work-order label for the repair bench",
            LabelSize.L4X2,
            (
                FieldSpec("work_order", Symbology.CODE128, 16, "work order number, printed as Code 128"),
                _t("lpn", 20, "unit's LPN"),
                _t("title", 26, "product title", required=False),
                _t("fault", 26, "reported fault", required=False),
                _t("technician", 20, "technician", required=False),
                _t("date", 10, "date opened", required=False),
                FieldSpec("link", Symbology.QR, 100, "repair instructions link, printed as QR", False),
            ),
            _work_order,
        ),
        Template(
            "item_relabel",
            "Item relabel with GS1-128 and GS1 DataMatrix (01) GTIN + (21) serial",
            LabelSize.L4X2,
            (
                FieldSpec("gtin", Symbology.GS1_128, 14, "GTIN-14 with check digit (GS1 AI 01)"),
                FieldSpec(
                    "serial", Symbology.GS1_128, 20, "serial number, GS1 characters except ( ) > (AI 21)"
                ),
                _t("title", 26, "product title", required=False),
                _t("grade", 14, "condition grade", required=False),
            ),
            _item_relabel,
        ),
        Template(
            "scanner_config",
            "Scanner configuration sheet: named Code 128 programming barcodes",
            LabelSize.L4X6,
            (
                _t("title", 24, "sheet title"),
                _t("version", 70, "what the sheet was made from (profile, version), printed small", False),
                FieldSpec(
                    "codes",
                    LIST,
                    6,
                    "programming barcodes, top to bottom, each with its caption under it",
                    items=(
                        _t("caption", 26, "what scanning it does"),
                        FieldSpec("data", Symbology.CODE128, 30, "programming data, printed as Code 128"),
                        FieldSpec(
                            "fnc3", FLAG, 1, "put FNC3 in the barcode (a reader programming code)", False
                        ),
                        FieldSpec("fnc3_last", FLAG, 1, "FNC3 after the data instead of first", False),
                        FieldSpec("cr", FLAG, 1, "end the barcode's data with a CR", False),
                        _t("confidence", 12, "how well the code is proven, printed small", False),
                    ),
                ),
                _t("note", 420, "what the sheet does not print, and why (wrapped, small)", False),
            ),
            _scanner_config,
        ),
        Template(
            "shipping",
            "Carrier label from the OMS: one ^XA..^XZ 4x6 format, checked and sent unchanged",
            LabelSize.L4X6,
            (FieldSpec("zpl", ZPL, 64_000, "the ZPL as the OMS sent it"),),
        ),
    )
}


def get_template(name: str) -> Template:
    """The template called ``name``; :class:`LabelDataError` lists the known ones otherwise."""
    try:
        return TEMPLATES[name]
    except KeyError:
        raise LabelDataError(
            f"There is no label template {name!r}; expected one of {sorted(TEMPLATES)}."
        ) from None
