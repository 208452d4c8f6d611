"""Real databases for the outcome KPIs: a migrated SQLite file per test, and one migrated
PostgreSQL database per test session (emptied between tests). PostgreSQL is used when it
answers, skipped with the reason when it does not, and required when CI=true (tests/scale)."""
from __future__ import annotations

from typing import Iterator

import pytest
from sqlalchemy import text

from bot.store.db import engine_for, session_scope
from bot.store.migrate import upgrade
from tests.scale.services import check_postgres, fresh_database


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path / 'outcomes.db'}"
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def _postgres_database() -> Iterator[str]:
    check_postgres()
    with fresh_database("betaalhulp_outcomes") as url:
        upgrade(url)
        try:
            yield url
        finally:
            engine_for(url).dispose()


@pytest.fixture
def postgres_url(_postgres_database: str) -> Iterator[str]:
    yield _postgres_database
    with session_scope(_postgres_database) as session:
        session.execute(text("TRUNCATE outcome_events RESTART IDENTITY"))


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """The same test on real SQLite and on real PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")
