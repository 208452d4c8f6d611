"""The one small adapter every payment provider sits behind (DESIGN: outside systems).

A provider makes a link for a payment and, asked later, says what became of it. Nothing a
webhook carries is trusted: the status always comes from `fetch`.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from bot.store.models import Payment

STATUSES = ("open", "paid", "failed", "canceled", "expired")
FINAL_STATUSES = frozenset(STATUSES) - {"open"}


@dataclass(frozen=True)
class ProviderPayment:
    provider_id: str
    checkout_url: str


@dataclass(frozen=True)
class ProviderStatus:
    status: str
    amount_paid_cents: int = 0

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown payment status {self.status!r}")
        if not isinstance(self.amount_paid_cents, int) or self.amount_paid_cents < 0:
            raise ValueError("amount paid must be a whole number of cents, not negative")


class ProviderError(RuntimeError):
    """The provider could not do what was asked."""


class ProviderUnavailable(ProviderError):
    """Down, slow or answering 5xx: try again later (a webhook answers 503 so Mollie retries)."""


class ProviderRejected(ProviderError):
    """The provider refused the request (4xx): retrying the same request will not help."""


class UnknownProviderPayment(ProviderRejected):
    """The provider does not know this id."""


class PaymentProvider(Protocol):
    name: str

    def create(self, payment: Payment) -> ProviderPayment:
        """Make a link for this payment (public_id, amount_cents and description are set)."""

    def fetch(self, provider_id: str) -> ProviderStatus:
        """What the provider says about the link now."""


def provider_for(name: str | None = None) -> PaymentProvider:
    """The configured provider: `BETAALHULP_PAYMENT_PROVIDER` = local (default) | mollie."""
    from bot.config import settings

    config = settings()
    name = (name or config.payment_provider).lower()
    if name == "local":
        from bot.payments.local import LocalProvider

        return LocalProvider(public_url=config.public_url)
    if name == "mollie":
        from bot.payments.mollie import MollieProvider

        if not config.mollie_api_key:
            raise ProviderError("MOLLIE_API_KEY is not set; set it or use the local provider")
        return MollieProvider(config.mollie_api_key, api_url=config.mollie_api_url, public_url=config.public_url)
    raise ProviderError(f"unknown payment provider {name!r} (use local or mollie)")
