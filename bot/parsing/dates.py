"""Birth dates in the formats Dutch customers type. Always day-first."""
from __future__ import annotations

import re
from datetime import date

from ._text import normalize
from .numbers import number_word_value

MIN_AGE = 16
MAX_AGE = 115

MONTHS = {
    "januari": 1, "jan": 1, "februari": 2, "feb": 2, "febr": 2,
    "maart": 3, "mrt": 3, "mar": 3, "maa": 3, "april": 4, "apr": 4,
    "mei": 5, "juni": 6, "jun": 6, "juli": 7, "jul": 7,
    "augustus": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9,
    "oktober": 10, "okt": 10, "oct": 10, "november": 11, "nov": 11,
    "december": 12, "dec": 12,
    # English (issue 27); the rest is spelled as in Dutch or abbreviated the same.
    "january": 1, "february": 2, "march": 3, "may": 5, "june": 6, "july": 7, "august": 8,
    "october": 10,
}
# Longest names first so "sept" wins over "sep" and "juni" over "jun".
_MONTH_ALT = "|".join(sorted(MONTHS, key=len, reverse=True))

_ISO = re.compile(r"(?<![0-9])([0-9]{4})([-/.])([0-9]{1,2})\2([0-9]{1,2})(?![0-9])")
_NUMERIC = re.compile(
    r"(?<![0-9])([0-9]{1,2}) ?([-/.]) ?([0-9]{1,2}) ?\2 ?'?([0-9]{4}|[0-9]{2})(?![0-9])"
)
# "12 04 1988": spaces only, and only with a four-digit year, because
# "12 4 88" is too easily a list of unrelated numbers.
_SPACED = re.compile(r"(?<![0-9])([0-9]{1,2}) ([0-9]{1,2}) ([0-9]{4})(?![0-9])")
_COMPACT = re.compile(r"(?<![0-9])([0-9]{2})([0-9]{2})([0-9]{4})(?![0-9])")
_TEXTUAL = re.compile(
    r"(?<![0-9a-z])([0-9]{1,2}|[a-z]+)(?:e|ste|de|st|nd|rd|th)?\.? ?[-/.]? ?(?:van |of (?:the )?)?"
    r"(" + _MONTH_ALT + r")(?![a-z])\.?,? ?[-/.]? ?'?([0-9]{4}|[0-9]{2})(?![0-9])"
)
# "November 3, 1979", "April 12th 1988": the English order, only with the month named, so a
# numeric "03/11/1979" is still read day first (the English question says so).
_MONTH_FIRST = re.compile(
    r"(?<![0-9a-z])(" + _MONTH_ALT + r")\.? (?:the )?([0-9]{1,2})(?:st|nd|rd|th)?,? '?([0-9]{4})(?![0-9])"
)


def _age(born: date, today: date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _plausible(born: date, today: date) -> bool:
    return born <= today and MIN_AGE <= _age(born, today) <= MAX_AGE


def _build(day: int, month: int, year_text: str, today: date) -> date | None:
    year = int(year_text)
    if len(year_text) == 4:
        years = [year]
    else:
        # The age window is exactly 100 years wide, so at most one century fits.
        years = [century + year for century in (1800, 1900, 2000, 2100)]
    for candidate in years:
        try:
            born = date(candidate, month, day)
        except ValueError:
            continue  # 31-02, 29-02 in a non-leap year, month 13...
        if _plausible(born, today):
            return born
    return None


def _day_value(text: str) -> int | None:
    if text.isdigit():
        return int(text)
    value = number_word_value(text)
    return value if value is not None and 1 <= value <= 31 else None


def _found_dates(norm: str, today: date) -> set[date]:
    """Every plausible birth date written anywhere in the text."""
    results: set[date] = set()
    for m in _ISO.finditer(norm):
        born = _build(int(m[4]), int(m[3]), m[1], today)
        if born:
            results.add(born)
    for pattern in (_NUMERIC, _SPACED, _COMPACT):
        for m in pattern.finditer(norm):
            groups = m.groups()
            day, month, year = groups[0], groups[-2], groups[-1]
            born = _build(int(day), int(month), year, today)
            if born:
                results.add(born)
    for m in _MONTH_FIRST.finditer(norm):
        born = _build(int(m[2]), MONTHS[m[1]], m[3], today)
        if born:
            results.add(born)
    for m in _TEXTUAL.finditer(norm):
        day = _day_value(m[1])
        if day is None:
            continue
        born = _build(day, MONTHS[m[2]], m[3], today)
        if born:
            results.add(born)
    return results


def parse_birth_date(text: object, today: date | None = None) -> date | None:
    """The birth date in ``text``, or None.

    None also for impossible dates (31-02-1990), dates in the future, people
    younger than 16 or older than 115, and answers with two different dates.
    Two-digit years take the century that gives an age of 16 to 115.
    """
    norm = normalize(text)
    if norm is None:
        return None
    today = today or date.today()
    results = _found_dates(norm, today)
    if len(results) != 1:
        return None
    return results.pop()
