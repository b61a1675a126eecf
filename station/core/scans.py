"""What a scan is once classified: plain typed data, no parsing here (see :mod:`station.core.classify`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class ScanKind(StrEnum):
    GTIN = "gtin"  # GTIN-8/12/13/14, UPC-A/E, EAN: check digit verified
    SSCC = "sscc"  # 18-digit serial shipping container code
    GS1 = "gs1"  # GS1 element string: (01) (21) (10) (17) ...
    DIGITAL_LINK = "digital_link"  # GS1 Digital Link URI
    RMA = "rma"
    RETURN_QR = "return_qr"  # Loop / Happy Returns QR payloads
    LPN = "lpn"
    BIN = "bin"
    ORDER = "order"
    BADGE = "badge"
    WORK_ORDER = "work_order"
    PART = "part"
    COMMAND = "command"  # a printed command barcode (CMD:DONE, CMD:GRADE:B:scratched): a touch by scan


#: Kinds that identify a product (a unit) rather than a hub document.
ITEM_KINDS = frozenset({ScanKind.GTIN, ScanKind.GS1, ScanKind.DIGITAL_LINK})
#: Kinds that open a return at the counter.
RETURN_CODE_KINDS = frozenset({ScanKind.RMA, ScanKind.RETURN_QR})


@dataclass(frozen=True)
class Scan:
    """One classified scan.

    ``value`` is the main identifier of its kind (the GTIN-14 of a product, the RMA number, the LPN, the
    SSCC...). ``fields`` holds every parsed part: GS1 AIs by their number (``"01"``, ``"21"``), or the
    named groups of a hub code pattern. ``warnings`` says what looked wrong without making the scan
    unusable, e.g. a variable-length AI that seems to have swallowed another because the GS separator was
    dropped (``"gs_missing"``).
    """

    kind: ScanKind
    raw: str
    value: str
    aim: str | None = None
    gtin: str | None = None
    serial: str | None = None
    lot: str | None = None
    expiry: str | None = None  # ISO date
    fields: Mapping[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    source: str | None = None  # for RETURN_QR: "loop", "happy_returns", ...

    @property
    def gs_missing(self) -> bool:
        return "gs_missing" in self.warnings
