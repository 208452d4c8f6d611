"""Negation scope for Dutch chat messages.

A term is negated when a negator stands shortly before it in the same clause: "ik heb geen
deurwaarder". Clauses end at punctuation and at words that start a new statement ("maar",
"want", "en", and causal links such as "omdat", "door"), so "geen idee maar er staat wel een
deurwaarder" keeps the bailiff. Negators inside the term itself ("ik snap de brieven niet")
are part of the term and never negate it, because only words before the term are inspected.
"""
from __future__ import annotations

from .text import is_word

NEGATORS = frozenset({"geen", "niet", "nooit", "niks", "niets", "zonder", "niemand", "nergens",
                      # English (issue 27): the English lexicon (languages/en/signals.yml) is read
                      # with the same scope rules; these words do not occur in Dutch chat.
                      "not", "never", "nothing", "nobody", "without", "don't", "dont", "doesn't",
                      "didn't", "haven't", "hasn't", "isn't", "aren't", "wasn't", "no"})
# Words after a negator that turn it into something else: "niet alleen X maar ook Y" adds,
# "geen idee" / "geen probleem" say nothing about the term that follows.
PSEUDO_NEGATION = frozenset({
    ("niet", "alleen"), ("geen", "idee"), ("geen", "probleem"), ("geen", "flauw"),
    ("niet", "eens"), ("geen", "zin"),
    ("not", "only"), ("no", "idea"), ("no", "problem"), ("don't", "know"), ("dont", "know"),
})
CLAUSE_WORDS = frozenset({"maar", "want", "en"})
# Extensions beyond the brief's clause words: a causal link or a contrasting "wel" starts a
# new statement in chat Dutch ("geen werk door mijn burn-out", "geen schulden wel een ...").
SCOPE_BREAKERS = CLAUSE_WORDS | frozenset({
    "omdat", "doordat", "door", "sinds", "toen", "nadat", "dus", "vanwege", "daardoor",
    "wel", "alleen", "behalve", "ook",
    # A question word or "dat" opens a subordinate clause: "ik weet niet wat de beslagvrije
    # voet is", "ik wil niet dat de deurwaarder komt" still concern the term.
    "wat", "waarom", "hoe", "wanneer", "waar", "wie", "welke", "dat",
    # The same for English.
    "but", "because", "since", "so", "also", "what", "why", "how", "when", "where", "who", "which", "that",
})
WINDOW = 4  # the negator may stand at most this many words before the term


def split_clauses(tokens: tuple[str, ...]) -> list[list[str]]:
    """Split tokens into clauses on punctuation and on 'maar', 'want', 'en'."""
    clauses: list[list[str]] = [[]]
    for token in tokens:
        if not is_word(token) or token in CLAUSE_WORDS:
            if clauses[-1]:
                clauses.append([])
            continue
        clauses[-1].append(token)
    return [c for c in clauses if c]


def negates(tokens: tuple[str, ...], i: int) -> bool:
    """True when the word at index i is a negator (and not 'niet alleen', 'geen idee', ...)."""
    following = tokens[i + 1] if i + 1 < len(tokens) else ""
    return tokens[i] in NEGATORS and (tokens[i], following) not in PSEUDO_NEGATION


# Dutch "want" (because) ends a clause; English "want" after "I" or "don't" does not: "I don't
# want a payment plan" is negated (issue 27).
_ENGLISH_BEFORE_WANT = frozenset({"i", "don't", "dont", "didn't", "doesn't", "we", "you"})


def _english_want(tokens: tuple[str, ...], i: int) -> bool:
    return tokens[i] == "want" and i > 0 and tokens[i - 1] in _ENGLISH_BEFORE_WANT


def is_negated(tokens: tuple[str, ...], start: int, window: int = WINDOW) -> bool:
    """True when a negator governs the term that begins at token index `start`."""
    seen = 0
    i = start - 1
    while i >= 0 and seen < window:
        token = tokens[i]
        if not is_word(token) or (token in SCOPE_BREAKERS and not _english_want(tokens, i)):
            return False
        if negates(tokens, i):
            return True
        seen += 1
        i -= 1
    return False
