"""The four control questions of R8, and whether the full check of R9 follows."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.base import Events, SafeAction, slot_validator
from actions.facts import conversation_from, customer_overview
from bot import assessment, cases
from bot.parsing import parse_yes_no
from bot.policy import income_check_needed
from bot.solutions import case_facts
from bot.store.db import session_scope

CONTROL_QUESTIONS = ("income_changed", "situation_changed", "other_debts", "upcoming_changes")


class ValidateControlForm(FormValidationAction):
    def name(self) -> str:
        return "validate_control_form"

    validate_income_changed = slot_validator("income_changed", parse_yes_no, "utter_please_yes_no")
    validate_situation_changed = slot_validator("situation_changed", parse_yes_no, "utter_please_yes_no")
    validate_other_debts = slot_validator("other_debts", parse_yes_no, "utter_please_yes_no")
    validate_upcoming_changes = slot_validator("upcoming_changes", parse_yes_no, "utter_please_yes_no")


class ActionAssessControlAnswers(SafeAction):
    def name(self) -> str:
        return "action_assess_control_answers"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        answers = {name: tracker.get_slot(name) for name in CONTROL_QUESTIONS}
        # A reassessment the customer asked for always looks at the real figures again (R9).
        needed = bool(tracker.get_slot("reassessment")) or assessment.needs_income_check(
            tracker.get_slot("cause_structural"), tracker.get_slot("recurring_arrears"), answers)
        with session_scope() as session:
            facts = customer_overview(session, tracker)
            loan = facts.main_loan if facts else None
            if loan is not None and loan.arrears_cents > 0:
                # The solution policy may need real figures too (R9, R13): ask once, for both.
                needed = needed or income_check_needed(case_facts(loan, facts.recurring, conversation_from(tracker)))
            cases.record(session, tracker.sender_id, tracker.get_latest_input_channel(),
                         answers={"control": answers, "needs_income_check": needed})
        return [SlotSet("needs_income_check", needed)]
