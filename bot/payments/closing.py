"""One open payment link per case and amount, and none once the arrears are paid (issue 23 §3).

A customer who asks twice, or gets a reminder after a chat, must not hold two live links for the
same money: the newer link closes the older ones. When a payment brings the arrears to 0, every
other open arrears link of the loan closes too. We close our row (status `expired` with a
`closed_reason`, marked as told: the customer has the newer link or has paid, so no "your link
expired" message follows) and ask the provider to close its link when it can. Money that still arrives on a closed link is not
refused: `service.apply_status` books it, as arrears or as credit on the loan.

Instalment payments (key `instalment:...`) are left alone: the plan page and the follow-up
engine keep exactly one per instalment themselves.
"""
from __future__ import annotations

import logging

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot import clock
from bot.payments.providers import ProviderError, provider_for
from bot.store.models import Payment

log = logging.getLogger(__name__)
INSTALMENT_PREFIX = "instalment:"


def _not_instalment():
    return Payment.idempotency_key.is_(None) | ~Payment.idempotency_key.startswith(INSTALMENT_PREFIX)


def _close(session: Session, payments: list[Payment], why: str) -> int:
    """`why` is stored as the payment's closed_reason: superseded | arrears_paid."""
    closed = 0
    now = clock.utcnow()
    for payment in payments:
        result = session.execute(update(Payment).where(Payment.id == payment.id, Payment.status == "open")
                                 .values(status="expired", closed_reason=why, updated_at=now, customer_notified_at=now)
                                 .execution_options(synchronize_session=False))
        if result.rowcount != 1:
            continue  # a webhook moved it meanwhile: that status stands
        closed += 1
        session.refresh(payment)
        if payment.provider_id:
            try:
                closer = getattr(provider_for(payment.provider), "close", None)
                if closer is not None:
                    closer(session, payment.provider_id)
            except ProviderError as error:
                # Our row is closed anyway; a payment that still arrives is booked, never lost.
                log.warning("payment %s: provider link not closed (%s)", payment.id, type(error).__name__)
        log.info("payment %s closed: %s", payment.id, why)
    return closed


def close_superseded(session: Session, newest: Payment) -> int:
    """Older open links for the same case (or, without a case, the same loan and conversation)
    and the same amount close when `newest` is made."""
    if (newest.idempotency_key or "").startswith(INSTALMENT_PREFIX):
        return 0
    same_scope = (Payment.case_id == newest.case_id) if newest.case_id is not None else (
        (Payment.case_id.is_(None)) & (Payment.loan_id == newest.loan_id) & (Payment.sender_id == newest.sender_id))
    older = session.execute(select(Payment).where(
        same_scope, Payment.id != newest.id, Payment.amount_cents == newest.amount_cents,
        Payment.status == "open", _not_instalment())).scalars().all()
    return _close(session, list(older), "superseded")


def close_when_settled(session: Session, loan_id: int, except_id: int) -> int:
    """Every other open arrears link of the loan, once its arrears are 0."""
    still_open = session.execute(select(Payment).where(
        Payment.loan_id == loan_id, Payment.id != except_id, Payment.status == "open",
        _not_instalment())).scalars().all()
    return _close(session, list(still_open), "arrears_paid")
