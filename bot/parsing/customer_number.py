"""Customer numbers: six digits somewhere in a free answer."""
from __future__ import annotations

import re

from ._text import normalize

# Digit groups joined by single separators: "100 001", "06-12345678",
# "12.04.88". Looking at the whole group lets us reject phone numbers and
# dates as a unit instead of picking six digits out of them.
_GROUP = re.compile(r"[0-9]+(?:[ .\-/][0-9]+)*")
_SIX = re.compile(r"[0-9]{6}|[0-9]{3}[ .][0-9]{3}")
_MONEY_BEFORE = re.compile(r"(?:€|eur|euro)\s*$")
_MONEY_AFTER = re.compile(r"^\s*(?:,[0-9-]|€|eur|euro)")


def _looks_like_phone(digits: str) -> bool:
    # Dutch numbers: 10 digits from 0, or 11 with the 31 country code.
    return 10 <= len(digits) <= 12 and digits.startswith(("0", "31"))


def _candidates(group: str) -> list[str]:
    digits = re.sub(r"[^0-9]", "", group)
    # Dashes and slashes mean dates or phone numbers; several dots a date
    # ("12.04.88") or an amount ("1.000.000").
    if _looks_like_phone(digits) or "-" in group or "/" in group or group.count(".") > 1:
        return []
    if _SIX.fullmatch(group):
        return [digits]
    # Several numbers in one answer ("100001 2 kinderen"): judge each
    # space-separated piece on its own.
    return [p.replace(".", "") for p in group.split(" ") if _SIX.fullmatch(p)]


def parse_customer_number(text: object) -> str | None:
    """The six-digit customer number in ``text`` as a string, or None.

    Accepts "100001", "klantnr: 100 001", "100.001". Returns None for phone
    numbers, dates, amounts, other digit counts, and for answers containing
    two different six-digit numbers (we would have to guess which one).
    """
    norm = normalize(text)
    if norm is None:
        return None
    found = set()
    for match in _GROUP.finditer(norm):
        before, after = norm[:match.start()], norm[match.end():]
        if _MONEY_BEFORE.search(before[-8:]) or _MONEY_AFTER.match(after[:8]):
            continue
        if before.endswith("+") or before.endswith("-"):
            continue  # "+31 ..." phone prefix or a negative amount
        found.update(_candidates(match.group()))
    if len(found) != 1:
        return None
    return found.pop()
