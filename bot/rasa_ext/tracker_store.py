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
import time
from typing import Any, Iterable, Optional

import sqlalchemy as sa
from rasa.core.tracker_store import FailSafeTrackerStore, SQLTrackerStore, create_engine_kwargs, is_postgresql_url
from rasa.shared.core.events import Event, SessionStarted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from bot.parsing import parse_birth_date
from bot.rasa_ext import checkpoints

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


# Events a tracker holds at most before a checkpoint shortens it (bot/rasa_ext/checkpoints.py);
# 0 reads whole sessions, as Rasa does.
WINDOW = int(os.environ.get("BETAALHULP_TRACKER_WINDOW") or 150)
CHECKPOINTS = sa.Table(
    "tracker_checkpoints", sa.MetaData(),
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("sender_id", sa.String(255), nullable=False, index=True),
    # The newest stored event the checkpoint stands for (with every event of the session before it).
    sa.Column("last_event_id", sa.Integer, nullable=False),
    sa.Column("length", sa.Integer, nullable=False),
    sa.Column("data", sa.Text, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
)


def create_checkpoints_table(engine: sa.engine.Engine) -> None:
    """Creates the checkpoint table unless it exists. Several Rasa processes start at once on one
    PostgreSQL database: another may create it between our check and our CREATE TABLE."""
    try:
        CHECKPOINTS.create(engine, checkfirst=True)
    except sa.exc.DBAPIError:
        if not sa.inspect(engine).has_table(CHECKPOINTS.name):
            raise


class RedactingSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, window: int | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if is_postgresql_url(self.engine.url):
            self._replace_engine(**_postgres_engine_kwargs(self.engine.url))
        elif self.engine.dialect.name == "sqlite":
            # Write-ahead logging (kept in the file): one fsync per saved turn instead of three,
            # and the widget's reads never wait for a turn being saved. Pooled connections: with
            # Rasa's NullPool every turn would open the file and, closing the last connection,
            # checkpoint the log.
            self._replace_engine(poolclass=sa.pool.QueuePool, connect_args={"check_same_thread": False})
            with self.engine.connect() as connection:
                connection.exec_driver_sql("PRAGMA journal_mode=WAL")
        self.window = WINDOW if window is None else int(window)
        create_checkpoints_table(self.engine)

    def _replace_engine(self, **kwargs: Any) -> None:
        """The same database as Rasa's engine, with our connection settings."""
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(url, **kwargs)
        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool, windowed: bool = True
                        ) -> Optional[DialogueStateTracker]:
        """Rasa's `SQLTrackerStore._retrieve`, faster: only the `data` column is read (no ORM object
        per row) and event classes are resolved once (`deserialise_events`). Same rows, same order,
        same tracker. The current session starts from its newest checkpoint when it has one."""
        if not self.domain:
            return None
        with self.session_scope() as session:
            if windowed and not fetch_events_from_all_sessions and self.window:
                events = self._from_checkpoint(session, sender_id)
                if events is not None:
                    return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)
            rows = self._event_query(session, sender_id, fetch_events_from_all_sessions=fetch_events_from_all_sessions
                                     ).with_entities(self.SQLEvent.data).all()
        if not rows:
            return None
        events = deserialise_events(json.loads(data) for (data,) in rows)
        return DialogueStateTracker.from_events(sender_id, events, self.domain.slots)

    def _from_checkpoint(self, session, sender_id: str) -> Optional[list[Event]]:
        """The newest checkpoint and the events stored after it; None without a checkpoint or when
        a new session began after it (then the session is read as Rasa reads it)."""
        found = session.execute(sa.select(CHECKPOINTS.c.last_event_id, CHECKPOINTS.c.length, CHECKPOINTS.c.data)
                                .where(CHECKPOINTS.c.sender_id == sender_id)
                                .order_by(CHECKPOINTS.c.last_event_id.desc()).limit(1)).first()
        if found is None:
            return None
        table = self.SQLEvent.__table__
        rows = session.execute(sa.select(table.c.type_name, table.c.data)
                               .where(table.c.sender_id == sender_id, table.c.id > found.last_event_id)
                               .order_by(table.c.id)).all()
        if any(type_name == SessionStarted.type_name for type_name, _ in rows):
            return None
        events = deserialise_events(json.loads(found.data)) + deserialise_events(json.loads(data) for _, data in rows)
        checkpoints.mark(events, found.last_event_id, found.length)
        return events

    async def retrieve_session(self, sender_id: str) -> Optional[DialogueStateTracker]:
        """The whole current session, never shortened by a checkpoint (the widget's history)."""
        try:
            return await self._retrieve(sender_id, False, windowed=False)
        except (sa.exc.SQLAlchemyError, OSError) as error:
            _unavailable(error)

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
        """Rasa's `SQLTrackerStore.save` (the new events, redacted), and a new checkpoint when the
        tracker has grown past the window; all in one transaction: written wholly or not at all."""
        try:
            await self.stream_events(tracker)
            with self.session_scope() as session:
                stored, first_new = self._as_stored(session, tracker)
                rows = [self._row(tracker.sender_id, event) for event in stored[first_new:]]
                session.add_all(rows)
                if rows and self._wants_checkpoint(stored):
                    session.flush()  # the new events' ids
                    self._checkpoint(session, tracker.sender_id, stored, rows[-1].id)
                session.commit()
        except (sa.exc.SQLAlchemyError, OSError) as error:
            _unavailable(error)

    def _wants_checkpoint(self, stored: list[Event]) -> bool:
        """Past the window, and enough events since the last checkpoint for a new one to be shorter
        (a checkpoint's prefix restores every slot set, so it is not always far below the window)."""
        if not self.window or len(stored) - checkpoints.session_start(stored) <= self.window:
            return False
        marker = checkpoints.marker_of(stored)
        return marker is None or len(stored) - marker[1] >= checkpoints.keep_for(self.window)

    def _row(self, sender_id: str, event: Event) -> Any:
        data = event.as_dict()
        return self.SQLEvent(sender_id=sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                             intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                             action_name=data.get("name"), data=json.dumps(data))

    def _checkpoint(self, session, sender_id: str, stored: list[Event], last_event_id: int) -> None:
        compacted = checkpoints.compact(stored, self.domain.slots, checkpoints.keep_for(self.window))
        if compacted is None:
            return  # inside a long form: the next save tries again
        session.execute(CHECKPOINTS.delete().where(CHECKPOINTS.c.sender_id == sender_id))
        session.execute(CHECKPOINTS.insert().values(
            sender_id=sender_id, last_event_id=last_event_id, length=len(compacted),
            data=json.dumps([event.as_dict() for event in compacted]), created_at=time.time()))

    def _as_stored(self, session, tracker: DialogueStateTracker) -> tuple[list[Event], int]:
        """The tracker's events as the database holds them (new ones redacted) and where the new
        ones begin."""
        events = list(tracker.events)
        marker = checkpoints.marker_of(events)
        if marker is not None:
            last_event_id, length = marker
            table = self.SQLEvent.__table__
            after = session.execute(sa.select(sa.func.count()).select_from(table).where(
                table.c.sender_id == tracker.sender_id, table.c.id > last_event_id)).scalar_one()
            first_new = length + after
        else:
            first_new = len(events) - sum(1 for _ in super()._additional_events(session, tracker))
        secret_answers = _answers_to_secret_questions(events)
        for position in range(first_new, len(events)):
            if needs_redaction(position, events[position], secret_answers):
                events[position] = redacted(events[position])
        return events, first_new


async def retrieve_session(tracker_store: Any, sender_id: str) -> Optional[DialogueStateTracker]:
    """The whole current session, through the wrappers Rasa puts around our store (a store that
    is not ours reads as it always does)."""
    store = tracker_store
    while store is not None and not isinstance(store, RedactingSQLTrackerStore):
        store = getattr(store, "_tracker_store", None)
    if store is None:
        return await tracker_store.retrieve(sender_id)
    return await store.retrieve_session(sender_id)
