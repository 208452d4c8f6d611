"""How the customer wants to pay: "link", "qr" or "transfer" (our buttons, or their own words)."""
from __future__ import annotations

import re

from ._text import normalize

METHODS = (
    ("transfer", re.compile(r"\b(?:overboek\w*|overmak\w*|maak \w* ?over|zelf over\w*|bank ?overschrijving|overschrijv\w*|epc"
                            r"|transfer\w*|bank details|iban)\b")),
    ("qr", re.compile(r"\b(?:qr\w*|scan\w*|kuu ?er)\b")),
    ("link", re.compile(r"\b(?:link\w*|ideal|betaallink|linkje|url)\b")),
)


def parse_payment_method(text: object) -> str | None:
    norm = normalize(text)
    if norm is None:
        return None
    if norm.strip() in ("link", "qr", "transfer"):
        return norm.strip()
    found = [name for name, pattern in METHODS if pattern.search(norm)]
    return found[0] if len(found) == 1 else None
