"""Staying in touch (issue 10): opting out of unprompted messages, and a reassessment when the
customer says something changed (R9, R23)."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events, SafeAction
from bot.followup import optout
from bot.store.db import session_scope

# Everything the cause, control and income questions and the proposal filled, asked afresh.
REASSESSED_SLOTS = (
    "cause_description", "cause_followup", "recovery_months", "arrears_cause", "cause_structural",
    "income_changed", "situation_changed", "other_debts", "upcoming_changes", "needs_income_check",
    "net_monthly_income", "housing_costs", "other_fixed_costs", "household_type", "children",
    "customer_wish", "customer_offer", "awaiting_agreement", "proposal_rounds", "solution",
)


class ActionStopConversation(SafeAction):
    """"Stop" ends the conversation; said as the whole message ("STOP", "afmelden") it also
    switches off unprompted messages to this address, as SMS and WhatsApp users expect."""

    def name(self) -> str:
        return "action_stop_conversation"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        if optout.is_stop_message(tracker.latest_message.get("text")):
            customer_id = tracker.get_slot("customer_id")
            with session_scope() as session:
                optout.opt_out(session, tracker.sender_id, "customer_stop",
                               int(customer_id) if customer_id is not None else None)
            dispatcher.utter_message(response="utter_opted_out")
        dispatcher.utter_message(response="utter_stop")
        return []


class ActionCircumstancesChanged(SafeAction):
    def name(self) -> str:
        return "action_circumstances_changed"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        dispatcher.utter_message(response="utter_reassessment_start")
        return [SlotSet(name, None) for name in REASSESSED_SLOTS] + [SlotSet("reassessment", True)]
