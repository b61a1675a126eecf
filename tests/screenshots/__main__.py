"""Regenerate the committed screenshots (README) from fixed data: ``python -m tests.screenshots``.

Runs the UI tests that take screenshots with STATION_REGENERATE_SCREENSHOTS=1: they then write into this
folder instead of a temporary one, with a fixed clock (2026-03-02), fixed disk figures and fixed paths.
"""

from __future__ import annotations

import os
import sys

import pytest

from tests.fixtures_ui import REGENERATE_ENV

if __name__ == "__main__":
    os.environ[REGENERATE_ENV] = "1"
    sys.exit(
        pytest.main(
            [
                "-q",
                "-p",
                "no:cacheprovider",
                "tests/test_ui_layout.py",
                "tests/test_ui_flows.py",
                "-k",
                "not -de]",
                *sys.argv[1:],
            ]
        )
    )
