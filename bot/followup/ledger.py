"""Arrangements and their instalments: started when a customer agrees, paid, missed, ended.

Every change writes its outcome event in the same transaction (R21), and every function is safe
to call twice: a retried action, webhook or daily pass changes nothing a second time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import exists, func, or_, select
from sqlalchemy.orm import Session, contains_eager, selectinload

from bot import clock
from bot.outcomes import events
from bot.store.models import Arrangement, Case, Customer, Instalment, Loan

# Solutions that run over months and so are followed up; pay-now is settled at once.
FOLLOWED_SOLUTIONS = ("payment_arrangement", "partial_payment", "remission_arrangement", "payment_pause",
                      "debt_help_referral", "interest_freeze", "restructuring")


@dataclass(frozen=True)
class DayClosed:
    due: int
    missed: int
    ended: int


def _schedule(offer: dict[str, Any], starts_on: date) -> list[tuple[date, int]]:
    """(due date, amount in cents) per month with something to pay. An offer stored before
    offers carried their schedule gets equal months from next month on."""
    lines = offer.get("schedule")
    if lines is None and offer.get("arrangement_amount") and offer.get("arrangement_months") \
            and not offer.get("pause_months"):
        lines = monthly_schedule(int(offer["arrangement_amount"]), int(offer["arrangement_months"]),
                                 starts_on + relativedelta(months=1))
    return [(date.fromisoformat(line["due"]), int(line["amount"]) * 100)
            for line in lines or [] if int(line["amount"]) > 0]


def _ends_on(offer: dict[str, Any], starts_on: date) -> date:
    if offer.get("end_date"):
        return date.fromisoformat(offer["end_date"])
    months = offer.get("pause_months") or offer.get("debt_help_pause_months") or offer.get("arrangement_months") or 1
    return starts_on + relativedelta(months=int(months))


def monthly_schedule(amount_euros: int, months: int, first_due: date) -> list[dict[str, Any]]:
    """A plain schedule of equal months, for an offer staff adjusted in the console."""
    return [{"month": month, "due": (first_due + relativedelta(months=month - 1)).isoformat(), "amount": amount_euros}
            for month in range(1, months + 1)]


def case_segment(customer: Customer, loan: Loan, case: Case | None) -> dict[str, Any]:
    return events.segment(birth_date=customer.birth_date, loan_type=loan.loan_type,
                          cause=case.cause if case else None,
                          signals=[s["name"] for s in (case.signals or [])] if case else (),
                          channel=case.channel if case else None)


def start_arrangement(session: Session, *, customer: Customer, loan: Loan, offer: dict[str, Any],
                      contact_person: str, case: Case | None = None, sender_id: str | None = None,
                      channel: str | None = None, starts_on: date | None = None) -> Arrangement | None:
    """The arrangement for an agreed offer; the same case never gets a second one."""
    if offer.get("solution") not in FOLLOWED_SOLUTIONS:
        return None
    if case is not None:
        existing = session.execute(select(Arrangement).where(Arrangement.case_id == case.id)).scalar_one_or_none()
        if existing is not None:
            return existing
    starts_on = starts_on or clock.today()
    arrangement = Arrangement(
        customer_id=customer.id, loan_id=loan.id, case_id=case.id if case else None, solution=offer["solution"],
        policy_version=str(offer.get("policy_version") or "unknown"), status="active", starts_on=starts_on,
        ends_on=_ends_on(offer, starts_on), contact_person=contact_person,
        sender_id=sender_id or (case.sender_id if case else None), channel=channel or (case.channel if case else None))
    for number, (due_on, cents) in enumerate(_schedule(offer, starts_on), start=1):
        arrangement.instalments.append(Instalment(number=number, due_on=due_on, amount_cents=cents))
    session.add(arrangement)
    session.flush()
    events.record(session, "solution_accepted", customer_id=customer.id, case_id=arrangement.case_id,
                  arrangement_id=arrangement.id, channel=arrangement.channel, reason=arrangement.solution,
                  value=len(arrangement.instalments), segment=case_segment(customer, loan, case))
    return arrangement


def record_payment(session: Session, instalment: Instalment, cents: int, at: datetime | None = None) -> bool:
    """Adds a payment to an instalment; True when this payment made it paid in full."""
    if instalment.status == "paid" or cents <= 0:
        return False
    at = at or clock.utcnow()
    instalment.paid_cents += cents
    if instalment.paid_cents < instalment.amount_cents:
        return False
    instalment.status, instalment.paid_at = "paid", at
    arrangement = instalment.arrangement
    paid_on = at.astimezone(clock.AMSTERDAM).date()
    events.record(session, "instalment_paid", at=at, customer_id=arrangement.customer_id,
                  arrangement_id=arrangement.id, instalment_id=instalment.id, value=instalment.paid_cents,
                  days_late=max(0, (paid_on - instalment.due_on).days), due_on=instalment.due_on.isoformat())
    return True


def open_instalment(session: Session, arrangement_id: int) -> Instalment | None:
    """The first instalment not yet paid, the one a reminder or the plan page is about."""
    return session.execute(select(Instalment).where(Instalment.arrangement_id == arrangement_id,
                                                    Instalment.status != "paid")
                           .order_by(Instalment.number).limit(1)).scalar_one_or_none()


def _end(session: Session, arrangement: Arrangement, status: str, at: datetime) -> None:
    arrangement.status, arrangement.ended_at = status, at
    events.record(session, "arrangement_ended", at=at, customer_id=arrangement.customer_id,
                  arrangement_id=arrangement.id, reason=status, solution=arrangement.solution)


def close_day(session: Session, day: date, *, grace_days: int, broken_after_missed: int) -> DayClosed:
    """The daily pass: instalments due today are logged, unpaid ones past the grace period are
    missed, and arrangements that are done (all paid, or the pause is over) or broken end."""
    at = datetime.combine(day, datetime.min.time().replace(hour=23, minute=59), clock.AMSTERDAM)
    due = session.execute(select(Instalment).join(Arrangement).options(contains_eager(Instalment.arrangement))
                          .where(Instalment.due_on <= day, Instalment.due_logged.is_(False))).scalars().all()
    for instalment in due:
        instalment.due_logged = True
        events.record(session, "instalment_due", at=at, customer_id=instalment.arrangement.customer_id,
                      arrangement_id=instalment.arrangement_id, instalment_id=instalment.id,
                      value=instalment.amount_cents, due_on=instalment.due_on.isoformat())
    missed = session.execute(select(Instalment).join(Arrangement).options(contains_eager(Instalment.arrangement))
                             .where(Arrangement.status == "active", Instalment.status == "open",
                                    Instalment.due_on < day - timedelta(days=grace_days))).scalars().all()
    for instalment in missed:
        instalment.status = "missed"
        events.record(session, "instalment_missed", at=at, customer_id=instalment.arrangement.customer_id,
                      arrangement_id=instalment.arrangement_id, instalment_id=instalment.id,
                      value=instalment.amount_cents, due_on=instalment.due_on.isoformat())
    ended = 0
    # Only arrangements that can end today are loaded (set-based, so a day with 10,000 running
    # arrangements stays quick): enough missed instalments, or past the end with nothing open.
    session.flush()
    broken = (select(Instalment.arrangement_id).join(Arrangement)
              .where(Arrangement.status == "active", Instalment.status == "missed")
              .group_by(Instalment.arrangement_id).having(func.count() >= broken_after_missed).correlate(None))
    done = select(Arrangement.id).where(Arrangement.status == "active", Arrangement.ends_on <= day, ~exists().where(
        Instalment.arrangement_id == Arrangement.id, Instalment.status == "open")).correlate(None)
    candidates = select(Arrangement).options(selectinload(Arrangement.instalments)).where(
        Arrangement.status == "active", or_(Arrangement.id.in_(broken), Arrangement.id.in_(done)))
    for arrangement in session.execute(candidates).scalars():
        statuses = [i.status for i in arrangement.instalments]
        if statuses.count("missed") >= broken_after_missed:
            _end(session, arrangement, "broken", at)
        elif arrangement.ends_on <= day and "open" not in statuses:
            _end(session, arrangement, "completed" if "missed" not in statuses else "broken", at)
        else:
            continue
        ended += 1
    return DayClosed(due=len(due), missed=len(missed), ended=ended)


def record_arrears(session: Session, loan: Loan, day: date) -> bool:
    """New arrears on a loan; True (and an `arrears_again` event) when the customer had an
    arrangement that ended before: that is a relapse (R21)."""
    ended = session.execute(select(Arrangement).where(Arrangement.customer_id == loan.customer_id,
                                                      Arrangement.status.in_(("completed", "broken")))
                            .order_by(Arrangement.ended_at.desc()).limit(1)).scalar_one_or_none()
    if ended is None:
        return False
    events.record(session, "arrears_again",
                  at=datetime.combine(day, datetime.min.time().replace(hour=12), clock.AMSTERDAM),
                  customer_id=loan.customer_id, arrangement_id=ended.id, reason=loan.loan_type)
    return True
