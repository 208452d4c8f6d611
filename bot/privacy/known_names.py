"""The names of known customers, for the log filter (issue 23 §2): a name is personal data no
pattern can find, so the filter masks every word that is part of a customer's name.

Read from the database at most once a minute, in the process that logs; a read that fails (no
database yet, a migration running) keeps the last set and is tried again later. Short name
particles ("de", "van", "El") are not masked on their own: they are common words, and the name
around them is. Reading is guarded against re-entry, as the database driver may log itself.
"""
from __future__ import annotations

import re
import threading
import time

REFRESH_SECONDS = 60.0
MAX_NAMES = 500_000  # a lender's whole book fits; beyond that the oldest customers come first
PARTICLES = frozenset({"de", "der", "den", "van", "het", "ter", "ten", "te", "el", "al", "la", "le", "du", "da",
                       "di", "op", "in", "aan", "bij", "uit", "von", "vd", "d'", "'t", "ben", "bin", "ibn"})
_WORD = re.compile(r"[^\W\d_][^\W\d_'-]*(?:['-][^\W\d_]+)*")

_lock = threading.Lock()
_state = {"names": frozenset(), "loaded_at": float("-inf")}
_busy = threading.local()


def name_parts(full_name: str) -> set[str]:
    return {word.lower() for word in _WORD.findall(full_name or "")
            if len(word) >= 2 and word.lower() not in PARTICLES}


def _load() -> frozenset[str]:
    from sqlalchemy import select

    from bot.store.db import session_scope
    from bot.store.models import Customer

    parts: set[str] = set()
    with session_scope() as session:
        for full_name in session.execute(select(Customer.full_name).order_by(Customer.id).limit(MAX_NAMES)).scalars():
            parts |= name_parts(full_name)
    return frozenset(parts)


def known_names(now: float | None = None) -> frozenset[str]:
    now = time.monotonic() if now is None else now
    if now - _state["loaded_at"] < REFRESH_SECONDS or getattr(_busy, "on", False):
        return _state["names"]
    if not _lock.acquire(blocking=False):
        return _state["names"]  # another thread is reading them now
    _busy.on = True
    try:
        _state["names"] = _load()
    except Exception:  # noqa: BLE001 - logging must never fail because the database is away
        pass
    finally:
        _state["loaded_at"] = now
        _busy.on = False
        _lock.release()
    return _state["names"]


def reload() -> None:
    """Read the names again at the next log line (after a customer was added in this process)."""
    _state["loaded_at"] = float("-inf")


def mask_names(text: str) -> str:
    names = known_names()
    if not names:
        return text
    return _WORD.sub(lambda m: "[naam]" if m.group().lower() in names else m.group(), text)
