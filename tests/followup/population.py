"""Populations for the process tests: many customers with arrangements, built quickly in one
transaction through the ledger (start_arrangement), with a known expected schedule."""
from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from bot.followup import ledger
from bot.store.db import session_scope
from bot.store.models import Case, Customer, Loan, RiskSignal

NL = ZoneInfo("Europe/Amsterdam")
CHANNELS = ("rest", "telegram", "widget", "sms")


@dataclass
class Population:
    arrangements: dict[int, list[tuple[int, date, bool]]] = field(default_factory=dict)  # id -> (instalment, due, paid)
    preventive: list[int] = field(default_factory=list)
    signal_on: date | None = None


def sender_for(channel: str, n: int) -> str:
    return {"rest": f"rest:p{n}", "telegram": f"telegram:{500000 + n}", "widget": f"web:p{n}",
            "sms": f"twilio_sms:+3162{n:07d}"}[channel]


def build(url: str, *, arrangements: int, preventive: int, first_due: date, last_due: date, seed: int,
          prepaid_share: float = 0.1, instalments: int = 2) -> Population:
    """`arrangements` customers with `instalments` monthly-ish instalments due between first_due
    and last_due (some of the first already paid before the start), and `preventive` customers
    with a bounced debit the day before first_due and no arrears."""
    rng = random.Random(seed)
    population = Population(signal_on=first_due - timedelta(days=1))
    span = (last_due - first_due).days
    with session_scope(url) as session:
        customers, loans = [], []
        for n in range(1, arrangements + preventive + 1):
            customers.append({"id": n, "customer_number": str(800000 + n), "full_name": f"P {n}",
                              "birth_date": date(1980, 1, 1), "phone": f"+3162{n:07d}",
                              "created_at": datetime(2027, 5, 1, tzinfo=timezone.utc)})
            loans.append({"id": n, "customer_id": n, "reference": f"P-{n}", "loan_type": "personal_loan",
                          "monthly_term_cents": 10000, "terms_behind": 0, "costs_cents": 0,
                          "bounced_debits_quarter": 0, "arrears_cents": 100000 if n <= arrangements else 0})
        session.execute(insert(Customer.__table__), customers)
        session.execute(insert(Loan.__table__), loans)
        cases = []
        for n in range(1, arrangements + preventive + 1):
            channel = CHANNELS[n % len(CHANNELS)]
            cases.append({"sender_id": sender_for(channel, n), "channel": channel, "customer_id": n, "status": "closed",
                          "opened_at": datetime(2027, 5, 1, tzinfo=timezone.utc),
                          "updated_at": datetime(2027, 5, 1, tzinfo=timezone.utc), "answers": {}, "finances": {},
                          "signals": []})
        session.execute(insert(Case.__table__), cases)
        for n in range(arrangements + 1, arrangements + preventive + 1):
            session.add(RiskSignal(customer_id=n, kind="bounced_debit", observed_on=first_due - timedelta(days=1),
                                   detail={}))
            population.preventive.append(n)
        session.flush()
        for n in range(1, arrangements + 1):
            due = first_due + timedelta(days=rng.randrange(0, max(1, span // instalments)))
            dues = [due + timedelta(days=30 * k) for k in range(instalments)]
            offer = {"solution": "payment_arrangement", "policy_version": "test", "end_date": dues[-1].isoformat(),
                     "arrangement_months": instalments,
                     "schedule": [{"month": k + 1, "due": d.isoformat(), "amount": 50} for k, d in enumerate(dues)]}
            customer, loan = session.get(Customer, n), session.get(Loan, n)
            arrangement = ledger.start_arrangement(session, customer=customer, loan=loan, offer=offer,
                                                   contact_person="Daan", sender_id=sender_for(CHANNELS[n % 4], n),
                                                   starts_on=first_due - timedelta(days=14))
            paid_first = rng.random() < prepaid_share
            lines = []
            for instalment in arrangement.instalments:
                paid = paid_first and instalment.number == 1
                if paid:
                    ledger.record_payment(session, instalment, instalment.amount_cents,
                                          datetime.combine(first_due - timedelta(days=10), time(12), NL))
                lines.append((instalment.id, instalment.due_on, paid))
            population.arrangements[arrangement.id] = lines
    return population
