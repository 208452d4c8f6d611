"""Fictional demo customers for `make run` and the tests (issue 2). Seeding twice changes nothing."""
from __future__ import annotations

from datetime import date, datetime, time

from dateutil.relativedelta import relativedelta
from sqlalchemy import select

from bot import clock
from bot.followup import episodes as arrears_episodes
from bot.followup import ledger
from bot.store.db import session_scope
from bot.store.models import ArrearsEpisode, Customer, Loan

DEMO_CUSTOMERS = (
    # number, name, birth date, phone, loan type, term (euros), terms behind, earlier episodes, bounced
    ("100001", "Sanne de Vries", date(1988, 4, 12), "+31612345001", "personal_loan", 210, 1, 0, 0),
    ("100002", "Mohamed El Amrani", date(1979, 11, 3), "+31612345002", "revolving_credit", 250, 3, 0, 0),
    ("100003", "Petra Jansen", date(1965, 7, 21), "+31612345003", "mortgage", 1150, 2, 0, 0),
    ("100004", "Kees Bakker", date(1992, 1, 30), "+31612345004", "personal_loan", 185, 2, 4, 0),
    ("100005", "Fatima Yilmaz", date(1983, 9, 15), "+31612345005", "mortgage", 0, 0, 0, 2),
)
# Costs the lender really made for these arrears (letters, a call), in cents: the bot tells them
# and, because Mohamed cooperates, says they are waived (R16).
DEMO_COSTS_CENTS = {"100002": 3500}
FATIMA_MORTGAGE_TERM = 980  # up to date; her term only matters for later outreach


def seed_demo_customers(url: str | None = None, today: date | None = None) -> int:
    """Insert the demo customers that are missing; return how many were added."""
    today = today or date.today()
    added = 0
    with session_scope(url) as session:
        for number, name, born, phone, loan_type, term, behind, episodes, bounced in DEMO_CUSTOMERS:
            if session.execute(select(Customer.id).where(Customer.customer_number == number)).first():
                continue
            customer = Customer(customer_number=number, full_name=name, birth_date=born, phone=phone)
            term = term or FATIMA_MORTGAGE_TERM
            loan = Loan(reference=f"{loan_type[:2].upper()}-{number}", loan_type=loan_type,
                        monthly_term_cents=term * 100, terms_behind=behind,
                        arrears_cents=term * behind * 100, costs_cents=DEMO_COSTS_CENTS.get(number, 0),
                        bounced_debits_quarter=bounced)
            # Earlier episodes spread over the last 24 months, each closed again.
            for i in range(episodes):
                started = today - relativedelta(months=4 + 5 * i)
                loan.episodes.append(ArrearsEpisode(started_on=started,
                                                    ended_on=started + relativedelta(months=1), terms=1))
            customer.loans.append(loan)
            session.add(customer)
            # Each bounced direct debit is also a risk signal for preventive contact (R22).
            session.flush()
            if behind:
                # The current arrears as the loan data shows them (bot/followup/episodes.py): the
                # oldest open term fell due a few days after the start of its month; first contact
                # plans from this episode (R24), and Kees's is a relapse after his cured ones (R21).
                arrears_episodes.arrears_changed(session, loan, 0, today,
                                         began_on=today - relativedelta(months=behind - 1, days=3),
                                         at=datetime.combine(today, time(0), clock.AMSTERDAM))
            for i in range(bounced):
                observed = today - relativedelta(days=7 + 21 * i)
                ledger.record_risk_signal(session, customer.id, "bounced_debit", observed,
                                          {"loan": loan.reference})
            added += 1
    return added
