"""Questions about costs are answered only to a verified customer (R5, R16)."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events, SafeAction


class ActionExplainCosts(SafeAction):
    def name(self) -> str:
        return "action_explain_costs"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        if not tracker.get_slot("verified"):
            dispatcher.utter_message(response="utter_need_verification_first")
        elif tracker.get_slot("arrears_costs") in (None, "€ 0"):
            dispatcher.utter_message(response="utter_arrears_no_costs")
        else:
            dispatcher.utter_message(response="utter_arrears_costs")
        return []
