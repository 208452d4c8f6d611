"""Dutch number words and small integers.

Dutch writes numbers as one word ("tweeentwintig", "vijftienhonderd"), so the
word parser splits on the multipliers instead of looking words up in a table.
"""
from __future__ import annotations

import re

from ._text import normalize

_UNITS = {
    "een": 1, "twee": 2, "drie": 3, "vier": 4, "vijf": 5,
    "zes": 6, "zeven": 7, "acht": 8, "negen": 9,
}
_SMALL = {
    **_UNITS,
    "nul": 0, "tien": 10, "elf": 11, "twaalf": 12, "dertien": 13,
    "veertien": 14, "vijftien": 15, "zestien": 16, "zeventien": 17,
    "achttien": 18, "negentien": 19,
    "eentje": 1,
}
_TENS = {
    "twintig": 20, "dertig": 30, "veertig": 40, "vijftig": 50,
    "zestig": 60, "zeventig": 70, "tachtig": 80, "negentig": 90,
}
_COMPOUND = re.compile(
    r"(?P<unit>een|twee|drie|vier|vijf|zes|zeven|acht|negen)en"
    r"(?P<tens>twintig|dertig|veertig|vijftig|zestig|zeventig|tachtig|negentig)"
)
_INT_TOKEN = re.compile(r"(?<![0-9.,])-?[0-9]+(?:[.,][0-9]+)*(?![0-9])")
_WORD_RUN = re.compile(r"[a-z]+(?:[ -][a-z]+)*")


def _below_hundred(word: str) -> int | None:
    if word in _SMALL:
        return _SMALL[word]
    if word in _TENS:
        return _TENS[word]
    match = _COMPOUND.fullmatch(word)
    if match:
        return _UNITS[match["unit"]] + _TENS[match["tens"]]
    return None


def _below_thousand(word: str) -> int | None:
    head, sep, tail = word.partition("honderd")
    if not sep:
        return _below_hundred(word)
    # "honderd" alone means one hundred; "vijftienhonderd" (15 x 100) is normal Dutch.
    factor = 1 if head == "" else _below_hundred(head)
    rest = 0 if tail == "" else _below_hundred(tail.removeprefix("en"))
    if factor is None or factor == 0 or rest is None:
        return None
    return factor * 100 + rest


# English number words (issue 27): written apart ("two thousand five hundred", "twenty-one"), so
# they are read token by token. "a" and "one" count only as whole answers, like Dutch "een".
_EN_SMALL = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
    "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19,
}
_EN_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
            "eighty": 80, "ninety": 90}
_EN_WORDS = frozenset(_EN_SMALL) | frozenset(_EN_TENS) | {"hundred", "thousand", "and"}


def english_number_value(tokens: list[str]) -> int | None:
    """Value of English number words ("two thousand five hundred", "twenty one"), else None."""
    if not tokens or tokens[0] == "and" or tokens[-1] == "and" or any(t not in _EN_WORDS for t in tokens):
        return None
    total, current, last = 0, 0, None
    for token in tokens:
        if token == "and":
            last = token
            continue
        if token in _EN_SMALL:
            if last in _EN_SMALL or (last in _EN_TENS and _EN_SMALL[token] >= 10):
                return None  # "two three" is two answers, not a number
            current += _EN_SMALL[token]
        elif token in _EN_TENS:
            if last in _EN_SMALL or last in _EN_TENS:
                return None
            current += _EN_TENS[token]
        elif token == "hundred":
            if current == 0 or current >= 100 and last != "thousand":
                return None
            current = (current % 100 or 1) * 100 + (current - current % 100 if current >= 100 else 0)
        elif token == "thousand":
            if current == 0 or total:
                return None
            total, current = current * 1000, 0
        last = token
    return total + current


def number_word_value(word: str) -> int | None:
    """Value of one Dutch number word (spaces and hyphens allowed), else None.

    Covers 0 to 999,999: "een", "tweeentwintig", "tweehonderd",
    "vijftienhonderd", "twee duizend vijfhonderd".
    """
    english = english_number_value(word.replace("-", " ").split())
    if english is not None:
        return english
    word = word.replace(" ", "").replace("-", "")
    if not word or len(word) > 80:
        return None
    head, sep, tail = word.partition("duizend")
    if not sep:
        return _below_thousand(word)
    factor = 1 if head == "" else _below_thousand(head)
    rest = 0 if tail == "" else _below_thousand(tail.removeprefix("en"))
    if factor is None or factor == 0 or rest is None:
        return None
    return factor * 1000 + rest


def word_numbers(text: str) -> list[tuple[int, int, int]]:
    """(value, start, end) for each run of number words in normalised text.

    A run is the longest stretch of consecutive words that still forms one
    number, so "twee duizend vijfhonderd" is one value, not three.
    """
    found = []
    for run in _WORD_RUN.finditer(text):
        tokens = [(m.group(), m.start(), m.end())
                  for m in re.finditer(r"[a-z]+", run.group())]
        i = 0
        while i < len(tokens):
            best = None
            for j in range(i, min(len(tokens), i + 6)):
                # A loose "en" joins two answers ("twee en drie"), not digits.
                if tokens[j][0] == "en":
                    break
                joined = " ".join(t[0] for t in tokens[i:j + 1])
                value = number_word_value(joined)
                if value is not None:
                    best = (value, j)
            if best is None:
                i += 1
                continue
            value, j = best
            found.append((value, run.start() + tokens[i][1],
                          run.start() + tokens[j][2]))
            i = j + 1
    return found


def parse_int(text: object) -> int | None:
    """The single non-negative whole number in an answer ("3", "drie", "3 stuks").

    None when there is no number, several different ones, a fraction or a
    negative number: the caller should ask again rather than guess.
    """
    norm = normalize(text)
    if norm is None:
        return None
    values = set()
    for match in _INT_TOKEN.finditer(norm):
        token = match.group()
        if token.startswith("-") or not token.isascii() or not token.isdigit():
            return None
        values.add(int(token))
    for value, start, end in word_numbers(norm):
        if norm[start:end] == "een" and norm.strip(" .!?") != "een":
            continue  # the article "a", not the number one
        values.add(value)
    if len(values) != 1:
        return None
    return values.pop()
