"""What every action shares: a crash never silences the conversation, and logs hold no customer data."""
from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

logger = logging.getLogger(__name__)

Events = list[dict[str, Any]]


class SafeAction(Action, ABC):
    """Runs `act` in a worker thread (it talks to the database) and turns any crash into a kind message.

    The log names only the action and the exception type: the message could hold personal data.
    """

    # Abstract, so the action server (which registers every concrete Action) skips this base.
    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def act(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events: ...

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict) -> Events:
        try:
            return await asyncio.to_thread(self.act, dispatcher, tracker, domain)
        except Exception as error:  # noqa: BLE001 - the customer must never get silence
            logger.error("action %s failed: %s", self.name(), type(error).__name__)
            dispatcher.utter_message(response="utter_something_went_wrong")
            return []


def channel_of(tracker: Tracker) -> str | None:
    return tracker.get_latest_input_channel()


def message_text(tracker: Tracker) -> str:
    return (tracker.latest_message or {}).get("text") or ""
