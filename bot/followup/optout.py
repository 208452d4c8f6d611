"""Opt-out per channel address (R23 with consent): after STOP, or a provider's refusal, that
address gets no unprompted message again. Answers to the customer's own messages still go."""
from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from bot import clock
from bot.addresses import channel_of
from bot.outcomes import events
from bot.store.db import core
from bot.store.idlists import id_list, in_list
from bot.store.models import ChannelOptOut

# Words that mean "no more messages" when they are the whole message (any case, with or without
# a leading slash as Telegram sends commands).
STOP_WORDS = frozenset({"stop", "afmelden", "uitschrijven", "stopp", "stop alle berichten"})
# Provider errors that mean the address refuses us: Twilio 21610 (the number sent STOP to
# Twilio), 63014 (the WhatsApp user blocked the business); Telegram's 403 (bot blocked).
REFUSAL_REASONS = {"21610": "twilio_21610", "63014": "twilio_63014", "telegram_403": "telegram_403"}


def is_stop_message(text: str | None) -> bool:
    return bool(text) and text.strip().lstrip("/").strip(" .!").lower() in STOP_WORDS


def opt_out(session: Session, sender_id: str, reason: str, customer_id: int | None = None) -> bool:
    """Switches outreach off for this address; True when it was on until now."""
    if session.execute(select(ChannelOptOut.id).where(ChannelOptOut.sender_id == sender_id)).first():
        return False
    try:
        with session.begin_nested():
            session.add(ChannelOptOut(sender_id=sender_id, channel=channel_of(sender_id), customer_id=customer_id,
                                      reason=reason, opted_out_at=clock.utcnow()))
    except IntegrityError:  # the same STOP through two workers at once
        return False
    events.record(session, "opted_out", customer_id=customer_id, channel=channel_of(sender_id), reason=reason)
    return True


# Built once: the IN list is a parameter (engines ask this for every batch).
_OPTED_OUT = select(ChannelOptOut.__table__.c.sender_id).where(
    in_list(ChannelOptOut.__table__.c.sender_id, id_list()))


def opted_out(session: Session, sender_ids: list[str]) -> set[str]:
    """Which of these addresses want no unprompted messages."""
    if not sender_ids:
        return set()
    return set(core(session).execute(_OPTED_OUT, {"ids": list(sender_ids)}).scalars())
