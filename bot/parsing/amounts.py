"""Euro amounts in free answers ("ongeveer 2.100 euro", "€2100,50", "1,5k")."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from ._text import normalize, words
from .numbers import word_numbers

MAX_AMOUNT = Decimal("1000000")
_CENT = Decimal("0.01")

# One number as typed, with optional Dutch ",-" for whole euros and an
# optional thousands multiplier ("1,5k", "2 duizend").
_NUMBER = re.compile(
    r"(?P<num>[0-9]+(?:[.,][0-9]+)*)(?:[.,]-+)?"
    r"(?: ?(?P<mult>k|duizend|dzd|mille|miljoen|mln|thousand|grand|million)(?![a-z]))?"
)
_NEGATIVE_BEFORE = re.compile(r"(?:-|\bmin|\bminus|\bnegatief|\bnegative) ?(?:€|eur|euro)? ?$")
_CURRENCY_BEFORE = re.compile(r"(?:€|\beur|\beuro) ?$")
_CURRENCY_AFTER = re.compile(r"^(?:[.,]-| ?€| ?eur\b| ?euro)")
_MULTIPLIERS = {"k": 1000, "duizend": 1000, "dzd": 1000, "mille": 1000,
                "miljoen": 1000000, "mln": 1000000, "thousand": 1000, "grand": 1000, "million": 1000000}
_ZERO_WORDS = {"nul", "niks", "niets", "geen", "noppes", "nada",
               "zero", "nothing", "none", "nil"}
# "geen idee" is not zero euros.
_UNSURE_WORDS = {"idee", "weet", "weten", "onbekend", "misschien", "wisselt",
                 "verschilt", "varieert", "idea", "know", "unknown", "maybe", "varies", "depends", "sure"}


def _grouped(parts: list[str]) -> bool:
    """Thousands groups: first 1-3 digits, every later one exactly 3."""
    return 1 <= len(parts[0]) <= 3 and all(len(p) == 3 for p in parts[1:])


def _to_decimal(num: str) -> Decimal | None:
    """Read one digit string using the Dutch separator rules."""
    dots, commas = num.count("."), num.count(",")
    if dots and commas:
        # The separator that comes last is the decimal one: "2.100,50"
        # (Dutch) and, leniently, "2,100.50" (English).
        dec_sep = "," if num.rfind(",") > num.rfind(".") else "."
        thou_sep = "." if dec_sep == "," else ","
        whole, _, frac = num.rpartition(dec_sep)
        if whole.count(dec_sep) or not _grouped(whole.split(thou_sep)):
            return None
    elif dots + commas == 0:
        whole, frac = num, ""
    else:
        sep = "." if dots else ","
        parts = num.split(sep)
        if len(parts) > 2:
            if not _grouped(parts):
                return None
            whole, frac = "".join(parts), ""
        elif len(parts[1]) == 3 and len(parts[0]) <= 3:
            # "2.100" (Dutch) and "2,100" (English) are both thousands: nobody earns or pays
            # 2.1 euro a month, and Dutch cents have two digits (issue 27).
            whole, frac = "".join(parts), ""
        elif len(parts[1]) in (1, 2):
            whole, frac = parts                   # "2100.50" / "2100,50"
        else:
            return None                           # "2,100" or "2.1000": ask again
    if len(frac) > 2:
        return None
    digits = whole.replace(".", "").replace(",", "")
    try:
        return Decimal(f"{digits}.{frac or '0'}")
    except InvalidOperation:
        return None


def _digit_amounts(norm: str) -> list[tuple[Decimal | None, bool]] | None:
    """(amount, has a currency marker) per number; None if any is negative."""
    found = []
    for m in _NUMBER.finditer(norm):
        before, after = norm[max(0, m.start() - 12):m.start()], norm[m.end():m.end() + 6]
        if _NEGATIVE_BEFORE.search(before) and not re.search(r"[0-9] ?-$", before):
            return None
        if after.startswith("%"):
            continue  # a percentage, not money
        value = _to_decimal(m["num"])
        if value is not None and m["mult"]:
            value *= _MULTIPLIERS[m["mult"]]
        marked = bool(_CURRENCY_BEFORE.search(before) or _CURRENCY_AFTER.match(after))
        found.append((value, marked))
    return found


def _pick(found: list[tuple[Decimal | None, bool]]) -> Decimal | None:
    """One amount, preferring those marked as money; None if still ambiguous."""
    if any(v is None for v, _ in found):
        return None  # something we could not read; do not guess around it
    values = {v for v, _ in found}
    if len(values) > 1:
        values = {v for v, marked in found if marked}
    return values.pop() if len(values) == 1 else None


def parse_amount(text: object) -> Decimal | None:
    """A euro amount as a Decimal with two decimals, or None.

    Dutch separators: "2.100,50". A single "." before exactly three digits is
    a thousands separator, before one or two digits a decimal point. "nul",
    "niks", "geen" mean 0. Negative amounts, amounts above 1,000,000 and
    answers with several different amounts (a range, say) give None.
    """
    norm = normalize(text)
    if norm is None:
        return None
    found = _digit_amounts(norm)
    if found is None:
        return None
    if not found:
        found = [(Decimal(value), False) for value, start, end in word_numbers(norm)
                 if norm[start:end] != "een" or norm.strip(" .!") == "een"]
    if found:
        amount = _pick(found)
    else:
        tokens = set(words(norm))
        if not tokens & _ZERO_WORDS or tokens & _UNSURE_WORDS:
            return None
        amount = Decimal(0)
    if amount is None or amount < 0 or amount > MAX_AMOUNT:
        return None
    if amount != amount.quantize(_CENT):
        return None  # "1,555k" gives fractions of a cent
    return amount.quantize(_CENT)
