"""Yes/no answers in free Dutch ("jazeker", "nee hoor", "niet echt")."""
from __future__ import annotations

import re

from ._text import normalize, words

# Interjections that settle the answer when they open it: "nee, er is niks
# veranderd" is a no even though "veranderd" alone would suggest a change.
_OPEN_YES = re.compile(r"(?:ja+h?|jazeker|jawel|jaja|jep|jup|yes+|yep|yup|yeah|yea|jaaa+|ok|oke|okay|oki|okidoki|sure)")
_OPEN_NO = re.compile(r"(?:ne+|neen|nope|nop|nah|no|neu+h?|nein|nee+h|nooit)")

_YES_WORDS = {
    "ja", "jazeker", "jawel", "jep", "jup", "yes", "yep", "klopt", "zeker",
    "absoluut", "inderdaad", "correct", "juist", "precies", "akkoord",
    "uiteraard", "natuurlijk", "wel", "graag", "prima", "goed", "ok", "oke",
    "okay", "certo", "tuurlijk", "idd",
    # English (issue 27)
    "yeah", "sure", "right", "true", "definitely", "absolutely", "indeed", "exactly",
}
_NO_WORDS = {"nee", "neen", "nope", "nooit", "niet", "geen", "niks", "niets",
             "nergens", "no", "not", "never", "nothing", "none", "don't", "dont", "haven't", "isn't"}
# Statements answering "is X veranderd?" with a change ...
_CHANGE_WORDS = {
    "minder", "meer", "lager", "hoger", "gestegen", "gedaald", "veranderd",
    "gewijzigd", "verminderd", "verhoogd", "verlaagd", "ontslagen", "werkloos",
    "kwijt", "gezakt", "omlaag", "omhoog",
    "less", "more", "lower", "higher", "changed", "dropped", "lost", "fired", "unemployed", "reduced",
}
# ... or without one.
_UNCHANGED = re.compile(
    r"\b(?:(?P<neg>niet |nog niet )?(?:hetzelfde|zelfde|gelijk|onveranderd|ongewijzigd|stabiel))\b"
    r"|\b(?:niks|niets) (?:is )?(?:veranderd|gewijzigd)\b"
    r"|\b(?P<neg_en>not )?(?:the same|unchanged|stable)\b|\bnothing (?:has )?changed\b"
)
# A question mark means the customer is asking, not answering.
_UNSURE = re.compile(
    r"\?|\b(?:weet (?:ik )?(?:het |dat )?niet|weet ik veel|geen idee|geen flauw"
    r"|misschien|wellicht|mogelijk|twijfel|onzeker|kan zijn|geen zin|zou kunnen"
    r"|ja en nee|ja of nee|ja/nee|deels|gedeeltelijk|soms|hangt ervan af"
    r"|weet het niet|vraag"
    r"|(?:i )?(?:don't|dont|do not) know|not sure|no idea|maybe|perhaps|partly|sometimes|it depends)"
)
_NOT_THAT_I_KNOW = re.compile(r"\bniet dat ik (?:weet|wist)\b|\bnot that i know\b")
# Idioms whose words would otherwise read as "no" or "unchanged".
_IDIOM_YES = re.compile(r"\b(?:geen probleem|geen bezwaar|(?:heeft|hebt|heb) gelijk|no problem|you're right)\b")
_THUMBS_UP = ("\U0001f44d", "\u2714", "\u2705")
_THUMBS_DOWN = ("\U0001f44e", "\u274c", "\u2716")


def parse_yes_no(text: object) -> bool | None:
    """True for yes, False for no, None when unsure or not an answer.

    Besides plain "ja"/"nee" this reads short statements: "geen andere
    schulden" is False, "mijn inkomen is hetzelfde gebleven" is False (nothing
    changed), "ik verdien minder" is True (something changed).
    """
    norm = normalize(text)
    if norm is None:
        return None
    up = any(e in norm for e in _THUMBS_UP)
    down = any(e in norm for e in _THUMBS_DOWN)
    tokens = words(norm)
    if not tokens:
        return True if up and not down else False if down and not up else None
    if _NOT_THAT_I_KNOW.search(norm):
        return False
    if _UNSURE.search(norm):
        return None
    if _IDIOM_YES.search(norm) and not re.search(r"\bnee", norm):
        return True
    token_set = set(tokens)
    first = tokens[0]
    if _OPEN_YES.fullmatch(first):
        # "ja nee" or "ja, niet echt" contradict themselves; ask again.
        return None if token_set & {"nee", "neen", "nope", "no"} else True
    if _OPEN_NO.fullmatch(first):
        return None if token_set & {"ja", "yes"} else False
    unchanged = _UNCHANGED.search(norm)
    if unchanged:
        return bool(unchanged["neg"] or unchanged["neg_en"])
    negated = bool(token_set & _NO_WORDS)
    if token_set & _YES_WORDS or token_set & _CHANGE_WORDS:
        # "zeker niet", "dat klopt niet", "ik verdien niet minder".
        return not negated
    if negated:
        return False
    return None
