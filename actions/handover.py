"""Handing the conversation to a person (R4, R20): the case is saved and the bot steps back."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events, SafeAction
from bot import cases
from bot.store.db import session_scope

REASON_CUSTOMER_ASKED = "customer_asked"


def hand_over(tracker: Tracker, reason: str) -> Events:
    """Marks the case handed over and pauses the bot; the caller says the words."""
    with session_scope() as session:
        cases.record(session, tracker.sender_id, tracker.get_latest_input_channel(),
                     status="handed_over", handoff_reason=reason)
    events: Events = [SlotSet("handoff_reason", reason)]
    if tracker.active_loop_name:
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
    return events + [ConversationPaused()]


class ActionHandover(SafeAction):
    def name(self) -> str:
        return "action_handover"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        events = hand_over(tracker, REASON_CUSTOMER_ASKED)
        dispatcher.utter_message(response="utter_handover")
        return events
