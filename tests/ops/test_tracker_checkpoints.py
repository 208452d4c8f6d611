"""Checkpoints keep a long conversation's turns as cheap as a short one's (issue 7) and must change
nothing Rasa decides: the same slots, loop, pause and follow-up, the same states for the policies,
and every event stored exactly once."""
from __future__ import annotations

import asyncio
import random
from pathlib import Path

import pytest
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    BotUttered,
    Event,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.generator import TrainingDataGenerator
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.importers.importer import TrainingDataImporter

from bot.rasa_ext import checkpoints
from bot.rasa_ext.tracker_store import CHECKPOINTS, PLACEHOLDER, RedactingSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
# More states than the policies look back (max_history 5 in config.yml) and than our longest rule.
COMPARED_STATES = 8


@pytest.fixture(scope="module")
def conversations():
    """Our domain, and whole conversations: the test stories and the training stories as trackers."""
    importer = TrainingDataImporter.load_from_dict(
        config_path=str(ROOT / "config.yml"), domain_path=str(ROOT / "domain"),
        training_data_paths=[str(ROOT / "tests/stories"), str(ROOT / "data/stories")])
    domain = importer.get_domain()
    trackers = TrainingDataGenerator(importer.get_stories(), domain, augmentation_factor=0,
                                     use_story_concatenation=False, remove_duplicates=False,
                                     unique_last_num_states=None).generate()
    stories = [list(t.events) for t in trackers if not t.is_rule_tracker]
    assert len(stories) >= 20
    return domain, stories


def long_session(stories: list[list[Event]], length: int, seed: int) -> list[Event]:
    """One session made of whole conversations one after another, in a random order."""
    rng = random.Random(seed)
    events: list[Event] = [ActionExecuted("action_session_start"), SessionStarted()]
    while len(events) < length:
        events += rng.choice(stories)
    return events


def _rule_and_policy_view(tracker: DialogueStateTracker, domain) -> dict:
    return {"states": tracker.past_states(domain)[-COMPARED_STATES:], "slots": tracker.current_slot_values(),
            "loop": tracker.active_loop_name, "loop_interrupted": tracker.is_active_loop_interrupted,
            "loop_rejected": tracker.is_active_loop_rejected, "paused": tracker.is_paused(),
            "followup": tracker.followup_action, "latest_action": tracker.latest_action_name,
            "intent": tracker.latest_message.intent.get("name") if tracker.latest_message else None}


def test_checkpointed_trackers_look_like_the_whole_session_at_every_step(conversations):
    domain, stories = conversations
    window = 60
    keep = checkpoints.keep_for(window)
    made = 0
    for seed in range(3):
        events = long_session(stories, 500, seed)
        whole = DialogueStateTracker("whole", domain.slots)
        stored: list[Event] = []
        for position, event in enumerate(events):
            # A save at every turn's end (the next event is a user message), as Rasa saves per turn.
            if isinstance(event, UserUttered) and len(stored) - checkpoints.session_start(stored) > window:
                compacted = checkpoints.compact(stored, domain.slots, keep)
                if compacted is not None:
                    stored, made = compacted, made + 1
            stored.append(event)
            whole.update(event)
            if isinstance(event, (UserUttered, ActionExecuted)):  # where Rasa predicts
                windowed = DialogueStateTracker.from_events("windowed", stored, domain.slots)
                assert _rule_and_policy_view(windowed, domain) == _rule_and_policy_view(whole, domain), \
                    f"seed {seed}, event {position}"
        assert len(stored) < window + 100
    assert made >= 15


def test_no_boundary_inside_a_form_where_rasa_would_fold_its_turns(conversations):
    domain, _ = conversations
    listen = ActionExecuted("action_listen")

    def turn(text: str) -> list[Event]:
        return [UserUttered(text, {"name": "inform", "confidence": 1.0}), ActionExecuted("utter_ask_cause"),
                BotUttered("?"), ActionExecuted("action_listen")]

    events = [ActionExecuted("action_session_start"), SessionStarted(), listen]
    for n in range(6):
        events += turn(f"voor {n}")
    form_starts = len(events)
    events += [UserUttered("klantnummer", {"name": "inform", "confidence": 1.0}), ActionExecuted("verification_form"),
               ActiveLoop("verification_form"), SlotSet("requested_slot", "customer_number"), listen]
    for n in range(10):  # a long form: every boundary of the last 40 events is inside it
        events += [UserUttered(f"in {n}", {"name": "inform", "confidence": 1.0}), ActionExecuted("verification_form"),
                   SlotSet("requested_slot", "customer_number"), listen]
    compacted = checkpoints.compact(events, domain.slots, keep=40)
    assert compacted is not None
    tail = compacted[[i for i, e in enumerate(compacted) if isinstance(e, UserUttered)][0]:]
    assert tail == events[len(events) - len(tail):]
    assert len(events) - len(tail) <= form_starts  # the form's start is in the tail
    assert not DialogueStateTracker.from_events("x", compacted[:len(compacted) - len(tail)], domain.slots).active_loop_name
    assert checkpoints.compact(events[form_starts:], domain.slots, keep=10) is None  # only form: none


def test_a_boundary_inside_a_form_where_every_turn_is_a_detour(conversations):
    # A customer asking question after question while the form waits: nothing folds, so the
    # checkpoint may start inside the form (the long-conversation benchmark does this).
    domain, _ = conversations
    events = [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
              UserUttered("klantnummer", {"name": "inform", "confidence": 1.0}), ActionExecuted("verification_form"),
              ActiveLoop("verification_form"), SlotSet("requested_slot", "customer_number"),
              ActionExecuted("action_listen")]
    form_starts = 3
    for n in range(20):
        events += [UserUttered(f"wat is bkr {n}", {"name": "faq", "confidence": 1.0}),
                   ActionExecuted("utter_ask_cause"), BotUttered("uitleg"), ActionExecuted("verification_form"),
                   SlotSet("requested_slot", "customer_number"), ActionExecuted("action_listen")]
    compacted = checkpoints.compact(events, domain.slots, keep=40)
    assert compacted is not None and len(compacted) < len(events) - form_starts
    assert ActiveLoop("verification_form") in compacted[:len(compacted) - 40]
    shortened = DialogueStateTracker.from_events("s", compacted, domain.slots)
    whole = DialogueStateTracker.from_events("w", events, domain.slots)
    assert _rule_and_policy_view(shortened, domain) == _rule_and_policy_view(whole, domain)


# -- the store ---------------------------------------------------------------------------------------
def _turn(n: int, t: float, birth_date: bool = False) -> list[Event]:
    text = "12 april 1988" if birth_date else f"bericht {n}"
    return [UserUttered(text, {"name": "inform", "confidence": 0.9}, [], {"text": text, "intent": {"name": "inform"}},
                        timestamp=t, input_channel="rest", message_id=f"m{n}"),
            SlotSet("cause_description", f"oorzaak {n}", timestamp=t + 0.001),
            ActionExecuted("utter_ask_cause", timestamp=t + 0.002),
            BotUttered(f"antwoord {n}", {}, timestamp=t + 0.003),
            ActionExecuted("action_listen", timestamp=t + 0.004)]


def _store(conversations, url: str, window: int = 40) -> RedactingSQLTrackerStore:
    domain, _ = conversations
    if url.startswith("sqlite:///"):
        return RedactingSQLTrackerStore(domain=domain, dialect="sqlite", db=url.removeprefix("sqlite:///"),
                                        window=window)
    return RedactingSQLTrackerStore(domain=domain, host=url, window=window)


def _talk(store: RedactingSQLTrackerStore, sender: str, turns: int, first: int = 0) -> list[Event]:
    said = []
    for n in range(first, first + turns):
        tracker = asyncio.run(store.retrieve(sender))
        if tracker is None:
            tracker = DialogueStateTracker(sender, store.domain.slots)
            for event in (ActionExecuted("action_session_start", timestamp=1.0), SessionStarted(timestamp=1.1),
                          ActionExecuted("action_listen", timestamp=1.2)):
                tracker.update(event)
                said.append(event)
        for event in _turn(n, 10.0 + n, birth_date=n == first + 7):
            tracker.update(event)
            said.append(event)
        asyncio.run(store.save(tracker))
    return said


def _checkpoints(store) -> list:
    with store.engine.connect() as connection:
        return connection.execute(CHECKPOINTS.select()).all()


def _exercise(store: RedactingSQLTrackerStore) -> None:
    said = _talk(store, "rest:lang", 60)
    full = asyncio.run(store.retrieve_full_tracker("rest:lang"))
    texts = [e.text for e in full.events if isinstance(e, UserUttered)]
    assert len(full.events) == len(said)  # nothing lost, nothing twice
    assert texts == [f"bericht {n}" if n != 7 else PLACEHOLDER for n in range(60)]

    windowed = asyncio.run(store.retrieve("rest:lang"))
    assert len(windowed.events) <= store.window + len(_turn(0, 0))
    assert windowed.current_slot_values() == full.current_slot_values()
    assert windowed.latest_message.text == "bericht 59"
    # The session as Rasa reads it: from its SessionStarted (action_session_start is a moment earlier).
    assert len(asyncio.run(store.retrieve_session("rest:lang")).events) == len(said) - 1
    rows = _checkpoints(store)
    assert len(rows) == 1 and rows[0].sender_id == "rest:lang"
    assert "1988" not in rows[0].data

    # A new session after the checkpoint: read from its start, as Rasa reads it.
    tracker = asyncio.run(store.retrieve("rest:lang"))
    for event in [ActionExecuted("action_session_start", timestamp=500.0), SessionStarted(timestamp=500.1),
                  ActionExecuted("action_listen", timestamp=500.2)] + _turn(500, 501.0):
        tracker.update(event)
    asyncio.run(store.save(tracker))
    fresh = asyncio.run(store.retrieve("rest:lang"))
    assert isinstance(fresh.events[0], SessionStarted) and len(fresh.events) == 2 + 5
    assert len(asyncio.run(store.retrieve_full_tracker("rest:lang")).events) == len(said) + 8


def test_a_long_conversation_is_stored_once_and_read_back_shortened(conversations, tmp_path):
    _exercise(_store(conversations, f"sqlite:///{tmp_path / 'tracker.db'}"))


def test_the_same_on_postgresql(conversations):
    from tests.scale.services import check_postgres, fresh_database

    check_postgres()
    with fresh_database("betaalhulp_checkpoints") as url:
        store = _store(conversations, url)
        try:
            _exercise(store)
        finally:
            store.engine.dispose()


def test_window_zero_reads_whole_sessions_and_writes_no_checkpoints(conversations, tmp_path):
    store = _store(conversations, f"sqlite:///{tmp_path / 'tracker.db'}", window=0)
    said = _talk(store, "rest:heel", 30)
    assert len(asyncio.run(store.retrieve("rest:heel")).events) == len(said) - 1
    assert _checkpoints(store) == []


def test_erasure_removes_the_checkpoints_too(conversations, tmp_path):
    from bot.privacy.tracker_store import delete_conversations, tracker_engine

    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = _store(conversations, url)
    _talk(store, "rest:weg", 30)
    _talk(store, "rest:blijft", 30)
    assert {row.sender_id for row in _checkpoints(store)} == {"rest:weg", "rest:blijft"}
    delete_conversations(tracker_engine(url), ["rest:weg"])
    assert {row.sender_id for row in _checkpoints(store)} == {"rest:blijft"}
    assert asyncio.run(store.retrieve("rest:weg")) is None


def test_a_store_starting_while_another_creates_the_table_starts(conversations, tmp_path, monkeypatch):
    # Two Rasa processes starting at once on one PostgreSQL database: the other one's CREATE
    # TABLE lands between our check and ours (seen in the scaled benchmark).
    import sqlalchemy as sa

    from bot.rasa_ext import tracker_store

    original = tracker_store.CHECKPOINTS.create

    def raced(engine, checkfirst=True):
        original(engine, checkfirst=True)  # the other process
        raise sa.exc.IntegrityError("CREATE TABLE tracker_checkpoints", {}, Exception("already exists"))

    monkeypatch.setattr(tracker_store.CHECKPOINTS, "create", raced)
    store = _store(conversations, f"sqlite:///{tmp_path / 'tracker.db'}")
    assert _checkpoints(store) == []


def test_the_embedded_tracker_store_is_pooled_in_write_ahead_log_mode(conversations, tmp_path):
    import sqlalchemy as sa

    store = _store(conversations, f"sqlite:///{tmp_path / 'tracker.db'}")
    assert isinstance(store.engine.pool, sa.pool.QueuePool)
    with store.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar_one() == "wal"
