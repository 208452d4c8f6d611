"""Cause of the arrears from the customer's own words (R7).

The bot asks an open question and then follows up; this module turns an answer into one of
a fixed set of categories and tells whether the cause counts as structural by default (which
triggers the income/expense check, R9). Rules and words live in causes.yml, versioned; the
trained classifier (model.py, issue 22) reads the answers the lexicon has no words for, and the
two are weighed together as causes.yml's `classifier` section says.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from bot.language import find_hits, first_hit, load_yaml, tokenize

from . import model

CAUSES_PATH = Path(__file__).with_name("causes.yml")
LANGUAGES_DIR = Path(__file__).resolve().parents[2] / "languages"

# Fixed contract with the dialogue (slot values) and the handover summary (R20).
CAUSES = (
    "job_loss", "income_drop", "one_off_expense", "illness", "relationship_end",
    "bereavement", "forgot", "payment_timing", "other_debts", "business", "other",
)
FALLBACK = "other"


@dataclass(frozen=True)
class CauseResult:
    cause: str                      # one of CAUSES
    term: str | None                # lexicon term that decided it; None for the fallback
    candidates: tuple[str, ...]     # every cause the lexicon matched, in priority order
    probability: float | None = None  # the trained classifier's probability for `cause`


@dataclass(frozen=True)
class _Rules:
    priority: tuple[str, ...]
    terms: dict
    excludes: dict
    structural: dict
    follow_up: dict
    no_typo: frozenset
    version: str
    classifier: dict


@lru_cache(maxsize=1)
def _rules() -> _Rules:
    data = load_yaml(str(CAUSES_PATH))
    causes = data.get("causes") or {}
    priority = tuple(data.get("priority") or ())
    expected = set(CAUSES) - {FALLBACK}
    if set(causes) != expected or set(priority) != expected or len(priority) != len(expected):
        raise ValueError("causes.yml must define and rank every cause except 'other'")
    terms = {c: tuple(str(t) for t in causes[c].get("terms") or ()) for c in priority}
    excludes = {c: tuple(str(t) for t in causes[c].get("exclude") or ()) for c in priority}
    no_typo = frozenset(str(w) for w in data.get("typo_exclusions") or ())
    versions = [str(data["version"])]
    # Other languages add their words for the same causes (languages/<code>/causes.yml, issue 27);
    # priority and what counts as structural stay here, the same for every language.
    for path in sorted(LANGUAGES_DIR.glob("*/causes.yml")):
        extra = load_yaml(str(path))
        for cause, words in (extra.get("causes") or {}).items():
            if cause not in terms:
                raise ValueError(f"{path}: unknown cause {cause!r}")
            terms[cause] += tuple(str(t) for t in words.get("terms") or ())
            excludes[cause] += tuple(str(t) for t in words.get("exclude") or ())
        no_typo |= frozenset(str(w) for w in extra.get("typo_exclusions") or ())
        versions.append(f"{path.parent.name}-{extra['version']}")
    return _Rules(
        priority=priority, terms=terms, excludes=excludes,
        structural={c: bool(causes[c]["structural_default"]) for c in priority},
        follow_up={c: bool(causes[c].get("follow_up", False)) for c in priority},
        no_typo=no_typo,
        version="+".join(versions),
        classifier=dict(data["classifier"]),
    )


def causes_version() -> str:
    """Stored with the recorded cause so a later rule change can be traced."""
    return _rules().version


def _lexicon(text: str) -> tuple[list[tuple[str, str]], set[str]]:
    """The causes the lexicon finds, in priority order with the deciding term, and the causes
    whose words only appear denied ("ik ben niet ziek"): the classifier may not pick those."""
    rules = _rules()
    tokens = tokenize(text)
    matched: list[tuple[str, str]] = []
    denied: set[str] = set()
    for cause in rules.priority:
        hit = first_hit(rules.terms[cause], tokens, no_typo=rules.no_typo,
                        excludes=rules.excludes[cause])
        if hit is not None:
            matched.append((cause, hit.term))
        elif find_hits(rules.terms[cause], tokens, no_typo=rules.no_typo, negatable=False,
                       excludes=rules.excludes[cause]):
            denied.add(cause)
    return matched, denied


def explain_cause(text: str) -> CauseResult:
    """Like classify_cause, with the deciding term, all lexicon causes and the probability."""
    if not tokenize(text):
        return CauseResult(FALLBACK, None, ())
    settings = _rules().classifier
    return weigh(text, model.probabilities(text, float(settings["regularisation"])), settings)


def weigh(text: str, probs: dict[str, float], settings: dict) -> CauseResult:
    """Each cause scores the classifier's probability, plus `lexicon_bonus` when the lexicon found
    it and `priority_bonus` for the lexicon's first cause (R7: debts elsewhere outrank the rest).
    Without a lexicon match the classifier's best cause must reach `min_probability`. A cause in
    `lexicon_decides` that the terms found wins outright (R7: debts elsewhere come first)."""
    matched, denied = _lexicon(text)
    candidates = tuple(c for c, _ in matched)
    decided = [c for c in candidates if c in settings.get("lexicon_decides", ())]
    if decided:
        return CauseResult(decided[0], dict(matched)[decided[0]], candidates, probs.get(decided[0]))
    scores = {c: p for c, p in probs.items() if c not in denied}
    for rank, cause in enumerate(candidates):
        scores[cause] = scores.get(cause, 0.0) + float(settings["lexicon_bonus"]) + (
            float(settings["priority_bonus"]) if rank == 0 else 0.0)
    best = max(scores, key=lambda c: (scores[c], c == FALLBACK))
    if not candidates and (best == FALLBACK or probs[best] < float(settings["min_probability"])):
        return CauseResult(FALLBACK, None, (), probs.get(FALLBACK))
    return CauseResult(best, dict(matched).get(best), candidates, probs.get(best))


def prepare() -> None:
    """Fits the classifier now (about a second), so the first customer does not wait for it."""
    model.fitted(float(_rules().classifier["regularisation"]))


def classify_cause(text: str) -> str:
    """One of CAUSES for the customer's answer; 'other' when nothing is recognised."""
    return explain_cause(text).cause


def structural_default(cause: str) -> bool:
    """Whether a cause counts as structural until a follow-up answer says otherwise.
    'other' is not structural by default: the follow-up question decides (R7, R9)."""
    if cause == FALLBACK:
        return False
    if cause not in CAUSES:
        raise ValueError(f"unknown cause: {cause!r}")
    return _rules().structural[cause]


def needs_follow_up(cause: str) -> bool:
    """True for causes whose duration decides temporary vs structural (job_loss, illness,
    business) and for 'other', where the first answer told us too little."""
    if cause == FALLBACK:
        return True
    if cause not in CAUSES:
        raise ValueError(f"unknown cause: {cause!r}")
    return _rules().follow_up[cause]
