"""The customer's language, decided on every message: a switch they ask for wins, then what their
first messages show, then what the customer record says once we know who they are (issue 27)."""
from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.base import Events, SafeAction, message_text
from bot import customer_language
from bot.language.choice import DEFAULT, detect_language, requested_language
from bot.store.db import session_scope


def session_texts(tracker: Tracker) -> list[str]:
    """What the customer wrote since this session started."""
    texts: list[str] = []
    for event in tracker.events:
        if event.get("event") == "session_started":
            texts = []
        elif event.get("event") == "user":
            texts.append(event.get("text") or "")
    return texts


class ActionDetectLanguage(SafeAction):
    """Runs as the `language` slot's custom mapping, so Rasa calls it on every user message."""

    def name(self) -> str:
        return "action_detect_language"

    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        current = tracker.get_slot("language") or DEFAULT
        source = tracker.get_slot("language_source")
        asked = requested_language(message_text(tracker))
        if asked:
            # The NLU gives such a message the switch_language intent (nlu_components/language_switch.py),
            # whose rule confirms in the new language: this slot is set before that rule runs.
            self._remember(tracker, asked)
            return [SlotSet("language", asked), SlotSet("language_source", "asked")]
        if source in ("asked", "detected"):
            return []
        found = detect_language(session_texts(tracker))
        if found:
            self._remember(tracker, found)
            return [SlotSet("language", found), SlotSet("language_source", "detected")] if (
                found != current or source != "detected") else []
        stored = self._stored(tracker)
        if stored and (stored != current or source != "record"):
            return [SlotSet("language", stored), SlotSet("language_source", "record")]
        return []

    @staticmethod
    def _stored(tracker: Tracker) -> str | None:
        customer_id = tracker.get_slot("customer_id")
        if customer_id is None or not tracker.get_slot("verified"):
            return None
        with session_scope() as session:
            return customer_language.stored(session, int(customer_id))

    @staticmethod
    def _remember(tracker: Tracker, language: str) -> None:
        customer_id = tracker.get_slot("customer_id")
        if customer_id is None or not tracker.get_slot("verified"):
            return
        with session_scope() as session:
            customer_language.remember(session, int(customer_id), language)
