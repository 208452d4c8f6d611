"""Applies handover/policy.yml: which signals or proposals bring in a person, and how urgently."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

POLICY_FILE = Path(__file__).with_name("policy.yml")


@lru_cache(maxsize=1)
def _policy() -> dict:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


def policy_version() -> str:
    return str(_policy()["version"])


def not_understood_limit() -> int:
    return int(_policy()["not_understood_limit"])


@dataclass(frozen=True)
class HandoverDecision:
    reason: str
    priority: str  # crisis | high | normal


def immediate(signals: Iterable[str]) -> HandoverDecision | None:
    rule = _policy()["immediate"]
    found = sorted(set(signals) & set(rule["signals"]))
    return HandoverDecision(found[0], rule["priority"]) if found else None


def at_proposal(signals: Iterable[str], solution: str | None) -> HandoverDecision | None:
    """Whether a person takes over once the bot has the whole picture."""
    signals = set(signals)
    crisis = immediate(signals)
    if crisis:
        return crisis
    rule = _policy()["at_proposal"]
    single = sorted(signals & set(rule["any_signal"]))
    if single:
        return HandoverDecision(f"signal:{single[0]}", rule["priority"])
    events = signals & set(rule["life_events"])
    if len(events) >= rule["min_different_life_events"]:
        return HandoverDecision("multiple_problems", rule["priority"])
    if solution in rule["staff_confirmed_solutions"]:
        return HandoverDecision(f"staff_confirmation:{solution}", "normal")
    return None
