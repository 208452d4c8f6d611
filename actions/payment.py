"""Paying in one tap (issue 4, R3): a link, a QR code or transfer details, as the customer chooses."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction
from sqlalchemy import func, select

from actions.base import Events, SafeAction, slot_validator
from actions.facts import customer_overview
from bot import cases
from bot.config import settings
from bot.parsing import parse_payment_method
from bot.payments.providers import ProviderError
from bot.payments.service import request_payment
from bot.store.db import session_scope
from bot.store.models import Loan, Payment

# What the accepted proposal asks to pay now; other solutions have nothing to pay today.
PAY_NOW_FIELD = {"pay_now": "arrears_amount", "partial_payment": "pay_now_amount",
                 "payment_arrangement": "arrangement_amount"}
NOTHING_TO_PAY = "none"


def amount_to_pay_cents(offer: dict | None, arrears_cents: int, customer_asked: bool) -> int:
    """The agreed amount for today, never more than the arrears; all arrears when the customer asks."""
    if customer_asked or not offer:
        return arrears_cents
    field = PAY_NOW_FIELD.get(offer.get("solution") or "")
    if field is None or not offer.get("agreed"):
        return 0
    return min(int(offer.get(field) or 0) * 100, arrears_cents)


class ActionOfferPayment(SafeAction):
    """Makes (or finds again) the payment for today and asks how the customer wants to pay."""

    def name(self) -> str:
        return "action_offer_payment"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        customer_asked = (tracker.latest_message or {}).get("intent", {}).get("name") == "pay_now"
        with session_scope() as session:
            facts = customer_overview(session, tracker)
            loan = facts.main_loan if facts else None
            case = cases.current_case(session, tracker.sender_id, tracker.get_latest_input_channel())
            amount = amount_to_pay_cents(case.offer, loan.arrears_cents, customer_asked) if loan else 0
            if facts is None or loan is None or amount <= 0:
                if customer_asked:
                    dispatcher.utter_message(response="utter_need_verification_first" if facts is None
                                             else "utter_nothing_to_pay")
                return [SlotSet("payment_method", NOTHING_TO_PAY)]
            # One link per case and amount; after a failed or expired one, the next attempt gets a new one.
            finished = session.execute(select(func.count(Payment.id)).where(
                Payment.case_id == case.id, Payment.status != "open")).scalar_one()
            key = f"case-{case.id}-{amount}-{finished}"
            try:
                row = session.execute(select(Loan.id, Loan.customer_id).where(Loan.reference == loan.reference)).one()
                payment = request_payment(session, customer_id=row.customer_id, loan_id=row.id, amount_cents=amount,
                                          sender_id=tracker.sender_id, channel=tracker.get_latest_input_channel(),
                                          idempotency_key=key, case_id=case.id)
            except ProviderError:
                payment = None
        if payment is None or not payment.link_available:
            dispatcher.utter_message(response="utter_payment_unavailable")
        # The payment method form asks next (utter_ask_payment_method), unless the message already
        # named the way ("stuur de link", "link" after the QR code): then it gives that at once.
        slots = payment.slots() if payment else {}
        chosen = parse_payment_method((tracker.latest_message or {}).get("text"))
        return [SlotSet(name, value) for name, value in slots.items()] + [SlotSet("payment_method", chosen)]


class ValidatePaymentMethodForm(FormValidationAction):
    def name(self) -> str:
        return "validate_payment_method_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: dict) -> list[str]:
        return [] if tracker.get_slot("payment_method") == NOTHING_TO_PAY else domain_slots

    def validate_payment_method(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                domain: dict) -> dict[str, Any]:
        if value == NOTHING_TO_PAY:  # set by action_offer_payment, not typed
            return {"payment_method": value}
        return choose_method(self, value, dispatcher, tracker, domain)


choose_method = slot_validator("payment_method", parse_payment_method, "utter_payment_method_hint")




class ActionGivePaymentDetails(SafeAction):
    def name(self) -> str:
        return "action_give_payment_details"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        method = tracker.get_slot("payment_method")
        if method in (None, NOTHING_TO_PAY):
            return []
        values: dict[str, Any] = {name: tracker.get_slot(name) for name in (
            "payment_amount", "payment_url", "payment_qr_url", "transfer_reference")}
        if method in ("link", "qr") and not values["payment_url"]:
            method = "transfer"  # the provider was down: a bank transfer always works
        config = settings()
        response = {"link": "utter_payment_link", "qr": "utter_payment_qr", "transfer": "utter_payment_transfer"}[method]
        dispatcher.utter_message(response=response, **values, lender_iban=config.lender_iban,
                                 lender_name=config.lender_name)
        return []
