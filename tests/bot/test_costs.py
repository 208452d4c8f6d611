"""R16: costs are at most the actual damage, capped, and waived for a cooperating customer or one
without means; the conversation says them exactly, a waived cost as waived."""
from __future__ import annotations

from datetime import date, datetime, timezone

from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from actions.costs import costs_response
from bot.arrears import arrears_policy, costs
from bot.store.db import session_scope
from bot.store.followup_models import Arrangement
from bot.store.models import Case, Customer, Loan

TODAY = date(2026, 11, 22)


def test_the_cap_is_in_the_policy_data():
    cap = arrears_policy()["costs"]["cap"]
    assert cap["max_cents"] == 4000 and cap["max_share_of_arrears"] == 0.10
    assert costs.cap_cents(75000) == 4000 and costs.cap_cents(21000) == 2100


def test_a_customer_who_neither_cooperates_nor_lacks_means_pays_the_recorded_costs_within_the_cap():
    decision = costs.decide(3500, 75000, cooperating=False, without_means=False)
    assert (decision.chargeable_cents, decision.charged_cents, decision.waiver) == (3500, 3500, None)
    capped = costs.decide(9000, 21000, cooperating=False, without_means=False)
    assert capped.charged_cents == 2100  # 10% of € 210, not the € 90 recorded


def test_cooperating_and_no_means_waive_the_costs_and_say_why():
    cooperating = costs.decide(3500, 75000, cooperating=True, without_means=False)
    assert (cooperating.charged_cents, cooperating.waived_cents, cooperating.waiver) == (0, 3500, "cooperating")
    poor = costs.decide(3500, 75000, cooperating=True, without_means=True)
    assert poor.waiver == "without_means" and poor.charged_cents == 0
    assert costs.decide(0, 75000, cooperating=True, without_means=True).waiver is None


@given(st.integers(-100, 10**7), st.integers(-100, 10**8), st.booleans(), st.booleans())
def test_never_more_than_the_actual_damage_or_the_cap(recorded, arrears, cooperating, without_means):
    decision = costs.decide(recorded, arrears, cooperating=cooperating, without_means=without_means)
    assert 0 <= decision.charged_cents <= max(0, recorded)
    assert decision.charged_cents <= costs.cap_cents(max(0, arrears))
    assert decision.charged_cents == 0 or not (cooperating or without_means)


def test_the_response_says_charged_waived_or_none():
    assert costs_response("€ 35", None) == "utter_arrears_costs"
    assert costs_response("€ 0", "cooperating") == "utter_arrears_costs_waived_cooperating"
    assert costs_response("€ 0", "without_means") == "utter_arrears_costs_waived_without_means"
    assert costs_response("€ 0", None) == "utter_arrears_no_costs"


def _mohamed(session):
    customer = session.execute(select(Customer).where(Customer.customer_number == "100002")).scalar_one()
    return customer, session.execute(select(Loan).where(Loan.customer_id == customer.id)).scalar_one()


def test_a_broken_arrangement_ends_the_cooperation_waiver_and_debt_problems_give_the_means_waiver(database):
    with session_scope() as session:
        customer, loan = _mohamed(session)
        assert loan.costs_cents == 3500
        decision = costs.for_customer_in_contact(session, customer.id, loan.costs_cents, loan.arrears_cents, TODAY)
        assert decision.waiver == "cooperating" and costs.slot_values(decision) == {
            "arrears_costs": "€ 0", "costs_waived": "€ 35", "costs_waiver": "cooperating"}
        session.add(Arrangement(customer_id=customer.id, loan_id=loan.id, solution="payment_arrangement",
                                policy_version="t", status="broken", starts_on=date(2026, 6, 1),
                                ends_on=date(2026, 12, 1), contact_person="Anna",
                                ended_at=datetime(2026, 9, 1, tzinfo=timezone.utc)))
        session.flush()
        decision = costs.for_customer_in_contact(session, customer.id, loan.costs_cents, loan.arrears_cents, TODAY)
        assert (decision.charged_cents, decision.waiver) == (3500, None)
        # Signals as a case keeps them; a crisis alone says nothing about means.
        session.add(Case(sender_id="rest:crisis", customer_id=customer.id,
                         signals=[{"name": "crisis", "term": "dood", "text": "..."}]))
        session.flush()
        decision = costs.for_customer_in_contact(session, customer.id, loan.costs_cents, loan.arrears_cents, TODAY)
        assert (decision.charged_cents, decision.waiver) == (3500, None)
        session.add(Case(sender_id="rest:old", customer_id=customer.id,
                         signals=[{"name": "garnishment", "term": "beslag", "text": "..."}]))
        session.flush()
        decision = costs.for_customer_in_contact(session, customer.id, loan.costs_cents, loan.arrears_cents, TODAY)
        assert (decision.charged_cents, decision.waiver) == (0, "without_means")
