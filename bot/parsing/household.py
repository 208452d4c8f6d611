"""Household composition: type of household and number of children."""
from __future__ import annotations

import re

from ._text import normalize, words
from .numbers import number_word_value

SINGLE = "single"
COUPLE = "couple"
SINGLE_PARENT = "single_parent"
COUPLE_WITH_CHILDREN = "couple_with_children"
HOUSEHOLD_TYPES = (SINGLE, COUPLE, SINGLE_PARENT, COUPLE_WITH_CHILDREN)

MAX_CHILDREN = 15

_POSSESSIVE = r"(?:mijn|mn|m'n|me|met|de|onze|ons|my|our|the)"
_ALONE = re.compile(
    r"\b(?:alleen\w*|vrijgezel\w*|single|op mezelf|op mijzelf|in (?:mijn|mn|m'n) eentje"
    r"|eenpersoons|gescheiden|weduwe|weduwnaar|geen partner|zonder partner"
    r"|eenouder\w*|een-ouder\w*"
    # English (issue 27)
    r"|alone|on my own|by myself|just me|only me|divorced|widow\w*|no partner|without a partner)"
)
_NOT_ALONE = re.compile(r"\bniet alleen\b|\bniet (?:meer )?single\b|\bnot (?:alone|single)\b")
_PARTNER = re.compile(
    # "samen met mijn kinderen" is a parent and children, not a couple.
    r"\b(?:samenwon\w*|samen(?! met (?:mijn |mn |m'n |de )?(?:\w+ )?(?:kind|kids|zo|dochter))"
    r"|getrouwd|gehuwd|huwelijk|partner\w*|echtgeno\w+|stel"
    r"|relatie|verloofd\w*|" + _POSSESSIVE +
    r" (?:man|vrouw|vriend|vriendin|vriendje|vriendinnetje|lief|wederhelft)"
    r"|married|husband|wife|girlfriend|boyfriend|fiance\w*|living together|live together)\b"
)
_NO_PARTNER = re.compile(r"\b(?:geen|zonder) (?:partner|man|vrouw|vriend|vriendin|relatie)\b"
                         r"|\bniet (?:meer )?(?:samen\w*|getrouwd)\b"
                         r"|\b(?:no|without a?) (?:partner|husband|wife)\b|\bnot married\b")
_CHILDREN = re.compile(
    r"\b(?:kind\w*|kids|zoon|zoons|zonen|zoontje|dochter\w*|baby\w*|tweeling"
    r"|gezin|eenouder\w*|een-ouder\w*|(?:moeder|vader|ouder|mama|papa) van"
    r"|alleenstaande (?:moeder|vader|ouder|mama|papa)"
    r"|child|children|son|sons|daughter|daughters|family|single (?:mum|mom|dad|parent))\b"
)
_NO_CHILDREN = re.compile(r"\b(?:geen|zonder|no|without) (?:\w+ )?(?:kind\w*|kids|child|children)\b"
                          r"|\bkinderloos\b")
# "ik en mijn 2 kinderen": listing the household without a partner.
_SELF_WITH = re.compile(
    r"\b(?:(?:ik|mij|mijzelf|mezelf|me|i|myself) (?:en|met|and|with)|samen met|together with) "
    + _POSSESSIVE + r"\b")

_COUNTED_CHILDREN = re.compile(
    r"\b([0-9]+|[a-z]+) (?:(?P<all>kind\w*|kids|koters|children|child)"
    r"|zoon|zoons|zonen|zoontje|dochter\w*|jongens|meisjes|sons?|daughters?|boys|girls)\b"
)
_NUMBER = re.compile(r"(?<![0-9.,-])([0-9]+)(?![0-9]|[.,][0-9])")
_NONE = re.compile(r"^(?:geen|nee|niet|niks|niets|nul|kinderloos|none|no|zero|nothing)\b")


def parse_household_type(text: object) -> str | None:
    """single, couple, single_parent or couple_with_children; None if unclear.

    "ik woon alleen" -> single, "getrouwd" -> couple, "alleenstaande moeder
    van 2" -> single_parent, "met mijn man en de kinderen" ->
    couple_with_children. The button payloads themselves are accepted too.
    """
    norm = normalize(text)
    if norm is None:
        return None
    payload = norm.strip(" .!\"'")
    if payload in HOUSEHOLD_TYPES:
        return payload
    alone = bool(_ALONE.search(norm)) and not _NOT_ALONE.search(norm)
    partner = (bool(_PARTNER.search(norm)) and not _NO_PARTNER.search(norm)) \
        or bool(_NOT_ALONE.search(norm))
    children = bool(_CHILDREN.search(norm)) and not _NO_CHILDREN.search(norm)
    counted = parse_children(norm) if children else None
    if counted == 0:
        children = False
    if "eenouder" in norm or "een-ouder" in norm:
        return SINGLE_PARENT
    if alone and partner:
        return None  # "alleen, maar wel een vriendin": living apart? ask again
    if partner:
        return COUPLE_WITH_CHILDREN if children else COUPLE
    if alone:
        return SINGLE_PARENT if children else SINGLE
    if children and _SELF_WITH.search(norm):
        return SINGLE_PARENT
    if children and "gezin" in words(norm):
        return COUPLE_WITH_CHILDREN
    return None


def _small_number(token: str) -> int | None:
    if token.isascii() and token.isdigit():
        return int(token) if len(token) <= 3 else None
    return number_word_value(token)


def parse_children(text: object) -> int | None:
    """Number of children (0 to 15) from "2", "twee", "geen kinderen", "drie kids".

    A number right before a word for child wins ("2 kinderen van 5 en 8
    jaar" is 2); otherwise the answer must hold exactly one number.
    """
    norm = normalize(text)
    if norm is None:
        return None
    matches = [(_small_number(m[1]), bool(m["all"]))
               for m in _COUNTED_CHILDREN.finditer(norm)]
    matches = [(n, is_all) for n, is_all in matches if n is not None]
    if any(is_all for _, is_all in matches):
        counted = {n for n, is_all in matches if is_all}
    elif matches:
        # "twee zonen en een dochter": sons and daughters add up.
        counted = {sum(n for n, _ in matches)}
    elif _NO_CHILDREN.search(norm) or _NONE.match(norm):
        return 0  # "geen, wel 1 op komst" is still none for now
    else:
        tokens = words(norm)
        counted = {int(m[1]) for m in _NUMBER.finditer(norm) if len(m[1]) <= 3}
        # A lone "een" is an answer; inside a sentence it is the article "a".
        counted |= {v for w in tokens if (v := number_word_value(w)) is not None
                    and not (w == "een" and len(tokens) > 1)}
    if len(counted) != 1:
        return None
    value = counted.pop()
    return value if 0 <= value <= MAX_CHILDREN else None
