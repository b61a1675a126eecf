"""What a sink reports: a log's progress (contiguous, highest, gaps, fork) and what an insert did."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Fork:
    """A log the station forked: at ``seq`` the sink holds ``held_id`` and the station sent ``sent_id``."""

    source: str
    seq: int
    held_id: str
    sent_id: str

    def message(self) -> dict[str, Any]:
        """The ``fork`` member of an ack."""
        return {"seq": self.seq, "held": self.held_id, "sent": self.sent_id}


@dataclass(frozen=True)
class Progress:
    """What the sink holds of one log: all of 1..contiguous, and up to highest with gaps between.

    ``gap_since_ms`` says, per gap, when the event after it arrived; ``fork`` is set once the log forked.
    """

    source: str
    contiguous: int
    highest: int
    gaps: tuple[tuple[int, int], ...] = ()
    gap_since_ms: tuple[int, ...] = ()
    fork: Fork | None = None

    @property
    def ack_seq(self) -> int:
        """What the station may count as delivered: never past a fork."""
        return self.contiguous if self.fork is None else min(self.contiguous, self.fork.seq - 1)


@dataclass
class InsertResult:
    inserted: int
    duplicates: int
    progress: dict[str, Progress] = field(default_factory=dict)
    refused: int = 0  # events of a forked log: another event holds their (source, seq)
    refused_ids: set[str] = field(default_factory=set)
    forks: list[Fork] = field(default_factory=list)  # forks first seen in this insert


class Sink(Protocol):
    def insert(self, events: Sequence[Mapping[str, Any]], receiver: str = "") -> InsertResult: ...

    def stats(self, gap_after_s: float | None = None) -> dict[str, Any]: ...

    def progress(self, source: str) -> Progress: ...

    def close(self) -> None: ...
