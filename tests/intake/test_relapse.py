"""Relapse recorded where it happens (issue 21 §2, R21): from the loan data, not only in the
simulator. Before this, nothing but bot/followup/simulator.py wrote `arrears_again`, so the
dashboard of a real set-up would never show a relapse.

Case book (R21: "did they fall behind again after it ended"):
| before                                        | the loan data shows                | recorded                 |
| an arrangement that ended (completed), cured  | arrears again                      | arrears_again, that arrangement |
| no arrangement; arrears paid off by our link  | arrears again                      | arrears_again, after "cured" |
| never in arrears before                       | arrears                            | nothing (new, not again) |
| an arrangement running                        | arrears grow                       | nothing                  |
| ended arrangement, relapse recorded           | arrears grow further               | nothing more             |
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot import clock
from bot.followup import ledger
from bot.outcomes import kpis
from bot.outcomes.figures import Filters
from bot.store.db import session_scope
from bot.store.models import Arrangement, ArrearsEpisode, Customer, Loan, OutcomeEvent
from tests.intake.conftest import TODAY, send
from tests.intake.test_books import figure, pay_by_link, payment


def relapses(url: str) -> list[tuple]:
    with session_scope(url) as session:
        return [(e.customer_id, e.arrangement_id, e.reason, (e.data or {}).get("after")) for e in session.execute(
            select(OutcomeEvent).where(OutcomeEvent.kind == "arrears_again").order_by(OutcomeEvent.id)).scalars()]


def customer_of(url: str, number: str) -> int:
    with session_scope(url) as session:
        return session.execute(select(Customer.id).where(Customer.customer_number == number)).scalar_one()


def ended_arrangement(url: str, number: str, reference: str) -> int:
    """An arrangement of one instalment, paid and closed by the engine's daily close: completed."""
    with session_scope(url) as session:
        customer = session.execute(select(Customer).where(Customer.customer_number == number)).scalar_one()
        loan = session.execute(select(Loan).where(Loan.reference == reference)).scalar_one()
        offer = {"solution": "payment_arrangement", "policy_version": "test", "arrangement_months": 1,
                 "end_date": "2026-10-01", "schedule": [{"month": 1, "due": "2026-10-01", "amount": 210}]}
        arrangement = ledger.start_arrangement(session, customer=customer, loan=loan, offer=offer,
                                               contact_person="Anouk", starts_on=date(2026, 9, 20))
        ledger.record_payment(session, arrangement.instalments[0], 21000,
                              datetime(2026, 9, 30, 12, tzinfo=clock.AMSTERDAM))
        ledger.close_day(session, date(2026, 10, 2), grace_days=3, broken_after_missed=3)
        assert arrangement.status == "completed"
        return arrangement.id


def test_arrears_after_an_ended_arrangement_are_a_relapse_the_dashboard_counts(lender):
    baseline = relapses(lender)
    arrangement = ended_arrangement(lender, "100001", "PE-100001")
    # The books: the arrangement paid the arrears off, then a term went unpaid again.
    assert send(lender, figure("BK-1", 0, as_of=TODAY - timedelta(days=2), terms=0,
                               loan_reference="PE-100001")).accepted
    assert relapses(lender) == baseline
    assert send(lender, figure("BK-2", 21000, terms=1, arrears_since=TODAY.isoformat(),
                               loan_reference="PE-100001")).accepted
    sanne = customer_of(lender, "100001")
    assert relapses(lender) == baseline + [(sanne, arrangement, "personal_loan", "completed")]
    # The outcomes dashboard's relapse figure (R21) now sees it: the October cohort relapsed within 3 months.
    with session_scope(lender) as session:
        dashboard = kpis.compute(session, Filters(), today=TODAY)
    october = next(c for c in dashboard.relapse.cohorts if c.month == "2026-10")
    assert (october.ended, october.relapsed[3]) == (1, 1)
    # Growing further is the same relapse, not a second one.
    assert send(lender, figure("BK-3", 42000, terms=2, loan_reference="PE-100001")).accepted
    assert relapses(lender) == baseline + [(sanne, arrangement, "personal_loan", "completed")]


def test_arrears_after_a_cure_by_our_payment_link_are_a_relapse(lender):
    baseline = relapses(lender)
    paid = pay_by_link(lender, 21000, reference="PE-100001", key="sanne-all")  # paid off: the episode ends
    with session_scope(lender) as session:
        loan = session.execute(select(Loan).where(Loan.reference == "PE-100001")).scalar_one()
        assert loan.arrears_cents == 0 and all(e.ended_on == TODAY for e in loan.episodes)
    # The books hold that payment, and a new term is behind already.
    assert send(lender, payment("PAY-1", 21000, reference=paid.reference, loan_reference="PE-100001"),
                figure("BK-4", 21000, terms=1, loan_reference="PE-100001")).accepted
    assert relapses(lender) == baseline + [(customer_of(lender, "100001"), None, "personal_loan", "cured")]


def test_first_arrears_are_new_not_again(lender):
    baseline = relapses(lender)
    assert send(lender, figure("BK-5", 98000, terms=1, loan_reference="MO-100005")).accepted
    assert relapses(lender) == baseline
    with session_scope(lender) as session:
        episode = session.execute(select(ArrearsEpisode).join(Loan).where(Loan.reference == "MO-100005")).scalar_one()
    assert (episode.started_on, episode.ended_on, episode.terms) == (TODAY, None, 1)


def test_arrears_growing_during_a_running_arrangement_are_no_relapse(lender):
    ended_arrangement(lender, "100002", "RE-100002")
    with session_scope(lender) as session:
        customer = session.execute(select(Customer).where(Customer.customer_number == "100002")).scalar_one()
        loan = session.execute(select(Loan).where(Loan.reference == "RE-100002")).scalar_one()
        offer = {"solution": "payment_arrangement", "policy_version": "test", "arrangement_months": 1,
                 "end_date": "2026-12-20", "schedule": [{"month": 1, "due": "2026-12-20", "amount": 750}]}
        running = ledger.start_arrangement(session, customer=customer, loan=loan, offer=offer, contact_person="Anouk")
        assert running.status == "active"
    baseline = relapses(lender)
    assert send(lender, figure("BK-6", 100000, terms=4)).accepted
    assert relapses(lender) == baseline
    with session_scope(lender) as session:
        assert session.execute(select(Arrangement.status).where(Arrangement.id == running.id)).scalar_one() == "active"


def test_the_current_arrears_are_not_an_earlier_episode(lender):
    """R9 counts earlier episodes (recurring arrears call for the full check); the open episode of
    today's arrears is not one of them."""
    from bot.arrears import overview

    assert send(lender, figure("BK-7", 98000, terms=1, loan_reference="MO-100005")).accepted
    with session_scope(lender) as session:
        fatima = overview(session, customer_of(lender, "100005"), TODAY)
        kees = overview(session, customer_of(lender, "100004"), TODAY)
    assert (fatima.earlier_episodes, fatima.recurring) == (0, False)
    assert (kees.earlier_episodes, kees.recurring) == (4, True)  # his four cured ones, not the open fifth
