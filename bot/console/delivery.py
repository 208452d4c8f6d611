"""What became of a staff reply to a WhatsApp customer, and whether their 24-hour window is open.

Read from the record the Twilio output channel writes (`channel_outbound`, via ChannelState):
the console never talks to Twilio itself. Other channels have no window: nothing to show.
"""
from __future__ import annotations

from typing import Any

from bot.addresses import is_whatsapp
from bot.channels.state import ChannelState

LABELS = {
    "sent": "verstuurd",
    "sent_as_template": "als template verstuurd",
    "queued": "in de wachtrij tot de klant reageert",
    "delivering": "in de wachtrij tot de klant reageert",
    "delivered_from_queue": "verstuurd (uit de wachtrij, na reactie van de klant)",
    "failed": "niet verstuurd: probeer het opnieuw",
    "expired": "niet verstuurd: de klant reageerde niet binnen 7 dagen",
}
WINDOW_CLOSED = ("Let op: de klant heeft meer dan 24 uur niets via WhatsApp gestuurd. Je antwoord wacht in de "
                 "wachtrij tot de klant reageert; de klant krijgt een standaardbericht dat er een antwoord klaarstaat.")


def ref_of(entry: dict[str, Any]) -> str | None:
    """The record's key for a transcript line: a staff reply's id, else its event timestamp
    (pushed bot messages such as the payment confirmation)."""
    if entry.get("role") not in ("staff", "bot"):
        return None
    return entry.get("reply_id") or (f"ts:{float(entry['ts'])!r}" if entry.get("ts") else None)


def label_replies(sender_id: str, entries: list[dict[str, Any]], state: ChannelState | None = None) -> None:
    """Adds `delivery` (outcome) and `delivery_label` to the proactive lines (staff replies,
    pushed bot messages) of a WhatsApp conversation."""
    if not is_whatsapp(sender_id):
        return
    if not any(map(ref_of, entries)):
        return
    outcomes = (state or ChannelState()).outcomes(sender_id)
    for item in entries:
        outcome = outcomes.get(ref_of(item) or "")
        if outcome:
            item["delivery"], item["delivery_label"] = outcome, LABELS.get(outcome, outcome)


def window_closed(sender_id: str, state: ChannelState | None = None) -> bool:
    """True for a WhatsApp customer whose last message is more than 24 hours old (or missing)."""
    return is_whatsapp(sender_id) and not (state or ChannelState()).window_open(sender_id)


def outcome_of(sender_id: str, reply_id: str, state: ChannelState | None = None) -> str | None:
    if not is_whatsapp(sender_id):
        return None
    return (state or ChannelState()).outcomes(sender_id).get(reply_id)
