from sqlalchemy import select

from actions.base import SafeAction
from actions.costs import ActionExplainCosts
from actions.handover import ActionCrisis, ActionHandover, ActionNotUnderstood
from actions.signals import ActionDetectSignals
from bot.store.db import session_scope
from bot.store.models import Case
from tests.actions.conftest import make_tracker, responses, run, slot_events


def test_signals_from_any_message_are_merged_and_kept_with_their_sentence(db):
    text = "er staat een deurwaarder voor de deur en ik heb ook schulden bij de belastingdienst"
    events, messages = run(ActionDetectSignals(), make_tracker({"signals": ["illness"]}, text=text))
    assert messages == []
    assert slot_events(events)["signals"] == ["bailiff", "illness", "multiple_creditors"]
    with session_scope() as session:
        case = session.execute(select(Case)).scalar_one()
    assert {s["name"] for s in case.signals} == {"bailiff", "multiple_creditors"}
    assert all(s["text"] == text for s in case.signals)


def test_the_customers_words_about_their_stance_are_kept_as_evidence_on_the_case(db):
    """R10: "ik schaam me" is evidence of not managing; the slot does not change, the case does."""
    events, _ = run(ActionDetectSignals(), make_tracker(text="ik schaam me zo, ik maak de post niet meer open"))
    assert events == []
    with session_scope() as session:
        case = session.execute(select(Case)).scalar_one()
    assert case.stance == "does_not_manage"
    assert [e["kind"] for e in case.stance_evidence] == ["words"]
    # The matched words, so staff read what was said; never the whole message.
    assert case.stance_evidence[0]["detail"] == '"schaam me"'


def test_no_signal_no_events(db):
    events, _ = run(ActionDetectSignals(), make_tracker(text="ik heb geen deurwaarder"))
    assert events == []


def test_handover_saves_the_case_closes_the_form_and_pauses(db):
    tracker = make_tracker({"requested_slot": "income_changed"}, active_loop="control_form", intent="ask_human")
    events, messages = run(ActionHandover(), tracker)
    # 10:00 UTC on Sunday 22 November 2026: outside office hours, so the reply says when.
    assert responses(messages) == ["utter_handover_customer_asked", "utter_handover_when_closed"]
    assert messages[1]["next_opening"] == "maandag 23 november om 9:00"
    kinds = [e["event"] for e in events]
    assert kinds[-1] == "pause" and "active_loop" in kinds
    assert slot_events(events)["handoff_reason"] == "customer_asked"
    with session_scope() as session:
        case = session.execute(select(Case)).scalar_one()
    assert (case.status, case.handoff_reason) == ("handed_over", "customer_asked")
    assert case.handed_over_at is not None
    assert case.summary["reason"] == "customer_asked" and case.summary["priority"] == "normal"


def test_crisis_gives_the_crisis_line_first_and_a_person_at_once(db):
    tracker = make_tracker({"requested_slot": "cause_description", "signals": ["illness"]},
                           text="ik wil niet meer leven", intent="crisis", active_loop="cause_form")
    events, messages = run(ActionCrisis(), tracker)
    assert responses(messages)[0] == "utter_crisis"
    slots = slot_events(events)
    assert slots["signals"] == ["crisis", "illness"] and slots["handoff_reason"] == "crisis"
    assert events[-1]["event"] == "pause"
    with session_scope() as session:
        case = session.execute(select(Case)).scalar_one()
    assert case.summary["priority"] == "crisis"


def test_three_misunderstood_messages_bring_a_person(db):
    events, messages = run(ActionNotUnderstood(), make_tracker({"not_understood_count": 0}))
    assert responses(messages) == ["utter_default"] and slot_events(events) == {"not_understood_count": 1}
    run(ActionNotUnderstood(), make_tracker({"not_understood_count": 1}))
    events, messages = run(ActionNotUnderstood(), make_tracker({"not_understood_count": 2}))
    assert responses(messages)[0] == "utter_handover_not_understood"
    assert slot_events(events)["handoff_reason"] == "not_understood" and events[-1]["event"] == "pause"


def test_costs_only_for_the_verified(db):
    _, messages = run(ActionExplainCosts(), make_tracker({"verified": False, "arrears_costs": "€ 15"}))
    assert responses(messages) == ["utter_need_verification_first"]
    _, messages = run(ActionExplainCosts(), make_tracker({"verified": True, "arrears_costs": "€ 0"}))
    assert responses(messages) == ["utter_arrears_no_costs"]
    _, messages = run(ActionExplainCosts(), make_tracker({"verified": True, "arrears_costs": "€ 15"}))
    assert responses(messages) == ["utter_arrears_costs"]


def test_a_crashing_action_answers_kindly_and_logs_no_customer_data(db, caplog):
    class Crashing(SafeAction):
        def name(self):
            return "action_crashing"

        def act(self, dispatcher, tracker, domain):
            raise ValueError("Sanne de Vries 12-04-1988")

    events, messages = run(Crashing(), make_tracker())
    assert events == [] and responses(messages) == ["utter_something_went_wrong"]
    assert "Sanne" not in caplog.text and "ValueError" in caplog.text


def test_a_handover_on_christmas_eve_evening_names_the_first_working_day_after_christmas(db):  # issue 21 §3
    from datetime import datetime, timezone

    from bot import clock
    clock.set_clock(lambda: datetime(2026, 12, 24, 19, 30, tzinfo=timezone.utc))  # 20:30 in Amsterdam
    _, messages = run(ActionHandover(), make_tracker({}, intent="ask_human"))
    assert responses(messages) == ["utter_handover_customer_asked", "utter_handover_when_closed"]
    assert messages[1]["next_opening"] == "maandag 28 december om 9:00"
