"""Shared lookup of lexicon terms in a message: tolerant matching, excludes, negation."""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

from .negation import is_negated, negates
from .patterns import compile_phrase, find_matches, find_spans


@dataclass(frozen=True)
class Hit:
    term: str   # the lexicon term as staff wrote it
    start: int  # token span in the message
    end: int


@lru_cache(maxsize=16)
def load_yaml(path: str) -> dict:
    """Read a lexicon once per process; lexicons change by deploy, not at runtime."""
    with Path(path).open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle) or {}
    if "version" not in data:
        raise ValueError(f"lexicon without version: {path}")
    return data


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def find_hits(terms: Iterable[str], tokens: tuple[str, ...], *,
              no_typo: frozenset[str] = frozenset(), negatable: bool = True,
              excludes: Iterable[str] = ()) -> list[Hit]:
    """Every usable match of `terms`: not inside an exclude phrase and, if the category can be
    negated, not negated. Ordered by term order, then position."""
    blocked = [span for ex in excludes for span in find_spans(compile_phrase(ex), tokens, no_typo)]
    hits: list[Hit] = []
    for term in terms:
        for start, end, skipped in find_matches(compile_phrase(term), tokens, no_typo):
            if any(_overlaps((start, end), span) for span in blocked):
                continue
            if negatable and (is_negated(tokens, start)
                              or any(negates(tokens, i) for i in skipped)):
                continue
            hits.append(Hit(term, start, end))
    return hits


def first_hit(terms: Iterable[str], tokens: tuple[str, ...], **kwargs) -> Hit | None:
    hits = find_hits(terms, tokens, **kwargs)
    return hits[0] if hits else None
