"""Rasa's SQL tracker store, minus the birth date (issue 9, section 4).

The birth date is asked only to verify, and its job is done within the turn that checks it. Rasa
would keep the customer's message (and the slot it filled) in the tracker forever; this store
writes a placeholder instead, so the date never reaches the database.
"""
from __future__ import annotations

from typing import Iterator

from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.parsing import parse_birth_date

PLACEHOLDER = "[geboortedatum]"
SECRET_SLOTS = ("birth_date",)


def _answers_to_secret_questions(events: list[Event]) -> set[int]:
    """Positions of user messages sent while a secret slot was being asked."""
    asked, positions = None, set()
    for position, event in enumerate(events):
        if isinstance(event, SlotSet) and event.key == "requested_slot":
            asked = event.value
        elif isinstance(event, UserUttered) and asked in SECRET_SLOTS:
            positions.add(position)
    return positions


def redacted(event: Event) -> Event:
    if isinstance(event, UserUttered):
        parse_data = {**event.parse_data, "text": PLACEHOLDER}
        return UserUttered(PLACEHOLDER, event.intent, event.entities, parse_data, event.timestamp,
                           event.input_channel, event.message_id, event.metadata)
    if isinstance(event, SlotSet):
        return SlotSet(event.key, PLACEHOLDER, event.timestamp, event.metadata)
    return event


def needs_redaction(position: int, event: Event, secret_answers: set[int]) -> bool:
    if isinstance(event, SlotSet):
        if event.value in (None, PLACEHOLDER):
            return False
        # A free-text slot (the cause, say) may hold a birth date the customer typed.
        return event.key in SECRET_SLOTS or (isinstance(event.value, str) and parse_birth_date(event.value) is not None)
    if isinstance(event, UserUttered) and event.text and event.text != PLACEHOLDER:
        # Also a birth date typed at another moment: it is only ever asked for verification.
        return position in secret_answers or parse_birth_date(event.text) is not None
    return False


class RedactingSQLTrackerStore(SQLTrackerStore):
    def _additional_events(self, session, tracker: DialogueStateTracker) -> Iterator[Event]:
        events = list(tracker.events)
        secret_answers = _answers_to_secret_questions(events)
        first_new = len(events) - sum(1 for _ in super()._additional_events(session, tracker))
        for position in range(first_new, len(events)):
            event = events[position]
            yield redacted(event) if needs_redaction(position, event, secret_answers) else event
