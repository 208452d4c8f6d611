"""The satisfaction question (issue 11) planned and sent by the follow-up engine: once per case,
the morning after a solution was agreed and after a handover was resolved."""
from __future__ import annotations

from datetime import date, datetime, timedelta

from bot import clock
from bot.followup import ledger
from bot.store.db import session_scope
from bot.store.models import Case, Customer, Loan
from tests.followup.helpers import add_customer, local, rows, run_days, sent
from tests.followup.test_engine import engine_for


def agreed_case(url: str, customer_id: int, loan_id: int, sender: str, on: date) -> int:
    with session_scope(url) as session:
        case = Case(sender_id=sender, channel="rest", customer_id=customer_id, status="open", answers={},
                    finances={}, signals=[], opened_at=local(on, 10))
        session.add(case)
        session.flush()
        offer = {"solution": "payment_arrangement", "policy_version": "test", "end_date": "2027-09-08",
                 "schedule": [{"month": 1, "due": "2027-09-08", "amount": 100}]}
        clock.set_clock(lambda: local(on, 11))
        try:
            ledger.start_arrangement(session, customer=session.get(Customer, customer_id),
                                     loan=session.get(Loan, loan_id), offer=offer, contact_person="Daan", case=case,
                                     starts_on=on)
        finally:
            clock.set_clock(None)
        return case.id


def test_one_question_the_morning_after_a_solution_and_after_a_resolved_handover(db):
    customer, loan = add_customer(db, 1, phone="+31611111111", senders=["rest:anna"])
    case_id = agreed_case(db, customer, loan, "rest:anna", date(2027, 6, 1))   # a Tuesday
    with session_scope(db) as session:
        handover = Case(sender_id="rest:anna", channel="rest", customer_id=customer, status="closed", answers={},
                        finances={}, signals=[], handed_over_at=local(date(2027, 6, 2), 9),
                        resolved_at=local(date(2027, 6, 2), 15))
        session.add(handover)
        session.flush()
        handover_id = handover.id
    run_days(engine_for(db), date(2027, 6, 1), date(2027, 6, 8))
    questions = [r for r in rows(db) if r.kind == "satisfaction"]
    assert sorted((r.facts["case"], r.facts["after"], r.status) for r in questions) == sorted(
        [(case_id, "after_solution", "sent"), (handover_id, "after_handover", "sent")])
    assert all(r.response == "utter_ask_satisfaction" and r.rule == "R21.satisfaction" for r in questions)
    assert {r.slots["satisfaction_context"] for r in questions} == {"after_solution", "after_handover"}
    assert all(r.slots["awaiting_satisfaction"] is True for r in questions)
    moments = sorted(at for kind, _, at in sent(db) if kind == "satisfaction")
    # planned for the morning after, never in quiet hours
    assert moments[0] == datetime(2027, 6, 2, 9, 0) and all(7 <= m.hour < 20 for m in moments)
    assert max(moments) - min(moments) <= timedelta(days=2)
