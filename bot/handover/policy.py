"""Applies handover/policy.yml: which signals or proposals bring in a person, and how urgently."""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Mapping, Union

import yaml

from bot.signals import detect_signals

POLICY_FILE = Path(__file__).with_name("policy.yml")
_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+|\n+")

# A signal name, or an occurrence: {"name": ..., "text": the message or sentence that raised it}.
SignalSeen = Union[str, Mapping[str, str]]


@lru_cache(maxsize=1)
def _policy() -> dict:
    return yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))


def policy_version() -> str:
    return str(_policy()["version"])


def not_understood_limit() -> int:
    return int(_policy()["not_understood_limit"])


def service_level_minutes(priority: str) -> int:
    """How long a handed-over customer of this priority may wait for a person."""
    levels = _policy()["service_level_minutes"]
    return int(levels.get(priority, levels["normal"]))


def after_hand_back_messages() -> int:
    return int(_policy()["after_hand_back_warm_close_messages"])


@dataclass(frozen=True)
class HandoverDecision:
    reason: str
    priority: str  # crisis | high | normal


@dataclass(frozen=True)
class Situation:
    """What the proposal knows beyond the signals: the wish, the capacity, whether it lasts."""

    customer_wish: str | None = None
    monthly_capacity: int | None = None
    lasting: bool = False


def _names(signals: Iterable[SignalSeen]) -> set[str]:
    return {s if isinstance(s, str) else s["name"] for s in signals}


def immediate(signals: Iterable[SignalSeen]) -> HandoverDecision | None:
    rule = _policy()["immediate"]
    found = sorted(_names(signals) & set(rule["signals"]))
    return HandoverDecision(found[0], rule["priority"]) if found else None


def _sentences_raising(name: str, text: str) -> list[str]:
    """The sentences of `text` that show `name` on their own; the whole text when none does."""
    sentences = [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]
    own = [s for s in sentences if any(found.name == name for found in detect_signals(s))]
    return [s.lower() for s in own] or [text.strip().lower()]


def distinct_life_events(signals: Iterable[SignalSeen], life_events: Iterable[str]) -> int:
    """How many different life events the customer told, one per sentence at most: the largest
    set of event names that each have a sentence of their own (a bipartite matching)."""
    events = set(life_events)
    where: dict[str, set[str]] = {}
    for seen in signals:
        name = seen if isinstance(seen, str) else seen["name"]
        if name in events:
            text = None if isinstance(seen, str) else seen.get("text")
            where.setdefault(name, set()).update(_sentences_raising(name, text) if text else [f"<{name}>"])
    taken: dict[str, str] = {}

    def place(name: str, tried: set[str]) -> bool:
        for sentence in sorted(where[name]):
            if sentence not in tried:
                tried.add(sentence)
                if sentence not in taken or place(taken[sentence], tried):
                    taken[sentence] = name
                    return True
        return False

    return sum(1 for name in sorted(where) if place(name, set()))


def at_proposal(signals: Iterable[SignalSeen], solution: str | None,
                situation: Situation | None = None) -> HandoverDecision | None:
    """Whether a person takes over once the bot has the whole picture (R4, R15, R19)."""
    signals = list(signals)
    situation = situation or Situation()
    crisis = immediate(signals)
    if crisis:
        return crisis
    rule = _policy()["at_proposal"]
    single = sorted(_names(signals) & set(rule["any_signal"]))
    if single:
        return HandoverDecision(f"signal:{single[0]}", rule["priority"])
    if distinct_life_events(signals, rule["life_events"]) >= rule["min_different_life_events"]:
        return HandoverDecision("multiple_problems", rule["priority"])
    below = rule["below_living_norm"]
    if situation.monthly_capacity == 0 and (situation.lasting or not below["when_lasting"]):
        return HandoverDecision("below_living_norm", rule["priority"])
    if situation.customer_wish == rule["customer_wish"]:
        return HandoverDecision("customer_asked", "normal")
    if solution in rule["staff_confirmed_solutions"]:
        return HandoverDecision(f"staff_confirmation:{solution}", "normal")
    return None
