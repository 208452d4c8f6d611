"""Our tracker store reads conversations faster than Rasa's SQLTrackerStore (issue 7, long
conversations) and must read exactly the same trackers."""
from __future__ import annotations

import asyncio

import pytest
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    ConversationPaused,
    ConversationResumed,
    Event,
    FollowupAction,
    SessionStarted,
    SlotSet,
    UserUttered,
    deserialise_events,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.rasa_ext.tracker_store import RedactingSQLTrackerStore
from bot.rasa_ext.tracker_store import deserialise_events as fast_deserialise_events

DOMAIN = Domain.from_yaml("""
version: "3.1"
intents: [greet, inform]
slots:
  verified:
    type: bool
    influence_conversation: true
    mappings: [{type: custom}]
  customer_number:
    type: text
    influence_conversation: false
    mappings: [{type: custom}]
responses:
  utter_greet: [{text: "hoi"}]
""")


def _turn(n: int, t: float) -> list[Event]:
    return [UserUttered(f"bericht {n}", {"name": "inform", "confidence": 0.9}, [],
                        {"text": f"bericht {n}", "intent": {"name": "inform", "confidence": 0.9}},
                        timestamp=t, input_channel="rest", message_id=f"m{n}"),
            SlotSet("customer_number", f"10000{n % 5}", timestamp=t + 0.001),
            ActionExecuted("utter_greet", timestamp=t + 0.002),
            BotUttered("hoi", {"buttons": None}, timestamp=t + 0.003),
            ActionExecuted("action_listen", timestamp=t + 0.004)]


def _conversation() -> list[Event]:
    events: list[Event] = [ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.1),
                           ActionExecuted("action_listen", timestamp=1.2)]
    for n in range(20):
        events += _turn(n, 10.0 + n)
    events += [SlotSet("verified", True, timestamp=40.0), ActiveLoop("verification_form", timestamp=40.1),
               ConversationPaused(timestamp=41.0), ConversationResumed(timestamp=42.0),
               FollowupAction("utter_greet", timestamp=42.5), ActiveLoop(None, timestamp=42.6),
               # a second session: retrieve() reads only this one, retrieve_full_tracker() both
               ActionExecuted("action_session_start", timestamp=100.0), SessionStarted(timestamp=100.1),
               ActionExecuted("action_listen", timestamp=100.2)]
    for n in range(20, 30):
        events += _turn(n, 110.0 + n)
    return events


@pytest.fixture
def store(tmp_path):
    return RedactingSQLTrackerStore(domain=DOMAIN, dialect="sqlite", db=str(tmp_path / "tracker.db"))


def _state(tracker: DialogueStateTracker) -> dict:
    return tracker.current_state(EventVerbosity.ALL)


def test_retrieve_reads_exactly_what_rasas_store_reads(store):
    tracker = DialogueStateTracker.from_events("rest:anna", _conversation(), DOMAIN.slots)
    asyncio.run(store.save(tracker))

    ours = asyncio.run(store.retrieve("rest:anna"))
    rasas = asyncio.run(SQLTrackerStore._retrieve(store, "rest:anna", fetch_events_from_all_sessions=False))
    assert list(ours.events) == list(rasas.events)
    assert _state(ours) == _state(rasas)
    # Rasa reads from the latest SessionStarted on (its action_session_start is a moment earlier)
    assert isinstance(ours.events[0], SessionStarted) and len(ours.events) == 2 + 10 * 5

    full = asyncio.run(store.retrieve_full_tracker("rest:anna"))
    rasas_full = asyncio.run(SQLTrackerStore._retrieve(store, "rest:anna", fetch_events_from_all_sessions=True))
    assert list(full.events) == list(rasas_full.events) == list(tracker.events)
    assert _state(full) == _state(rasas_full)
    assert full.get_slot("verified") is None  # reset by the second session start, as in Rasa

    assert asyncio.run(store.retrieve("rest:nobody")) is None


def test_a_turn_after_a_fast_retrieve_is_saved_once(store):
    asyncio.run(store.save(DialogueStateTracker.from_events("rest:bram", _conversation()[:13], DOMAIN.slots)))
    tracker = asyncio.run(store.retrieve("rest:bram"))
    for event in _turn(99, 200.0):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    again = asyncio.run(store.retrieve_full_tracker("rest:bram"))
    assert [e.text for e in again.events if isinstance(e, UserUttered)] == ["bericht 0", "bericht 1", "bericht 99"]


def test_deserialise_events_matches_rasa():
    serialised = [e.as_dict() for e in _conversation()] + [{"no": "event key"}]
    assert fast_deserialise_events(serialised) == deserialise_events(serialised)
    assert fast_deserialise_events(serialised) == deserialise_events(serialised)  # from the cache too
    with pytest.raises(ValueError):
        fast_deserialise_events([{"event": "no_such_event"}])
