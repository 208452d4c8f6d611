"""The dialogue side of staying in touch (issue 10) and of satisfaction (issue 11): an agreed
arrangement with its person and plan link, opting out with STOP, a reassessment when something
changed, and the 1-to-5 rating, all against a real database."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from actions.followup import REASSESSED_SLOTS, ActionCircumstancesChanged, ActionStopConversation
from actions.satisfaction import ActionRecordSatisfaction, score_of
from actions.solution import ActionAcceptProposal, ActionProposeSolution
from bot.followup.plan_links import check_token
from bot.store.db import session_scope
from bot.store.models import Arrangement, ChannelOptOut, OutcomeEvent
from tests.actions.conftest import make_tracker, responses, run, slot_events
from tests.actions.test_solution import FAMILY, verified


def outcome_events() -> list[tuple[str, str | None, int | None]]:
    with session_scope() as session:
        return [tuple(r) for r in session.execute(select(OutcomeEvent.kind, OutcomeEvent.reason, OutcomeEvent.value)
                                                  .order_by(OutcomeEvent.id))]


def test_an_agreed_arrangement_gets_instalments_a_person_and_a_plan_link(db):
    slots = {**verified("100002", "03-11-1979"), "arrears_cause": "income_drop", "cause_structural": True,
             "cause_description": "minder uren", "cause_followup": "nee", **FAMILY}
    events, _ = run(ActionProposeSolution(), make_tracker(slots))
    assert slot_events(events)["solution"] == "payment_arrangement"
    tracker = make_tracker({**slots, "awaiting_agreement": True})
    _, messages = run(ActionAcceptProposal(), tracker)
    assert responses(messages)[-1] == "utter_arrangement_followup"
    with session_scope() as session:
        arrangement = session.execute(select(Arrangement)).scalar_one()
        schedule = [(i.due_on, i.amount_cents) for i in arrangement.instalments]
        assert messages[-1]["contact_person"] == arrangement.contact_person
        token = messages[-1]["plan_link"].rsplit("/plan/", 1)[1]
        assert check_token(token).arrangement_id == arrangement.id
    assert schedule and sum(cents for _, cents in schedule) > 0
    # A retried accept (the same turn again) makes no second arrangement.
    run(ActionAcceptProposal(), tracker)
    with session_scope() as session:
        assert len(session.execute(select(Arrangement)).scalars().all()) == 1
    # The seed's own events: Fatima's risk signals, Kees's relapse after his cured episodes (issue 21).
    kinds = [kind for kind, _, _ in outcome_events() if kind not in ("risk_signalled", "arrears_again")]
    assert kinds.count("solution_accepted") == 1
    assert kinds[:2] == ["conversation_started", "verified"] and "solution_offered" in kinds


@pytest.mark.parametrize("text, opted", [("STOP", True), ("afmelden", True), ("ik wil stoppen", False)])
def test_stop_as_the_whole_message_also_opts_out(db, text, opted):
    _, messages = run(ActionStopConversation(), make_tracker(text=text, intent="stop_conversation",
                                                             sender="twilio_sms:+31612345001"))
    with session_scope() as session:
        rows = session.execute(select(ChannelOptOut.sender_id, ChannelOptOut.channel)).all()
    assert (rows == [("twilio_sms:+31612345001", "sms")]) is opted
    assert responses(messages) == (["utter_opted_out", "utter_stop"] if opted else ["utter_stop"])


def test_something_changed_clears_the_answers_and_asks_for_the_full_check(db):
    events, messages = run(ActionCircumstancesChanged(), make_tracker({"verified": True, "arrears_cause": "forgot"}))
    values = slot_events(events)
    assert responses(messages) == ["utter_reassessment_start"]
    assert values["reassessment"] is True and all(values[name] is None for name in REASSESSED_SLOTS)


@pytest.mark.parametrize("text, score", [("4", 4), ("een 5", 5), ("ik geef een 3", 3), ("vier", 4), ("1", 1),
                                         ("4 sterren", 4), ("een", 1), ("7", None), ("3 of 4", None),
                                         ("geen idee", None), ("", None)])
def test_scores_are_read_from_what_customers_type(text, score):
    assert score_of(text) == score


def test_a_rating_is_stored_against_the_case_and_a_low_one_offers_a_person(db):
    slots = {**verified("100001", "12-04-1988"), "awaiting_satisfaction": True,
             "satisfaction_context": "after_handover"}
    events, messages = run(ActionRecordSatisfaction(), make_tracker(slots, text="2"))
    assert responses(messages) == ["utter_satisfaction_sorry"]
    assert slot_events(events)["awaiting_satisfaction"] is False
    assert ("satisfaction_answered", "after_handover", 2) in outcome_events()
    _, messages = run(ActionRecordSatisfaction(), make_tracker(slots, text="weet ik niet"))
    assert responses(messages) == ["utter_satisfaction_skipped"]
    assert [k for k, _, _ in outcome_events()].count("satisfaction_answered") == 1
