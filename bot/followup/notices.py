"""Payment notices (what became of a payment link: paid, failed, cancelled, expired) under the
rules of every unprompted message (issue 21 §3, R28).

The web app tells the customer at once only what answers their own action
(bot/payments/notify.py): an `immediate` status (paid, failed, cancelled on the payment page),
within `immediate_minutes` of the provider's report. Everything later is planned here as a
follow-up of kind `payment_notice` into the conversation the link was made for, and the engine
decides at the moment it would go, as for every message (bot/followup/rules.py): quiet hours,
Sundays and holidays, contact pressure, opt-out and WhatsApp's window; skipped when the web app
told it meanwhile, when the payment's status changed, when a later payment of the customer went
through (an expired link is old news then), or more than `look_back_days` after the report.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from bot.clock import as_utc
from bot.followup import calendar
from bot.followup.plan import Plan, each_in
from bot.followup.policy import Policy
from bot.followup.rules import Address
from bot.money import format_euro
from bot.store.idlists import id_list, in_list
from bot.store.models import Payment

KIND = "payment_notice"
PAYMENT = Payment.__table__.c
# The web app's last try and the engine's first look must not overlap: the engine plans a notice
# this long after the web app stopped trying it.
HANDOVER_MARGIN = timedelta(minutes=2)


def responses(policy: Policy) -> dict[str, str]:
    """Payment status -> the domain response that tells it."""
    return dict(policy.kind(KIND)["responses"])


def immediate_window(policy: Policy) -> timedelta:
    return timedelta(minutes=int(policy.kind(KIND)["immediate_minutes"]))


def is_immediate(status: str, reported_at: datetime, now: datetime, policy: Policy) -> bool:
    """May this notice go at once, outside the outreach rules? Only as the answer to the
    customer's own action (an `immediate` status), and only just after it."""
    return status in policy.kind(KIND)["immediate"] and now - as_utc(reported_at) <= immediate_window(policy)


def slots_for(status: str, amount_cents: int, amount_paid_cents: int) -> dict[str, str]:
    return {"payment_amount": format_euro(amount_paid_cents if status == "paid" else amount_cents)}


_UNTOLD = (select(PAYMENT.id, PAYMENT.public_id, PAYMENT.customer_id, PAYMENT.sender_id, PAYMENT.status,
                  PAYMENT.amount_cents, PAYMENT.amount_paid_cents, PAYMENT.updated_at)
           .where(PAYMENT.status.in_(bindparam("statuses", expanding=True)), PAYMENT.updated_at >= bindparam("since"),
                  PAYMENT.customer_notified_at.is_(None), PAYMENT.sender_id.is_not(None))
           .order_by(PAYMENT.id))


def logical(payment_id: int, status: str) -> str:
    return f"p{payment_id}:{KIND}:{status}"


def plan_payment_notices(plan: Plan) -> None:
    """Every pass: the payment notices the web app may not (or could not) tell at once."""
    if KIND not in plan.policy.kinds:
        return
    policy, now = plan.policy, plan.now
    spec = policy.kind(KIND)
    since = now - timedelta(days=int(spec["look_back_days"]))
    waiting_until = now - immediate_window(policy) - HANDOVER_MARGIN
    rows = [row for row in plan.session.execute(_UNTOLD, {"statuses": sorted(responses(policy)), "since": since})
            if row.status not in spec["immediate"] or as_utc(row.updated_at) < waiting_until]
    if not rows:
        return
    plan.existing(KIND, customer_ids=[row.customer_id for row in rows])
    plan.book.ensure([row.customer_id for row in rows], [row.sender_id for row in rows])
    for row in rows:
        reported = as_utc(row.updated_at)
        plan.add(logical=logical(row.id, row.status), kind=KIND, customer_id=row.customer_id,
                 address=Address.of(row.sender_id), moment=calendar.next_allowed(now, policy),
                 facts={"payment": row.id, "public_id": row.public_id, "status": row.status,
                        "reported_at": reported.isoformat(), "meant_for": calendar.local_today(now).isoformat(),
                        "hours_since_report": round((now - reported).total_seconds() / 3600, 1)},
                 slots=slots_for(row.status, row.amount_cents, row.amount_paid_cents),
                 response=responses(policy)[row.status])


# -- what the rules need to know when it would go (bot/followup/context.py) --------------------------
_PAYMENTS = select(PAYMENT.id, PAYMENT.status, PAYMENT.customer_id, PAYMENT.loan_id, PAYMENT.customer_notified_at,
                   PAYMENT.created_at).where(in_list(PAYMENT.id, id_list()))
_PAID_OF = select(PAYMENT.customer_id, PAYMENT.loan_id, PAYMENT.created_at).where(
    in_list(PAYMENT.customer_id, id_list()), PAYMENT.status == "paid")


def payments_of(session: Session, rows: list[dict]) -> tuple[dict[int, Any], set[int]]:
    """The payments of the batch's notices, and those of them a later payment (same customer and
    loan) already paid."""
    ids = sorted({int((r["facts"] or {})["payment"]) for r in rows
                  if r["kind"] == KIND and (r["facts"] or {}).get("payment")})
    found = {row.id: row for row in each_in(session, _PAYMENTS, ids)}
    if not found:
        return found, set()
    paid_at: dict[tuple[int, int], list[datetime]] = {}
    for customer_id, loan_id, created_at in each_in(session, _PAID_OF, sorted({p.customer_id for p in found.values()})):
        paid_at.setdefault((customer_id, loan_id), []).append(as_utc(created_at))
    superseded = {p.id for p in found.values() if p.status != "paid" and any(
        later > as_utc(p.created_at) for later in paid_at.get((p.customer_id, p.loan_id), ()))}
    return found, superseded
