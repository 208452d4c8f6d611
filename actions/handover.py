"""Handing the conversation to a person (R4, R19, R20, R32): the case and its summary are saved,
the customer hears why and when, and the bot steps back."""
from __future__ import annotations

import logging

from rasa_sdk import Tracker
from rasa_sdk.events import ActiveLoop, ConversationPaused, FollowupAction, SlotSet, UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events, SafeAction
from bot import cases, clock
from bot.formatting import format_moment_nl
from bot.handover import (
    HandoverDecision,
    after_hand_back_messages,
    next_opening,
    not_understood_limit,
    policy_version,
    within_office_hours,
)
from bot.handover.summary import build_summary
from bot.language.choice import DEFAULT as DEFAULT_LANGUAGE
from bot.store.db import session_scope

logger = logging.getLogger(__name__)

CUSTOMER_ASKED = HandoverDecision("customer_asked", "normal")
CRISIS = HandoverDecision("crisis", "crisis")
NOT_UNDERSTOOD = HandoverDecision("not_understood", "normal")


def hand_over(tracker: Tracker, decision: HandoverDecision) -> Events:
    """Marks the case handed over with its summary and pauses the bot; the caller says why."""
    now = clock.utcnow()
    with session_scope() as session:
        case = cases.record(session, tracker.sender_id, tracker.get_latest_input_channel(),
                            status="handed_over", handoff_reason=decision.reason, handed_over_at=now)
        summary = build_summary(session, case, decision.reason, decision.priority, clock.today())
        cases.log(session, case, "handed_over", reason=decision.reason, priority=decision.priority)
        # The language the customer speaks, so the person answers in it (issue 27).
        case.summary = {**summary, "language": tracker.get_slot("language") or DEFAULT_LANGUAGE,
                        "handover_policy_version": policy_version()}
    # The reason and priority only: what the customer said stays out of the logs.
    logger.info("handover case=%s reason=%s priority=%s", case.id, decision.reason, decision.priority)
    events: Events = [SlotSet("handoff_reason", decision.reason)]
    if tracker.active_loop_name:
        events += [ActiveLoop(None), SlotSet("requested_slot", None)]
    return events + [ConversationPaused()]


def say_when(dispatcher: CollectingDispatcher) -> None:
    now = clock.utcnow()
    if within_office_hours(now):
        dispatcher.utter_message(response="utter_handover_when_open")
    else:
        dispatcher.utter_message(response="utter_handover_when_closed", next_opening=format_moment_nl(next_opening(now)))


class ActionHandover(SafeAction):
    """The customer asked for a person."""

    def name(self) -> str:
        return "action_handover"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        events = hand_over(tracker, CUSTOMER_ASKED)
        dispatcher.utter_message(response="utter_handover_customer_asked")
        say_when(dispatcher)
        return events


class ActionCrisis(SafeAction):
    """R19: a risk to life. The crisis line comes first, then a person, whatever was going on."""

    def name(self) -> str:
        return "action_crisis"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        dispatcher.utter_message(response="utter_crisis")
        signals = sorted({*(tracker.get_slot("signals") or []), "crisis"})
        return [SlotSet("signals", signals), *hand_over(tracker, CRISIS)]


def just_handed_back(tracker: Tracker) -> bool:
    """True when staff handed the conversation back (a `resume` event) and the customer has sent
    at most `after_hand_back_warm_close_messages` messages since (handover policy)."""
    said = 0
    for event in reversed(tracker.events):
        kind = event.get("event")
        if kind == "resume":
            return said <= after_hand_back_messages()
        if kind == "pause":
            return False
        if kind == "user":
            said += 1
    return False


class ActionDefaultFallback(SafeAction):
    """Rasa's core fallback (no rule fits the message), as Rasa's own does it, except just after a
    hand-back: "oké top" then gets a warm close instead of "I do not understand" (issue 26)."""

    def name(self) -> str:
        return "action_default_fallback"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        if just_handed_back(tracker):
            dispatcher.utter_message(response="utter_after_handback_close")
            # No rule fits what comes next either: listen, or the fallback would be predicted again.
            return [FollowupAction("action_listen")]
        dispatcher.utter_message(response="utter_default")
        return [UserUtteranceReverted()]


class ActionNotUnderstood(SafeAction):
    """R4, R32: not understanding says nothing about the customer; after a few tries a person helps."""

    def name(self) -> str:
        return "action_not_understood"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        if just_handed_back(tracker):  # a thank-you or small talk after a hand-back (issue 26)
            dispatcher.utter_message(response="utter_after_handback_close")
            return [SlotSet("not_understood_count", 0)]
        count = int(tracker.get_slot("not_understood_count") or 0) + 1
        if count < not_understood_limit():
            dispatcher.utter_message(response="utter_default")
            return [SlotSet("not_understood_count", count)]
        dispatcher.utter_message(response="utter_handover_not_understood")
        say_when(dispatcher)
        return [SlotSet("not_understood_count", 0), *hand_over(tracker, NOT_UNDERSTOOD)]
