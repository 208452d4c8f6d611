"""Small edit-distance helpers for typo tolerance."""
from __future__ import annotations


def within_one_edit(a: str, b: str) -> bool:
    """True when `a` and `b` differ by at most one insertion, deletion, substitution or
    swap of two neighbouring letters (the typos thumbs make: 'deurwaader', 'sheiding')."""
    if a == b:
        return True
    la, lb = len(a), len(b)
    if abs(la - lb) > 1:
        return False
    if la > lb:
        a, b, la, lb = b, a, lb, la
    i = 0
    while i < la and a[i] == b[i]:
        i += 1
    if la == lb:
        if a[i + 1:] == b[i + 1:]:
            return True
        # Transposition of neighbours counts as one typo, not two.
        return (i + 1 < la and a[i] == b[i + 1] and a[i + 1] == b[i]
                and a[i + 2:] == b[i + 2:])
    return a[i:] == b[i + 1:]
