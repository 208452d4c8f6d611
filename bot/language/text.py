"""Normalisation and tokenisation of informal Dutch chat text.

Customers write on WhatsApp and SMS: accents are optional, capitals random, line breaks
stand in for full stops. Everything downstream matches on the output of these helpers, so
lexicon terms are normalised the same way as messages.
"""
from __future__ import annotations

import re
import unicodedata

# Curly quotes arrive from phone keyboards; "m’n" must equal "m'n".
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "`": "'", "\u00b4": "'"})
_SPACE = re.compile(r"\s+")
# A word keeps inner apostrophes (m'n, z'n, auto's); punctuation that ends a clause is kept
# as its own token so phrases and negation never reach across it.
_TOKEN = re.compile(r"[a-z0-9]+(?:'[a-z0-9]+)*|[.,;:!?]")
PUNCTUATION = frozenset(".,;:!?")
# Stands in for a line break: a new chat line starts a new clause.
LINE_BREAK = "."


def normalise(text: str) -> str:
    """Lowercase, strip accents (ë -> e), unify quotes, collapse whitespace; digits stay."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _SPACE.sub(" ", stripped.translate(_QUOTES).lower()).strip()


def tokenize(text: str) -> tuple[str, ...]:
    """Words and clause punctuation of `text`, normalised; line breaks become '.'."""
    tokens: list[str] = []
    for line in (text or "").splitlines():
        line_tokens = _TOKEN.findall(normalise(line))
        if line_tokens:
            if tokens and tokens[-1] not in PUNCTUATION:
                tokens.append(LINE_BREAK)
            tokens.extend(line_tokens)
    return tuple(tokens)


def is_word(token: str) -> bool:
    return token not in PUNCTUATION
