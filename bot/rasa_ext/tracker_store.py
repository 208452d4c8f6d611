"""Rasa's SQL tracker store, minus the birth date (issue 9, section 4).

The birth date is asked only to verify, and its job is done within the turn that checks it. Rasa
would keep the customer's message (and the slot it filled) in the tracker forever; this store
writes a placeholder instead, so the date never reaches the database.

It also never makes a conversation up (issue 9, section 3). Rasa's Agent wraps every tracker store
in a FailSafeTrackerStore: a read error there becomes "no tracker", so the turn silently starts a
fresh conversation (the customer is asked to verify again), and a write error keeps the turn in
the memory of one worker only. Our store raises TrackerStoreUnavailable instead, and
`refuse_fallbacks` (called by bot/channels/guard.py before every turn) makes the wrapper pass it
on: the turn fails wholly, nothing is written, and the channel gives a kind message. Connections
are checked before use and time out in seconds, so a turn fails fast rather than hanging.
"""
from __future__ import annotations

import json
import logging
import os
from typing import Any, Iterable, Iterator, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, create_engine_kwargs, is_postgresql_url
from rasa.shared.core.events import Event, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.parsing import parse_birth_date

logger = logging.getLogger(__name__)
PLACEHOLDER = "[geboortedatum]"
SECRET_SLOTS = ("birth_date",)
# Seconds to wait for a new database connection (libpq's connect_timeout; at least 2).
CONNECT_TIMEOUT = int(os.environ.get("BETAALHULP_TRACKER_CONNECT_TIMEOUT") or 3)
# Milliseconds sent data may stay unacknowledged before libpq gives up on the connection.
TCP_USER_TIMEOUT_MS = 5000


class TrackerStoreUnavailable(RuntimeError):
    """The tracker database could not be read or written: the turn fails, nothing is made up."""


def _unavailable(error: Exception) -> None:
    if isinstance(error, TrackerStoreUnavailable):
        raise error
    # Only the type: a driver message names hosts, and it must never carry conversation text.
    raise TrackerStoreUnavailable(f"tracker store failed: {type(error).__name__}") from error


def refuse_fallbacks(tracker_store: Any) -> None:
    """Makes Rasa's FailSafeTrackerStore raise instead of inventing an empty or in-memory tracker.

    Its `on_tracker_store_error` callback (a constructor argument Rasa never passes) is called in
    place of the fallback, for reads and for writes; raising from it ends the turn.
    """
    if isinstance(tracker_store, FailSafeTrackerStore) and tracker_store._on_tracker_store_error is not _unavailable:
        tracker_store._on_tracker_store_error = _unavailable


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


# Event classes by type name, resolved once per process. Rasa's own `Event.from_parameters` walks
# every subclass of Event (`all_subclasses`, with `inspect.isabstract` on each) for every event it
# reads: 89 ms of a 135 ms retrieve at 2,582 events, against 4 ms resolved once. With the data
# column alone, a 2,500-event session reads in 23 ms instead of 227 (`python -m bench.retrieve`).
_EVENT_CLASSES: dict[str, type] = {}


def deserialise_events(serialised: Iterable[dict]) -> list[Event]:
    """Rasa's `rasa.shared.core.events.deserialise_events`, minus the per-event class search."""
    events = []
    for parameters in serialised:
        if "event" not in parameters:
            continue
        name = parameters["event"]
        event_class = _EVENT_CLASSES.get(name) if name is not None else None
        if event_class is None and name is not None:
            event_class = Event.resolve_by_type(name)  # an unknown name raises, as in Rasa
            if event_class is not None:
                _EVENT_CLASSES[name] = event_class
        event = event_class._from_parameters(parameters) if event_class is not None else None
        if event:
            events.append(event)
        else:
            logger.warning("unable to read a stored event of type %s; skipped", name)
    return events


def _postgres_engine_kwargs(url) -> dict:
    kwargs = create_engine_kwargs(url)
    connect_args = {**kwargs.get("connect_args", {}), "connect_timeout": max(2, CONNECT_TIMEOUT),
                    "keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 2, "keepalives_count": 3}
    try:
        import psycopg2.extensions

        if psycopg2.extensions.libpq_version() >= 120000:
            connect_args["tcp_user_timeout"] = TCP_USER_TIMEOUT_MS
    except ImportError:
        pass
    # pool_pre_ping: a connection cut while idle in the pool is replaced, not used and failed.
    return {**kwargs, "connect_args": connect_args, "pool_pre_ping": True}


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_postgresql_url(self.engine.url):
            url = self.engine.url
            self.engine.dispose()
            self.engine = sa.create_engine(url, **_postgres_engine_kwargs(url))
            self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool
                        ) -> Optional[DialogueStateTracker]:
        """Rasa's `SQLTrackerStore._retrieve`, faster: only the `data` column is read (no ORM object
        per row) and event classes are resolved once (`deserialise_events`). Same rows, same order,
        same tracker."""
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
                                     ).with_entities(self.SQLEvent.data).all()
        if not self.domain or not rows:
            return None
        events = deserialise_events(json.loads(data) for (data,) in rows)
        return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)

    async def retrieve(self, sender_id: str) -> Optional[DialogueStateTracker]:
        try:
            return await super().retrieve(sender_id)
        except (sa.exc.SQLAlchemyError, OSError) as error:
            _unavailable(error)

    async def retrieve_full_tracker(self, conversation_id: str) -> Optional[DialogueStateTracker]:
        try:
            return await super().retrieve_full_tracker(conversation_id)
        except (sa.exc.SQLAlchemyError, OSError) as error:
            _unavailable(error)

    async def keys(self) -> Iterable[str]:
        try:
            return await super().keys()
        except (sa.exc.SQLAlchemyError, OSError) as error:
            _unavailable(error)

    async def save(self, tracker: DialogueStateTracker) -> None:
        # One transaction: the turn's events are all written or none are.
        try:
            await super().save(tracker)
        except (sa.exc.SQLAlchemyError, OSError) as error:
            _unavailable(error)

    def _additional_events(self, session, tracker: DialogueStateTracker) -> Iterator[Event]:
        events = list(tracker.events)
        secret_answers = _answers_to_secret_questions(events)
        first_new = len(events) - sum(1 for _ in super()._additional_events(session, tracker))
        for position in range(first_new, len(events)):
            event = events[position]
            yield redacted(event) if needs_redaction(position, event, secret_answers) else event
