"""Loads solutions.yml lazily and once, and refuses an incomplete or inconsistent policy.

Validation lives here so a staff edit with a typo fails at the first proposal (and in the
test suite), never by silently proposing something outside R13/R15.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping

import yaml

from .vocabulary import ADD_ONS, CAUSES, LOAN_TYPES, RULES, SIGNALS, SOLUTIONS

DEFAULT_POLICY_PATH = Path(__file__).with_name("solutions.yml")
_WHEN_KEYS = {"loan_type", "term_affordable", "min_share_of_term_percent"}


@dataclass(frozen=True)
class Policy:
    """The parsed policy; `raw` keeps every value exactly as staff wrote it."""

    version: str
    date: str
    source: str
    raw: Mapping[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self.raw[key]

    @property
    def rule_order(self) -> tuple[str, ...]:
        return tuple(self.raw["rule_order"])

    @property
    def max_recovery_months(self) -> int:
        return self.raw["recovery_period"]["max_months"]

    def rank(self, solution: str) -> int:
        return self.raw["solution_order_best_first"].index(solution)

    def needs_staff(self, solution: str) -> bool:
        return solution in self.raw["staff_confirmation"]


def _whole(value: Any, where: str, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"solutions.yml: {where} must be a whole number >= {minimum}, got {value!r}")
    return value


def _subset(values: Any, allowed: tuple[str, ...], where: str) -> None:
    unknown = set(values or ()) - set(allowed)
    if unknown:
        raise ValueError(f"solutions.yml: {where} has unknown entries {sorted(unknown)}")


def _check_no_recovery(rules: list, remission_loan_types: list) -> None:
    for index, rule in enumerate(rules):
        when = rule.get("when") or {}
        if set(when) - _WHEN_KEYS:
            raise ValueError(f"solutions.yml: no_recovery[{index}].when uses unknown keys")
        _subset([rule["solution"], rule.get("alternative") or "pay_now"], SOLUTIONS, f"no_recovery[{index}]")
        if when.get("loan_type") not in (None, *LOAN_TYPES):
            raise ValueError(f"solutions.yml: no_recovery[{index}].when.loan_type unknown")
        _whole(when.get("min_share_of_term_percent", 0), f"no_recovery[{index}].min_share_of_term_percent")
    if rules[-1].get("when"):
        raise ValueError("solutions.yml: the last no_recovery rule must have an empty `when`")
    # A loan type without remission skips the remission rules: it needs a catch-all of its own.
    for loan_type in set(LOAN_TYPES) - set(remission_loan_types):
        if not any(set(r.get("when") or {}) <= {"loan_type"} and (r.get("when") or {}).get("loan_type", loan_type)
                   == loan_type and r["solution"] != "remission_arrangement" for r in rules):
            raise ValueError(f"solutions.yml: no_recovery needs a rule for every {loan_type} without remission")


def parse_policy(raw: Mapping[str, Any]) -> Policy:
    for key in ("version", "date", "source", "rule_order", "solution_order_best_first",
                "recovery_period", "lasting", "small_arrears", "pay_now", "unchecked", "pause",
                "debt_help", "remission", "no_recovery", "staff_confirmation", "checkin",
                "costs", "add_ons"):
        if key not in raw:
            raise ValueError(f"solutions.yml: missing '{key}'")
    if sorted(raw["rule_order"]) != sorted(RULES):
        # Every case must reach a rule; dropping one could leave a customer without a proposal.
        raise ValueError(f"solutions.yml: rule_order must list each of {RULES} once")
    if sorted(raw["solution_order_best_first"]) != sorted(SOLUTIONS):
        raise ValueError("solutions.yml: solution_order_best_first must list every solution once")
    # R15: an ordinary arrangement clears the arrears within 3 to 12 months.
    months = _whole(raw["recovery_period"]["max_months"], "recovery_period.max_months", 1)
    if months > 12:
        raise ValueError("solutions.yml: recovery_period.max_months above 12 conflicts with R15")
    _whole(raw["small_arrears"]["max_terms"], "small_arrears.max_terms")
    _subset(raw["small_arrears"]["pay_now_unasked_causes"], CAUSES, "small_arrears.pay_now_unasked_causes")
    for key in ("when_cause_structural", "when_recurring"):
        if not isinstance(raw["lasting"][key], bool):
            raise ValueError(f"solutions.yml: lasting.{key} must be true or false")
    unchecked = raw["unchecked"]
    _whole(unchecked["max_catch_up_percent_of_term"], "unchecked.max_catch_up_percent_of_term", 1)
    _whole(unchecked["check_pause_months"], "unchecked.check_pause_months", 1)
    _subset(unchecked["income_check_when"].get("causes"), CAUSES, "unchecked.income_check_when.causes")
    pause = raw["pause"]
    longest = _whole(pause["max_months"], "pause.max_months", 1)
    _whole(pause["monthly_amount"], "pause.monthly_amount")
    for key in ("unknown_end_months", "other_months"):
        if _whole(pause[key], f"pause.{key}", 1) > longest:
            raise ValueError(f"solutions.yml: pause.{key} above pause.max_months")
    _subset(pause["causes"], CAUSES, "pause.causes")
    _subset(raw["debt_help"]["signals"], SIGNALS, "debt_help.signals")
    _subset(raw["debt_help"].get("causes"), CAUSES, "debt_help.causes")
    _whole(raw["debt_help"]["pause_months"], "debt_help.pause_months", 1)
    _whole(raw["debt_help"]["monthly_amount"], "debt_help.monthly_amount")
    remission = raw["remission"]
    low = _whole(remission["min_months"], "remission.min_months", 1)
    high = _whole(remission["max_months"], "remission.max_months", 1)
    if not low <= _whole(remission["months"], "remission.months", 1) <= high:
        raise ValueError("solutions.yml: remission.months must lie within min_months..max_months")
    _whole(remission["reassess_every_months"], "remission.reassess_every_months", 1)
    if remission["forgives"] != "rest_of_loan":
        # The customer is told exactly what is forgiven; the domain words only this one (R15).
        raise ValueError("solutions.yml: remission.forgives must be rest_of_loan")
    _subset(remission["loan_types"], LOAN_TYPES, "remission.loan_types")
    if "mortgage" in remission["loan_types"]:
        raise ValueError("solutions.yml: the bot never forgives mortgage principal (issue 22)")
    _check_no_recovery(raw["no_recovery"], remission["loan_types"])
    _subset(raw["staff_confirmation"], SOLUTIONS, "staff_confirmation")
    _subset(set(raw["checkin"]) - {"income_check"}, SOLUTIONS, "checkin")
    for value in raw["costs"].values():
        _whole(value, "costs")
    _subset(raw["add_ons"], ADD_ONS, "add_ons")
    coaching, buffer = raw["add_ons"]["budget_coaching"], raw["add_ons"]["savings_buffer"]
    _subset(coaching["causes"], CAUSES, "add_ons.budget_coaching.causes")
    _subset(coaching["solutions"], SOLUTIONS, "add_ons.budget_coaching.solutions")
    _subset(buffer["solutions"], SOLUTIONS, "add_ons.savings_buffer.solutions")
    if _whole(buffer["minimum"], "savings_buffer.minimum", 1) > _whole(buffer["amount"], "savings_buffer.amount", 1):
        raise ValueError("solutions.yml: savings_buffer.minimum above its amount")
    return Policy(
        version=str(raw["version"]),
        date=str(raw["date"]),
        source=" ".join(str(raw["source"]).split()),
        raw=raw,
    )


def load_policy(path: Path | str | None = None) -> Policy:
    """The policy from `path`, or the shipped solutions.yml; cached per path."""
    return _load(str(path or DEFAULT_POLICY_PATH))


@lru_cache(maxsize=8)
def _load(path: str) -> Policy:
    with open(path, encoding="utf-8") as handle:
        return parse_policy(yaml.safe_load(handle))
