"""The Mollie provider against a real HTTP server answering as Mollie's API does (recorded shapes
from docs.mollie.com), including 4xx errors, 5xx, an HTML error page and a timeout."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot import clock
from bot.payments.mollie import MollieProvider
from bot.payments.providers import ProviderRejected, ProviderStatus, ProviderUnavailable, UnknownProviderPayment
from bot.payments.service import request_payment
from bot.payments.webhook import UnknownPayment, process_webhook
from bot.store.db import session_scope
from bot.store.models import Payment
from tests.payments.conftest import loan_state
from tests.payments.fake_mollie import FakeMollie
from tests.payments.http_server import RecordingServer, closed_port_url

pytestmark = pytest.mark.timeout(60)
PUBLIC = "https://betaalhulp.example.nl"


@pytest.fixture
def mollie():
    fake = FakeMollie()
    with RecordingServer(fake) as server:
        server.fake = fake
        yield server


def provider(server, **kwargs) -> MollieProvider:
    return MollieProvider(server.fake.api_key, api_url=server.url, public_url=PUBLIC, timeout=(1, 1), **kwargs)


def ask(database, who, mollie_provider, key="turn-1", amount=21000):
    with session_scope(database) as session:
        return request_payment(session, customer_id=who.customer_id, loan_id=who.loan_id, amount_cents=amount,
                               sender_id="rest:s1", channel="rest", idempotency_key=key, provider=mollie_provider)


def test_create_sends_what_mollie_needs(database, sanne, mollie):
    made = ask(database, sanne, provider(mollie))
    request = mollie.requests[-1]
    assert (request.method, request.path) == ("POST", "/v2/payment-links")
    assert request.headers["authorization"] == f"Bearer {mollie.fake.api_key}"
    assert request.headers["idempotency-key"] == made.public_id
    body = request.json()
    assert body["amount"] == {"currency": "EUR", "value": "210.00"}
    assert "PE-100001" in body["description"]
    assert body["redirectUrl"] == f"{PUBLIC}/pay/{made.public_id}/done"
    assert body["webhookUrl"] == f"{PUBLIC}/webhooks/payments/mollie?ref={made.public_id}"
    # Links in a chat must outlive the evening: days, not minutes.
    expires = datetime.fromisoformat(body["expiresAt"])
    assert expires - clock.utcnow() > timedelta(days=13)
    assert made.checkout_url.startswith("https://payment-links.mollie.com/payment/")
    with session_scope(database) as session:
        row = session.execute(select(Payment)).scalar_one()
        assert row.provider == "mollie" and row.provider_id.startswith("pl_")


def test_fetch_maps_link_states(database, sanne, mollie):
    mollie_provider = provider(mollie)
    made = mollie_provider.create(type("P", (), {"public_id": "x", "amount_cents": 12345,
                                                 "description": "Betaling achterstand PE-1"})())
    assert mollie_provider.fetch(made.provider_id) == ProviderStatus("open")
    mollie.fake.mark_paid(made.provider_id)
    assert mollie_provider.fetch(made.provider_id) == ProviderStatus("paid", 12345)
    link = mollie.fake.links[made.provider_id]
    link.update(paidAt=None, archived=True)
    assert mollie_provider.fetch(made.provider_id) == ProviderStatus("canceled")
    link.update(archived=False, expiresAt="2020-01-01T00:00:00+00:00")
    assert mollie_provider.fetch(made.provider_id) == ProviderStatus("expired")


@pytest.mark.parametrize("mode, error", [("down", ProviderUnavailable), ("bad_gateway", ProviderUnavailable),
                                         ("slow", ProviderUnavailable)])
def test_mollie_trouble_is_unavailable(mollie, mode, error):
    mollie.fake.mode = mode
    with pytest.raises(error):
        provider(mollie).fetch("pl_4Y0eZitmBnQ6IDoMqZQKh")


def test_unreachable_mollie_is_unavailable():
    with pytest.raises(ProviderUnavailable):
        MollieProvider("test_abc", api_url=closed_port_url(), public_url=PUBLIC, timeout=(1, 1)).fetch("pl_abcd")


def test_refusals_are_rejections(mollie):
    with pytest.raises(UnknownProviderPayment):
        provider(mollie).fetch("pl_doesnotexist")
    with pytest.raises(UnknownProviderPayment):
        provider(mollie).fetch("tr_notalink")  # the client refuses ids that are not links
    wrong_key = MollieProvider("test_wrongkeywrongkeywrongkey", api_url=mollie.url, public_url=PUBLIC)
    with pytest.raises(ProviderRejected, match="401"):
        wrong_key.fetch("pl_abcd")
    with pytest.raises(ProviderRejected, match="test_ or live_"):
        MollieProvider("secret", api_url=mollie.url, public_url=PUBLIC).fetch("pl_abcd")
    payment = type("P", (), {"public_id": "x", "amount_cents": 0, "description": "d"})()
    with pytest.raises(ProviderRejected, match="422"):
        provider(mollie).create(payment)


def test_mollie_down_still_gives_transfer_details_then_a_link(database, sanne, mollie):
    mollie.fake.mode = "down"
    made = ask(database, sanne, provider(mollie))
    assert made.created and not made.link_available and made.payment_qr_url is None
    assert made.epc_qr_url.endswith("/epc.png") and made.reference.startswith("RF")
    mollie.fake.mode = "ok"
    again = ask(database, sanne, provider(mollie))  # the dialogue retries with the same key
    assert again.public_id == made.public_id and again.link_available


def test_webhook_with_payment_id_fetches_the_link_back(database, sanne, mollie):
    mollie_provider = provider(mollie)
    made = ask(database, sanne, mollie_provider)
    with session_scope(database) as session:
        link_id = session.execute(select(Payment.provider_id)).scalar()

    def handle(webhook_id):
        return process_webhook("mollie", webhook_id, made.public_id, provider_factory=lambda name: mollie_provider,
                               database_url=database)

    # A webhook before the payment is done (or a forged one): Mollie says open, nothing changes.
    assert not handle("tr_WDqYK6vllg").outcome.changed
    mollie.fake.mark_paid(link_id)
    assert handle("tr_WDqYK6vllg").outcome.changed
    assert loan_state(database, sanne.loan_id) == (0, 0)
    assert not handle(link_id).outcome.changed  # replay by link id
    mollie.fake.mode = "down"
    with pytest.raises(ProviderUnavailable):
        handle("tr_WDqYK6vllg")
    with pytest.raises(UnknownPayment):
        process_webhook("mollie", "tr_unknown1", None, provider_factory=lambda name: mollie_provider,
                        database_url=database)
