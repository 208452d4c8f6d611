"""R10 used: a customer who does not manage gets a person instead of more reminders."""
from __future__ import annotations

from datetime import date

from bot.followup import rules
from bot.followup.policy import default
from bot.store.db import session_scope
from bot.store.models import Case, FollowUp
from tests.followup.helpers import add_arrangement, add_customer, rows, run_days, sent
from tests.followup.test_engine import engine_for


def test_the_rule_replaces_reminders_only():
    for kind in ("reminder_before", "reminder_today", "missed", "reassessment"):
        assert rules.relevance(kind, date(2027, 6, 1), {}, default(), customer_not_managing=True) == \
            rules.PERSON_INSTEAD
    assert rules.relevance("aftercare", date(2027, 6, 1), {}, default(), customer_not_managing=True) is None


def test_reminders_stop_and_the_case_goes_to_a_person(db):
    customer, loan = add_customer(db, 1, phone="+31611111111", senders=["rest:anna"])
    add_arrangement(db, customer, loan, [date(2027, 6, 8), date(2027, 7, 8)], sender_id="rest:anna",
                    starts_on=date(2027, 6, 1))
    with session_scope(db) as session:
        case = session.query(Case).filter(Case.customer_id == customer).one()
        case.stance = "does_not_manage"
        case.stance_evidence = [{"stance": "does_not_manage", "kind": "words", "detail": "=stress", "at": "x"}]
    run_days(engine_for(db), date(2027, 6, 1), date(2027, 6, 10))
    assert [kind for kind, _, _ in sent(db) if kind in ("reminder_before", "reminder_today", "missed")] == []
    skipped = [r for r in rows(db) if r.outcome == rules.PERSON_INSTEAD]
    assert skipped and all(isinstance(r, FollowUp) for r in skipped)
    with session_scope(db) as session:
        case = session.query(Case).filter(Case.customer_id == customer).one()
        assert (case.status, case.handoff_reason) == ("handed_over", "does_not_manage")


def test_without_the_class_the_reminders_go_as_before(db):
    customer, loan = add_customer(db, 2, phone="+31611111112", senders=["rest:bram"])
    add_arrangement(db, customer, loan, [date(2027, 6, 8), date(2027, 7, 8)], sender_id="rest:bram",
                    starts_on=date(2027, 6, 1))
    run_days(engine_for(db), date(2027, 6, 1), date(2027, 6, 10))
    assert "reminder_before" in [kind for kind, _, _ in sent(db)]
