"""Asking for a payment and applying what the provider says about it, exactly once (R3, R5).

`request_payment` makes the payment row and the provider's link; the same idempotency key gives
the same link back. `apply_status` moves a payment from open to a final status once, and on paid
reduces the loan's arrears in the same transaction. A conditional UPDATE (... WHERE status =
'open') is the guard: of two webhooks racing, the database lets exactly one row change, on SQLite
(one writer at a time) and on PostgreSQL (the second UPDATE waits for the row and re-checks).
"""
from __future__ import annotations

import logging
import re
import uuid
from dataclasses import dataclass

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from bot import clock
from bot.config import settings
from bot.followup import episodes, ledger
from bot.money import format_euro
from bot.payments.closing import close_superseded, close_when_settled
from bot.payments.providers import (
    FINAL_STATUSES,
    PaymentProvider,
    ProviderError,
    ProviderStatus,
    provider_for,
)
from bot.payments.qr import group_in_fours, new_rf_reference
from bot.store.models import Instalment, Loan, Payment

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PaymentRequest:
    public_id: str
    status: str
    amount_cents: int
    reference: str            # ISO 11649 RF reference for a bank transfer
    description: str
    checkout_url: str | None  # None while the provider could not make a link: transfer still works
    payment_qr_url: str | None
    epc_qr_url: str
    created: bool             # False when the idempotency key found an earlier request

    @property
    def link_available(self) -> bool:
        return self.checkout_url is not None

    def slots(self) -> dict[str, str | None]:
        """The values the payment responses in domain/payment.yml use."""
        return {"payment_amount": format_euro(self.amount_cents), "payment_url": self.checkout_url,
                "payment_qr_url": self.payment_qr_url, "epc_qr_url": self.epc_qr_url,
                "transfer_reference": group_in_fours(self.reference)}


@dataclass(frozen=True)
class Outcome:
    changed: bool
    previous: str
    status: str
    arrears_reduced_cents: int = 0


def _urls(public_id: str, has_link: bool) -> tuple[str | None, str]:
    base = settings().public_url
    return (f"{base}/qr/{public_id}.png" if has_link else None), f"{base}/qr/{public_id}/epc.png"


def _as_request(payment: Payment, created: bool) -> PaymentRequest:
    qr_url, epc_url = _urls(payment.public_id, bool(payment.checkout_url))
    return PaymentRequest(public_id=payment.public_id, status=payment.status, amount_cents=payment.amount_cents,
                          reference=payment.reference, description=payment.description,
                          checkout_url=payment.checkout_url, payment_qr_url=qr_url, epc_qr_url=epc_url,
                          created=created)


def _attach_link(payment: Payment, provider: PaymentProvider) -> None:
    """Ask the provider for a link; when it is down, the payment stays without one (transfer works)."""
    try:
        made = provider.create(payment)
    except ProviderError as error:
        log.warning("no payment link for payment %s: %s", payment.id, error)
        return
    payment.provider_id, payment.checkout_url = made.provider_id, made.checkout_url


def request_payment(session: Session, *, customer_id: int, loan_id: int, amount_cents: int, sender_id: str | None,
                    channel: str | None, idempotency_key: str, case_id: int | None = None,
                    provider: PaymentProvider | None = None, max_cents: int | None = None) -> PaymentRequest:
    """A payment link (and transfer details) for part or all of a loan's arrears; ValueError says why not.

    `max_cents` replaces the arrears as the most that may be asked: an arrangement's instalment
    (the plan page) carries the regular term too, so it may be more than the arrears."""
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise ValueError("the amount must be a whole number of cents")
    if not idempotency_key or len(idempotency_key) > 128:
        raise ValueError("an idempotency key of 1 to 128 characters is needed")
    existing = session.execute(select(Payment).where(Payment.idempotency_key == idempotency_key)).scalar_one_or_none()
    if existing is not None:
        if (existing.customer_id, existing.loan_id, existing.amount_cents) != (customer_id, loan_id, amount_cents):
            raise ValueError("this idempotency key was used for another payment")
        if existing.checkout_url is None and existing.status == "open":
            _attach_link(existing, provider or provider_for(existing.provider))
        return _as_request(existing, created=False)

    loan = session.get(Loan, loan_id)
    if loan is None or loan.customer_id != customer_id:
        raise ValueError("this loan does not belong to this customer")
    if amount_cents <= 0:
        raise ValueError("the amount must be more than 0")
    if max_cents is None and amount_cents > loan.arrears_cents:
        raise ValueError("the amount is more than the arrears of this loan")
    if max_cents is not None and amount_cents > max_cents:
        raise ValueError("the amount is more than may be asked")

    provider = provider or provider_for()
    payment = Payment(public_id=str(uuid.uuid4()), provider=provider.name, customer_id=customer_id, loan_id=loan_id,
                      case_id=case_id, sender_id=sender_id, channel=channel, amount_cents=amount_cents,
                      amount_paid_cents=0, description=f"Betaling achterstand {loan.reference}"[:140],
                      reference=new_rf_reference(), status="open", idempotency_key=idempotency_key,
                      created_at=clock.utcnow(), updated_at=clock.utcnow())
    session.add(payment)
    # Flushed first: a concurrent twin with the same key fails here, before a second link is made.
    session.flush()
    _attach_link(payment, provider)
    session.flush()
    close_superseded(session, payment)
    log.info("payment %s requested (%s, link %s)", payment.id, provider.name,
             "made" if payment.checkout_url else "not available")
    return _as_request(payment, created=True)


def _terms_behind(arrears_cents: int, term_cents: int, current: int) -> int:
    if arrears_cents <= 0:
        return 0
    if term_cents <= 0:
        return current
    return -(-arrears_cents // term_cents)  # a term partly paid is still a term behind


def _reduce_arrears(session: Session, loan_id: int, paid_cents: int) -> int:
    """Arrears down by what was paid, never below 0; terms behind follow from what remains.
    Returns what came off the arrears: the caller keeps the rest as credit (`_keep_as_credit`).

    The loan row is locked first (FOR UPDATE on PostgreSQL; SQLite already holds its one write
    lock here), so two payments for one loan cannot overwrite each other.
    """
    before = session.execute(select(Loan.arrears_cents).where(Loan.id == loan_id).with_for_update()).scalar_one()
    remaining = Loan.arrears_cents - paid_cents
    session.execute(update(Loan).where(Loan.id == loan_id)
                    .values(arrears_cents=case((remaining < 0, 0), else_=remaining))
                    .execution_options(synchronize_session=False))
    after, term, terms = session.execute(select(Loan.arrears_cents, Loan.monthly_term_cents, Loan.terms_behind)
                                         .where(Loan.id == loan_id)).one()
    session.execute(update(Loan).where(Loan.id == loan_id).values(terms_behind=_terms_behind(after, term, terms))
                    .execution_options(synchronize_session=False))
    loan = session.get(Loan, loan_id)
    if loan is not None:
        session.refresh(loan)
    return before - after


INSTALMENT_KEY = re.compile(r"^instalment:([0-9]{1,12})(?::|$)")


# Arrangements whose instalments are the regular term plus a part of the arrears (bot/policy
# schedule lines): a payment covers the month's own term first, and only the rest is arrears.
TERM_INCLUDED = ("payment_arrangement", "partial_payment")


def _instalment_of(session: Session, payment: Payment) -> Instalment | None:
    """The instalment a payment was asked for (the plan page, the follow-up engine), locked.

    The instalment names its latest payment; an earlier one of its payments that is paid late is
    found by its idempotency key (`instalment:<id>`, `instalment:<id>:after:<public id>`)."""
    instalment = session.execute(select(Instalment).where(Instalment.payment_public_id == payment.public_id)
                                 .with_for_update()).scalar_one_or_none()
    if instalment is None:
        match = INSTALMENT_KEY.match(payment.idempotency_key or "")
        if match is None:
            return None
        instalment = session.execute(select(Instalment).where(Instalment.id == int(match.group(1)))
                                     .with_for_update()).scalar_one_or_none()
        if instalment is None:
            return None
    if instalment.arrangement.customer_id != payment.customer_id:
        log.warning("payment %s names instalment %s of another customer: not counted", payment.id,
                    instalment.id)
        return None
    return instalment


def arrears_share(instalment: Instalment | None, term_cents: int, paid_cents: int) -> int:
    """How much of a payment goes to the arrears. For an instalment that includes the regular
    term, the term is covered first (it would otherwise fall behind itself); counted over what
    the instalment already received, so partial payments add up to the same total."""
    if instalment is None or instalment.arrangement.solution not in TERM_INCLUDED:
        return paid_cents
    term = min(term_cents, instalment.amount_cents)
    before = max(0, instalment.paid_cents - term)
    after = max(0, instalment.paid_cents + paid_cents - term)
    return after - before


def _keep_as_credit(session: Session, payment: Payment, loan_id: int, cents: int) -> None:
    """Money with no arrears left to pay: added to the loan's credit, never dropped (issue 23 §3)."""
    session.execute(update(Loan).where(Loan.id == loan_id).values(credit_cents=Loan.credit_cents + cents)
                    .execution_options(synchronize_session=False))
    session.execute(update(Payment).where(Payment.id == payment.id).values(credit_cents=cents)
                    .execution_options(synchronize_session=False))
    log.info("payment %s: part kept as credit on the loan", payment.id)


def apply_status(session: Session, payment: Payment, provider_status: ProviderStatus) -> Outcome:
    """Open -> a final status, once. Replays, reports of `open` and late reports change nothing.

    Paid also moves a link we closed ourselves (`expired` with a closed_reason): the money is real."""
    previous = payment.status
    new = provider_status.status
    if new not in FINAL_STATUSES:
        return Outcome(False, previous, previous)
    now = clock.utcnow()
    values: dict = {"status": new, "updated_at": now}
    if new == "paid":
        values.update(amount_paid_cents=provider_status.amount_paid_cents, paid_at=now)
    movable = Payment.status == "open"
    if new == "paid":
        # Money on a link we closed ourselves is real: booked too (as credit when nothing is owed).
        movable = movable | ((Payment.status == "expired") & Payment.closed_reason.is_not(None))
        values["customer_notified_at"] = None  # a link we closed was marked told: now there is news
    result = session.execute(update(Payment).where(Payment.id == payment.id, movable)
                             .values(**values).execution_options(synchronize_session=False))
    if result.rowcount != 1:
        session.refresh(payment)
        if new == "paid" and payment.status != "paid":
            # The provider said failed or canceled before and paid now: staff check it (by its id).
            log.warning("payment %s reported paid after it became %s", payment.id, payment.status)
        return Outcome(False, payment.status, payment.status)
    reduced = 0
    if new == "paid" and provider_status.amount_paid_cents > 0:
        paid = provider_status.amount_paid_cents
        instalment = _instalment_of(session, payment)
        term = session.execute(select(Loan.monthly_term_cents).where(Loan.id == payment.loan_id)).scalar_one()
        share = arrears_share(instalment, term, paid)
        reduced = _reduce_arrears(session, payment.loan_id, share) if share > 0 else 0
        if share > reduced:
            _keep_as_credit(session, payment, payment.loan_id, share - reduced)
        # Kept for the lender's books import (bot/intake/books.py): this counts until the books hold it.
        # updated_at stays the moment of the report (the payment notice's clock, bot/followup/notices.py).
        session.execute(update(Payment).where(Payment.id == payment.id)
                        .values(arrears_share_cents=reduced, updated_at=now)
                        .execution_options(synchronize_session=False))
        if reduced:
            loan = session.get(Loan, payment.loan_id)
            # Paid off: the arrears episode ends (cured), so arrears that come back are a relapse (R21).
            episodes.arrears_changed(session, loan, loan.arrears_cents + reduced, clock.today())
        if session.execute(select(Loan.arrears_cents).where(Loan.id == payment.loan_id)).scalar_one() == 0:
            close_when_settled(session, payment.loan_id, payment.id)
        # Counted in the transaction that moved the payment to paid: only the webhook that won counts.
        if instalment is not None and ledger.record_payment(session, instalment, paid, now):
            log.info("instalment %s paid in full by payment %s", instalment.id, payment.id)
    session.refresh(payment)
    log.info("payment %s moved from %s to %s", payment.id, previous, new)
    return Outcome(True, previous, new, reduced)
