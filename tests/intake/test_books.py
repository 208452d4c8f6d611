"""The lender's books change the arrears (issue 21 §2, "Loan data import"), and every euro
counts once: a payment through our link is not counted again when the lender's books list it,
a figure from before our payment does not undo it, a payment made elsewhere counts once however
often it is sent.

Case book (written before the code; amounts in euros, Mohamed's revolving credit: 3 terms of
250 behind, 750):
| what happens                                                          | arrears after |
| figure as of today: 500, 2 terms                                       | 500           |
| a transfer of 250 elsewhere, sent twice                                | 500, then 500 |
| he pays 250 through our link; a figure of yesterday still says 750     | 500           |
| the books list that payment by our reference (booked today), figure 500| 500           |
| a figure as of D holds a payment booked on D; one booked after D not   | 750-250 = 500 |
| our link payment paid longer ago than the booking lag, never listed    | the figure    |
| a transfer with our transfer reference (no webhook saw it)             | 750-250 = 500 |
| a transfer during an arrangement                                       | the instalment is paid |
"""
from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from bot.payments.providers import ProviderStatus
from bot.payments.service import apply_status, request_payment
from bot.store.db import session_scope
from bot.store.models import BookedPayment, Loan, Payment
from tests.intake.conftest import NOW, TODAY, send


def loan(url: str, reference: str = "RE-100002") -> Loan:
    with session_scope(url) as session:
        return session.execute(select(Loan).where(Loan.reference == reference)).scalar_one()


def pay_by_link(url: str, cents: int, reference: str = "RE-100002", key: str = "test-link") -> Payment:
    with session_scope(url) as session:
        found = session.execute(select(Loan).where(Loan.reference == reference)).scalar_one()
        made = request_payment(session, customer_id=found.customer_id, loan_id=found.id, amount_cents=cents,
                               sender_id="rest:test", channel="rest", idempotency_key=key)
        payment = session.execute(select(Payment).where(Payment.public_id == made.public_id)).scalar_one()
        apply_status(session, payment, ProviderStatus("paid", cents))
        return payment


def figure(record_id: str, arrears: int, as_of: date = TODAY, terms: int | None = None, **more) -> dict:
    record = {"type": "loan", "id": record_id, "loan_reference": more.pop("loan_reference", "RE-100002"),
              "as_of": as_of.isoformat(), "arrears_cents": arrears}
    if terms is not None:
        record["terms_behind"] = terms
    return {**record, **more}


def payment(record_id: str, cents: int, booked_on: date = TODAY, **more) -> dict:
    return {"type": "payment", "id": record_id, "loan_reference": more.pop("loan_reference", "RE-100002"),
            "amount_cents": cents, "booked_on": booked_on.isoformat(), **more}


def test_a_figure_from_the_books_sets_the_arrears_terms_and_term(lender):
    outcome = send(lender, figure("BK-1", 50000, terms=2, monthly_term_cents=26000))
    assert outcome.accepted and outcome.status == 201
    found = loan(lender)
    assert (found.arrears_cents, found.terms_behind, found.monthly_term_cents) == (50000, 2, 26000)
    assert (found.books_arrears_cents, found.books_as_of) == (50000, TODAY)


def test_a_payment_made_elsewhere_counts_once_however_often_it_is_sent(lender):
    assert send(lender, payment("PAY-1", 25000)).status == 201
    again = send(lender, payment("PAY-1", 25000))
    assert again.accepted and again.status == 200 and again.counts["duplicates"] == 1
    found = loan(lender)
    assert (found.arrears_cents, found.terms_behind) == (50000, 2)
    with session_scope(lender) as session:
        assert session.execute(select(func.count()).select_from(BookedPayment)).scalar_one() == 1


def test_a_payment_through_our_link_is_not_counted_again_when_the_books_list_it(lender):
    paid = pay_by_link(lender, 25000)
    assert loan(lender).arrears_cents == 50000
    # The books list it by our transfer reference, as the customer's bank statement shows it.
    reference = f"{paid.reference[:4]} {paid.reference[4:8]} {paid.reference[8:]}"
    assert send(lender, payment("PAY-2", 25000, reference=reference)).accepted
    assert loan(lender).arrears_cents == 50000
    assert send(lender, figure("BK-2", 50000, terms=2)).accepted  # the books hold it now
    assert loan(lender).arrears_cents == 50000
    with session_scope(lender) as session:
        booked = session.execute(select(BookedPayment)).scalar_one()
    assert (booked.payment_id, booked.counted_cents) == (paid.id, 0)


def test_a_figure_from_before_our_link_payment_does_not_undo_it(lender):
    pay_by_link(lender, 25000)
    # The lender's figure of yesterday does not hold today's payment yet.
    assert send(lender, figure("BK-3", 75000, as_of=TODAY - timedelta(days=1), terms=3)).accepted
    found = loan(lender)
    assert (found.arrears_cents, found.terms_behind) == (50000, 2)


def test_a_payment_booked_on_the_figures_day_is_in_it_one_booked_later_is_not(lender):
    day = TODAY - timedelta(days=2)
    assert send(lender, figure("BK-4", 75000, as_of=day, terms=3),
                payment("PAY-3", 25000, booked_on=day)).accepted
    assert loan(lender).arrears_cents == 75000
    assert send(lender, payment("PAY-4", 25000, booked_on=day + timedelta(days=1))).accepted
    assert loan(lender).arrears_cents == 50000
    # A newer figure that holds PAY-4 as well.
    assert send(lender, figure("BK-5", 50000, as_of=TODAY, terms=2)).accepted
    assert loan(lender).arrears_cents == 50000


def test_our_payment_counts_against_a_figure_until_the_books_list_it_or_the_booking_lag_is_over(lender):
    pay_by_link(lender, 25000)
    # A figure that does not list today's link payment: we cannot tell whether it holds it, so
    # it still counts (the customer is never asked twice for what they paid).
    assert send(lender, figure("BK-6", 75000, as_of=TODAY, terms=3)).accepted
    assert loan(lender).arrears_cents == 50000
    # booking_lag_days (bot/intake/intake.yml, 10) after it was paid, a figure holds it anyway.
    with session_scope(lender) as session:
        session.execute(Payment.__table__.update().values(paid_at=NOW - timedelta(days=30)))
    assert send(lender, figure("BK-7", 50000, as_of=TODAY, terms=2)).accepted
    assert loan(lender).arrears_cents == 50000


def test_a_transfer_with_our_reference_that_no_webhook_saw_counts_once(lender):
    with session_scope(lender) as session:
        found = session.execute(select(Loan).where(Loan.reference == "RE-100002")).scalar_one()
        made = request_payment(session, customer_id=found.customer_id, loan_id=found.id, amount_cents=25000,
                               sender_id="rest:test", channel="rest", idempotency_key="transfer")
    assert send(lender, payment("PAY-5", 25000, reference=made.reference)).accepted
    assert send(lender, payment("PAY-5", 25000, reference=made.reference)).status == 200
    assert loan(lender).arrears_cents == 50000


def test_a_reference_of_another_loans_payment_is_refused_and_nothing_is_written(lender):
    paid = pay_by_link(lender, 21000, reference="PE-100001", key="sanne")
    outcome = send(lender, figure("BK-8", 50000, terms=2), payment("PAY-6", 21000, reference=paid.reference))
    assert not outcome.accepted and outcome.status == 422
    assert [(r.line, r.reason) for r in outcome.refusals] == [(2, "the reference is a payment for another loan")]
    assert loan(lender).books_as_of is None and loan(lender).arrears_cents == 75000


def test_a_figure_older_than_the_one_we_hold_is_refused(lender):
    assert send(lender, figure("BK-9", 50000, terms=2)).accepted
    outcome = send(lender, figure("BK-10", 75000, as_of=TODAY - timedelta(days=3), terms=3))
    assert not outcome.accepted and outcome.status == 409
    assert "older than the books we hold" in outcome.refusals[0].reason
    assert loan(lender).arrears_cents == 50000
