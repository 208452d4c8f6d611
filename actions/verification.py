"""Verification (issue 2, step 2) and the arrears in plain words (R5)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.base import Events, SafeAction, slot_validator
from actions.costs import costs_response
from bot import cases, clock, customer_language, identity
from bot.arrears import costs, overview
from bot.config import settings
from bot.parsing import parse_birth_date, parse_customer_number
from bot.store.db import session_scope

# Only our own channel connectors put this in the message metadata, after checking the
# provider's signature; the REST channel passes no metadata at all.
TRUSTED_PHONE_KEY = "verified_phone"


def trusted_phone(tracker: Tracker) -> str | None:
    metadata = (tracker.latest_message or {}).get("metadata") or {}
    phone = metadata.get(TRUSTED_PHONE_KEY)
    return phone if isinstance(phone, str) and phone else None


class ValidateVerificationForm(FormValidationAction):
    def name(self) -> str:
        return "validate_verification_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: dict) -> list[str]:
        if tracker.get_slot("verified") or self._attempts_used(tracker):
            return []
        if tracker.get_slot("verification_route") == "phone":
            return ["birth_date"]
        return domain_slots

    @staticmethod
    def _attempts_used(tracker: Tracker) -> bool:
        return (tracker.get_slot("verification_failures") or 0) >= settings().max_verification_attempts

    validate_customer_number = slot_validator("customer_number", parse_customer_number,
                                              "utter_invalid_customer_number")

    def validate_birth_date(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: dict) -> dict[str, Any]:
        born = parse_birth_date(value, today=clock.today()) if isinstance(value, str) else None
        if born is None:
            dispatcher.utter_message(response="utter_invalid_birth_date")
            return {"birth_date": None}
        return self._check(born, dispatcher, tracker)

    def _check(self, born, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        config, now = settings(), clock.utcnow()
        phone = trusted_phone(tracker) if tracker.get_slot("verification_route") == "phone" else None
        with session_scope() as session:
            if phone:
                number = identity.customer_number_of(session, identity.customer_for_phone(session, phone))
            else:
                number = tracker.get_slot("customer_number")
            if identity.is_locked(session, number, now, config.max_verification_attempts,
                                  config.verification_lock_minutes):
                # Locked numbers are not even checked, so guessing on gains nothing.
                return {"verification_route": "locked", "birth_date": None, "customer_number": None,
                        "verification_failures": config.max_verification_attempts}
            if phone:
                customer_id = identity.verify_by_phone(session, phone, born)
            else:
                customer_id = identity.verify_customer(session, number, born)
            if customer_id is not None:
                case = cases.record(session, tracker.sender_id, tracker.get_latest_input_channel(),
                                    customer_id=customer_id)
                cases.log(session, case, "verified", reason=tracker.get_slot("verification_route") or "number")
                # The birth date has done its work; it does not stay in the conversation.
                return {"verified": True, "customer_id": customer_id, "birth_date": None,
                        "customer_number": None}
            identity.record_failure(session, number, tracker.sender_id, now)
        failures = (tracker.get_slot("verification_failures") or 0) + 1
        if failures < config.max_verification_attempts:
            dispatcher.utter_message(response="utter_verification_mismatch")
        # By phone the number stays known; otherwise both answers are asked again.
        return {"verification_failures": failures, "birth_date": None, "customer_number": None}


class ActionStartVerification(SafeAction):
    """Before the form: a channel that vouches for the phone number spares the customer number."""

    def name(self) -> str:
        return "action_start_verification"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        phone = trusted_phone(tracker)
        if not phone or tracker.get_slot("verification_route") == "locked":
            return []
        with session_scope() as session:
            known = identity.customer_for_phone(session, phone) is not None
        return [SlotSet("verification_route", "phone")] if known else []


class ActionExplainArrears(SafeAction):
    """After the verification form: the arrears in plain words, or kind help when it failed."""

    def name(self) -> str:
        return "action_explain_arrears"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        customer_id = tracker.get_slot("customer_id")
        if not tracker.get_slot("verified") or customer_id is None:
            locked = tracker.get_slot("verification_route") == "locked"
            dispatcher.utter_message(response="utter_verification_locked" if locked else "utter_verification_failed")
            # in_arrears is cleared explicitly: the rules branch on it after this action.
            return [SlotSet("verified", False), SlotSet("in_arrears", None)]
        with session_scope() as session:
            facts = overview(session, int(customer_id), clock.today())
            adopted = customer_language.settle_after_verification(
                session, int(customer_id), tracker.get_slot("language"), tracker.get_slot("language_source"))
            loan = facts.main_loan
            decision = costs.for_customer_in_contact(session, int(customer_id), loan.costs_cents,
                                                     loan.arrears_cents, clock.today()) if loan else None
        # A returning customer's remembered language speaks from this very message on (issue 27).
        in_language = {"language": adopted} if adopted else {}
        dispatcher.utter_message(response="utter_verified", **in_language)
        slots = facts.as_slots()
        if decision is not None:
            slots.update(costs.slot_values(decision))
        if not facts.in_arrears:
            dispatcher.utter_message(response="utter_no_arrears", **in_language)
        else:
            terms = "one_term" if slots["terms_behind"] == 1 else "several_terms"
            # A partial payment is said as such, so the amounts add up as written (issue 26).
            partly = "_partly_paid" if slots.get("arrears_paid") else ""
            dispatcher.utter_message(response=f"utter_arrears_{terms}{partly}", **slots, **in_language)
            dispatcher.utter_message(
                response=costs_response(slots["arrears_costs"], slots["costs_waiver"]), **slots, **in_language)
            if facts.explain_bkr:
                dispatcher.utter_message(response="utter_bkr_explained", **in_language)
            dispatcher.utter_message(response="utter_arrears_next_steps", **in_language)
        language = [SlotSet("language", adopted), SlotSet("language_source", "record")] if adopted else []
        return [SlotSet("verified", True), *(SlotSet(name, value) for name, value in slots.items()), *language]
