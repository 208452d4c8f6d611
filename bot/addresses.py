"""Sender ids: how each channel names a conversation, `<prefix><the id on that channel>`.

One place for the prefixes: the channels make sender ids with them, and the follow-up engine and
the console read a sender id's channel from them. Rasa-free, like the rest of the domain.
"""
from __future__ import annotations

from functools import lru_cache

WHATSAPP = "twilio_whatsapp:"
SMS = "twilio_sms:"
TELEGRAM = "telegram:"
WIDGET = "web:"
REST = "rest:"
# prefix -> channel name, as stored with opt-outs and outcome events
CHANNELS = ((WHATSAPP, "whatsapp"), (SMS, "sms"), (TELEGRAM, "telegram"), (WIDGET, "widget"), (REST, "rest"))


@lru_cache(maxsize=65536)  # asked for every address of every message a follow-up pass decides on
def channel_of(sender_id: str) -> str:
    """whatsapp | sms | telegram | widget | rest | other"""
    return next((channel for prefix, channel in CHANNELS if sender_id.startswith(prefix)), "other")


def sms_to(phone: str) -> str:
    """The SMS conversation with this phone number."""
    return f"{SMS}{phone}"


def is_whatsapp(sender_id: str | None) -> bool:
    return bool(sender_id) and sender_id.startswith(WHATSAPP)
