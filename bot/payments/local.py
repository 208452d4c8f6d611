"""The embedded test provider for `make run`: behaves like Mollie, runs on our own web app.

Its links open our own payment page (marked TESTOMGEVING) with "Betalen" and "Annuleren". Those
buttons only change this provider's own table, then post the link id to our webhook, exactly as
Mollie would; the webhook fetches the status back from here. So links, statuses, webhooks and the
database behave as they do with Mollie, and nothing else in the system knows the difference.
"""
from __future__ import annotations

import asyncio
import logging
import secrets
from datetime import timedelta

import httpx
from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from bot import clock
from bot.clock import as_utc
from bot.payments.providers import ProviderPayment, ProviderStatus, UnknownProviderPayment
from bot.store.db import session_scope
from bot.store.models import LocalPaymentLink

log = logging.getLogger(__name__)

LINK_VALID_DAYS = 14
ACTIONS = ("pay", "cancel")



def effective_status(link: LocalPaymentLink) -> str:
    """An open link past its expiry is expired, as Mollie reports it, without a job to flip it."""
    if link.status == "open" and as_utc(link.expires_at) <= clock.utcnow():
        return "expired"
    return link.status


class LocalProvider:
    name = "local"

    def __init__(self, *, public_url: str, database_url: str | None = None,
                 link_valid_days: int = LINK_VALID_DAYS) -> None:
        self.public_url = public_url.rstrip("/")
        self.database_url = database_url
        self.link_valid_days = link_valid_days

    @property
    def webhook_url(self) -> str:
        return f"{self.public_url}/webhooks/payments/local"

    def create(self, payment) -> ProviderPayment:
        link = LocalPaymentLink(id=f"lp_{secrets.token_hex(12)}", amount_cents=payment.amount_cents,
                                amount_paid_cents=0, description=payment.description, status="open",
                                created_at=clock.utcnow(),
                                expires_at=clock.utcnow() + timedelta(days=self.link_valid_days))
        session = object_session(payment)
        if session is not None:
            # The same transaction as the payment row: on SQLite a second writer would wait on it.
            session.add(link)
        else:
            with session_scope(self.database_url) as own:
                own.add(link)
        return ProviderPayment(provider_id=link.id, checkout_url=f"{self.public_url}/pay/{payment.public_id}")

    def fetch(self, provider_id: str) -> ProviderStatus:
        with session_scope(self.database_url) as session:
            link = session.get(LocalPaymentLink, provider_id)
            if link is None:
                raise UnknownProviderPayment("the local provider does not know this id")
            status = effective_status(link)
            return ProviderStatus(status, link.amount_paid_cents if status == "paid" else 0)

    def close(self, session: Session, provider_id: str) -> None:
        """We closed the payment (a newer link, arrears paid): the page no longer takes money.
        In the caller's transaction, as the payment row it belongs to."""
        session.execute(update(LocalPaymentLink)
                        .where(LocalPaymentLink.id == provider_id, LocalPaymentLink.status == "open")
                        .values(status="expired", completed_at=clock.utcnow())
                        .execution_options(synchronize_session=False))

    def link(self, session: Session, provider_id: str) -> LocalPaymentLink | None:
        return session.execute(select(LocalPaymentLink).where(LocalPaymentLink.id == provider_id)).scalar_one_or_none()

    def complete(self, provider_id: str, action: str, amount_cents: int | None = None) -> str:
        """The test page's button: pay (all, or part to try a partial payment) or cancel.

        Only an open, unexpired link changes, once; the answer is the link's status afterwards.
        """
        if action not in ACTIONS:
            raise ValueError("action is pay or cancel")
        with session_scope(self.database_url) as session:
            link = self.link(session, provider_id)
            if link is None:
                raise UnknownProviderPayment("the local provider does not know this id")
            if effective_status(link) != "open":
                return effective_status(link)
            paid = link.amount_cents if amount_cents is None else amount_cents
            if action == "pay" and (isinstance(paid, bool) or not 1 <= paid <= link.amount_cents):
                raise ValueError("the amount is at least 1 cent and at most the amount asked")
            values = {"status": "paid", "amount_paid_cents": paid} if action == "pay" else {"status": "canceled"}
            session.execute(update(LocalPaymentLink)
                            .where(LocalPaymentLink.id == provider_id, LocalPaymentLink.status == "open")
                            .values(completed_at=clock.utcnow(), **values)
                            .execution_options(synchronize_session=False))
            session.expire(link)
            return link.status

    async def deliver_webhook(self, provider_id: str, *, transport: httpx.AsyncBaseTransport | None = None,
                              attempts: int = 3, pause: float = 1.0) -> bool:
        """Post the id to our webhook the way Mollie does; a few tries, then the retry is ours."""
        for attempt in range(1, attempts + 1):
            try:
                async with httpx.AsyncClient(timeout=10, transport=transport) as client:
                    response = await client.post(self.webhook_url, data={"id": provider_id})
                if response.status_code < 500:
                    return response.status_code == 200
            except httpx.HTTPError as error:
                log.warning("local webhook attempt %d failed: %s", attempt, type(error).__name__)
            await asyncio.sleep(pause * attempt)
        return False
