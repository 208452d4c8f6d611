from datetime import date, datetime, timedelta, timezone

from bot import cases, identity
from bot.arrears import count_recent_episodes, overview
from bot.store.db import session_scope
from bot.store.models import Customer

TODAY = date(2026, 11, 22)
NOW = datetime(2026, 11, 22, 10, tzinfo=timezone.utc)


def test_verification_needs_the_right_pair(database):
    with session_scope() as session:
        sanne = identity.verify_customer(session, "100001", date(1988, 4, 12))
        assert sanne is not None
        assert identity.verify_customer(session, "100001", date(1988, 12, 4)) is None
        assert identity.verify_customer(session, "999999", date(1988, 4, 12)) is None
        assert identity.customer_number_of(session, sanne) == "100001"


def test_phone_numbers_in_any_dutch_form(database):
    with session_scope() as session:
        for phone in ("+31612345001", "0612345001", "0031 6 12345001", "whatsapp:+31612345001"):
            assert identity.customer_for_phone(session, phone) is not None
        assert identity.verify_by_phone(session, "06-12345001", date(1988, 4, 12)) is not None
        assert identity.verify_by_phone(session, "06-12345001", date(1979, 11, 3)) is None
        assert identity.customer_for_phone(session, "0699999999") is None


def test_a_phone_number_shared_by_two_customers_identifies_nobody(database):
    with session_scope() as session:
        session.add(Customer(customer_number="100099", full_name="Test", birth_date=date(1990, 1, 1),
                             phone="+31612345001"))
    with session_scope() as session:
        assert identity.customer_for_phone(session, "+31612345001") is None


def test_lockout_counts_failures_on_every_sender(database):
    with session_scope() as session:
        for sender in ("rest:a", "twilio:b", "telegram:c"):
            identity.record_failure(session, "100001", sender, NOW)
        assert identity.is_locked(session, "100001", NOW, 3, 30)
        assert not identity.is_locked(session, "100002", NOW, 3, 30)
        assert not identity.is_locked(session, "100001", NOW + timedelta(minutes=31), 3, 30)


def test_overview_in_plain_terms(database):
    with session_scope() as session:
        petra = identity.verify_customer(session, "100003", date(1965, 7, 21))
        facts = overview(session, petra, TODAY)
    slots = facts.as_slots()
    assert slots["loan_name"] == "hypotheek"
    assert slots["terms_behind"] == 2
    assert slots["arrears_amount"] == "€ 2.300"
    assert slots["monthly_term"] == "€ 1.150"
    assert facts.explain_bkr and facts.in_arrears and not facts.recurring


def test_recurring_and_no_arrears(database):
    with session_scope() as session:
        kees = identity.verify_customer(session, "100004", date(1992, 1, 30))
        fatima = identity.verify_customer(session, "100005", date(1983, 9, 15))
        sanne = identity.verify_customer(session, "100001", date(1988, 4, 12))
        assert overview(session, kees, TODAY).recurring
        assert overview(session, kees, TODAY).earlier_episodes == 4
        assert not overview(session, fatima, TODAY).in_arrears
        assert not overview(session, sanne, TODAY).explain_bkr


def test_episodes_outside_the_window_do_not_count():
    assert count_recent_episodes([date(2024, 11, 1), date(2026, 1, 1)], TODAY) == 1


def test_case_merges_what_the_conversation_learns(database):
    with session_scope() as session:
        cases.record(session, "rest:x", "rest", answers={"a": 1}, signals=[{"name": "bailiff", "term": "t", "text": "x"}])
    with session_scope() as session:
        case = cases.record(session, "rest:x", answers={"b": 2}, cause="forgot",
                            signals=[{"name": "bailiff", "term": "t", "text": "x"},
                                     {"name": "garnishment", "term": "u", "text": "y"}])
        assert case.answers == {"a": 1, "b": 2}
        assert [s["name"] for s in case.signals] == ["bailiff", "garnishment"]
        assert case.cause == "forgot" and case.channel == "rest"
    with session_scope() as session:
        assert cases.current_case(session, "rest:x").id == case.id
        assert cases.current_case(session, "rest:other").id != case.id


def test_case_refuses_unknown_columns(database):
    import pytest
    with session_scope() as session, pytest.raises(AttributeError):
        cases.record(session, "rest:y", nonsense=1)
