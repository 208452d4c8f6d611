"""action_detect_language: asked > detected > the customer record; remembered on the record (issue 27)."""
from __future__ import annotations

from rasa_sdk import Tracker

from actions.language import ActionDetectLanguage
from bot import customer_language
from bot.store.db import session_scope
from bot.store.models import Customer
from tests.actions.conftest import make_tracker, run, slot_events


def customer_id(number: str) -> int:
    with session_scope() as session:
        return session.query(Customer).filter_by(customer_number=number).one().id


def conversation(texts: list[str], slots: dict) -> Tracker:
    tracker = make_tracker(slots, text=texts[-1])
    tracker.events = [{"event": "user", "text": t, "parse_data": {}} for t in texts]
    return tracker


def test_english_words_switch_an_unverified_conversation(db):
    events, messages = run(ActionDetectLanguage(), conversation(
        ["hello, I got a message that I'm behind on my loan payments"], {"language": "nl"}))
    assert slot_events(events) == {"language": "en", "language_source": "detected"}
    assert messages == []


def test_one_word_decides_nothing(db):
    events, _ = run(ActionDetectLanguage(), conversation(["hello"], {"language": "nl"}))
    assert slot_events(events) == {}


def test_asking_wins_and_is_remembered_on_the_record(db):
    cid = customer_id("100002")
    slots = {"language": "nl", "language_source": "detected", "verified": True, "customer_id": cid}
    events, _ = run(ActionDetectLanguage(), conversation(["hoi ik heb een vraag", "in English please"], slots))
    assert slot_events(events) == {"language": "en", "language_source": "asked"}
    with session_scope() as session:
        assert customer_language.stored(session, cid) == "en"
    # And back: "Nederlands graag" after English.
    slots.update(language="en", language_source="asked")
    events, _ = run(ActionDetectLanguage(), conversation(["Nederlands graag"], slots))
    assert slot_events(events) == {"language": "nl", "language_source": "asked"}
    with session_scope() as session:
        assert customer_language.stored(session, cid) == "nl"


def test_a_chosen_language_is_not_undone_by_short_answers(db):
    slots = {"language": "en", "language_source": "asked"}
    events, _ = run(ActionDetectLanguage(), conversation(["in english please", "ja", "100002", "12-04-1988"], slots))
    assert slot_events(events) == {}


def test_the_record_speaks_when_the_messages_say_nothing(db):
    cid = customer_id("100001")
    with session_scope() as session:
        customer_language.remember(session, cid, "en")
    slots = {"language": "nl", "verified": True, "customer_id": cid}
    events, _ = run(ActionDetectLanguage(), conversation(["hoi", "100001", "12-04-1988", "ok"], slots))
    assert slot_events(events) == {"language": "en", "language_source": "record"}
    with session_scope() as session:
        assert customer_language.language_for(session, cid) == "en"
        assert customer_language.language_for(session, customer_id("100003")) == "nl"


def test_a_language_shown_before_verification_goes_on_the_record(db):
    from actions.verification import ActionExplainArrears
    cid = customer_id("100002")
    tracker = make_tracker({"verified": True, "customer_id": cid, "language": "en", "language_source": "detected"})
    events, messages = run(ActionExplainArrears(), tracker)
    assert "language" not in slot_events(events)
    assert all("language" not in m for m in messages)
    with session_scope() as session:
        assert customer_language.stored(session, cid) == "en"


def test_a_returning_customer_hears_the_remembered_language_from_verification_on(db):
    from actions.verification import ActionExplainArrears
    cid = customer_id("100002")
    with session_scope() as session:
        customer_language.remember(session, cid, "en")
    events, messages = run(ActionExplainArrears(), make_tracker({"verified": True, "customer_id": cid, "language": "nl"}))
    assert {m["language"] for m in messages} == {"en"}
    assert slot_events(events)["language"] == "en" and slot_events(events)["language_source"] == "record"
