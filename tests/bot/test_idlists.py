"""Id lists as one parameter (bot/store/idlists.py) on real SQLite and real PostgreSQL: the same
rows as an IN list, for ints and strings, negated, empty, and one SQL text for every length."""
from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select, text

from bot.store.db import engine_for
from bot.store.idlists import id_list, in_list
from tests.scale.services import check_postgres, fresh_database

metadata = MetaData()
things = Table("things", metadata, Column("id", Integer, primary_key=True), Column("name", String(20), index=True))
BY_ID = select(things.c.id).where(in_list(things.c.id, id_list())).order_by(things.c.id)
BY_NAME = select(things.c.id).where(in_list(things.c.name, id_list("names"))).order_by(things.c.id)
NOT_BY_ID = select(things.c.id).where(~in_list(things.c.id, id_list())).order_by(things.c.id)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request, tmp_path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lists.db'}"
        return
    check_postgres()
    with fresh_database("betaalhulp_idlists") as pg_url:
        yield pg_url
        engine_for(pg_url).dispose()


@pytest.fixture
def connection(url):
    engine = engine_for(url)
    metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(things), [{"id": n, "name": f"n{n}"} for n in range(1, 3001)])
    with engine.connect() as conn:
        yield conn


def test_the_rows_an_in_list_gives(connection) -> None:
    wanted = [5, 17, 2999, 4000]
    assert connection.execute(BY_ID, {"ids": wanted}).scalars().all() == [5, 17, 2999]
    assert connection.execute(BY_NAME, {"names": ["n3", "n12", "nope"]}).scalars().all() == [3, 12]
    assert connection.execute(BY_ID, {"ids": list(range(1, 2501))}).scalars().all() == list(range(1, 2501))


def test_negated_and_empty(connection) -> None:
    assert connection.execute(NOT_BY_ID, {"ids": list(range(3, 3001))}).scalars().all() == [1, 2]
    assert connection.execute(BY_ID, {"ids": []}).scalars().all() == []
    assert len(connection.execute(NOT_BY_ID, {"ids": []}).scalars().all()) == 3000


def test_one_sql_text_for_every_length(connection) -> None:
    compiled = {str(BY_ID.compile(connection)) for _ in range(3)}
    assert len(compiled) == 1
    sql = compiled.pop()
    assert "json_each" in sql if connection.dialect.name == "sqlite" else "ANY(CAST" in sql


def test_sqlite_looks_the_list_up_by_the_index(tmp_path) -> None:
    engine = engine_for(f"sqlite:///{tmp_path / 'plan.db'}")
    metadata.create_all(engine)
    with engine.connect() as conn:
        sql = str(BY_NAME.compile(conn)).replace("?", "'[\"n1\"]'")
        plan = " ".join(row[3] for row in conn.execute(text("EXPLAIN QUERY PLAN " + sql)))
    assert "SEARCH things USING" in plan and "SCAN things" not in plan
