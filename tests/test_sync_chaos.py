"""Chaos, small: SIGKILLed stations, restarted broker, killed receivers -> every event exactly once."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures_mqtt import Broker
from tests.sync_chaos import check, run_chaos

TOTAL = 1800


def test_chaos_small(broker: Broker, tmp_path: Path) -> None:
    result = run_chaos(tmp_path, broker, TOTAL, every_s=0.25)
    print(f"chaos: {result}")
    check(result, TOTAL)
