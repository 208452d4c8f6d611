"""The conversation as staff read it, built from Rasa's tracker events (the tracker is the
conversation's memory; DESIGN). Only what was said, plus the moments the bot stepped back."""
from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from bot.clock import AMSTERDAM

# Pause and resume are shown as a line in the transcript; other events are bookkeeping.
MARKERS = {"pause": "Gesprek overgedragen aan een medewerker", "resume": "Gesprek terug naar de bot"}


def entry(event: dict[str, Any]) -> dict[str, Any] | None:
    kind = event.get("event")
    stamp = float(event.get("timestamp") or 0.0)
    base = {"ts": stamp, "time": _clock_time(stamp)}
    if kind == "user":
        text = event.get("text") or ""
        # A message that started with "/" was a typed intent; show it literally, it is what was sent.
        return {**base, "role": "customer", "who": "Klant", "text": text}
    if kind == "bot":
        metadata = event.get("metadata") or {}
        staff = metadata.get("staff_name")
        text = event.get("text") or ""
        buttons = (event.get("data") or {}).get("buttons") or []
        if buttons:
            text += "\n" + " | ".join(str(b.get("title", "")) for b in buttons)
        if not text.strip():
            return None
        if staff:
            # reply_id links the line to its delivery record (WhatsApp: sent, template, queued).
            return {**base, "role": "staff", "who": f"Medewerker ({staff})", "text": text,
                    "reply_id": metadata.get("reply_id")}
        return {**base, "role": "bot", "who": "Bot", "text": text}
    if kind in MARKERS:
        return {**base, "role": "marker", "who": "", "text": MARKERS[kind]}
    return None


def transcript(tracker: dict[str, Any], after: float = 0.0) -> list[dict[str, Any]]:
    """Entries newer than `after` (a tracker timestamp), oldest first."""
    entries = []
    for event in tracker.get("events") or []:
        if float(event.get("timestamp") or 0.0) <= after:
            continue
        item = entry(event)
        if item is not None:
            entries.append(item)
    return entries


def last_timestamp(tracker: dict[str, Any]) -> float:
    stamps = [float(e.get("timestamp") or 0.0) for e in tracker.get("events") or []]
    return max(stamps, default=0.0)


def is_paused(tracker: dict[str, Any]) -> bool:
    return bool(tracker.get("paused"))


def _clock_time(stamp: float) -> str:
    if not stamp:
        return ""
    return datetime.fromtimestamp(stamp, tz=timezone.utc).astimezone(AMSTERDAM).strftime("%d-%m %H:%M")
