"""Alerts for the people at the centre: a station offline or backlogged, a printer fault, seq gaps."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sync.central.db import Database, Row
from sync.central.queries import stations

#: Printer states that need nobody (``unknown``: a station that has not reported a printer yet).
_PRINTER_FINE = {None, "", "ready", "unknown", "None"}


@dataclass(frozen=True)
class Limits:
    offline_min: float = 10.0
    backlog_min: float = 10.0
    printer_min: float = 5.0


def _age_min(iso: str | None, now: float) -> float | None:
    if not iso:
        return None
    try:
        return (now - datetime.fromisoformat(iso).timestamp()) / 60
    except ValueError:
        return None


def alerts(
    db: Database, limits: Limits, hubs: Sequence[str] | None = None, now: float | None = None
) -> list[Row]:
    """Every current alert: ``{"kind", "hub", "station", "text"}``, worst kinds first."""
    now = time.time() if now is None else now
    out: list[Row] = []
    for s in stations(db, hubs):
        where = {"hub": s["hub"], "station": s["station"]}
        offline = _age_min(s["presence_since"], now) if s["presence"] == "offline" else None
        if offline is not None and offline >= limits.offline_min:
            out.append({"kind": "offline", **where, "text": f"offline for {offline:.0f} min"})
        age = s["oldest_unacked_age_s"]
        if s["presence"] == "online" and s["backlog"] and age is not None and age / 60 >= limits.backlog_min:
            text = f"{s['backlog']} events waiting, the oldest for {age / 60:.0f} min"
            out.append({"kind": "backlog", **where, "text": text})
        if s["printer"] not in _PRINTER_FINE and s["printer_since"]:
            minutes = (now * 1000 - s["printer_since"]) / 60_000
            if minutes >= limits.printer_min:
                out.append(
                    {"kind": "printer", **where, "text": f"printer {s['printer']} for {minutes:.0f} min"}
                )
    for row in db.rows("SELECT source, contiguous, highest FROM progress WHERE highest > contiguous"):
        hub, _, rest = row["source"].removeprefix("urn:hubstation:").partition(":")
        if hubs is not None and hub not in hubs:
            continue
        held = f"1..{row['contiguous']} in a row" if row["contiguous"] else "nothing from seq 1"
        text = f"seqs missing: the receiver has {held} and events up to {row['highest']}"
        out.append({"kind": "gap", "hub": hub, "station": rest.split(":")[0], "text": text})
    order = {"offline": 0, "printer": 1, "backlog": 2, "gap": 3}
    return sorted(out, key=lambda a: (order[a["kind"]], a["hub"], a["station"]))
