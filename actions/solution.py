"""One clear proposal that fits, agreement, and the customer's own offer weighed (R11-R18)."""
from __future__ import annotations

from dataclasses import replace

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.base import Events, SafeAction, euros_in_cents_precision, message_text, slot_validator
from actions.facts import conversation_from, customer_overview
from actions.handover import hand_over, say_when
from bot import cases, clock, handover
from bot.config import settings
from bot.followup.plan_links import arrangement_link
from bot.formatting import euros
from bot.policy import CaseFacts, Proposal, propose, weigh_offer
from bot.policy.wishes import read_wish
from bot.solutions import (
    case_facts,
    handover_response,
    handover_situation,
    offer_response,
    proposal_responses,
    proposal_values,
    template_values,
    without_question,
    written_values,
)
from bot.store.db import session_scope

# From this many proposals on, a person is offered alongside (R4).
OFFER_PERSON_FROM_ROUND = 2


def signals_seen(tracker: Tracker) -> list:
    """The signals with the sentences that raised them (the case keeps them), so one sentence is
    counted as one life event; the slot's names when the case has none yet."""
    with session_scope() as session:
        seen = [{"name": s["name"], "text": s.get("text") or ""}
                for s in cases.current_case(session, tracker.sender_id).signals or []]
    names = {s["name"] for s in seen}
    return seen + [name for name in tracker.get_slot("signals") or [] if name not in names]


def present(dispatcher: CollectingDispatcher, tracker: Tracker, proposal: Proposal, loan_slots: dict,
            rounds: int, facts: CaseFacts) -> Events:
    """Says the proposal and stores it on the case; a person takes over when the policy says so."""
    decision = handover.at_proposal(signals_seen(tracker), proposal.solution, handover_situation(facts))
    values = proposal_values(proposal)
    template = template_values(loan_slots, values["written"])
    responses = proposal_responses(proposal, facts.customer_wish)
    for response in without_question(responses) if decision else responses:
        dispatcher.utter_message(response=response, **template)
    raw = values["raw"]
    with session_scope() as session:
        case = cases.record(session, tracker.sender_id, tracker.get_latest_input_channel(),
                            solution=proposal.solution, offer={**raw, "agreed": False},
                            policy_version=proposal.policy_version)
        cases.log(session, case, "solution_offered", reason=proposal.solution, round=rounds,
                  policy_version=proposal.policy_version)
    events: Events = [SlotSet("solution", proposal.solution), SlotSet("monthly_capacity", raw["monthly_capacity"]),
                      SlotSet("arrangement_amount", raw["arrangement_amount"]),
                      SlotSet("arrangement_months", raw["arrangement_months"]),
                      SlotSet("proposal_rounds", rounds)]
    if decision is not None:
        # R19: the proposal stands as the starting point, and a person takes it from here.
        why = handover_response(decision)
        if why:
            dispatcher.utter_message(response=why)
        say_when(dispatcher)
        return events + [SlotSet("awaiting_agreement", False)] + hand_over(tracker, decision)
    if rounds >= OFFER_PERSON_FROM_ROUND:
        dispatcher.utter_message(response="utter_offer_person_too")
    return events + [SlotSet("awaiting_agreement", True)]


class ActionProposeSolution(SafeAction):
    def name(self) -> str:
        return "action_propose_solution"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        with session_scope() as session:
            facts = customer_overview(session, tracker)
        if facts is None or facts.main_loan is None or not facts.in_arrears:
            dispatcher.utter_message(response="utter_agreement_saved")
            return []
        known = case_facts(facts.main_loan, facts.recurring, conversation_from(tracker))
        rounds = int(tracker.get_slot("proposal_rounds") or 0) + 1
        return present(dispatcher, tracker, propose(known, clock.today()), facts.as_slots(), rounds, known)


class ActionAcceptProposal(SafeAction):
    def name(self) -> str:
        return "action_accept_proposal"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        with session_scope() as session:
            facts = customer_overview(session, tracker)
            case = cases.current_case(session, tracker.sender_id)
            if facts is None or not case.offer:
                dispatcher.utter_message(response="utter_need_verification_first")
                return [SlotSet("awaiting_agreement", False)]
            offer = {**case.offer, "agreed": True, "agreed_at": clock.utcnow().isoformat()}
            case = cases.record(session, tracker.sender_id, offer=offer)
            arrangement = cases.agree(session, case, facts.main_loan.reference)
            # The link works for the whole arrangement (issue 26), so it is made while its rows are here.
            followed = (arrangement_link(arrangement), arrangement.contact_person,
                        bool(arrangement.instalments)) if arrangement else None
        config = settings()
        written = written_values(offer)
        dispatcher.utter_message(response=f"utter_confirm_{offer['solution']}",
                                 **template_values(facts.as_slots(), written),
                                 lender_iban=config.lender_iban, lender_name=config.lender_name)
        dispatcher.utter_message(response="utter_agreement_saved")
        if followed:
            # R23: the customer knows we stay in touch, who their person is, and where the plan is;
            # reminders "before each payment" only where there are payments (not a pause, R28).
            dispatcher.utter_message(response="utter_arrangement_followup" if followed[2]
                                     else "utter_arrangement_followup_no_payments",
                                     contact_person=followed[1], plan_link=followed[0])
        return [SlotSet("awaiting_agreement", False)]


class ValidateCounterOfferForm(FormValidationAction):
    def name(self) -> str:
        return "validate_counter_offer_form"

    validate_customer_offer = slot_validator("customer_offer", euros_in_cents_precision, "utter_invalid_amount")


class ActionWeighOffer(SafeAction):
    """R12: the customer's own amount is weighed against capacity and the recovery period."""

    def name(self) -> str:
        return "action_weigh_offer"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        with session_scope() as session:
            facts = customer_overview(session, tracker)
        if facts is None or facts.main_loan is None:
            dispatcher.utter_message(response="utter_need_verification_first")
            return [SlotSet("awaiting_agreement", False)]
        conversation = conversation_from(tracker)
        rounds = int(tracker.get_slot("proposal_rounds") or 0) + 1
        with session_scope() as session:
            cases.log(session, cases.current_case(session, tracker.sender_id), "solution_declined",
                      reason=tracker.get_slot("solution"), round=rounds - 1)
        if tracker.get_slot("solution") == "pay_now":
            # "Not all of it now": the amount is what they can pay today; the rest is spread (R3).
            part = replace(conversation, pay_now_amount=conversation.customer_offer, customer_offer=None,
                           can_pay_now=None)
            known = case_facts(facts.main_loan, facts.recurring, part)
            dispatcher.utter_message(response="utter_offer_acceptable")
            return present(dispatcher, tracker, propose(known, clock.today()), facts.as_slots(), rounds, known) + \
                [SlotSet("customer_offer", None)]
        base = case_facts(facts.main_loan, facts.recurring, conversation)
        assessment = weigh_offer(base, base.customer_offer or 0, clock.today())
        dispatcher.utter_message(response=offer_response(assessment), offer_amount=euros(assessment.offer),
                                 lowest_workable_amount=euros(assessment.lowest_workable_amount))
        return present(dispatcher, tracker, assessment.proposal, facts.as_slots(), rounds, base) + \
            [SlotSet("customer_offer", None)]


class ActionReadCustomerWish(SafeAction):
    """R4/R12: the customer's wish, heard in any message (the customer_wish slot's custom mapping),
    also when it is said inside the answer to another question."""

    def name(self) -> str:
        return "action_read_customer_wish"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        wish = read_wish(message_text(tracker))
        return [SlotSet("customer_wish", wish)] if wish else []
