"""The cause of the arrears: an open question and a follow-up that looks behind it (R7)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.base import Events, SafeAction
from bot import cases
from bot.assessment import asks_recovery_months, assess_cause, followup_for, read_recovery_months
from bot.causes import classify_cause, prepare
from bot.store.db import session_scope

MAX_STORY_LENGTH = 2000
prepare()  # fit the cause classifier when the action server loads, not at a customer's turn


class ValidateCauseForm(FormValidationAction):
    def name(self) -> str:
        return "validate_cause_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: dict) -> list[str]:
        followup = tracker.get_slot("cause_followup")
        if followup and asks_recovery_months(tracker.get_slot("arrears_cause") or "other", followup):
            return domain_slots
        return [slot for slot in domain_slots if slot != "recovery_months"]

    def validate_recovery_months(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: dict) -> dict[str, Any]:
        # "Weet ik niet" is an honest answer: 0 means unknown, and the form moves on.
        months = read_recovery_months(value) if isinstance(value, str) else None
        return {"recovery_months": months or 0}

    def validate_cause_description(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                   domain: dict) -> dict[str, Any]:
        if not isinstance(value, str) or not value.strip():
            return {"cause_description": None}
        text = value.strip()[:MAX_STORY_LENGTH]
        return {"cause_description": text, "arrears_cause": classify_cause(text)}

    def validate_cause_followup(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: dict) -> dict[str, Any]:
        if not isinstance(value, str) or not value.strip():
            return {"cause_followup": None}
        return {"cause_followup": value.strip()[:MAX_STORY_LENGTH]}


class ActionAskCauseFollowup(SafeAction):
    """Asks the follow-up that fits the cause the customer described."""

    def name(self) -> str:
        return "action_ask_cause_followup"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        dispatcher.utter_message(response=followup_for(tracker.get_slot("arrears_cause") or "other")["response"])
        return []


class ActionRecordCause(SafeAction):
    """Stores the cause as a category plus temporary or structural, on the slots and the case."""

    def name(self) -> str:
        return "action_record_cause"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        assessment = assess_cause(tracker.get_slot("arrears_cause") or "other",
                                  tracker.get_slot("cause_description") or "",
                                  tracker.get_slot("cause_followup") or "")
        with session_scope() as session:
            case = cases.record(session, tracker.sender_id, tracker.get_latest_input_channel(),
                                cause=assessment.cause, cause_structural=assessment.structural,
                                answers=assessment.answers)
            cases.log(session, case, "cause_recorded", reason=assessment.cause, structural=assessment.structural)
        dispatcher.utter_message(response="utter_thanks_for_sharing")
        return [SlotSet("arrears_cause", assessment.cause), SlotSet("cause_structural", assessment.structural)]
