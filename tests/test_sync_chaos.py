"""Chaos, small, on the deploy TLS broker: SIGKILLed stations, restarted broker, killed receivers, one
station database rolled back, one session takeover attempt -> every event of every log exactly once."""

from __future__ import annotations

from pathlib import Path

from tests.fixtures_tls import make_tls_world
from tests.sync_chaos import check, run_chaos

TOTAL = 1800


def test_chaos_small(tmp_path: Path) -> None:
    world = make_tls_world(tmp_path / "tls", stations=("s1", "s2", "s3"), receivers=("rA", "rB"))
    work = tmp_path / "run"
    work.mkdir()
    try:
        result = run_chaos(work, world.broker, TOTAL, every_s=0.25, tls=world)
    finally:
        world.broker.stop()
    print(f"chaos: {result}")
    check(result, TOTAL)
