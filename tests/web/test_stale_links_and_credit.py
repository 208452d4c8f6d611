"""Stale payment links close, and money for arrears already paid is kept as credit (issue 23 §3).

Against the real web app with the local payment provider: the payment page, its webhook, the
provider's own table and the message to the customer, as in `make run`."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.payments.local import LocalProvider
from bot.payments.notify import retry_unnotified
from bot.rasa_api import RasaApi
from bot.store.db import session_scope
from bot.store.models import Loan, LocalPaymentLink, Payment
from tests.payments.conftest import demo_loan, loan_state, payment_row

pytestmark = pytest.mark.timeout(60)


def link_status(database, public_id):
    with session_scope(database) as session:
        provider_id = session.execute(select(Payment.provider_id).where(Payment.public_id == public_id)).scalar()
        return session.get(LocalPaymentLink, provider_id).status


def credit_of(database, number):
    with session_scope(database) as session:
        return session.get(Loan, demo_loan(database, number).loan_id).credit_cents


def told(web):
    """(response, slots) of every message the web app sent through Rasa's API."""
    said, slots = [], {}
    for request in web.rasa.requests:
        body = request.json()
        if isinstance(body, list):
            slots.update({e["name"]: e["value"] for e in body if e.get("event") == "slot"})
        else:
            said.append((body["name"], dict(slots)))
    return said


def test_a_newer_link_for_the_same_amount_closes_the_older_one(web):
    older = web.ask(key="turn-1")
    other_amount = web.ask(key="turn-2", amount=10000)
    newer = web.ask(key="turn-3")
    assert payment_row(web.database, older).status == "expired"
    assert link_status(web.database, older) == "expired"  # the provider's page takes no money either
    assert payment_row(web.database, other_amount).status == "open"
    assert payment_row(web.database, newer).status == "open"
    page = web.client.get(f"/pay/{older}")
    assert ">Betalen</button>" not in page.text and "verlopen" in page.text
    # A page kept open and pressed anyway: the provider refuses, the old link is closed there too.
    provider = LocalProvider(public_url="http://localhost:8080", database_url=web.database)
    assert provider.complete(payment_row(web.database, older).provider_id, "pay") == "expired"
    assert loan_state(web.database, demo_loan(web.database, "100001").loan_id) == (21000, 1)
    # Closing a link is not news for the customer: no "your link expired" message.
    assert web.rasa.requests == []


def test_paying_off_the_arrears_closes_every_other_link(web):
    in_chat = web.ask(key="chat", sender="rest:s1")
    reminder = web.ask(key="sms", sender="twilio_sms:+31600000000")
    part = web.ask(key="part", amount=5000, sender="web:w1")
    assert all(payment_row(web.database, p).status == "open" for p in (in_chat, reminder, part))
    assert web.press(in_chat, "pay", "210").status_code == 303
    assert loan_state(web.database, demo_loan(web.database, "100001").loan_id) == (0, 0)
    for closed in (reminder, part):
        assert payment_row(web.database, closed).status == "expired"
        assert link_status(web.database, closed) == "expired"
        assert ">Betalen</button>" not in web.client.get(f"/pay/{closed}").text
    assert [name for name, _ in told(web)] == ["utter_payment_received"]


def test_a_payment_for_arrears_already_paid_is_kept_as_credit_and_explained(web):
    """Paid at the provider while another link settled the arrears; its webhook comes after."""
    first = web.ask(key="chat", sender="rest:s1")
    second = web.ask(key="sms", sender="twilio_sms:+31600000000")
    provider = LocalProvider(public_url="http://localhost:8080", database_url=web.database)
    # The customer pays the SMS link; the provider's webhook is late (Mollie retries for hours).
    assert provider.complete(payment_row(web.database, second).provider_id, "pay") == "paid"
    assert web.press(first, "pay", "210").status_code == 303       # settles the arrears, closes `second`
    assert payment_row(web.database, second).status == "expired"
    late = web.client.post("/webhooks/payments/local", data={"id": payment_row(web.database, second).provider_id})
    assert late.status_code == 200
    row = payment_row(web.database, second)
    assert (row.status, row.amount_paid_cents, row.credit_cents, row.arrears_share_cents) == ("paid", 21000, 21000, 0)
    assert loan_state(web.database, demo_loan(web.database, "100001").loan_id) == (0, 0)
    assert credit_of(web.database, "100001") == 21000  # kept, not clamped away
    said = told(web)
    assert said[-1] == ("utter_payment_received_as_credit", {"payment_amount": "€ 210", "credit_amount": "€ 210"})
    assert said[-1] != said[0] and said[0][0] == "utter_payment_received"
    done = web.client.get(f"/pay/{second}/done").text
    assert 'id="credit"' in done and "€ 210" in done and "volgende termijn" in done and "terug" in done
    # A replay of that webhook books nothing twice.
    web.client.post("/webhooks/payments/local", data={"id": row.provider_id})
    assert credit_of(web.database, "100001") == 21000 and len(told(web)) == 2


def test_paying_an_older_link_for_more_than_is_left_keeps_the_rest_as_credit(web):
    whole = web.ask(key="whole", sender="rest:s1", amount=21000)
    part = web.ask(key="part", sender="web:w1", amount=10000)
    assert web.press(part, "pay", "100").status_code == 303
    assert loan_state(web.database, demo_loan(web.database, "100001").loan_id) == (11000, 1)
    assert web.press(whole, "pay", "210").status_code == 303
    row = payment_row(web.database, whole)
    assert (row.arrears_share_cents, row.credit_cents) == (11000, 10000)
    assert loan_state(web.database, demo_loan(web.database, "100001").loan_id) == (0, 0)
    assert credit_of(web.database, "100001") == 10000
    assert told(web)[-1] == ("utter_payment_received_as_credit",
                             {"payment_amount": "€ 210", "credit_amount": "€ 100"})


def test_a_closed_link_is_never_announced_as_expired_by_the_retry_loop(web):
    older = web.ask(key="turn-1")
    web.ask(key="turn-2")
    assert payment_row(web.database, older).customer_notified_at is not None
    rasa = RasaApi(base_url=web.rasa.url, token="t")
    assert asyncio.run(retry_unnotified(rasa=rasa, database_url=web.database)) == 0
    assert web.rasa.requests == []
