"""What the channels remember between webhooks, in our database so every worker sees it.

- provider message ids already handled (Twilio MessageSid, Telegram update_id): a provider
  retry of the same id makes no second turn;
- per sender: the last inbound message (WhatsApp's 24-hour window) and the payloads of the
  buttons last sent as a numbered list;
- delivery status callbacks, without phone numbers or text;
- proactive messages and their outcome (sent, sent as a WhatsApp template, queued until the
  customer writes again, delivered from that queue), read back by the staff console; replies
  the provider's API did not take after every retry wait in the same queue.

All calls are synchronous and short; the connectors run them in a thread (`asyncio.to_thread`).
No Rasa here.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from sqlalchemy import delete, desc, insert, select, update
from sqlalchemy.exc import IntegrityError

from bot import clock, identity
from bot.clock import as_utc
from bot.followup import optout
from bot.store.db import session_scope
from bot.store.models import Case, ChannelDeliveryStatus, ChannelInboundSeen, ChannelOutbound, ChannelSender

# Twilio retries a webhook within minutes and Telegram within hours; a week is plenty.
SEEN_RETENTION = timedelta(days=7)
# Buttons offered longer ago than this no longer give "2" a meaning.
BUTTONS_VALID_FOR = timedelta(hours=24)
# WhatsApp's customer-service window: free-form messages only this long after the customer's last one.
WHATSAPP_WINDOW = timedelta(hours=24)
# A queued message older than this is not delivered any more: it would confuse more than help.
QUEUE_MAX_AGE = timedelta(days=7)
# What a queued message keeps of Rasa's message: the content, not the bookkeeping.
STORED_KEYS = ("text", "buttons", "quick_replies", "image", "attachment", "custom", "elements")


def storable(message: dict) -> dict:
    return {k: message[k] for k in STORED_KEYS if message.get(k)}



class ChannelState:
    def __init__(self, database_url: str | None = None) -> None:
        self.database_url = database_url  # None: the configured database (bot.config)

    def first_time(self, provider: str, message_id: str) -> bool:
        """True once per (provider, message id); False for every repeat, on any worker."""
        now = clock.utcnow()
        try:
            with session_scope(self.database_url) as session:
                session.execute(insert(ChannelInboundSeen).values(
                    provider=provider, message_id=message_id[:64], seen_at=now))
        except IntegrityError:
            return False
        if hash(message_id) % 200 == 0:  # now and then, forget old ids
            with session_scope(self.database_url) as session:
                session.execute(delete(ChannelInboundSeen).where(ChannelInboundSeen.seen_at < now - SEEN_RETENTION))
        return True

    def forget(self, provider: str, message_id: str) -> None:
        """Lets a provider retry count again (the turn failed before the bot saw it)."""
        with session_scope(self.database_url) as session:
            session.execute(delete(ChannelInboundSeen).where(
                ChannelInboundSeen.provider == provider, ChannelInboundSeen.message_id == message_id[:64]))

    def _sender(self, session, sender_id: str) -> ChannelSender:
        row = session.get(ChannelSender, sender_id)
        if row is None:
            row = ChannelSender(sender_id=sender_id)
            session.add(row)
        return row

    def inbound(self, sender_id: str, text: str | None) -> str | None:
        """Records an inbound message; returns the payload of a numbered button when `text` picks one."""
        now = clock.utcnow()
        with session_scope(self.database_url) as session:
            row = self._sender(session, sender_id)
            row.last_inbound_at = now
            payloads = row.button_payloads or []
            if not payloads or not text or not as_utc(row.buttons_at) or now - as_utc(row.buttons_at) > BUTTONS_VALID_FOR:
                return None
            choice = _choice(text, len(payloads))
            if choice is None:
                return None
            row.button_payloads, row.buttons_at = None, None
            return payloads[choice]

    def last_inbound(self, sender_id: str) -> datetime | None:
        with session_scope(self.database_url) as session:
            return as_utc(session.execute(select(ChannelSender.last_inbound_at).where(
                ChannelSender.sender_id == sender_id)).scalar_one_or_none())

    def window_open(self, sender_id: str) -> bool:
        """True while WhatsApp accepts free-form messages to this sender (last inbound < 24 h ago)."""
        last = self.last_inbound(sender_id)
        return last is not None and clock.utcnow() - last <= WHATSAPP_WINDOW

    def offer_buttons(self, sender_id: str, payloads: list[str]) -> None:
        with session_scope(self.database_url) as session:
            row = self._sender(session, sender_id)
            row.button_payloads, row.buttons_at = list(payloads), clock.utcnow()

    def record_status(self, provider: str, message_id: str, status: str, error_code: str | None) -> None:
        with session_scope(self.database_url) as session:
            session.add(ChannelDeliveryStatus(provider=provider, message_id=message_id[:64], status=status[:32],
                                              error_code=(error_code or None) and error_code[:16],
                                              recorded_at=clock.utcnow()))

    def opt_out(self, sender_id: str, reason: str, phone: str | None = None) -> bool:
        """No more unprompted messages to this address (STOP, or the provider refused us);
        True when it was on until now."""
        with session_scope(self.database_url) as session:
            customer = identity.customer_for_phone(session, phone) if phone else None
            return optout.opt_out(session, sender_id, reason, customer)

    def statuses(self, message_id: str) -> list[tuple[str, str | None]]:
        with session_scope(self.database_url) as session:
            rows = session.execute(select(ChannelDeliveryStatus.status, ChannelDeliveryStatus.error_code)
                                   .where(ChannelDeliveryStatus.message_id == message_id)
                                   .order_by(ChannelDeliveryStatus.id)).all()
            return [(s, e) for s, e in rows]


    # -- proactive messages: the record the console reads, and the queue -------------------------
    def record_outbound(self, sender_id: str, outcome: str, *, source: str, ref: str | None = None,
                        template: str | None = None, message: dict | None = None,
                        message_sid: str | None = None) -> tuple[int, int | None]:
        """Records one proactive message; returns (row id, case id) for logs without personal data."""
        now = clock.utcnow()
        with session_scope(self.database_url) as session:
            case_id = session.execute(select(Case.id).where(Case.sender_id == sender_id)
                                      .order_by(desc(Case.id)).limit(1)).scalar_one_or_none()
            row = ChannelOutbound(sender_id=sender_id, case_id=case_id, source=source, ref=(ref or None) and ref[:64],
                                  outcome=outcome, template=template, message=message, message_sid=message_sid,
                                  created_at=now, delivered_at=now if outcome != "queued" and message_sid else None)
            session.add(row)
            session.flush()
            return row.id, case_id

    def note_template(self, row_id: int, template: str, message_sid: str | None) -> None:
        """The queued message's customer was sent an approved template asking them to write."""
        with session_scope(self.database_url) as session:
            session.execute(update(ChannelOutbound).where(ChannelOutbound.id == row_id)
                            .values(template=template, message_sid=message_sid))

    def nudged_while_queued(self, sender_id: str) -> bool:
        """True when a message for this sender already waits and its template already went out."""
        with session_scope(self.database_url) as session:
            return session.execute(select(ChannelOutbound.id).where(
                ChannelOutbound.sender_id == sender_id, ChannelOutbound.outcome == "queued",
                ChannelOutbound.template.is_not(None)).limit(1)).first() is not None

    def queued(self, sender_id: str) -> list[tuple[int, dict]]:
        """Messages waiting for this sender, oldest first; too old ones are marked expired."""
        now = clock.utcnow()
        with session_scope(self.database_url) as session:
            rows = session.execute(select(ChannelOutbound.id, ChannelOutbound.message, ChannelOutbound.created_at)
                                   .where(ChannelOutbound.sender_id == sender_id,
                                          ChannelOutbound.outcome == "queued")
                                   .order_by(ChannelOutbound.id)).all()
            stale = [row_id for row_id, _, created in rows if now - as_utc(created) > QUEUE_MAX_AGE]
            if stale:
                session.execute(update(ChannelOutbound).where(ChannelOutbound.id.in_(stale))
                                .values(outcome="expired", message=None)
                                .execution_options(synchronize_session=False))
            return [(row_id, message or {}) for row_id, message, _ in rows if row_id not in stale]

    def claim(self, row_id: int) -> bool:
        """Takes a queued message for delivery: True for exactly one caller, on any worker."""
        with session_scope(self.database_url) as session:
            return session.execute(update(ChannelOutbound)
                                   .where(ChannelOutbound.id == row_id, ChannelOutbound.outcome == "queued")
                                   .values(outcome="delivering")
                                   .execution_options(synchronize_session=False)).rowcount == 1

    def delivered(self, row_id: int, message_sid: str | None) -> None:
        with session_scope(self.database_url) as session:
            session.execute(update(ChannelOutbound).where(ChannelOutbound.id == row_id)
                            .values(outcome="delivered_from_queue", message=None, message_sid=message_sid,
                                    delivered_at=clock.utcnow()))

    def release(self, row_id: int) -> None:
        """Sending a claimed message failed: back in the queue for the customer's next message."""
        with session_scope(self.database_url) as session:
            session.execute(update(ChannelOutbound)
                            .where(ChannelOutbound.id == row_id, ChannelOutbound.outcome == "delivering")
                            .values(outcome="queued"))

    def outcomes(self, sender_id: str, limit: int = 500) -> dict[str, str]:
        """ref -> outcome of this sender's proactive messages (newest `limit`), for the console."""
        with session_scope(self.database_url) as session:
            rows = session.execute(select(ChannelOutbound.ref, ChannelOutbound.outcome)
                                   .where(ChannelOutbound.sender_id == sender_id, ChannelOutbound.ref.is_not(None))
                                   .order_by(desc(ChannelOutbound.id)).limit(limit)).all()
            return {ref: outcome for ref, outcome in reversed(rows)}


_NUMBER = re.compile(r"^\s*(?:optie\s*)?(\d{1,2})\s*[.)]?\s*$", re.IGNORECASE)


def _choice(text: str, count: int) -> int | None:
    match = _NUMBER.match(text)
    if not match:
        return None
    index = int(match.group(1)) - 1
    return index if 0 <= index < count else None
