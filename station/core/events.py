"""Events: every state change of the station is one, appended to the log that is also the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from station.core.hlc import Hlc


@dataclass(frozen=True)
class NewEvent:
    """An event a flow decided on, before the store gives it a seq, an id, an operator and a time."""

    type: str
    subject: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Event:
    """An event as committed to the station's log."""

    seq: int
    id: str
    type: str
    subject: str
    operator: str
    hlc: Hlc
    boot_id: str
    mono_ns: int
    clock_synced: bool
    data: Mapping[str, Any]

    @property
    def time(self) -> str:
        return self.hlc.isoformat()

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-ready form (``station events --json`` prints one per line)."""
        return {
            "seq": self.seq,
            "id": self.id,
            "type": self.type,
            "subject": self.subject,
            "operator": self.operator,
            "time": self.time,
            "hlc": str(self.hlc),
            "boot_id": self.boot_id,
            "mono_ns": self.mono_ns,
            "clock_synced": self.clock_synced,
            "data": dict(self.data),
        }
