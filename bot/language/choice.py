"""Which language a customer writes in: a switch they ask for, or what their first messages show.

One folder per language (languages/<code>/language.yml) holds the words that mark it and the phrases
that ask for it, so a third language is a new folder, not new code. No Rasa here.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

from .lexicon import load_yaml
from .text import tokenize

LANGUAGES_DIR = Path(__file__).resolve().parents[2] / "languages"
DEFAULT = "nl"
# A decision needs this many marker words of one language, and at least this share of all
# markers found: "hello" alone, or "ok sorry", decides nothing; a real sentence does.
MIN_MARKERS = 3
MIN_SHARE = 0.75
# A switch phrase counts only in a short message: a long story that mentions "Dutch" is not a request.
MAX_SWITCH_TOKENS = 12


@dataclass(frozen=True)
class Profile:
    code: str
    name: str
    markers: frozenset[str]
    switch: tuple[tuple[str, ...], ...]


@lru_cache(maxsize=1)
def profiles() -> dict[str, Profile]:
    """Every language with a languages/<code>/language.yml; markers two languages share count for neither."""
    raw = {}
    for path in sorted(LANGUAGES_DIR.glob("*/language.yml")):
        data = load_yaml(str(path))
        raw[data["code"]] = data
    if DEFAULT not in raw:
        raise ValueError(f"no profile for the default language {DEFAULT} in {LANGUAGES_DIR}")
    words = {code: frozenset(str(w).lower() for w in data.get("markers") or ()) for code, data in raw.items()}
    shared = {w for code in words for other in words if other != code for w in words[code] & words[other]}
    return {code: Profile(code, data["name"], words[code] - shared,
                          tuple(tokenize(str(p)) for p in data.get("switch") or ()))
            for code, data in raw.items()}


def supported() -> tuple[str, ...]:
    return tuple(profiles())


def requested_language(text: str) -> str | None:
    """The language a short message asks for ("in English please", "Nederlands graag"), if any.
    The longest matching phrase wins, so "I don't speak Dutch" asks for English, not Dutch."""
    tokens = tuple(t for t in tokenize(text) if t.isalnum() or "'" in t)
    if not tokens or len(tokens) > MAX_SWITCH_TOKENS:
        return None
    candidates = sorted(((len(phrase), code, phrase) for code, profile in profiles().items()
                         for phrase in profile.switch), reverse=True)
    for length, code, phrase in candidates:
        if any(tokens[i:i + length] == phrase for i in range(len(tokens) - length + 1)):
            return code
    return None


def marker_counts(texts: Iterable[str]) -> dict[str, int]:
    counts = {code: 0 for code in profiles()}
    for text in texts:
        for token in tokenize(text):
            for code, profile in profiles().items():
                if token in profile.markers:
                    counts[code] += 1
    return counts


def detect_language(texts: Iterable[str]) -> str | None:
    """The language of the customer's messages taken together, or None while the evidence is thin."""
    counts = marker_counts(texts)
    total = sum(counts.values())
    code, best = max(counts.items(), key=lambda item: item[1])
    if best < MIN_MARKERS or best < MIN_SHARE * total:
        return None
    return code
