"""Bulk writes (bot/store/bulk.py) on real SQLite and real PostgreSQL: what lands in the database
is byte for byte what SQLAlchemy's own execution stores (JSON, time zones, None in JSON, the
statement's constants), and a row that leaves out a column with a default is refused."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Iterator

import pytest
from sqlalchemy import JSON, Column, DateTime, Integer, MetaData, String, Table, bindparam, insert, text, update
from sqlalchemy.orm import Session

from bot.store.bulk import BulkStatement
from bot.store.db import engine_for
from tests.scale.services import check_postgres, fresh_database

metadata = MetaData()


def _table(name: str) -> Table:
    return Table(name, metadata, Column("id", Integer, primary_key=True), Column("label", String(20)),
                 Column("at", DateTime(timezone=True)), Column("data", JSON, nullable=True),
                 Column("state", String(12), default="new"), Column("note", String(40)))


BY_SQLALCHEMY, BY_BULK = _table("by_sqlalchemy"), _table("by_bulk")
AMSTERDAM = timezone(timedelta(hours=1))
ROWS = [{"id": n, "label": f"r{n}", "at": datetime(2027, 3, 26, 1, n, tzinfo=AMSTERDAM if n % 2 else timezone.utc),
         "data": None if n == 3 else {"n": n, "naam": "één", "list": [1, 2]}, "state": "new"} for n in range(1, 7)]


@pytest.fixture(params=["sqlite", "postgresql"])
def session(request, tmp_path) -> Iterator[Session]:
    def opened(url: str) -> Iterator[Session]:
        engine = engine_for(url)
        metadata.create_all(engine)
        with Session(engine, future=True) as session, session.begin():
            yield session
        engine.dispose()

    if request.param == "sqlite":
        yield from opened(f"sqlite:///{tmp_path / 'bulk.db'}")
        return
    check_postgres()
    with fresh_database("betaalhulp_bulk") as url:
        yield from opened(url)


def _stored(session: Session, table: Table) -> list[tuple]:
    # As text, so a difference in how a value was stored shows even where the types would hide it.
    return [tuple(str(v) for v in row) for row in session.execute(text(f"SELECT * FROM {table.name} ORDER BY id"))]


def test_an_insert_stores_what_sqlalchemy_stores(session) -> None:
    session.execute(insert(BY_SQLALCHEMY), ROWS)
    BulkStatement(insert(BY_BULK), tuple(ROWS[0])).execute(session, ROWS)
    assert _stored(session, BY_BULK) == _stored(session, BY_SQLALCHEMY)
    assert len(_stored(session, BY_BULK)) == 6


def test_an_update_with_constants_stores_what_sqlalchemy_stores(session) -> None:
    for table in (BY_SQLALCHEMY, BY_BULK):
        session.execute(insert(table), ROWS)
    changes = [{"b_id": n, "b_data": {"changed": n}, "b_at": datetime(2027, 10, 31, 2, 30, tzinfo=timezone.utc)}
               for n in (2, 3, 5)]

    def statement(table: Table):
        return update(table).where(table.c.id == bindparam("b_id")).values(
            state="done", note=None, data=bindparam("b_data"), at=bindparam("b_at"))

    session.execute(statement(BY_SQLALCHEMY), changes)
    BulkStatement(statement(BY_BULK), ("b_id", "b_data", "b_at")).execute(session, changes)
    stored = _stored(session, BY_BULK)
    assert stored == _stored(session, BY_SQLALCHEMY)
    assert [row[4] for row in stored] == ["new", "done", "done", "new", "done", "new"]


def test_rows_without_a_defaulted_column_are_refused_on_sqlite(tmp_path) -> None:
    engine = engine_for(f"sqlite:///{tmp_path / 'refused.db'}")
    metadata.create_all(engine)
    rows = [{key: value for key, value in row.items() if key != "state"} for row in ROWS]
    with Session(engine, future=True) as session, session.begin():
        with pytest.raises(ValueError, match=r"rows must carry \['state'\]"):
            BulkStatement(insert(BY_BULK), tuple(rows[0])).execute(session, rows)
        BulkStatement(insert(BY_BULK), ("id",)).execute(session, [])  # nothing to write: no statement at all
        assert _stored(session, BY_BULK) == []
