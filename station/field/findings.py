"""What a check finds: its name, how it stands, what was seen and what fixes it (doctor and its checks)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    OK = "ok"
    WARN = "warn"  # works, but should be looked at; does not fail the exit code
    FAIL = "fail"


@dataclass(frozen=True)
class Check:
    """One finding: what was checked, how it stands, what was seen, and what fixes it."""

    name: str
    status: Status
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
