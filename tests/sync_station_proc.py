"""A stand-in station process for the chaos test: appends events to its database while its uplink runs.

``python -m tests.sync_station_proc DB BROKER_URL STATION TOTAL [CHUNK] [EVERY_S]``: appends CHUNK events
every EVERY_S seconds until the log holds TOTAL, and exits 0 once all TOTAL are acked end to end. Killed
with SIGKILL at any moment, it is simply started again.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from station.runtime.sync_link import start_sync
from station.store.events import EventLog
from sync.settings import SyncSettings
from tests.sync_helpers import append_events, fixed_clock, station_db


def main(argv: list[str]) -> int:
    db, url, station, total = Path(argv[0]), argv[1], argv[2], int(argv[3])
    chunk = int(argv[4]) if len(argv) > 4 else 100
    every = float(argv[5]) if len(argv) > 5 else 0.1
    store = station_db(db)
    log = EventLog(store, fixed_clock)
    settings = SyncSettings(
        broker=url,
        hub="h1",
        station=station,
        backoff_min_s=0.05,
        backoff_max_s=0.5,
        ack_timeout_s=2.0,
        batch_size=500,
        window=5000,
    )
    link = start_sync(settings, db, dict)
    while True:
        last = log.last_seq()
        if last < total:
            append_events(store, min(chunk, total - last), chunk=chunk, start=last)
        elif link.uplink.outbox.acked_seq() >= total:
            link.stop()
            return 0
        time.sleep(every)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
