"""What a follow-up about an instalment links to: its iDEAL payment link and QR, or the
customer's plan page."""
from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from bot.followup.plan_links import arrangement_link
from bot.store.models import Arrangement, Instalment

log = logging.getLogger(__name__)


class PaymentLinks:
    """The iDEAL link and QR for an instalment (bot.payments.service.request_payment with the key
    `instalment:<id>`, so every message about one instalment carries the same link). When the
    payment service cannot make one for this amount, the plan page (where the customer can pay
    it too) is the link."""

    def link(self, session: Session, *, instalment: Instalment, arrangement: Arrangement, sender_id: str,
             channel: str) -> tuple[str | None, str | None]:
        from bot.payments.service import request_payment

        open_cents = instalment.amount_cents - instalment.paid_cents
        try:
            with session.begin_nested():
                made = request_payment(session, customer_id=arrangement.customer_id, loan_id=arrangement.loan_id,
                                       amount_cents=open_cents, sender_id=sender_id, channel=channel,
                                       idempotency_key=f"instalment:{instalment.id}", case_id=arrangement.case_id)
            if made.checkout_url and made.status == "open":
                return made.checkout_url, made.payment_qr_url
        except ValueError as error:
            log.info("instalment %s: no payment link (%s); the plan page instead", instalment.id, error)
        return arrangement_link(arrangement, session=session), None

    def arrears_link(self, session: Session, *, customer_id: int, loan_id: int, episode_id: int, cents: int,
                     sender_id: str, channel: str) -> tuple[str | None, str | None]:
        """The iDEAL link and QR for all of a loan's new arrears (first contact, R24): one per
        episode and amount (key `arrears:<episode>:<cents>`), so a retried message carries the
        same link; (None, None) when none can be made now."""
        from bot.payments.service import request_payment

        key = f"arrears:{episode_id}:{cents}"
        try:
            for _ in range(3):  # a link cancelled or expired meanwhile: a new one, keyed after it
                with session.begin_nested():
                    made = request_payment(session, customer_id=customer_id, loan_id=loan_id, amount_cents=cents,
                                           sender_id=sender_id, channel=channel, idempotency_key=key)
                if made.status == "open":
                    return (made.checkout_url, made.payment_qr_url) if made.checkout_url else (None, None)
                key = f"arrears:{episode_id}:{cents}:after:{made.public_id}"
        except ValueError as error:
            log.info("arrears episode %s: no payment link (%s)", episode_id, error)
        return None, None
