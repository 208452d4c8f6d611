"""Questions about costs are answered only to a verified customer (R5, R16)."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events, SafeAction


def costs_response(arrears_costs: str | None, costs_waiver: str | None) -> str:
    """The response that says the costs exactly: charged, waived (and why), or none (R16)."""
    if costs_waiver:
        return f"utter_arrears_costs_waived_{costs_waiver}"
    if arrears_costs in (None, "€ 0"):
        return "utter_arrears_no_costs"
    return "utter_arrears_costs"


class ActionExplainCosts(SafeAction):
    def name(self) -> str:
        return "action_explain_costs"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        if not tracker.get_slot("verified"):
            dispatcher.utter_message(response="utter_need_verification_first")
        else:
            dispatcher.utter_message(
                response=costs_response(tracker.get_slot("arrears_costs"), tracker.get_slot("costs_waiver")),
                arrears_costs=tracker.get_slot("arrears_costs"), costs_waived=tracker.get_slot("costs_waived"))
        return []
