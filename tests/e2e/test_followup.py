"""Staying in touch in conversation (issue 10) and the satisfaction question (issue 11), against
the real Rasa server and action server: an agreed arrangement with its named person and plan
link, "er is iets veranderd", STOP, and a rating asked through Rasa's HTTP API."""
from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.rasa_api import RasaApi
from bot.store.db import session_scope
from bot.store.models import Arrangement, Case, ChannelOptOut, OutcomeEvent
from tests.e2e.test_core_conversation import texts, verify
from tests.e2e.test_solutions import through_questions

pytestmark = pytest.mark.e2e


def database(stack) -> str:
    return stack.database_url


def events_of(stack, sender: str) -> list[tuple[str, str | None, int | None]]:
    with session_scope(database(stack)) as session:
        case_ids = select(Case.id).where(Case.sender_id == f"rest:{sender}")
        return [tuple(row) for row in session.execute(
            select(OutcomeEvent.kind, OutcomeEvent.reason, OutcomeEvent.value)
            .where(OutcomeEvent.case_id.in_(case_ids)).order_by(OutcomeEvent.id))]


def test_an_agreed_arrangement_is_followed_up_with_a_named_person_and_a_plan_link(stack, sender):
    verify(stack, sender, "100002", "03-11-1979")
    through_questions(stack, sender, "ik ben minder uren gaan werken", "nee dat blijft zo", ["ja", "nee", "nee", "nee"],
                      ["4000", "900", "350", "met mijn vrouw en de kinderen", "2"])
    assert stack.slots(sender)["solution"] == "payment_arrangement"
    reply = texts(stack.say(sender, "ja"))
    with session_scope(database(stack)) as session:
        arrangement = session.execute(select(Arrangement).join(Case, Case.id == Arrangement.case_id)
                                      .where(Case.sender_id == f"rest:{sender}")).scalar_one()
        instalments = [(i.number, i.amount_cents) for i in arrangement.instalments]
        person = arrangement.contact_person
    assert arrangement.solution == "payment_arrangement" and arrangement.status == "active"
    assert instalments and all(cents > 0 for _, cents in instalments)
    assert person in reply and "/plan/" in reply
    kinds = [kind for kind, _, _ in events_of(stack, sender)]
    assert kinds[:2] == ["conversation_started", "verified"]
    assert {"cause_recorded", "solution_offered", "solution_accepted"} <= set(kinds)

    assert "/pay/" in texts(stack.say(sender, "link"))  # the first instalment, paid by link
    # The customer's circumstances change: the questions start again, towards the full check (R9).
    reply = texts(stack.say(sender, "er is iets veranderd, de regeling lukt niet meer"))
    assert "opnieuw" in reply
    slots = stack.slots(sender)
    assert slots["reassessment"] is True and slots["cause_description"] is None
    assert slots["requested_slot"] == "cause_description"


def test_stop_switches_unprompted_messages_off_and_says_so(stack, sender):
    reply = texts(stack.say(sender, "STOP"))
    assert "geen berichten meer" in reply
    with session_scope(database(stack)) as session:
        assert session.execute(select(ChannelOptOut.reason)
                               .where(ChannelOptOut.sender_id == f"rest:{sender}")).scalar_one() == "customer_stop"


def test_a_rating_asked_through_rasa_is_stored_as_an_outcome_event(stack, sender):
    verify(stack, sender, "100001", "12-04-1988")
    stack.say(sender, "laat maar, ik wil stoppen")  # asked later, when no question is open
    api = RasaApi(base_url=stack.rasa_url, token=stack.token)
    asyncio.run(api.utter(f"rest:{sender}", "utter_ask_satisfaction",
                          {"awaiting_satisfaction": True, "satisfaction_context": "after_handover"}))
    reply = texts(stack.say(sender, "4"))
    assert "Dank je wel voor je cijfer" in reply or "Bedankt" in reply
    assert ("satisfaction_answered", "after_handover", 4) in events_of(stack, sender)
    assert stack.slots(sender)["awaiting_satisfaction"] is False


def test_a_follow_up_to_a_channel_that_cannot_push_is_failed_not_sent(stack, sender):
    """The real Rasa answers with the messages itself when no connected channel took them (REST
    cannot push): the engine's sender must not count that as reaching the customer."""
    from bot.followup.sending import Delivery, RasaSender, SendFailed

    rasa_sender = RasaSender(RasaApi(base_url=stack.rasa_url, token=stack.token))
    delivery = Delivery(key=f"test:{sender}|rest", customer_id=1, kind="preventive", sender_id=f"rest:{sender}",
                        output_channel="rest", response="utter_followup_preventive")
    with pytest.raises(SendFailed, match="no connected channel"):
        rasa_sender.send(delivery)
    rasa_sender.close()
