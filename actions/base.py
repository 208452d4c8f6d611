"""What every action shares: a crash never silences the conversation, and logs hold no customer data."""
from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from decimal import Decimal
from typing import Any, Callable

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from bot.parsing import parse_amount

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


def slot_validator(slot: str, parse: Callable[[str], Any], invalid_response: str):
    """A form's `validate_<slot>`: the parsed value, or a kind hint and the question again."""
    def validate(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                 domain: dict) -> dict[str, Any]:
        parsed = parse(value) if isinstance(value, str) else None
        if parsed is None:
            dispatcher.utter_message(response=invalid_response)
        return {slot: parsed}
    validate.__name__ = f"validate_{slot}"
    return validate


def euros_in_cents_precision(text: str) -> float | None:
    """An amount as a slot value: JSON carries it as a float, exact to the cent."""
    amount = parse_amount(text)
    return None if amount is None else float(amount.quantize(Decimal("0.01")))
