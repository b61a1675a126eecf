"""A stand-in station process for the chaos test: appends events to its database while its uplink runs.

``python -m tests.sync_station_proc DB BROKER_URL STATION TOTAL [CHUNK] [EVERY_S] [PKI_DIR] [FORKED]``:
appends CHUNK events every EVERY_S seconds until the log holds TOTAL, and exits 0 once its whole log is
acked end to end. Killed with SIGKILL at any moment, it is simply started again. With PKI_DIR ("-" for
none) it uses the certificate deploy/pki/pki.sh made there for station STATION of hub h1. With FORKED
("fork") its database was restored from an older copy: it exits only once its log has forked, since acks
of the old log (which the centre holds other events of) may cover its events until the fork is known.
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
    pki = Path(argv[6]) if len(argv) > 6 and argv[6] != "-" else None
    must_fork = len(argv) > 7 and argv[7] == "fork"
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
        ca=pki / "ca.crt" if pki else None,
        cert=pki / f"h1-{station}.crt" if pki else None,
        key=pki / f"h1-{station}.key" if pki else None,
    )
    link = start_sync(settings, db, dict)
    while True:
        last = log.last_seq()
        if last < total:
            append_events(store, min(chunk, total - last), chunk=chunk, start=last)
        elif link.uplink.outbox.acked_seq() >= log.last_seq() and (  # a fork's own event counts too
            not must_fork or link.uplink.log_ref.forked_from is not None
        ):
            link.stop()
            return 0
        time.sleep(every)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
