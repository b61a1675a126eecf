"""What the OMS told the station to expect: returns with their items (plain data)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ExpectedItem:
    line: int
    gtin: str  # GTIN-14
    quantity: int
    title: str = ""
    category: str = ""
    value: float = 0.0
    serial: str | None = None  # set when the OMS authorized this exact unit


@dataclass(frozen=True)
class ExpectedReturn:
    rma: str
    items: tuple[ExpectedItem, ...]
    currency: str = "EUR"
    refund_cap: float | None = None
    order_number: str | None = None
    customer: str | None = None
    status: str = "expected"  # expected, received, cancelled
    version: int = 1


@dataclass(frozen=True)
class Operator:
    badge: str
    name: str
    roles: frozenset[str]

    @property
    def is_supervisor(self) -> bool:
        return "supervisor" in self.roles
