"""The intake screen's list of expected lines never shows a serial number a person could type in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

SHOW = """
from station.core.intake import IntakeState, Phase
from station.core.manifest import ExpectedItem, ExpectedReturn
from station.ui.screens.intake import _missing_rows

item = ExpectedItem(1, "09501101530003", 1, "Phone X", serial="SN-SECRET-1")
print(chr(10).join(_missing_rows(IntakeState(Phase.VERIFYING, ret=ExpectedReturn("RMA-1", (item,))))))
"""


def test_the_intake_list_says_a_line_wants_a_serial_without_showing_it(tmp_path: Path) -> None:
    env = dict(os.environ, KIVY_HOME=str(tmp_path / "kivy"), KIVY_NO_ARGS="1", KIVY_NO_CONSOLELOG="1")
    shown = subprocess.run(
        [sys.executable, "-c", SHOW], capture_output=True, text=True, env=env, timeout=120, check=True
    ).stdout
    assert "Phone X" in shown and "by S/N" in shown
    assert "SN-SECRET-1" not in shown
