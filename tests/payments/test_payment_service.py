"""Asking for a payment and applying its status exactly once (issue 4, R3, R5), on real SQLite."""
from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from bot import clock
from bot.payments.providers import ProviderStatus
from bot.payments.service import apply_status, request_payment
from bot.payments.webhook import MalformedWebhook, UnknownPayment, process_webhook
from bot.store.db import session_scope
from bot.store.models import LocalPaymentLink, Payment
from tests.payments.conftest import loan_state

PAID_IN_FULL = ProviderStatus("paid", 21000)


def ask(url, who, provider, amount=21000, key="turn-1", sender="rest:s1"):
    with session_scope(url) as session:
        return request_payment(session, customer_id=who.customer_id, loan_id=who.loan_id, amount_cents=amount,
                               sender_id=sender, channel="rest", idempotency_key=key, provider=provider)


def apply(url, public_id, status):
    with session_scope(url) as session:
        payment = session.execute(select(Payment).where(Payment.public_id == public_id)).scalar_one()
        return apply_status(session, payment, status)


# -- requesting -------------------------------------------------------------------------------
def test_a_request_makes_a_row_a_link_and_transfer_details(database, sanne, local):
    made = ask(database, sanne, local)
    assert made.created and made.status == "open" and made.amount_cents == 21000
    assert made.checkout_url == f"http://localhost:8080/pay/{made.public_id}"
    assert made.payment_qr_url.endswith(f"/qr/{made.public_id}.png")
    assert made.epc_qr_url.endswith(f"/qr/{made.public_id}/epc.png")
    assert "PE-100001" in made.description and made.reference.startswith("RF")
    slots = made.slots()
    assert slots["payment_amount"] == "€ 210" and slots["transfer_reference"].startswith("RF")
    with session_scope(database) as session:
        row = session.execute(select(Payment)).scalar_one()
        assert (row.provider, row.sender_id, row.channel, row.status) == ("local", "rest:s1", "rest", "open")
        assert session.get(LocalPaymentLink, row.provider_id).amount_cents == 21000


def test_the_same_idempotency_key_gives_the_same_link(database, sanne, local):
    first = ask(database, sanne, local)
    again = ask(database, sanne, local)
    assert again.public_id == first.public_id and again.checkout_url == first.checkout_url
    assert not again.created
    with session_scope(database) as session:
        assert session.execute(select(func.count(Payment.id))).scalar() == 1
        assert session.execute(select(func.count()).select_from(LocalPaymentLink)).scalar() == 1


@pytest.mark.parametrize("amount, reason", [(0, "more than 0"), (-100, "more than 0"), (21001, "more than the arrears"),
                                            (210.0, "whole number"), (True, "whole number"), ("21000", "whole number")])
def test_amounts_must_fit_the_arrears(database, sanne, local, amount, reason):
    with pytest.raises(ValueError, match=reason):
        ask(database, sanne, local, amount=amount)


def test_a_loan_of_someone_else_is_refused(database, sanne, mohamed, local):
    with session_scope(database) as session, pytest.raises(ValueError, match="does not belong"):
        request_payment(session, customer_id=sanne.customer_id, loan_id=mohamed.loan_id, amount_cents=100,
                        sender_id="s", channel="rest", idempotency_key="k")


def test_a_reused_key_for_another_amount_is_refused(database, sanne, local):
    ask(database, sanne, local)
    with pytest.raises(ValueError, match="another payment"):
        ask(database, sanne, local, amount=10000)


# -- applying ---------------------------------------------------------------------------------
def test_paid_clears_the_arrears_once(database, sanne, local):
    made = ask(database, sanne, local)
    outcome = apply(database, made.public_id, PAID_IN_FULL)
    assert (outcome.changed, outcome.previous, outcome.status, outcome.arrears_reduced_cents) == \
        (True, "open", "paid", 21000)
    assert loan_state(database, sanne.loan_id) == (0, 0)
    replay = apply(database, made.public_id, PAID_IN_FULL)
    assert not replay.changed and replay.status == "paid"
    assert loan_state(database, sanne.loan_id) == (0, 0)


def test_out_of_order_reports_change_nothing(database, sanne, local):
    made = ask(database, sanne, local)
    assert not apply(database, made.public_id, ProviderStatus("open")).changed
    assert apply(database, made.public_id, PAID_IN_FULL).changed
    late_open = apply(database, made.public_id, ProviderStatus("open"))
    assert (late_open.changed, late_open.status) == (False, "paid")
    assert not apply(database, made.public_id, ProviderStatus("expired")).changed
    assert not apply(database, made.public_id, PAID_IN_FULL).changed
    assert loan_state(database, sanne.loan_id) == (0, 0)


@pytest.mark.parametrize("final", ["failed", "canceled", "expired"])
def test_final_statuses_stay_final(database, sanne, local, final):
    made = ask(database, sanne, local)
    assert apply(database, made.public_id, ProviderStatus(final)).changed
    assert not apply(database, made.public_id, PAID_IN_FULL).changed
    assert loan_state(database, sanne.loan_id) == (21000, 1)


def test_a_partial_payment_reduces_by_what_was_paid(database, mohamed, local):
    made = ask(database, mohamed, local, amount=75000)
    outcome = apply(database, made.public_id, ProviderStatus("paid", 30000))
    assert outcome.arrears_reduced_cents == 30000
    assert loan_state(database, mohamed.loan_id) == (45000, 2)  # 450 of 3 x 250: 2 terms still open
    assert payment_paid(database, made.public_id) == 30000


def payment_paid(url, public_id):
    with session_scope(url) as session:
        return session.execute(select(Payment.amount_paid_cents).where(Payment.public_id == public_id)).scalar()


def test_arrears_never_go_below_zero(database, sanne, local):
    first = ask(database, sanne, local, key="a")
    second = ask(database, sanne, local, key="b")  # two open links for the same arrears
    apply(database, first.public_id, PAID_IN_FULL)
    outcome = apply(database, second.public_id, PAID_IN_FULL)
    assert outcome.changed and outcome.arrears_reduced_cents == 0
    assert loan_state(database, sanne.loan_id) == (0, 0)


def test_concurrent_webhooks_apply_once(database, mohamed, local):
    """Two threads, two connections to one SQLite file, the same 'paid' at the same moment."""
    made = ask(database, mohamed, local, amount=25000)
    barrier = threading.Barrier(2)
    outcomes, errors = [], []

    def webhook():
        try:
            with session_scope(database) as session:
                payment = session.execute(select(Payment).where(Payment.public_id == made.public_id)).scalar_one()
                barrier.wait(timeout=10)
                outcomes.append(apply_status(session, payment, ProviderStatus("paid", 25000)))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=webhook) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sorted(outcome.changed for outcome in outcomes) == [False, True]
    assert loan_state(database, mohamed.loan_id) == (50000, 2)


# -- the local provider and the webhook path --------------------------------------------------
def test_local_pay_then_webhook_reduces_arrears(database, sanne, local):
    made = ask(database, sanne, local)
    provider_id = payment_row_provider_id(database, made.public_id)
    assert local.fetch(provider_id) == ProviderStatus("open")
    assert local.complete(provider_id, "pay") == "paid"
    assert local.complete(provider_id, "cancel") == "paid"  # a second click changes nothing
    result = process_webhook("local", provider_id, provider_factory=lambda name: local, database_url=database)
    assert result.outcome.changed and loan_state(database, sanne.loan_id) == (0, 0)
    replay = process_webhook("local", provider_id, provider_factory=lambda name: local, database_url=database)
    assert not replay.outcome.changed


def payment_row_provider_id(url, public_id):
    with session_scope(url) as session:
        return session.execute(select(Payment.provider_id).where(Payment.public_id == public_id)).scalar()


def test_local_partial_and_bad_amounts(database, mohamed, local):
    made = ask(database, mohamed, local, amount=75000)
    provider_id = payment_row_provider_id(database, made.public_id)
    for bad in (0, 75001, True):
        with pytest.raises(ValueError):
            local.complete(provider_id, "pay", bad)
    with pytest.raises(ValueError):
        local.complete(provider_id, "refund")
    local.complete(provider_id, "pay", 25000)
    assert local.fetch(provider_id) == ProviderStatus("paid", 25000)


def test_local_links_expire_like_mollie_links(database, sanne, local):
    made = ask(database, sanne, local)
    provider_id = payment_row_provider_id(database, made.public_id)
    later = clock.utcnow() + timedelta(days=15)
    clock.set_clock(lambda: later)
    try:
        assert local.fetch(provider_id) == ProviderStatus("expired")
        assert local.complete(provider_id, "pay") == "expired"
        process_webhook("local", provider_id, provider_factory=lambda name: local, database_url=database)
    finally:
        clock.set_clock(None)
    assert loan_state(database, sanne.loan_id) == (21000, 1)


@pytest.mark.parametrize("webhook_id", [None, "", "tr_123", "lp_xyz", "lp_" + "0" * 24 + "; drop table"])
def test_malformed_webhook_ids(database, webhook_id):
    with pytest.raises(MalformedWebhook):
        process_webhook("local", webhook_id, database_url=database)


def test_unknown_webhook_id(database):
    with pytest.raises(UnknownPayment):
        process_webhook("local", "lp_" + "a" * 24, database_url=database)
