"""Engines and short-lived sessions (SQLAlchemy 2.0 style on 1.4: future=True everywhere)."""
from __future__ import annotations

from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from bot.config import settings
from bot.store import jsoncodec

# How every engine of ours reads and writes JSON columns (bot/store/jsoncodec.py).
JSON_CODEC = {"json_serializer": jsoncodec.dumps, "json_deserializer": jsoncodec.loads}


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        # Pooled connections (SQLAlchemy 1.4 gives SQLite files a NullPool: a new connection per
        # session, and in WAL mode the last connection to close checkpoints the log every time).
        # Last in, first out: a connection that wrote last keeps its page cache (in WAL mode a
        # connection drops its cache when another one wrote).
        engine = create_engine(url, future=True, poolclass=QueuePool, pool_use_lifo=True,
                               connect_args={"timeout": 30, "check_same_thread": False}, **JSON_CODEC)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, future=True, pool_pre_ping=True, **JSON_CODEC)


def _sqlite_pragmas(connection, _record) -> None:
    # SQLite ignores foreign keys unless asked, per connection. Write-ahead logging (kept in the
    # file once set): a commit is one fsync instead of three, and readers (the web app, the
    # console) never wait for a writer; synchronous stays FULL, so a commit survives a power cut.
    connection.execute("PRAGMA foreign_keys=ON")
    connection.execute("PRAGMA journal_mode=WAL")


IN_LIST_SIZE = 2000  # ids per IN (...): well under SQLite's limit of bound variables


def chunks(items: list, size: int = IN_LIST_SIZE) -> Iterator[list]:
    """`items` in slices of `size`, for IN (...) lists."""
    for start in range(0, len(items), size):
        yield items[start:start + size]


def core(session: Session) -> Connection:
    """The session's connection, for Core statements (table columns, no ORM entities) run many
    times a pass: `session.execute` adds its ORM work to every statement (about a quarter of the
    time of the follow-up passes' statements, measured with cProfile). Pending ORM changes are
    flushed first, as the session's autoflush would."""
    session.flush()
    return session.connection()


def engine() -> Engine:
    return engine_for(settings().database_url)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """One unit of work: committed when the block ends, rolled back on any error."""
    with Session(engine_for(url) if url else engine(), future=True, expire_on_commit=False) as session:
        with session.begin():
            yield session
