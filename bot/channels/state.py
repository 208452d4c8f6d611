"""What the channels remember between webhooks, in our database so every worker sees it.

- provider message ids already handled (Twilio MessageSid, Telegram update_id): a provider
  retry of the same id makes no second turn;
- per sender: the last inbound message (WhatsApp's 24-hour window) and the payloads of the
  buttons last sent as a numbered list;
- delivery status callbacks, without phone numbers or text.

All calls are synchronous and short; the connectors run them in a thread (`asyncio.to_thread`).
No Rasa here.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import delete, insert, select
from sqlalchemy.exc import IntegrityError

from bot import clock
from bot.store.db import session_scope
from bot.store.models import ChannelDeliveryStatus, ChannelInboundSeen, ChannelSender

# Twilio retries a webhook within minutes and Telegram within hours; a week is plenty.
SEEN_RETENTION = timedelta(days=7)
# Buttons offered longer ago than this no longer give "2" a meaning.
BUTTONS_VALID_FOR = timedelta(hours=24)


def _utc(value: datetime | None) -> datetime | None:
    # SQLite hands back naive datetimes; everything we store is UTC.
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


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
            if not payloads or not text or not _utc(row.buttons_at) or now - _utc(row.buttons_at) > BUTTONS_VALID_FOR:
                return None
            choice = _choice(text, len(payloads))
            if choice is None:
                return None
            row.button_payloads, row.buttons_at = None, None
            return payloads[choice]

    def last_inbound(self, sender_id: str) -> datetime | None:
        with session_scope(self.database_url) as session:
            return _utc(session.execute(select(ChannelSender.last_inbound_at).where(
                ChannelSender.sender_id == sender_id)).scalar_one_or_none())

    def offer_buttons(self, sender_id: str, payloads: list[str]) -> None:
        with session_scope(self.database_url) as session:
            row = self._sender(session, sender_id)
            row.button_payloads, row.buttons_at = list(payloads), clock.utcnow()

    def record_status(self, provider: str, message_id: str, status: str, error_code: str | None) -> None:
        with session_scope(self.database_url) as session:
            session.add(ChannelDeliveryStatus(provider=provider, message_id=message_id[:64], status=status[:32],
                                              error_code=(error_code or None) and error_code[:16],
                                              recorded_at=clock.utcnow()))

    def statuses(self, message_id: str) -> list[tuple[str, str | None]]:
        with session_scope(self.database_url) as session:
            rows = session.execute(select(ChannelDeliveryStatus.status, ChannelDeliveryStatus.error_code)
                                   .where(ChannelDeliveryStatus.message_id == message_id)
                                   .order_by(ChannelDeliveryStatus.id)).all()
            return [(s, e) for s, e in rows]


_NUMBER = re.compile(r"^\s*(?:optie\s*)?(\d{1,2})\s*[.)]?\s*$", re.IGNORECASE)


def _choice(text: str, count: int) -> int | None:
    match = _NUMBER.match(text)
    if not match:
        return None
    index = int(match.group(1)) - 1
    return index if 0 <= index < count else None
