"""The lender's books applied to a loan (issue 21 §2): its arrears figure as of a day, and the
payments the books hold, so that every euro counts exactly once against the arrears.

A loan's arrears are the lender's latest figure (`books_arrears_cents`, as of `books_as_of`)
minus what we counted that this figure does not hold yet:

- a payment through one of our links (our webhook counted it, `payments.arrears_share_cents`),
  until the lender's payments file names it (by our RF reference or payment id) as booked on or
  before the figure's date, or it was paid more than `booking_lag_days` before that date;
- a payment the lender's file lists that is not one of ours counted by a webhook (a transfer
  without our reference, or one with our transfer reference that no webhook saw), booked after
  the figure's date.

Before the first figure arrives, a payment in the file simply lowers the arrears (never below
0). A payment for a loan with a running arrangement counts towards its open instalment too, as
a payment through our link does (bot/followup/ledger.py), so no "missed" message follows a
payment made elsewhere.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from bot import clock
from bot.followup import ledger
from bot.followup.calendar import start_of_day
from bot.intake.schema import Record
from bot.payments.service import INSTALMENT_KEY, arrears_share
from bot.payments.service import _terms_behind as terms_behind_for
from bot.store.models import Arrangement, BookedPayment, Instalment, Loan, Payment


def our_payment(session: Session, reference: str | None) -> Payment | None:
    """The payment row a reference in the lender's file names: our RF reference or payment id."""
    if not reference:
        return None
    column = Payment.reference if reference.startswith("RF") else Payment.public_id
    return session.execute(select(Payment).where(column == reference)).scalars().first()


def apply_figure(loan: Loan, record: Record) -> None:
    """The lender's arrears figure (and term amount) as of `as_of`; `settle` works out the rest."""
    loan.books_arrears_cents, loan.books_as_of = record["arrears_cents"], record["as_of"]
    if record["monthly_term_cents"]:
        loan.monthly_term_cents = record["monthly_term_cents"]


def apply_payment(session: Session, loan: Loan, record: Record) -> BookedPayment:
    """A payment in the lender's books, once (its id is the lender's payment id)."""
    ours = our_payment(session, record["reference"])
    booked = BookedPayment(loan_id=loan.id, record_id=record.id, amount_cents=record["amount_cents"],
                           booked_on=record["booked_on"], payment_id=ours.id if ours is not None else None,
                           counted_cents=0)
    if ours is None or ours.status != "paid":
        # Not counted by a webhook: it counts now, towards the instalment it was for, if any.
        instalment = _instalment_for(session, loan, ours)
        booked.counted_cents = arrears_share(instalment, loan.monthly_term_cents, record["amount_cents"])
        if instalment is not None:
            booked.instalment_id = instalment.id
            ledger.record_payment(session, instalment, record["amount_cents"],
                                  datetime.combine(record["booked_on"], time(12), clock.AMSTERDAM))
        if loan.books_as_of is None and booked.counted_cents:
            loan.arrears_cents = max(0, loan.arrears_cents - booked.counted_cents)
    session.add(booked)
    return booked


def _instalment_for(session: Session, loan: Loan, ours: Payment | None) -> Instalment | None:
    if ours is not None:
        match = INSTALMENT_KEY.match(ours.idempotency_key or "")
        if match is not None:
            instalment = session.get(Instalment, int(match.group(1)))
            if instalment is not None and instalment.arrangement.loan_id == loan.id:
                return instalment
    running = session.execute(select(Arrangement.id).where(Arrangement.loan_id == loan.id,
                                                           Arrangement.status == "active")
                              .order_by(Arrangement.id.desc()).limit(1)).scalar_one_or_none()
    return ledger.open_instalment(session, running) if running is not None else None


def not_yet_in_figure(session: Session, loan: Loan, lag_days: int) -> int:
    """What we counted that the lender's figure as of `books_as_of` does not hold yet."""
    as_of = loan.books_as_of
    booked_by_then = select(BookedPayment.payment_id).where(
        BookedPayment.loan_id == loan.id, BookedPayment.payment_id.is_not(None), BookedPayment.booked_on <= as_of)
    ours = session.execute(
        select(func.coalesce(func.sum(func.coalesce(Payment.arrears_share_cents, Payment.amount_paid_cents)), 0))
        .where(Payment.loan_id == loan.id, Payment.status == "paid", Payment.id.not_in(booked_by_then),
               Payment.paid_at >= start_of_day(as_of - timedelta(days=lag_days)))).scalar_one()
    theirs = session.execute(
        select(func.coalesce(func.sum(BookedPayment.counted_cents), 0))
        .where(BookedPayment.loan_id == loan.id, BookedPayment.booked_on > as_of)).scalar_one()
    return int(ours) + int(theirs)


def settle(session: Session, loan: Loan, *, lag_days: int, lender_terms: int | None) -> None:
    """The loan's arrears and terms behind from its figure and the payments (see the module)."""
    session.flush()
    if loan.books_as_of is not None:
        figure = loan.books_arrears_cents
        loan.arrears_cents = max(0, figure - not_yet_in_figure(session, loan, lag_days))
        if lender_terms is not None and loan.arrears_cents == figure:
            loan.terms_behind = lender_terms
            return
    loan.terms_behind = terms_behind_for(loan.arrears_cents, loan.monthly_term_cents, loan.terms_behind)

