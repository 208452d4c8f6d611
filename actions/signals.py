"""Signals of multiple problems or vulnerability, read from every message the customer sends (R19)."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events, SafeAction, message_text
from bot import cases
from bot.signals import detect_signals, merge_signals
from bot.store.db import session_scope


class ActionDetectSignals(SafeAction):
    """Runs as the `signals` slot's custom mapping, so Rasa calls it on every user message."""

    def name(self) -> str:
        return "action_detect_signals"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        found = detect_signals(message_text(tracker))
        if not found:
            return []
        with session_scope() as session:
            cases.record(session, tracker.sender_id, tracker.get_latest_input_channel(),
                         signals=[{"name": s.name, "term": s.term, "text": s.text} for s in found])
        return [SlotSet("signals", merge_signals(tracker.get_slot("signals") or [], found))]
