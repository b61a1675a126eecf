"""Terminal output of data: no control character from a manifest (a title, a name) reaches a terminal.

Escape sequences (``ESC [``, the 8-bit CSI ``\\x9b``), other C0/C1 controls, DEL, line separators and the
bidirectional overrides are shown as ``\\xNN``/``\\uNNNN`` instead of being sent to the terminal.
"""

from __future__ import annotations

import json
import re
from typing import Any

_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def clean(text: object) -> str:
    """``text`` with every control character written out as an escape."""
    return _CONTROL.sub(_escaped, str(text))


def json_line(obj: Any) -> str:
    """One JSON document on one line; the controls JSON leaves raw (DEL, C1, separators) are escaped too."""
    return _CONTROL.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(obj, ensure_ascii=False))
