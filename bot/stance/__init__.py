"""Cannot, will not, or does not manage (R10): the class a case is in, always with its evidence.

Pure: evidence in, class out. "Will not" is only ever concluded from the customer's own words or
a staff judgement, never from silence, unanswered messages or missed payments; any sign that the
customer cannot pay or does not manage outweighs it. The class changes when the evidence does.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

from bot.language import first_hit, load_yaml, tokenize

POLICY_PATH = Path(__file__).with_name("stance.yml")
CLASSES = ("cannot", "will_not", "does_not_manage")
UNKNOWN = "unknown"
# Where a piece of evidence came from: a customer's message, an R19 signal, the recorded cause,
# the income/expense check, or a person's judgement.
KINDS = ("words", "signal", "cause", "capacity", "staff")


@dataclass(frozen=True)
class Evidence:
    stance: str   # one of CLASSES
    kind: str     # one of KINDS
    detail: str   # the matched words, signal, cause, figure or staff reason (never a whole message)
    at: str       # ISO moment, UTC

    def as_dict(self) -> dict[str, str]:
        return {"stance": self.stance, "kind": self.kind, "detail": self.detail, "at": self.at}

    @classmethod
    def of(cls, raw: dict[str, Any]) -> "Evidence | None":
        if raw.get("stance") not in CLASSES or raw.get("kind") not in KINDS:
            return None
        return cls(raw["stance"], raw["kind"], str(raw.get("detail") or ""), str(raw.get("at") or ""))


@lru_cache(maxsize=1)
def policy() -> dict:
    data = load_yaml(str(POLICY_PATH))
    if list(data["precedence"]) != [c for c in data["precedence"] if c in CLASSES] or \
            set(data["precedence"]) != set(CLASSES):
        raise ValueError("stance.yml: precedence must name cannot, will_not and does_not_manage once each")
    return data


def label(stance: str | None) -> str:
    return policy()["labels_nl"].get(stance or UNKNOWN, policy()["labels_nl"][UNKNOWN])


def classify(evidence: Iterable[Evidence]) -> str:
    """The class the evidence supports. The newest staff judgement holds until newer evidence of
    another class arrives; otherwise the first class of the precedence with any evidence."""
    items = [e for e in evidence if e.kind in policy()["will_not_from"] or e.stance != "will_not"]
    if not items:
        return UNKNOWN
    staff = [e for e in items if e.kind == "staff"]
    if staff:
        judged = max(staff, key=lambda e: e.at)
        newer = [e for e in items if e.at > judged.at and e.stance != judged.stance and e.kind != "staff"]
        if not newer:
            return judged.stance
        items = newer
    present = {e.stance for e in items}
    return next(c for c in policy()["precedence"] if c in present)


def from_words(text: str, at: str) -> list[Evidence]:
    """What one customer message says about their stance (at most one piece per class)."""
    tokens = tokenize(text)
    if not tokens:
        return []
    found = []
    for stance in CLASSES:
        hit = first_hit(policy()[stance]["terms"], tokens)
        if hit is not None:
            # The matched words (a few, normalised), so staff read what was said, not a pattern.
            found.append(Evidence(stance, "words", f'"{" ".join(tokens[hit.start:hit.end])}"', at))
    return found


def from_case(signals: Iterable[str], cause: str | None, cause_structural: bool | None,
              monthly_capacity: int | None, monthly_term: int | None, at: str) -> list[Evidence]:
    """What the case's recorded facts show: R19 signals, a lasting cause, the capacity."""
    found = []
    names = set(signals)
    for stance in ("does_not_manage", "cannot"):
        for signal in policy()[stance]["signals"]:
            if signal in names:
                found.append(Evidence(stance, "signal", signal, at))
    if cause_structural and cause in policy()["cannot"]["structural_causes"]:
        found.append(Evidence("cannot", "cause", cause, at))
    if monthly_capacity is not None and monthly_term is not None and monthly_capacity < monthly_term:
        found.append(Evidence("cannot", "capacity", f"{monthly_capacity} < {monthly_term}", at))
    return found


def merge(known: Iterable[Evidence], new: Iterable[Evidence]) -> list[Evidence]:
    """Evidence so far plus the new, each (stance, kind, detail) once, its first moment kept."""
    merged = list(known)
    seen = {(e.stance, e.kind, e.detail) for e in merged if e.kind != "staff"}
    for item in new:
        key = (item.stance, item.kind, item.detail)
        if item.kind == "staff" or key not in seen:
            merged.append(item)
            seen.add(key)
    return merged
