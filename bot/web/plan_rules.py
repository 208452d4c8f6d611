"""What the customer may do on the plan page, as plain functions over a session (so they are
tested without HTTP): move one instalment a little, once (limits in bot/followup/plan_page.yml),
and pay an instalment. bot/web/plan_routes.py serves them."""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, aliased

from bot import clock
from bot.clock import as_utc
from bot.followup.plan_links import PlanPolicy, policy
from bot.outcomes import events
from bot.payments.local import LINK_VALID_DAYS
from bot.payments.service import request_payment
from bot.store.models import Arrangement, Instalment, Payment

log = logging.getLogger(__name__)

# Why a change is refused, in plain Dutch (B1), and the HTTP status that goes with it.
REFUSALS: dict[str, tuple[int, str]] = {
    "unknown": (404, "Deze termijn hoort niet bij jouw regeling."),
    "ended": (409, "Je regeling loopt niet meer. Vraag in de chat wat je nu kunt doen."),
    "paid": (409, "Deze termijn is al betaald. Je hoeft niets meer te doen."),
    "not_open": (409, "Deze termijn is niet op tijd betaald. Verzetten kan dan niet meer. "
                      "Je kunt hem wel betalen, of vraag in de chat wat je kunt doen."),
    "past_due": (409, "De datum van deze termijn is al voorbij. Verzetten kan alleen vóór die datum. "
                      "Vraag in de chat wat je kunt doen."),
    "no_moves_left": (409, "Je hebt al een termijn verzet. Dat kan één keer per regeling. "
                           "Wil je nog iets anders veranderen? Vraag het in de chat."),
    "too_far": (400, "Kies hoeveel dagen later: 1 tot en met {max_days} dagen."),
    "no_payment": (503, "We kunnen nu geen betaling voor deze termijn klaarzetten. "
                        "Probeer het later nog eens, of vraag in de chat om hulp."),
}

class PlanRefused(Exception):
    """A change the rules do not allow; `reason` is a key of REFUSALS."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def refusal_text(reason: str, rules: PlanPolicy | None = None) -> tuple[int, str]:
    status, text = REFUSALS[reason]
    return status, text.format(max_days=(rules or policy()).move_max_days)


# -- the rules, over a session ---------------------------------------------------------------------
def moves_used_on(session: Session, arrangement_id: int) -> int:
    return session.execute(select(func.count(Instalment.id)).where(
        Instalment.arrangement_id == arrangement_id, Instalment.moved_at.is_not(None))).scalar_one()


def move_refusal(arrangement: Arrangement, instalment: Instalment | None, days: int | None, *, today: date,
                 moves_used: int, rules: PlanPolicy) -> str | None:
    """None when this move is allowed, else the reason (a key of REFUSALS)."""
    if instalment is None or instalment.arrangement_id != arrangement.id:
        return "unknown"
    if arrangement.status != "active":
        return "ended"
    if instalment.status == "paid":
        return "paid"
    if instalment.status != "open":
        return "not_open"
    if instalment.due_on < today:
        return "past_due"
    if instalment.moved_at is not None or moves_used >= rules.moves_per_arrangement:
        return "no_moves_left"
    if days is None or isinstance(days, bool) or not 1 <= days <= rules.move_max_days:
        return "too_far"
    return None


@dataclass(frozen=True)
class Moved:
    instalment_id: int
    number: int
    before: date
    after: date
    days: int


def move_instalment(session: Session, arrangement_id: int, instalment_id: int, days: int | None, *,
                    today: date | None = None, at: datetime | None = None,
                    rules: PlanPolicy | None = None) -> Moved:
    """Moves an instalment `days` later, within the rules; PlanRefused says why not.

    The UPDATE itself re-checks every rule that another request could change meanwhile (still
    open, not moved, the same date, moves left in the arrangement), so of two racing requests
    only one moves; on PostgreSQL the arrangement row is locked first."""
    rules = rules or policy()
    today = today or clock.today()
    at = at or clock.utcnow()
    if session.get_bind().dialect.name != "sqlite":
        session.execute(select(Arrangement.id).where(Arrangement.id == arrangement_id).with_for_update())
    arrangement = session.get(Arrangement, arrangement_id)
    if arrangement is None:
        raise PlanRefused("unknown")
    instalment = session.get(Instalment, instalment_id)
    reason = move_refusal(arrangement, instalment, days, today=today,
                          moves_used=moves_used_on(session, arrangement_id), rules=rules)
    if reason:
        raise PlanRefused(reason)
    before, after = instalment.due_on, instalment.due_on + timedelta(days=days)
    other = aliased(Instalment)
    used = (select(func.count(other.id))
            .where(other.arrangement_id == arrangement_id, other.moved_at.is_not(None)).scalar_subquery())
    result = session.execute(
        update(Instalment)
        .where(Instalment.id == instalment.id, Instalment.status == "open", Instalment.moved_at.is_(None),
               Instalment.due_on == before, used < rules.moves_per_arrangement)
        .values(original_due_on=before, moved_at=at, due_on=after)
        .execution_options(synchronize_session=False))
    if result.rowcount != 1:
        raise PlanRefused("no_moves_left")
    session.refresh(instalment)
    events.record(session, "plan_changed", at=at, customer_id=arrangement.customer_id,
                  arrangement_id=arrangement.id, instalment_id=instalment.id, reason="instalment_moved",
                  value=days, due_on_before=before.isoformat(), due_on_after=after.isoformat(),
                  policy_version=rules.version, via="plan_page")
    log.info("arrangement %s: instalment %s moved %d days", arrangement.id, instalment.id, days)
    return Moved(instalment.id, instalment.number, before, after, days)


def instalment_key(instalment_id: int, after: str | None = None) -> str:
    """The idempotency key of an instalment's payment: the first one `instalment:<id>`; after a
    payment that is over (paid in part, failed, cancelled, expired) a new one, keyed by it, so a
    double click still makes one payment. `bot.payments.service` reads the id back."""
    return f"instalment:{instalment_id}" if after is None else f"instalment:{instalment_id}:after:{after}"


def _still_usable(payment: Payment, now: datetime) -> bool:
    """An open payment whose link may still be paid (both providers' links last 14 days)."""
    return payment.status == "open" and as_utc(payment.created_at) > now - timedelta(days=LINK_VALID_DAYS)


def _current_payment(session: Session, instalment: Instalment) -> Payment | None:
    """The instalment's latest payment: the one it names, else the first one asked for it
    (the follow-up engine asks `instalment:<id>` for its reminders without naming it)."""
    if instalment.payment_public_id:
        named = session.execute(select(Payment).where(Payment.public_id == instalment.payment_public_id)
                                ).scalar_one_or_none()
        if named is not None:
            return named
    return session.execute(select(Payment).where(Payment.idempotency_key == instalment_key(instalment.id))
                           ).scalar_one_or_none()


def pay_instalment(session: Session, arrangement_id: int, instalment_id: int, *, provider=None) -> str:
    """The public id of the payment for this instalment: the open one it already has, or a new
    one for what is still open of it. PlanRefused says why not."""
    arrangement = session.get(Arrangement, arrangement_id)
    instalment = session.get(Instalment, instalment_id)
    if arrangement is None or instalment is None or instalment.arrangement_id != arrangement_id:
        raise PlanRefused("unknown")
    if arrangement.status != "active":
        raise PlanRefused("ended")
    if instalment.status == "paid":
        raise PlanRefused("paid")
    current = _current_payment(session, instalment)
    open_cents = instalment.amount_cents - instalment.paid_cents
    if current is not None and current.idempotency_key and _still_usable(current, clock.utcnow()):
        key, amount = current.idempotency_key, current.amount_cents
    else:
        key = instalment_key(instalment.id, current.public_id if current is not None else None)
        amount = open_cents
    try:
        # An instalment is the regular term plus a part of the arrears: it may be more than the
        # arrears, never more than what is still open of it.
        made = request_payment(session, customer_id=arrangement.customer_id, loan_id=arrangement.loan_id,
                               amount_cents=amount, sender_id=arrangement.sender_id, channel=arrangement.channel,
                               idempotency_key=key, case_id=arrangement.case_id, provider=provider,
                               max_cents=open_cents)
    except ValueError as error:
        # Not expected (an earlier payment under this key for another amount, a loan of someone else):
        # the customer gets a kind page, staff the log line.
        log.warning("arrangement %s: no payment for instalment %s: %s", arrangement.id, instalment.id, error)
        raise PlanRefused("no_payment") from error
    instalment.payment_public_id = made.public_id
    return made.public_id
