"""Telling the customer in the conversation, through a real HTTP server standing in for Rasa."""
from __future__ import annotations

import asyncio
from datetime import timedelta, timezone

import pytest
from sqlalchemy import select

from bot import clock
from bot.payments.notify import notify_customer, retry_unnotified
from bot.payments.providers import ProviderStatus
from bot.payments.service import apply_status, request_payment
from bot.rasa_api import RasaApi
from bot.store.db import session_scope
from bot.store.models import Payment
from tests.payments.conftest import payment_row
from tests.payments.http_server import RecordingServer, closed_port_url
from tests.rasa_auth import signed_by

pytestmark = pytest.mark.timeout(60)


def paid(database, who, local, status=ProviderStatus("paid", 21000), sender="whatsapp:+31612345001", key="k1"):
    with session_scope(database) as session:
        made = request_payment(session, customer_id=who.customer_id, loan_id=who.loan_id, amount_cents=21000,
                               sender_id=sender, channel="whatsapp", idempotency_key=key, provider=local)
        payment = session.execute(select(Payment).where(Payment.public_id == made.public_id)).scalar_one()
        apply_status(session, payment, status)
    return made.public_id


def test_paid_is_told_once_through_rasa(database, sanne, local, rasa_server):
    public_id = paid(database, sanne, local)
    rasa = RasaApi(base_url=rasa_server.url, token="secret-token")
    assert asyncio.run(notify_customer(public_id, rasa=rasa, database_url=database))
    events, execute, listen = rasa_server.requests
    assert events.path == "/conversations/whatsapp:+31612345001/tracker/events"
    assert events.json() == [{"event": "slot", "name": "payment_amount", "value": "€ 210"}]
    assert execute.path == "/conversations/whatsapp:+31612345001/execute"
    assert execute.json() == {"name": "utter_payment_received"}
    # The secret never travels in the URL: a short-lived token signed with it, in the header.
    assert execute.query == {"output_channel": ["latest"]}
    assert signed_by(execute.headers["authorization"], "secret-token")["user"]["role"] == "admin"
    # then the bot listens, so rules about the customer's answer can match
    assert listen.json() == [{"event": "action", "name": "action_listen"}]
    assert payment_row(database, public_id).customer_notified_at is not None
    assert asyncio.run(notify_customer(public_id, rasa=rasa, database_url=database))
    assert len(rasa_server.requests) == 3  # told already: nothing sent again


@pytest.mark.parametrize("status, response", [("failed", "utter_payment_failed"),
                                              ("canceled", "utter_payment_failed")])
def test_other_outcomes_get_a_kind_message(database, sanne, local, rasa_server, status, response):
    public_id = paid(database, sanne, local, ProviderStatus(status))
    assert asyncio.run(notify_customer(public_id, rasa=RasaApi(base_url=rasa_server.url, token=""),
                                       database_url=database))
    assert rasa_server.requests[1].json() == {"name": response}
    assert rasa_server.requests[0].json()[0]["value"] == "€ 210"


def test_an_expired_link_is_not_told_at_once(database, sanne, local, rasa_server):
    """Nobody acted just now: the follow-up engine tells it, under the outreach rules (issue 21 §3;
    tests/followup/test_promises.py)."""
    public_id = paid(database, sanne, local, ProviderStatus("expired"))
    assert asyncio.run(notify_customer(public_id, rasa=RasaApi(base_url=rasa_server.url), database_url=database))
    assert asyncio.run(retry_unnotified(rasa=RasaApi(base_url=rasa_server.url), database_url=database)) == 0
    assert rasa_server.requests == [] and payment_row(database, public_id).customer_notified_at is None


def test_a_report_older_than_the_immediate_window_is_left_to_the_engine(database, sanne, local, rasa_server):
    public_id = paid(database, sanne, local)
    reported = payment_row(database, public_id).updated_at
    later = (reported if reported.tzinfo else reported.replace(tzinfo=timezone.utc)) + timedelta(minutes=11)
    clock.set_clock(lambda: later)
    try:
        assert asyncio.run(notify_customer(public_id, rasa=RasaApi(base_url=rasa_server.url), database_url=database))
        assert asyncio.run(retry_unnotified(rasa=RasaApi(base_url=rasa_server.url), database_url=database)) == 0
    finally:
        clock.set_clock(None)
    assert rasa_server.requests == []


def test_open_payments_are_not_told(database, sanne, local, rasa_server):
    public_id = paid(database, sanne, local, ProviderStatus("open"))
    assert asyncio.run(notify_customer(public_id, rasa=RasaApi(base_url=rasa_server.url), database_url=database))
    assert rasa_server.requests == []


def test_rasa_down_then_the_retry_tells(database, sanne, mohamed, local, rasa_server):
    first = paid(database, sanne, local)
    second = paid(database, mohamed, local, ProviderStatus("paid", 10000), sender="telegram:42", key="k2")
    down = RasaApi(base_url=closed_port_url())
    assert not asyncio.run(notify_customer(first, rasa=down, database_url=database))
    assert asyncio.run(retry_unnotified(rasa=down, database_url=database)) == 0
    assert payment_row(database, first).customer_notified_at is None

    rasa_server.stand_in.status = 503  # up, but failing: still not marked
    up = RasaApi(base_url=rasa_server.url)
    assert asyncio.run(retry_unnotified(rasa=up, database_url=database)) == 0
    assert payment_row(database, first).customer_notified_at is None

    rasa_server.stand_in.status = 200
    assert asyncio.run(retry_unnotified(rasa=up, database_url=database)) == 2
    assert payment_row(database, first).customer_notified_at is not None
    assert payment_row(database, second).customer_notified_at is not None
    assert asyncio.run(retry_unnotified(rasa=up, database_url=database)) == 0


def test_a_conversation_rasa_refuses_does_not_block_the_others(database, sanne, mohamed, local):
    first = paid(database, sanne, local, sender="rest:gone", key="k1")
    second = paid(database, mohamed, local, ProviderStatus("paid", 10000), sender="rest:here", key="k2")

    def answer(request):
        if "gone" in request.path:
            return 404, {"message": "no conversation"}, {}
        return 200, {}, {}

    with RecordingServer(answer) as server:
        told = asyncio.run(retry_unnotified(rasa=RasaApi(base_url=server.url), database_url=database))
    assert told == 1
    assert payment_row(database, first).customer_notified_at is None
    assert payment_row(database, second).customer_notified_at is not None

