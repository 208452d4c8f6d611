"""Multiproblem and vulnerability signals in a customer's message (R19).

Every signal sends the case to a trained person; `crisis` (risk to life) does so at once with
the crisis line in the reply. Deciding the handover is the caller's job; this module only
says which signals a message shows and which lexicon term raised each, so staff can see why.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from bot.language import first_hit, load_yaml, tokenize

LEXICON_PATH = Path(__file__).with_name("lexicon.yml")

# Fixed contract with actions/ and the handover summary (R20); the lexicon must define each.
SIGNAL_NAMES = (
    "crisis", "garnishment", "bailiff", "multiple_creditors", "job_loss", "relationship_end",
    "bereavement", "illness", "addiction", "mental_distress", "low_literacy",
)


@dataclass(frozen=True)
class Signal:
    name: str  # one of SIGNAL_NAMES
    term: str  # the lexicon term that matched, as written in lexicon.yml
    text: str  # the message that raised it; personal data, never log it


@dataclass(frozen=True)
class _Category:
    name: str
    terms: tuple[str, ...]
    excludes: tuple[str, ...]
    negatable: bool


# The Dutch lexicon, then one per other language (languages/<code>/signals.yml, issue 27); every
# message is read with all of them, since a customer may write in either language.
LANGUAGE_LEXICONS = Path(__file__).resolve().parents[2] / "languages"


def lexicon_paths() -> list[Path]:
    return [LEXICON_PATH, *sorted(LANGUAGE_LEXICONS.glob("*/signals.yml"))]


def _read(path: Path) -> tuple[tuple[_Category, ...], frozenset[str], str]:
    data = load_yaml(str(path))
    signals = data.get("signals") or {}
    missing = set(SIGNAL_NAMES) - set(signals)
    unknown = set(signals) - set(SIGNAL_NAMES)
    if missing or unknown:
        raise ValueError(f"lexicon signals mismatch in {path.name}: missing={missing} unknown={unknown}")
    categories = tuple(
        _Category(
            name=name,
            terms=tuple(str(t) for t in signals[name].get("terms") or ()),
            excludes=tuple(str(t) for t in signals[name].get("exclude") or ()),
            negatable=bool(signals[name].get("negatable", True)),
        )
        for name in SIGNAL_NAMES
    )
    no_typo = frozenset(str(w) for w in data.get("typo_exclusions") or ())
    return categories, no_typo, str(data["version"])


@lru_cache(maxsize=1)
def _lexicons() -> tuple[tuple[tuple[_Category, ...], frozenset[str], str], ...]:
    return tuple(_read(path) for path in lexicon_paths())


def _lexicon() -> tuple[tuple[_Category, ...], frozenset[str], str]:
    """The Dutch lexicon (the first)."""
    return _lexicons()[0]


def lexicon_version() -> str:
    """Recorded with a handover so staff can tell which lexicons raised a signal."""
    return "+".join(version for _, _, version in _lexicons())


def detect_signals(text: str) -> list[Signal]:
    """Signals shown by one message, at most one per name, in SIGNAL_NAMES order."""
    tokens = tokenize(text)
    if not tokens:
        return []
    found: dict[str, Signal] = {}
    for categories, no_typo, _ in _lexicons():
        for category in categories:
            if category.name in found:
                continue
            hit = first_hit(category.terms, tokens, no_typo=no_typo,
                            negatable=category.negatable, excludes=category.excludes)
            if hit is not None:
                found[category.name] = Signal(category.name, hit.term, text)
    return [found[name] for name in SIGNAL_NAMES if name in found]


def merge_signals(existing: Iterable[str], new: Iterable[Signal]) -> list[str]:
    """Signal names seen so far in the conversation: sorted, unique (for a list slot)."""
    return sorted(set(existing or ()) | {s.name for s in new or ()})
