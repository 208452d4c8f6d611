"""The customer's wish in a message (R4, R12), from wishes.yml; the policy weighs it."""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Optional

from bot.language import first_hit, load_yaml, tokenize

from .vocabulary import WISHES

WISHES_PATH = Path(__file__).with_name("wishes.yml")
LANGUAGES_DIR = Path(__file__).resolve().parents[2] / "languages"


@lru_cache(maxsize=1)
def _wishes() -> tuple[tuple[tuple[str, tuple[str, ...]], ...], tuple[str, ...]]:
    data = load_yaml(str(WISHES_PATH))
    priority, terms = data["priority"], data["wishes"]
    if sorted(priority) != sorted(WISHES) or set(terms) != set(WISHES):
        raise ValueError(f"wishes.yml must name each of {WISHES} once, in priority and wishes")
    merged = {wish: tuple(str(t) for t in terms[wish]) for wish in priority}
    excludes = tuple(str(t) for t in data.get("exclude") or ())
    # Other languages add their words for the same wishes (languages/<code>/wishes.yml, issue 27).
    for path in sorted(LANGUAGES_DIR.glob("*/wishes.yml")):
        extra = load_yaml(str(path))
        if not set(extra.get("wishes") or {}) <= set(WISHES):
            raise ValueError(f"{path}: unknown wish")
        for wish, more in (extra.get("wishes") or {}).items():
            merged[wish] += tuple(str(t) for t in more)
        excludes += tuple(str(t) for t in extra.get("exclude") or ())
    return tuple((wish, merged[wish]) for wish in priority), excludes


def read_wish(text: str) -> Optional[str]:
    """pay_now, arrangement, pause or person when the message asks for it; None otherwise."""
    tokens = tokenize(text or "")
    if not tokens:
        return None
    wishes, excludes = _wishes()
    return next((wish for wish, terms in wishes if first_hit(terms, tokens, excludes=excludes) is not None), None)
