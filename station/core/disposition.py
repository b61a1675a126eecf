"""Grades and the disposition rules that turn a graded unit into where it goes next."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from station.core.errors import ConfigError


class Grade(StrEnum):
    A = "A"  # like new, sealed or unused
    B = "B"  # opened, fully working, light wear
    C = "C"  # visible wear or missing accessories
    D = "D"  # damaged or not working
    INCORRECT_ITEM = "incorrect_item"
    MISSING = "missing"
    JUNK = "junk"


class Disposition(StrEnum):
    RESTOCK_LOCAL = "restock_local"
    REPAIR = "repair"
    LIQUIDATE = "liquidate"
    DONATE = "donate"
    RECYCLE = "recycle"
    RETURN_TO_DC = "return_to_dc"


@dataclass(frozen=True)
class DispositionRule:
    """A rule fires when every condition it sets holds; ``None`` or empty means "any"."""

    name: str
    disposition: Disposition
    grades: frozenset[Grade] = frozenset()
    categories: frozenset[str] = frozenset()
    min_value: float | None = None
    max_value: float | None = None
    stocked: bool | None = None

    def fires(self, grade: Grade, category: str, value: float, stocked: bool) -> bool:
        return (
            (not self.grades or grade in self.grades)
            and (not self.categories or category in self.categories)
            and (self.min_value is None or value >= self.min_value)
            and (self.max_value is None or value < self.max_value)
            and (self.stocked is None or stocked == self.stocked)
        )


FALLBACK = DispositionRule("fallback: send on to the DC", Disposition.RETURN_TO_DC)

G = Grade
D = Disposition
DEFAULT_RULES: tuple[DispositionRule, ...] = (
    DispositionRule("junk is recycled", D.RECYCLE, frozenset({G.JUNK})),
    DispositionRule("incorrect items go back to the DC", D.RETURN_TO_DC, frozenset({G.INCORRECT_ITEM})),
    DispositionRule(
        "sellable and stocked here: restock", D.RESTOCK_LOCAL, frozenset({G.A, G.B}), stocked=True
    ),
    DispositionRule("like new, not stocked here: to the DC", D.RETURN_TO_DC, frozenset({G.A})),
    DispositionRule("worn and valuable: repair", D.REPAIR, frozenset({G.C, G.D}), min_value=100.0),
    DispositionRule("opened or worn, low value: liquidate", D.LIQUIDATE, frozenset({G.B, G.C})),
    DispositionRule("damaged electronics: recycle", D.RECYCLE, frozenset({G.D}), frozenset({"electronics"})),
    DispositionRule("damaged, low value: donate", D.DONATE, frozenset({G.D})),
)


def decide(
    rules: Sequence[DispositionRule], grade: Grade, category: str, value: float, stocked: bool
) -> DispositionRule:
    """The first rule that fires, else the fallback (return to the DC)."""
    for rule in rules:
        if rule.fires(grade, category, value, stocked):
            return rule
    return FALLBACK


def rules_from_config(raw: Sequence[object], source: str) -> tuple[DispositionRule, ...]:
    """Rules from the config's ``[[disposition.rules]]`` tables, checked key by key."""
    rules = []
    allowed = {"name", "disposition", "grades", "categories", "min_value", "max_value", "stocked"}
    for i, item in enumerate(raw):
        key = f"disposition.rules[{i}]"
        if not isinstance(item, Mapping):
            raise ConfigError(source, key, "a table", item)
        extra = sorted(set(item) - allowed)
        if extra:
            raise ConfigError(source, f"{key}.{extra[0]}", "one of " + ", ".join(sorted(allowed)), extra[0])
        try:
            disposition = Disposition(str(item.get("disposition")))
        except ValueError:
            raise ConfigError(
                source,
                f"{key}.disposition",
                "one of " + ", ".join(d.value for d in D),
                item.get("disposition"),
            ) from None
        grades = item.get("grades", [])
        if not isinstance(grades, list) or not all(g in Grade._value2member_map_ for g in grades):
            raise ConfigError(source, f"{key}.grades", "a list of " + ", ".join(g.value for g in G), grades)
        categories = item.get("categories", [])
        if not isinstance(categories, list) or not all(isinstance(c, str) for c in categories):
            raise ConfigError(source, f"{key}.categories", "a list of category names", categories)
        bounds: dict[str, float | None] = {}
        for bound in ("min_value", "max_value"):
            v = item.get(bound)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float))):
                raise ConfigError(source, f"{key}.{bound}", "a number", v)
            bounds[bound] = None if v is None else float(v)
        stocked = item.get("stocked")
        if stocked is not None and not isinstance(stocked, bool):
            raise ConfigError(source, f"{key}.stocked", "true or false", stocked)
        name = item.get("name", f"rule {i + 1}")
        if not isinstance(name, str):
            raise ConfigError(source, f"{key}.name", "a string", name)
        rules.append(
            DispositionRule(
                name,
                disposition,
                frozenset(Grade(g) for g in grades),
                frozenset(categories),
                bounds["min_value"],
                bounds["max_value"],
                stocked,
            )
        )
    return tuple(rules)
