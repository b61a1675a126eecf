"""Back online fast: after a long broker outage a station reconnects within seconds of the broker's return.

The backoff is capped (``backoff_max_s``, 4 s by default, jitter kept), so the length of the outage does not
matter once it is longer than the climb to the cap (about 8 s). The normal suite proves it with a 20 s outage
on the deploy TLS broker; ``tests/bench/test_reconnect_bench.py`` runs the full 3-minute outage with the
same code and prints how long the station took.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from station.runtime.sync_link import read_status, start_sync
from sync.settings import SyncSettings
from tests.fixtures_tls import TlsWorld
from tests.sync_helpers import station_db, wait_for


def station_cli(data: Path, url: str, *args: str) -> str:
    """`station ...` with a config whose data dir holds the test's database."""
    config = data / "station.toml"
    config.write_text(f'hub = "h1"\nstation = "s2"\ndata_dir = "{data}"\n[broker]\nurl = "{url}"\n')
    run = [sys.executable, "-m", "station.cli", "--config", str(config), *args]
    return subprocess.run(run, capture_output=True, text=True, timeout=60, check=True).stdout


def test_station_is_back_within_seconds_of_the_brokers_return(tls_world: TlsWorld, tmp_path: Path) -> None:
    took = back_after_outage(tls_world, tmp_path, 20.0)
    assert took < 10.0


def back_after_outage(tls_world: TlsWorld, tmp_path: Path, outage_s: float) -> float:
    """Seconds from the broker's return after ``outage_s`` of outage to the station online again (the
    retry times shown meanwhile never exceed the cap, and `station sync status` shows the next one)."""
    db = tmp_path / "station.db"
    station_db(db, 10).close()
    tls = tls_world.files("h1-s2")
    settings = SyncSettings(
        broker=tls_world.url, hub="h1", station="s2", ca=tls.ca, cert=tls.cert, key=tls.key
    )
    assert settings.backoff_max_s <= 5.0  # the default itself is what is tested
    link = start_sync(settings, db, dict)
    try:
        assert link.conn.wait_online(20)
        tls_world.broker.stop(kill=True)
        down_until = time.monotonic() + outage_s
        waits: list[float] = []
        while time.monotonic() < down_until:
            status = read_status(db)
            if status["next_retry_at"] is not None:  # what `station sync status` shows
                waits.append(status["next_retry_at"] - time.time())
            time.sleep(0.5)
        shown = station_cli(tmp_path, tls_world.url, "sync", "status")
        assert "next try in" in shown, shown
        tls_world.broker.start()
        back = time.monotonic()
        wait_for(lambda: link.conn.online, timeout=30, what="the station online again")
        took = time.monotonic() - back
        print(f"outage {outage_s:.0f} s: online again {took:.1f} s after the broker's return")
        assert waits and max(waits) <= settings.backoff_max_s + 0.5
        assert read_status(db)["state"] in ("online", "connecting")
        return took
    finally:
        link.stop()
        if tls_world.broker.proc is None:
            tls_world.broker.start()
