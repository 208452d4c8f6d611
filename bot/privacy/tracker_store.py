"""Rasa's SQL tracker store, reached directly: the only way to really erase a conversation,
since Rasa's own API only ever appends events (RASA_NOTES)."""
from __future__ import annotations

import os
from functools import lru_cache

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine

from bot.config import settings


def tracker_url() -> str:
    """The store Rasa writes to: BETAALHULP_TRACKER_URL in production, else the embedded SQLite
    file of endpoints.yml (BETAALHULP_TRACKER_DB, default var/rasa_tracker.db)."""
    if os.environ.get("BETAALHULP_TRACKER_URL"):
        return os.environ["BETAALHULP_TRACKER_URL"]
    return f"sqlite:///{os.environ.get('BETAALHULP_TRACKER_DB') or settings().data_dir / 'rasa_tracker.db'}"


@lru_cache(maxsize=4)
def _engine(url: str) -> Engine:
    return create_engine(url, future=True)


def tracker_engine(url: str | None = None) -> Engine:
    return _engine(url or tracker_url())


def has_events_table(engine: Engine) -> bool:
    return inspect(engine).has_table("events")


def conversation_events(engine: Engine, sender_ids: list[str]) -> dict[str, list[str]]:
    if not sender_ids or not has_events_table(engine):
        return {}
    with engine.connect() as connection:
        rows = connection.execute(
            text("SELECT sender_id, data FROM events WHERE sender_id IN :ids ORDER BY id")
            .bindparams(_expanding("ids")), {"ids": list(sender_ids)}).all()
    result: dict[str, list[str]] = {}
    for sender_id, data in rows:
        result.setdefault(sender_id, []).append(data)
    return result


def delete_conversations(engine: Engine, sender_ids: list[str]) -> int:
    if not sender_ids or not has_events_table(engine):
        return 0
    with engine.begin() as connection:
        if inspect(connection).has_table("tracker_checkpoints"):
            # A checkpoint holds slot values of the conversation (bot/rasa_ext/checkpoints.py).
            connection.execute(text("DELETE FROM tracker_checkpoints WHERE sender_id IN :ids")
                               .bindparams(_expanding("ids")), {"ids": list(sender_ids)})
        return connection.execute(text("DELETE FROM events WHERE sender_id IN :ids")
                                  .bindparams(_expanding("ids")), {"ids": list(sender_ids)}).rowcount


def last_event_times(engine: Engine) -> dict[str, float]:
    """Each conversation's newest event (Rasa stores UNIX timestamps)."""
    if not has_events_table(engine):
        return {}
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT sender_id, MAX(timestamp) FROM events GROUP BY sender_id")).all()
    return {sender: float(ts) for sender, ts in rows}


def _expanding(name: str):
    from sqlalchemy import bindparam

    return bindparam(name, expanding=True)
