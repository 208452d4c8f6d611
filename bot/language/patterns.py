"""Tolerant matching of lexicon terms against tokenised messages.

Term syntax (kept small so staff can read and edit the YAML lexicons):

- ``deurwaarder``    the word, a Dutch inflection of it (-e, -en, -s, -er, -t, ...) and, for
                     words of 6+ letters, one typo ('deurwaader', 'deurwaarders').
- ``=duo``           exactly this token, nothing else (short words, abbreviations).
- ``paniekaanval*``  any token starting with it ('paniekaanvallen').
- ``*deurwaarder``   the word as the head of a compound ('gerechtsdeurwaarder'); Dutch puts
                     the head last, so this is how 'loonbeslag' sits inside longer words.
- ``*schuld*``       any token containing it.
- ``(mijn|m'n|mn)``  one of these words in this slot; ``(...)?`` makes the slot optional.
- ``...``            zero to three other words (never across punctuation).
- ``$``              the end of the clause: "ik wil niet meer $" but not "ik wil niet meer bellen".

A phrase is a space-separated sequence of slots: ``beslag op ... (loon|salaris|uitkering)``.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

from .fuzzy import within_one_edit
from .negation import CLAUSE_WORDS
from .text import is_word, normalise

# Dutch inflection endings accepted after a plain word (plural, adjective, verb forms).
INFLECTIONS = ("e", "en", "n", "s", "'s", "es", "er", "ers", "t", "te", "ten", "d", "de", "den")
MIN_INFLECT = 4   # shorter words ('ex', 'duo', 'ww') would match too much
MIN_TYPO = 6      # below this one edit turns a word into a different common word
MIN_MODIFIER = 3  # 'loon' in 'loonbeslag'; avoids treating a stray letter as a compound
MAX_GAP = 3


@dataclass(frozen=True)
class WordPattern:
    word: str
    mode: str  # plain | exact | prefix | head | contains


@dataclass(frozen=True)
class Slot:
    options: tuple[WordPattern, ...] = ()
    optional: bool = False
    gap: int = 0  # > 0 means "skip up to this many words" instead of matching options
    end: bool = False  # matches only at the end of a clause, consumes nothing


@dataclass(frozen=True)
class Phrase:
    source: str
    slots: tuple[Slot, ...]
    # First letters a match can start with (None: any). A plain, exact or prefix word only ever
    # matches a token with its own first letter (typos keep the first letter too), and most
    # phrases fail on their first word: checking the letter first makes signal detection on a
    # message several times faster (issue 7).
    starts: frozenset[str] | None = None


def _first_letters(slots: tuple[Slot, ...]) -> frozenset[str] | None:
    first = slots[0]
    if first.optional or any(p.mode not in ("plain", "exact", "prefix") for p in first.options):
        return None
    return frozenset(p.word[0] for p in first.options)


def _word_pattern(raw: str) -> WordPattern:
    if raw.startswith("="):
        return WordPattern(raw[1:], "exact")
    if raw.startswith("*") and raw.endswith("*") and len(raw) > 2:
        return WordPattern(raw[1:-1], "contains")
    if raw.startswith("*"):
        return WordPattern(raw[1:], "head")
    if raw.endswith("*"):
        return WordPattern(raw[:-1], "prefix")
    return WordPattern(raw, "plain")


@lru_cache(maxsize=4096)
def compile_phrase(source: str) -> Phrase:
    """Parse a lexicon term; raises ValueError on a term staff mistyped."""
    slots: list[Slot] = []
    for raw in normalise(source).split(" "):
        if raw == "...":
            slots.append(Slot(gap=MAX_GAP))
            continue
        if raw == "$":
            slots.append(Slot(end=True))
            continue
        optional = raw.endswith("?")
        body = raw[:-1] if optional else raw
        if body.startswith("(") and body.endswith(")"):
            words = [w for w in body[1:-1].split("|") if w]
        else:
            words = [body]
        if not words or any(not w.strip("*=") or set(w) & set("()|?") for w in words):
            raise ValueError(f"bad lexicon term: {source!r}")
        slots.append(Slot(tuple(_word_pattern(w) for w in words), optional))
    if not slots or slots[0].gap or slots[-1].gap or slots[0].end or any(
            s.end for s in slots[:-1]):
        raise ValueError(f"lexicon term must start and end with a word: {source!r}")
    return Phrase(source, tuple(slots), _first_letters(tuple(slots)))


def _plain(word: str, token: str, no_typo: frozenset[str]) -> bool:
    if token == word:
        return True
    if len(word) >= MIN_INFLECT and token.startswith(word) and token[len(word):] in INFLECTIONS:
        return True
    if len(word) < MIN_TYPO or token[0] != word[0] or token in no_typo:
        return False
    # Typos survive inflection: 'deurwaaders' is 'deurwaader' + s.
    stems = [token] + [token[: -len(s)] for s in INFLECTIONS if token.endswith(s)]
    return any(within_one_edit(stem, word) for stem in stems if stem)


def word_matches(pattern: WordPattern, token: str, no_typo: frozenset[str] = frozenset()) -> bool:
    word, mode = pattern.word, pattern.mode
    if mode == "exact":
        return token == word
    if mode == "contains":
        return word in token
    if mode == "prefix":
        if token.startswith(word):
            return True
        if len(word) < MIN_TYPO or token in no_typo or not token or token[0] != word[0]:
            return False
        return any(within_one_edit(token[:n], word) for n in (len(word) - 1, len(word) + 1))
    if mode == "head":
        starts = [0] + list(range(MIN_MODIFIER, len(token) - MIN_INFLECT + 1))
        return any(_plain(word, token[i:], no_typo) for i in starts)
    return bool(token) and _plain(word, token, no_typo)


def _match_from(slots: tuple[Slot, ...], si: int, tokens: tuple[str, ...], ti: int,
                no_typo: frozenset[str], skipped: tuple[int, ...] = ()
                ) -> Iterator[tuple[int, tuple[int, ...]]]:
    """Yield (end, indexes of words a gap skipped) for each way the slots match at ti."""
    if si == len(slots):
        yield ti, skipped
        return
    slot = slots[si]
    if slot.end:
        if ti == len(tokens) or not is_word(tokens[ti]) or tokens[ti] in CLAUSE_WORDS:
            yield ti, skipped
        return
    if slot.gap:
        for skip in range(slot.gap + 1):
            if skip and (ti + skip > len(tokens) or not is_word(tokens[ti + skip - 1])):
                break
            yield from _match_from(slots, si + 1, tokens, ti + skip, no_typo,
                                   skipped + tuple(range(ti, ti + skip)))
        return
    if ti < len(tokens) and is_word(tokens[ti]) and any(
            word_matches(p, tokens[ti], no_typo) for p in slot.options):
        yield from _match_from(slots, si + 1, tokens, ti + 1, no_typo, skipped)
    if slot.optional:
        yield from _match_from(slots, si + 1, tokens, ti, no_typo, skipped)


def find_matches(phrase: Phrase | str, tokens: tuple[str, ...],
                 no_typo: frozenset[str] = frozenset()
                 ) -> Iterator[tuple[int, int, tuple[int, ...]]]:
    """Yield (start, end, skipped) for the first match at each start; `skipped` are the words a
    '...' gap stepped over, which negation must still see ("er ligt geen beslag")."""
    if isinstance(phrase, str):
        phrase = compile_phrase(phrase)
    starts = phrase.starts
    for start in range(len(tokens)):
        if starts is not None and tokens[start][:1] not in starts:
            continue
        match = next(_match_from(phrase.slots, 0, tokens, start, no_typo), None)
        if match is not None and match[0] > start:
            yield start, match[0], match[1]


def find_spans(phrase: Phrase | str, tokens: tuple[str, ...],
               no_typo: frozenset[str] = frozenset()) -> Iterator[tuple[int, int]]:
    """Yield (start, end) token spans where the phrase matches, at most one per start."""
    for start, end, _ in find_matches(phrase, tokens, no_typo):
        yield start, end
