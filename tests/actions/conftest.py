"""Run real actions against a real database, with trackers shaped as Rasa sends them."""
from __future__ import annotations

import asyncio
from typing import Any

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

DOMAIN_SLOTS = ["customer_number", "birth_date"]


def make_tracker(slots: dict[str, Any] | None = None, text: str = "", intent: str = "inform",
                 sender: str = "rest:test", channel: str = "rest", active_loop: str | None = None,
                 metadata: dict | None = None, extracted: dict[str, Any] | None = None) -> Tracker:
    """`extracted` are the slots Rasa filled from this message: the ones a form validates."""
    slots = {"verified": False, "verification_failures": 0, "signals": [], **(slots or {})}
    latest = {"text": text, "intent": {"name": intent, "confidence": 1.0}, "entities": [],
              "metadata": metadata or {}}
    events = [{"event": "user", "text": text, "parse_data": latest, "input_channel": channel,
               "metadata": metadata or {}}]
    events += [{"event": "slot", "name": name, "value": value} for name, value in (extracted or {}).items()]
    slots = {**slots, **(extracted or {})}
    return Tracker(sender, slots, latest, events, False, None,
                   {"name": active_loop} if active_loop else {}, "action_listen")


def run(action, tracker: Tracker, domain: dict | None = None) -> tuple[list[dict], list[dict]]:
    dispatcher = CollectingDispatcher()
    events = asyncio.run(action.run(dispatcher, tracker, domain or {}))
    return events, dispatcher.messages


def responses(messages: list[dict]) -> list[str]:
    return [m.get("response") for m in messages]


def slot_events(events: list[dict]) -> dict[str, Any]:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


@pytest.fixture
def db(database, fixed_clock):
    return database
