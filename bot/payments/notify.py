"""Telling the customer, in the same conversation, what became of their payment (R3, R5), at
once, as the answer to their own action.

Only that may skip the rules of unprompted messages: a status the follow-up policy lists as
`immediate` (paid, failed, cancelled on the payment page), within its `immediate_minutes` of
the provider's report (bot/followup/policy.yml, kind `payment_notice`). Anything else (an
expired link days later, a report that came late, a retry after Rasa was down too long) is not
sent from here: the follow-up engine plans it and sends it under quiet hours, contact pressure,
opt-out and the WhatsApp window (bot/followup/notices.py), the same rules as every outreach.

The message goes through Rasa's HTTP API, so it reaches the channel the customer used last.
`customer_notified_at` is written only after Rasa answered; what could not be sent is tried
again by `retry_unnotified` (the web app runs it every 30 seconds) while it is still immediate.
"""
from __future__ import annotations

import asyncio
import logging

import httpx
from sqlalchemy import select, update

from bot import clock
from bot.followup import notices
from bot.followup.policy import default as followup_policy
from bot.money import format_euro
from bot.rasa_api import RasaApi, RasaUnavailable
from bot.store.db import session_scope
from bot.store.models import Payment

log = logging.getLogger(__name__)

CREDIT_RESPONSE = "utter_payment_received_as_credit"
RETRY_BATCH = 20

# One web process sends; this keeps the webhook and the retry loop from sending twice at once.
_in_flight: set[str] = set()


def _message_for(public_id: str, database_url: str | None) -> tuple[int, str, str, dict] | None:
    with session_scope(database_url) as session:
        payment = session.execute(select(Payment).where(Payment.public_id == public_id)).scalar_one_or_none()
        if payment is None or payment.customer_notified_at is not None or not payment.sender_id:
            return None
        policy = followup_policy()
        response = notices.responses(policy).get(payment.status)
        if response is None or not notices.is_immediate(payment.status, payment.updated_at, clock.utcnow(), policy):
            return None  # not news, or not the answer to the customer's action: the engine's (outreach rules)
        slots = notices.slots_for(payment.status, payment.amount_cents, payment.amount_paid_cents)
        if payment.status == "paid" and payment.credit_cents:
            # Paid after the arrears were: the customer hears where the money went (issue 23 §3).
            response = CREDIT_RESPONSE
            slots["credit_amount"] = format_euro(payment.credit_cents)
        return payment.id, payment.sender_id, response, slots


def _mark_notified(public_id: str, database_url: str | None) -> None:
    with session_scope(database_url) as session:
        session.execute(update(Payment)
                        .where(Payment.public_id == public_id, Payment.customer_notified_at.is_(None))
                        .values(customer_notified_at=clock.utcnow())
                        .execution_options(synchronize_session=False))


async def _notify(public_id: str, rasa: RasaApi | None, database_url: str | None) -> str:
    """"sent", "nothing" (no message due), "busy", "down" (Rasa unreachable) or "refused" (4xx)."""
    if public_id in _in_flight:
        return "busy"
    _in_flight.add(public_id)
    try:
        message = await asyncio.to_thread(_message_for, public_id, database_url)
        if message is None:
            return "nothing"
        # Logs name the payment by its row id: a public id opens (and cancels) the payment.
        payment_id, sender_id, response, slots = message
        try:
            await (rasa or RasaApi()).utter(sender_id, response, slots)
        except (RasaUnavailable, httpx.HTTPError) as error:
            # Payment row id and error kind only: the URL in the error holds the sender id (a phone number).
            status = getattr(getattr(error, "response", None), "status_code", "")
            log.warning("payment %s: customer not told yet (%s %s)", payment_id, type(error).__name__, status)
            return "refused" if isinstance(error, httpx.HTTPStatusError) else "down"
        await asyncio.to_thread(_mark_notified, public_id, database_url)
        log.info("payment %s: customer told (%s)", payment_id, response)
        return "sent"
    finally:
        _in_flight.discard(public_id)


async def notify_customer(public_id: str, *, rasa: RasaApi | None = None, database_url: str | None = None) -> bool:
    """Send the status message once; True when Rasa took it or nothing was left to send."""
    return await _notify(public_id, rasa, database_url) in ("sent", "nothing")


def _unnotified(database_url: str | None, limit: int) -> list[str]:
    """Immediate notices not told yet (Rasa was down): only while they are still immediate."""
    policy = followup_policy()
    since = clock.utcnow() - notices.immediate_window(policy)
    with session_scope(database_url) as session:
        return list(session.execute(
            select(Payment.public_id)
            .where(Payment.status.in_(tuple(policy.kind(notices.KIND)["immediate"])),
                   Payment.customer_notified_at.is_(None),
                   Payment.sender_id.is_not(None), Payment.updated_at >= since)
            .order_by(Payment.updated_at).limit(limit)).scalars())


async def retry_unnotified(*, rasa: RasaApi | None = None, database_url: str | None = None,
                           limit: int = RETRY_BATCH) -> int:
    """One round of retries; returns how many customers were told now."""
    told = 0
    for public_id in await asyncio.to_thread(_unnotified, database_url, limit):
        result = await _notify(public_id, rasa, database_url)
        told += result == "sent"
        if result == "down":
            break  # Rasa is still down: the next round tries again, without hammering it
    return told


async def retry_loop(*, interval: float = 30.0, rasa: RasaApi | None = None, database_url: str | None = None) -> None:
    """Runs until cancelled (the web app's lifespan owns it)."""
    while True:
        await asyncio.sleep(interval)
        try:
            await retry_unnotified(rasa=rasa, database_url=database_url)
        except Exception:  # noqa: BLE001 - one bad round must not end the loop for good
            log.exception("payment notification round failed")
