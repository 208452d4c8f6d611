"""Mollie through its official client, with the Payment Links API (R3).

Payment links, unlike plain Mollie payments, stay valid for days: a customer who reads the chat
tonight can still pay. Mollie's webhook is unsigned and carries only an id, so every status is
fetched back from Mollie here before anything changes.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from mollie.api.client import Client
from mollie.api.error import (
    IdentifierError,
    NotFoundError,
    RequestError,
    RequestSetupError,
    ResponseError,
    ResponseHandlingError,
)

from bot import clock
from bot.money import cents_to_euros
from bot.payments.providers import (
    ProviderPayment,
    ProviderRejected,
    ProviderStatus,
    ProviderUnavailable,
    UnknownProviderPayment,
)

log = logging.getLogger(__name__)

LINK_VALID_DAYS = 14  # long enough to pay after payday; the arrears overview is redone anyway


def _cents(amount: Any) -> int:
    try:
        value = Decimal(str(amount["value"]))
    except (KeyError, TypeError, InvalidOperation) as error:
        raise ProviderUnavailable("Mollie answered without a readable amount") from error
    return int(value * 100)


def _parse_time(raw: str | None) -> datetime | None:
    if not raw:
        return None
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None


class MollieProvider:
    name = "mollie"

    def __init__(self, api_key: str, *, public_url: str, api_url: str | None = None,
                 timeout: float | tuple[float, float] = (3, 10), link_valid_days: int = LINK_VALID_DAYS) -> None:
        self._api_key = api_key
        self._api_url = api_url
        self._timeout = timeout
        self.public_url = public_url.rstrip("/")
        self.link_valid_days = link_valid_days

    def _client(self) -> Client:
        # A client per call: it is cheap, and no connection state outlives a request.
        client = Client(api_endpoint=self._api_url or "", timeout=self._timeout, retry=1)
        try:
            client.set_api_key(self._api_key)
        except RequestSetupError as error:
            raise ProviderRejected("MOLLIE_API_KEY must start with test_ or live_") from error
        return client

    def _call(self, what: str, call):
        try:
            return call()
        except (NotFoundError, IdentifierError) as error:
            raise UnknownProviderPayment(f"Mollie does not know this {what}") from error
        except ResponseError as error:
            status = error.status if isinstance(error.status, int) else 500
            if status >= 500 or status == 429:
                raise ProviderUnavailable(f"Mollie answered {status} on {what}") from error
            # The detail names the field Mollie refused; it holds no customer data.
            raise ProviderRejected(f"Mollie refused the {what} ({status}): {error}") from error
        except ResponseHandlingError as error:
            # A proxy's HTML error page or a cut-off body: Mollie is not really there.
            raise ProviderUnavailable(f"unreadable answer from Mollie on {what}") from error
        except RequestError as error:
            raise ProviderUnavailable(f"Mollie unreachable on {what}: {type(error.__cause__).__name__}") from error

    def create(self, payment) -> ProviderPayment:
        expires = clock.utcnow() + timedelta(days=self.link_valid_days)
        data = {
            "description": payment.description,
            "amount": {"currency": "EUR", "value": f"{cents_to_euros(payment.amount_cents):.2f}"},
            "redirectUrl": f"{self.public_url}/pay/{payment.public_id}/done",
            # Mollie posts the id of the payment made through the link (tr_...); `ref` tells us
            # which link to fetch back. It is only a hint: the status always comes from Mollie.
            "webhookUrl": f"{self.public_url}/webhooks/payments/mollie?ref={payment.public_id}",
            "expiresAt": expires.replace(microsecond=0).isoformat(),
        }
        link = self._call("payment link", lambda: self._client().payment_links.create(
            data, idempotency_key=payment.public_id))
        url = link.payment_link
        if not link.id or not url:
            raise ProviderUnavailable("Mollie answered without a link")
        log.info("mollie link created for payment %s", getattr(payment, "id", None))
        return ProviderPayment(provider_id=link.id, checkout_url=url)

    def fetch(self, provider_id: str) -> ProviderStatus:
        link = self._call("payment link", lambda: self._client().payment_links.get(provider_id))
        return self.status_of(link)

    @staticmethod
    def status_of(link) -> ProviderStatus:
        """A link is paid once Mollie set paidAt; a failed iDEAL attempt leaves it open to retry."""
        if link.paid_at:
            return ProviderStatus("paid", _cents(link.amount))
        if link.get("archived"):
            return ProviderStatus("canceled")
        expires = _parse_time(link.expires_at)
        if expires is not None and expires <= clock.utcnow():
            return ProviderStatus("expired")
        return ProviderStatus("open")
