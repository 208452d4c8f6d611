"""R6: the collection stage is policy data, and no case goes to an external agency before the
customer got the notice and its whole period passed."""
from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from bot import collection
from bot.store.db import session_scope
from bot.store.followup_models import Arrangement
from bot.store.models import Loan

TODAY = date(2026, 11, 22)


def test_the_stage_and_the_period_are_policy_data():
    policy = collection.collection_policy()
    assert policy["stage"]["min_terms_behind"] == 3 and policy["notice"]["period_days"] == 14


@pytest.mark.parametrize("handover_from, handed, today, allowed", [
    (None, None, TODAY, False),                              # no notice: never
    (TODAY + timedelta(days=1), None, TODAY, False),         # the period is still running
    (TODAY, None, TODAY, True),                              # its last day passed
    (TODAY, TODAY, TODAY + timedelta(days=3), False),        # once only
])
def test_handover_only_after_the_notice_and_its_period(handover_from, handed, today, allowed):
    assert collection.handover_allowed(handover_from, handed, today) is allowed


def _mohamed_loan(session) -> Loan:
    return session.execute(select(Loan).where(Loan.reference == "RE-100002")).scalar_one()


def test_the_stage_lists_three_terms_behind_and_the_handover_waits_for_notice_and_period(database):
    with session_scope() as session:
        assert [a.customer_number for a in collection.approaching(session)] == ["100002"]
        loan = _mohamed_loan(session)
        with pytest.raises(collection.HandoverRefused, match="vooraankondiging"):
            collection.hand_over(session, loan.id, 1, TODAY)
        planned_loan, handover_from = collection.plan_notice(session, loan.id, TODAY)
        assert handover_from == TODAY + timedelta(days=14)
        assert collection.notice_slots(planned_loan, handover_from) == {
            "arrears_amount": "€ 750", "collection_date": "6 december 2026"}
        collection.record_notice(session, planned_loan, "twilio_sms:+31612345002", handover_from, None)
        with pytest.raises(collection.HandoverRefused, match="al verstuurd"):
            collection.plan_notice(session, loan.id, TODAY)
        with pytest.raises(collection.HandoverRefused, match="6 december 2026"):
            collection.hand_over(session, loan.id, 1, TODAY + timedelta(days=13))
        [row] = collection.approaching(session)
        assert row.notice_id and not row.may_hand_over(TODAY) and row.may_hand_over(handover_from)


def test_no_handover_when_the_customer_acted_in_the_period(database):
    with session_scope() as session:
        loan = _mohamed_loan(session)
        planned_loan, handover_from = collection.plan_notice(session, loan.id, TODAY)
        collection.record_notice(session, planned_loan, "twilio_sms:+31612345002", handover_from, None)
        session.add(Arrangement(customer_id=loan.customer_id, loan_id=loan.id, solution="payment_arrangement",
                                policy_version="t", status="active", starts_on=TODAY, ends_on=date(2027, 6, 1),
                                contact_person="Anouk"))
        session.flush()
        with pytest.raises(collection.HandoverRefused, match="regeling"):
            collection.hand_over(session, loan.id, 1, handover_from)
        assert collection.approaching(session) == []  # a running arrangement leaves the stage
        session.get(Arrangement, 1).status = "broken"
        loan.arrears_cents = 0
        session.flush()
        with pytest.raises(collection.HandoverRefused, match="betaald"):
            collection.hand_over(session, loan.id, 1, handover_from)
