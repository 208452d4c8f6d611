"""What a payment webhook does, apart from HTTP: find our payment, ask the provider, apply once.

Mollie's webhook is unsigned and carries only an id, and ours from the local provider works the
same way, so the id only says *which* payment to re-check; the status always comes from the
provider's own API (or store), never from the request.
"""
from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import select

from bot.payments.providers import PaymentProvider, ProviderStatus, UnknownProviderPayment, provider_for
from bot.payments.service import Outcome, apply_status
from bot.store.db import session_scope
from bot.store.models import Payment

ID_SHAPES = {
    "local": re.compile(r"^lp_[0-9a-f]{24}$"),
    # Mollie posts the payment made through the link (tr_...); a link id (pl_...) is accepted too.
    "mollie": re.compile(r"^(tr|pl)_[A-Za-z0-9]{4,60}$"),
}


class MalformedWebhook(ValueError):
    """400: not an id this provider could have sent."""


class UnknownPayment(LookupError):
    """404: no payment of ours goes with this id."""


@dataclass(frozen=True)
class WebhookResult:
    public_id: str
    outcome: Outcome


def _valid_public_id(value: str | None) -> str | None:
    if not value:
        return None
    try:
        return str(uuid.UUID(value))
    except ValueError as error:
        raise MalformedWebhook("ref is not a payment reference") from error


def find_provider_id(provider_name: str, webhook_id: str | None, ref: str | None = None,
                     database_url: str | None = None) -> tuple[str, str]:
    """(public_id, provider_id) of our payment for a webhook id; raises MalformedWebhook, UnknownPayment."""
    shape = ID_SHAPES.get(provider_name)
    if shape is None:
        raise UnknownPayment("unknown payment provider")
    if not webhook_id or not shape.match(webhook_id):
        raise MalformedWebhook("field id is missing or not an id of this provider")
    public_id = _valid_public_id(ref)
    with session_scope(database_url) as session:
        row = session.execute(select(Payment.public_id, Payment.provider_id)
                              .where(Payment.provider == provider_name, Payment.provider_id == webhook_id)).first()
        if row is None and public_id and webhook_id.startswith("tr_"):
            row = session.execute(select(Payment.public_id, Payment.provider_id)
                                  .where(Payment.provider == provider_name, Payment.public_id == public_id,
                                         Payment.provider_id.is_not(None))).first()
    if row is None:
        raise UnknownPayment("no payment with this id")
    return row.public_id, row.provider_id


def apply_fetched(public_id: str, fetched: ProviderStatus, database_url: str | None = None) -> WebhookResult:
    with session_scope(database_url) as session:
        payment = session.execute(select(Payment).where(Payment.public_id == public_id)).scalar_one()
        return WebhookResult(public_id, apply_status(session, payment, fetched))


def process_webhook(provider_name: str, webhook_id: str | None, ref: str | None = None, *,
                    provider_factory: Callable[[str], PaymentProvider] = provider_for,
                    database_url: str | None = None) -> WebhookResult:
    """Raises MalformedWebhook (400), UnknownPayment (404), ProviderError (503: try again later)."""
    public_id, provider_id = find_provider_id(provider_name, webhook_id, ref, database_url)
    provider = provider_factory(provider_name)
    # No database transaction is open while the provider is asked: a slow Mollie holds no lock.
    try:
        fetched = provider.fetch(provider_id)
    except UnknownProviderPayment as error:
        raise UnknownPayment(str(error)) from error
    return apply_fetched(public_id, fetched, database_url)
