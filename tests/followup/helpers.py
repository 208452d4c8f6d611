"""Building customers, arrangements and engine runs for the follow-up tests."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, Iterable

from sqlalchemy import select

from bot import clock
from bot.followup import ledger
from bot.followup.engine import Engine
from bot.store.db import session_scope
from bot.store.models import Arrangement, Case, ChannelOutbound, ChannelSender, Customer, FollowUp, Loan, RiskSignal

AMSTERDAM = clock.AMSTERDAM


def local(day: date, hour: int, minute: int = 0) -> datetime:
    """A Dutch wall-clock moment as UTC (fold=0)."""
    return datetime.combine(day, time(hour, minute)).replace(tzinfo=AMSTERDAM).astimezone(timezone.utc)


def add_customer(url: str, number: int, *, phone: str | None = None, arrears_cents: int = 0,
                 senders: Iterable[str] = ()) -> tuple[int, int]:
    """A customer with one loan and a case per sender id; returns (customer id, loan id)."""
    with session_scope(url) as session:
        customer = Customer(customer_number=str(number), full_name=f"Test {number}", birth_date=date(1980, 1, 1),
                            phone=phone)
        loan = Loan(reference=f"T-{number}", loan_type="personal_loan", monthly_term_cents=20000,
                    arrears_cents=arrears_cents, terms_behind=1 if arrears_cents else 0)
        customer.loans.append(loan)
        session.add(customer)
        session.flush()
        for sender in senders:
            session.add(Case(sender_id=sender, channel=sender.split(":")[0], customer_id=customer.id,
                             answers={}, finances={}, signals=[]))
        return customer.id, loan.id


def add_arrangement(url: str, customer_id: int, loan_id: int, dues: list[date], *, amount: int = 100,
                    sender_id: str | None = None, starts_on: date | None = None) -> int:
    with session_scope(url) as session:
        customer, loan = session.get(Customer, customer_id), session.get(Loan, loan_id)
        loan.arrears_cents = max(loan.arrears_cents, amount * len(dues) * 100)
        offer = {"solution": "payment_arrangement", "policy_version": "test", "arrangement_months": len(dues),
                 "end_date": dues[-1].isoformat(),
                 "schedule": [{"month": n, "due": due.isoformat(), "amount": amount} for n, due in enumerate(dues, 1)]}
        arrangement = ledger.start_arrangement(session, customer=customer, loan=loan, offer=offer,
                                               contact_person="Anouk", sender_id=sender_id,
                                               starts_on=starts_on or min(dues) - timedelta(days=20))
        return arrangement.id


def pay(url: str, arrangement_id: int, number: int, at: datetime) -> None:
    with session_scope(url) as session:
        arrangement = session.get(Arrangement, arrangement_id)
        instalment = next(i for i in arrangement.instalments if i.number == number)
        ledger.record_payment(session, instalment, instalment.amount_cents - instalment.paid_cents, at)


def add_signal(url: str, customer_id: int, kind: str, observed_on: date) -> None:
    with session_scope(url) as session:
        session.add(RiskSignal(customer_id=customer_id, kind=kind, observed_on=observed_on, detail={}))


def customer_wrote(url: str, sender_id: str, at: datetime) -> None:
    """An inbound message: opens WhatsApp's 24-hour window."""
    with session_scope(url) as session:
        row = session.get(ChannelSender, sender_id)
        if row is None:
            session.add(ChannelSender(sender_id=sender_id, last_inbound_at=at))
        else:
            row.last_inbound_at = at


def staff_replied(url: str, sender_id: str, at: datetime) -> None:
    with session_scope(url) as session:
        session.add(ChannelOutbound(sender_id=sender_id, source="staff_reply", outcome="sent", created_at=at))


def run(engine: Engine, start: datetime, end: datetime, step: timedelta,
        before: Callable[[datetime], None] | None = None) -> None:
    """Engine passes from start to end (inclusive) every `step`, the clock following."""
    moment = start
    while moment <= end:
        if before is not None:
            before(moment)
        clock.set_clock(lambda moment=moment: moment)
        engine.tick(moment)
        moment += step


def rows(url: str) -> list[FollowUp]:
    with session_scope(url) as session:
        return list(session.execute(select(FollowUp).order_by(FollowUp.id)).scalars())


def aware(moment: datetime | None) -> datetime | None:
    return moment if moment is None or moment.tzinfo else moment.replace(tzinfo=timezone.utc)


TICK_TIMES = ((0, 10), (7, 0), (9, 0), (13, 0), (17, 0))


def run_days(engine: Engine, first_day: date, last_day: date, times=TICK_TIMES,
             before: Callable[[datetime], None] | None = None) -> None:
    """Engine passes on each local day at the given local times."""
    day = first_day
    while day <= last_day:
        for hour, minute in times:
            moment = local(day, hour, minute)
            if before is not None:
                before(moment)
            clock.set_clock(lambda moment=moment: moment)
            engine.tick(moment)
        day += timedelta(days=1)


def sent(url: str) -> list[tuple[str, str, datetime]]:
    """(kind, channel, local send time) of every sent follow-up, in send order."""
    found = [(r.kind, r.channel, aware(r.sent_at).astimezone(AMSTERDAM).replace(tzinfo=None), r.id)
             for r in rows(url) if r.status == "sent"]
    return [(k, c, t) for k, c, t, _ in sorted(found, key=lambda x: (x[2], x[3]))]
