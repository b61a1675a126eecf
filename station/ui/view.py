"""What the UI shows, as one immutable snapshot taken on the core worker after each outcome."""

from __future__ import annotations

from dataclasses import dataclass

from station.core.intake import IntakeState
from station.core.manifest import Operator
from station.desk import Outcome


@dataclass(frozen=True)
class DeskView:
    operator: Operator | None
    intake: IntakeState
    prompt: str
    outcome: Outcome | None = None
