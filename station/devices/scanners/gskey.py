"""The key a keyboard-emulating scanner sends for the GS separator (0x1D, FNC1), chosen per reader."""

from __future__ import annotations

from enum import StrEnum

from station.devices.scanners.uri import ScannerURI

GS = "\x1d"


class GsKey(StrEnum):
    CTRL_BRACKET = "ctrl-]"  # Ctrl + the ']' key position (KEY_RIGHTBRACE): Honeywell, Datalogic
    F8 = "f8"


def gs_key_option(parsed: ScannerURI) -> GsKey:
    """The ``gs=`` option of a URI (default ``ctrl-]``)."""
    return GsKey(parsed.choice("gs", GsKey.CTRL_BRACKET.value, tuple(k.value for k in GsKey)))
