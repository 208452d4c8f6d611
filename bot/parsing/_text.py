"""Text normalisation shared by all parsers.

Customer text can be anything (emoji, control characters, pasted essays), so
every parser goes through ``normalize`` first and gets either a predictable,
lower-case, accent-free string or None.
"""
from __future__ import annotations

import re
import unicodedata

# A chat answer to a single question is short; anything much longer is a paste
# or an attack, and truncating it could cut a number in half and misread it.
MAX_LENGTH = 1000

_PUNCTUATION = str.maketrans({
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u00b4": "'", "`": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"',
    # Phones and word processors turn '-' into these; the minus sign matters
    # for rejecting negative amounts.
    "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-",
    "\u2014": "-", "\u2212": "-",
})

_SPACES = re.compile(r"\s+")
# Rasa button payloads / typed intents ("/affirm{...}") are handled by NLU,
# never by the free-text parsers.
_COMMAND = re.compile(r"/[a-z_]")
_WORDS = re.compile(r"[a-z]+")


def normalize(text: object) -> str | None:
    """Lower-case, accent-free, single-spaced text, or None if unusable."""
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        return None
    # NFKC first so full-width digits and ligatures become plain ASCII.
    text = unicodedata.normalize("NFKC", text).lower()
    text = "".join(
        ch for ch in unicodedata.normalize("NFKD", text)
        if not unicodedata.combining(ch)
    )
    text = "".join(
        " " if unicodedata.category(ch).startswith("C") else ch for ch in text
    )
    text = _SPACES.sub(" ", text.translate(_PUNCTUATION)).strip()
    if not text or len(text) > 4 * MAX_LENGTH or _COMMAND.match(text):
        return None
    return text


def words(text: str) -> list[str]:
    """Alphabetic tokens of already normalised text."""
    return _WORDS.findall(text)
