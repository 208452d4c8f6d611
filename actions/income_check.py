"""The full income/expense check of R9: the figures, asked one at a time and stored on the case."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.base import Events, SafeAction, euros_in_cents_precision, slot_validator
from bot import cases
from bot.parsing import parse_children, parse_household_type
from bot.store.db import session_scope

HOUSEHOLDS_WITH_CHILDREN = ("single_parent", "couple_with_children")
WITHOUT_CHILDREN = {"single_parent": "single", "couple_with_children": "couple"}
FINANCE_SLOTS = ("net_monthly_income", "housing_costs", "other_fixed_costs", "household_type", "children")


class ValidateIncomeCheckForm(FormValidationAction):
    def name(self) -> str:
        return "validate_income_check_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: dict) -> list[str]:
        household = tracker.get_slot("household_type")
        if household and household not in HOUSEHOLDS_WITH_CHILDREN:
            return [slot for slot in domain_slots if slot != "children"]
        return domain_slots

    validate_net_monthly_income = slot_validator("net_monthly_income", euros_in_cents_precision, "utter_invalid_amount")
    validate_housing_costs = slot_validator("housing_costs", euros_in_cents_precision, "utter_invalid_amount")
    validate_other_fixed_costs = slot_validator("other_fixed_costs", euros_in_cents_precision, "utter_invalid_amount")

    def validate_household_type(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: dict) -> dict[str, Any]:
        household = parse_household_type(value) if isinstance(value, str) else None
        if household is None:
            dispatcher.utter_message(response="utter_invalid_household")
            return {"household_type": None}
        return {"household_type": household, "children": None if household in HOUSEHOLDS_WITH_CHILDREN else 0}

    def validate_children(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: dict) -> dict[str, Any]:
        children = parse_children(value) if isinstance(value, str) else None
        if children is None:
            dispatcher.utter_message(response="utter_invalid_children")
            return {"children": None}
        household = tracker.get_slot("household_type")
        if children == 0 and household in WITHOUT_CHILDREN:
            return {"children": 0, "household_type": WITHOUT_CHILDREN[household]}
        return {"children": children}


class ActionRecordFinances(SafeAction):
    def name(self) -> str:
        return "action_record_finances"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        finances = {slot: tracker.get_slot(slot) for slot in FINANCE_SLOTS}
        with session_scope() as session:
            cases.record(session, tracker.sender_id, tracker.get_latest_input_channel(), finances=finances)
        dispatcher.utter_message(response="utter_finances_recorded")
        return []
