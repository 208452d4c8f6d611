"""After a load run: did every message the clients sent reach the tracker exactly once, in order,
with a bot reply? Pure code over tracker JSON (GET /conversations/<id>/tracker?include_events=ALL)."""
from __future__ import annotations

from collections import Counter
from typing import Callable, Iterable

# bot/rasa_ext/tracker_store.py stores a birth date the customer typed as this placeholder.
PLACEHOLDER = "[geboortedatum]"


def check_conversation(sent: list[str], events: list[dict],
                       redacted: Callable[[str], bool] = lambda text: False) -> dict:
    """Compares the texts a client sent with the user events Rasa kept for that conversation.

    - lost: sent but not stored; doubled: stored more often than sent (or never sent);
    - out_of_order: 1 when nothing is lost or doubled and the order still differs;
    - unanswered: user events with no bot event before the next user event (or the end).
    A message `redacted(text)` says our tracker store replaces is expected as PLACEHOLDER.
    """
    expected = [PLACEHOLDER if redacted(text) else text for text in sent]
    got: list[str] = []
    unanswered = 0
    waiting = False
    for event in events:
        kind = event.get("event")
        if kind == "user":
            unanswered += int(waiting)
            got.append(event.get("text") or "")
            waiting = True
        elif kind == "bot":
            waiting = False
    unanswered += int(waiting)
    lost = Counter(expected) - Counter(got)
    doubled = Counter(got) - Counter(expected)
    return {"conversations": 1, "sent": len(sent), "stored": len(got), "lost": sum(lost.values()),
            "doubled": sum(doubled.values()),
            "out_of_order": int(not lost and not doubled and got != expected), "unanswered": unanswered}


def total(results: Iterable[dict]) -> dict:
    summed: Counter = Counter()
    for result in results:
        summed.update(result)
    keys = ("conversations", "sent", "stored", "lost", "doubled", "out_of_order", "unanswered")
    return {key: summed.get(key, 0) for key in keys}


def faults(checks: dict | None, errors: int) -> int | None:
    """What the 50-customer target counts: errors plus lost, doubled and unanswered messages."""
    if checks is None:
        return None
    return errors + checks["lost"] + checks["doubled"] + checks["unanswered"]
