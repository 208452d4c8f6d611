"""Monthly capacity: what a customer can pay each month and still live (R13)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Mapping, Union

from .norms import HOUSEHOLD_TYPES, Norms, load_norms

Money = Union[int, Decimal]


def _check_money(value: Any, name: str) -> None:
    # Floats are refused: binary rounding on money is how a euro silently goes missing.
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise TypeError(f"{name} must be int or Decimal euros, got {type(value).__name__}")
    if isinstance(value, Decimal) and not value.is_finite():
        raise ValueError(f"{name} must be a finite amount")
    if value < 0:
        raise ValueError(f"{name} must be >= 0")


@dataclass(frozen=True)
class Finances:
    """Monthly amounts in euros as the customer states them.

    other_fixed_costs: energy, insurances, phone, taxes, childcare, payments on other debts;
    never the term of the loan in arrears (that is what the capacity must pay).
    """

    net_monthly_income: Money
    housing_costs: Money
    other_fixed_costs: Money
    household_type: str
    children: int = 0

    def __post_init__(self) -> None:
        for name in ("net_monthly_income", "housing_costs", "other_fixed_costs"):
            _check_money(getattr(self, name), name)
        if self.household_type not in HOUSEHOLD_TYPES:
            raise ValueError(f"household_type must be one of {HOUSEHOLD_TYPES}")
        if isinstance(self.children, bool) or not isinstance(self.children, int) or self.children < 0:
            raise ValueError("children must be an int >= 0")


@dataclass(frozen=True)
class Affordability:
    living_norm: int
    floor: int
    reserve: int
    monthly_capacity: int
    norm_version: str
    explanation: Mapping[str, Any] = field(compare=False, hash=False)


def _whole_income(value: Money) -> int:
    # Customer's favour: count less income and more costs, so capacity is never overstated.
    return math.floor(value)


def _whole_cost(value: Money) -> int:
    return math.ceil(value)


def assess(finances: Finances, norms: Norms | None = None) -> Affordability:
    """Capacity = income - housing - other fixed costs - living norm - reserve, never below 0."""
    norms = norms or load_norms()
    household_type, children = finances.household_type, finances.children
    norm = norms.norm_for(household_type, children)
    floor = norms.floor_for(household_type, children)
    # Belt and braces: the loader already rejects a norm below the floor.
    living = max(norm, floor)
    reserve = norms.reserve[household_type]
    income = _whole_income(finances.net_monthly_income)
    housing = _whole_cost(finances.housing_costs)
    fixed = _whole_cost(finances.other_fixed_costs)
    left_after_costs = income - housing - fixed
    capacity = max(0, left_after_costs - living - reserve)
    if capacity > 0:
        code = "capacity_available"
    elif left_after_costs < floor:
        code = "below_floor"
    else:
        code = "no_capacity"
    explanation = {
        "code": code,
        "household_type": household_type,
        "children_counted": norms.children_counted(household_type, children),
        "income_counted": income,
        "housing_costs_counted": housing,
        "other_fixed_costs_counted": fixed,
        "left_after_fixed_costs": left_after_costs,
        "living_norm": living,
        "reserve": reserve,
        "floor": floor,
        "shortfall": max(0, living + reserve - left_after_costs),
        "norm_version": norms.version,
    }
    return Affordability(
        living_norm=living,
        floor=floor,
        reserve=reserve,
        monthly_capacity=capacity,
        norm_version=norms.version,
        explanation=explanation,
    )
