"""The answer to "how satisfied are you, 1 to 5" (issue 11, R21), stored as an outcome event."""
from __future__ import annotations

import re

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events, SafeAction
from bot import cases
from bot.parsing.numbers import number_word_value
from bot.store.db import session_scope

CONTEXTS = ("after_solution", "after_handover")


def score_of(text: str | None) -> int | None:
    """1 to 5 from "4", "een 4", "4 sterren", "vier"; None for anything else or two numbers."""
    words = re.findall(r"\w+", (text or "").lower())
    # "een" is usually the article ("een 4"); alone it is the score 1.
    found = {int(w) for w in words if w.isdigit()} | {
        value for w in words if w != "een" and (value := number_word_value(w)) is not None}
    if not found and words == ["een"]:
        found = {1}
    return found.pop() if len(found) == 1 and next(iter(found)) in range(1, 6) else None


class ActionRecordSatisfaction(SafeAction):
    def name(self) -> str:
        return "action_record_satisfaction"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        score = score_of(tracker.latest_message.get("text"))
        if score is None:
            dispatcher.utter_message(response="utter_satisfaction_skipped")
            return [SlotSet("awaiting_satisfaction", False)]
        context = tracker.get_slot("satisfaction_context")
        with session_scope() as session:
            case = cases.latest_case(session, tracker.sender_id)
            if case is not None:
                cases.log(session, case, "satisfaction_answered", value=score,
                          reason=context if context in CONTEXTS else "after_solution")
        dispatcher.utter_message(response="utter_satisfaction_thanks" if score >= 3 else "utter_satisfaction_sorry")
        return [SlotSet("awaiting_satisfaction", False), SlotSet("satisfaction_context", None)]
