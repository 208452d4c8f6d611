"""Signals of multiple problems or vulnerability (R19), and what the customer's words say about
cannot / will not / does not manage (R10), read from every message the customer sends."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events, SafeAction, message_text
from bot import cases, clock, stance
from bot.signals import detect_signals, merge_signals
from bot.store.db import session_scope


class ActionDetectSignals(SafeAction):
    """Runs as the `signals` slot's custom mapping, so Rasa calls it on every user message."""

    def name(self) -> str:
        return "action_detect_signals"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        text = message_text(tracker)
        found = detect_signals(text)
        said = stance.from_words(text, clock.utcnow().isoformat())
        if not found and not said:
            return []
        with session_scope() as session:
            cases.record(session, tracker.sender_id, tracker.get_latest_input_channel(),
                         signals=[{"name": s.name, "term": s.term, "text": s.text} for s in found],
                         stance_words=said)
        return [SlotSet("signals", merge_signals(tracker.get_slot("signals") or [], found))] if found else []
