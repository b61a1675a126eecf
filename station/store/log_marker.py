"""How a station notices at start that its database went back in time (restored from an older copy).

Beside the database, outside it, a small JSON file keeps the log id, the acked seq and the last seq as
they were at the last end-to-end ack, and the ids of the logs this station had before. A database restored
from a backup, a snapshot or an SD card that lost its last writes comes back with the same log id (or an
older one) and a lower acked or last seq than the file says: its next events would reuse seqs the centre
already holds with other events. The outbox then starts a new log before sending anything.

The file is written after the database committed, so it never runs ahead of a database that was not
restored; a file lost or unreadable only means the centre finds the fork instead (it compares event ids).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class LogMark:
    log_id: str
    acked_seq: int
    last_seq: int
    earlier: tuple[str, ...] = field(default=())  # log ids this station sent under before

    def restored(self, log_id: str, acked_seq: int, last_seq: int) -> str | None:
        """Why a database with these values is an older copy of the log this mark describes, or None."""
        if log_id != self.log_id:
            if log_id in self.earlier:
                return f"the database is back on log {log_id!r}, which this station left for {self.log_id!r}"
            return None  # another database (started anew after a corrupt one): nothing to compare
        if acked_seq < self.acked_seq or last_seq < self.last_seq:
            return (
                f"the database holds seq {last_seq} acked up to {acked_seq}, but it had reached seq "
                f"{self.last_seq} acked up to {self.acked_seq}: it was restored from an older copy"
            )
        return None


class LogMarker:
    """The mark file of a database: ``station.db`` -> ``station.db.log.json``."""

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".log.json")

    def read(self) -> LogMark | None:
        try:
            doc = json.loads(self.path.read_text())
            return LogMark(
                str(doc["log_id"]),
                int(doc["acked_seq"]),
                int(doc["last_seq"]),
                tuple(str(e) for e in doc.get("earlier", ())),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, mark: LogMark) -> None:
        """Replace the file whole (a crash leaves the old one or the new one, never half of one)."""
        tmp = self.path.with_name(self.path.name + ".tmp")
        tmp.write_text(json.dumps({**asdict(mark), "earlier": list(mark.earlier)}))
        os.replace(tmp, self.path)
