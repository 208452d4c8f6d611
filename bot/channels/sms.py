"""SMS text: GSM-7 where possible, short, split at sensible places (issue 6).

One character outside the GSM 03.38 alphabet (a Dutch "ë", a curly quote, an emoji) switches
the whole message to UCS-2: 70 instead of 160 characters per segment. So the formatter first
replaces look-alikes that have a GSM-7 form (typographic quotes and dashes, "ë" -> "e"), then
splits what is left into messages of at most `max_segments` segments each, at paragraph,
sentence or word boundaries. Pure Python, no Rasa.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# GSM 03.38 default alphabet (one septet each) and its extension table (escape + one septet).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")

SINGLE = {"gsm7": 160, "ucs2": 70}
# A concatenated message loses room to its header (UDH).
PER_SEGMENT = {"gsm7": 153, "ucs2": 67}

# Typographic characters with a plain GSM-7 equivalent.
_LOOKALIKES = {
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
    "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
    "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2011": "-", "\u2010": "-", "\u2212": "-",
    "\u2026": "...", "\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u200b": "", "\t": " ",
    "\u2022": "-", "\u00b7": "-",
}


def is_gsm7(text: str) -> bool:
    return all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text)


def encoding(text: str) -> str:
    return "gsm7" if is_gsm7(text) else "ucs2"


def units(text: str) -> int:
    """Length in the units a segment is counted in: septets (GSM-7) or UTF-16 code units (UCS-2)."""
    if is_gsm7(text):
        return sum(2 if ch in GSM7_EXTENSION else 1 for ch in text)
    return len(text.encode("utf-16-le")) // 2


def segments(text: str) -> int:
    enc, size = encoding(text), units(text)
    if size <= SINGLE[enc]:
        return 1
    return -(-size // PER_SEGMENT[enc])


def to_gsm7(text: str) -> str:
    """Replaces characters that have a GSM-7 look-alike; leaves the rest (an emoji stays UCS-2)."""
    out = []
    for ch in text:
        if ch in GSM7_BASIC or ch in GSM7_EXTENSION:
            out.append(ch)
        elif ch in _LOOKALIKES:
            out.append(_LOOKALIKES[ch])
        else:
            # "ë" -> "e", "ï" -> "i", "ó" -> "o": drop the accent when the base letter is GSM-7.
            base = "".join(c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c))
            out.append(base if base and is_gsm7(base) else ch)
    return "".join(out)


@dataclass(frozen=True)
class SmsPart:
    text: str
    encoding: str
    segments: int


def _fits(text: str, max_segments: int) -> bool:
    return segments(text) <= max_segments


def _pieces(text: str) -> list[str]:
    """Paragraphs, then sentences, then words: the places where a split reads well."""
    pieces: list[str] = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = " ".join(paragraph.split())
        if paragraph:
            pieces.extend(s for s in re.split(r"(?<=[.!?])\s+", paragraph) if s)
    return pieces


def split_sms(text: str, max_segments: int = 2, transliterate: bool = True) -> list[SmsPart]:
    """Messages of at most `max_segments` segments each, split between sentences where possible.

    Whitespace is normalised (runs of spaces and newlines become one space); no word is lost.
    """
    if max_segments < 1:
        raise ValueError("max_segments must be at least 1")
    if transliterate:
        text = to_gsm7(text)
    parts: list[str] = []
    current = ""
    for sentence in _pieces(text):
        candidate = f"{current} {sentence}" if current else sentence
        if _fits(candidate, max_segments):
            current = candidate
            continue
        if current:
            parts.append(current)
            current = ""
        if _fits(sentence, max_segments):
            current = sentence
            continue
        for word in sentence.split(" "):
            candidate = f"{current} {word}" if current else word
            if _fits(candidate, max_segments):
                current = candidate
                continue
            if current:
                parts.append(current)
                current = ""
            # A single word longer than a message (a long link) is cut by characters.
            while not _fits(word, max_segments):
                cut = len(word)
                while cut > 1 and not _fits(word[:cut], max_segments):
                    cut -= 1
                parts.append(word[:cut])
                word = word[cut:]
            current = word
    if current:
        parts.append(current)
    return [SmsPart(p, encoding(p), segments(p)) for p in parts]
