"""Our Alembic migrations up, down and up again on a real PostgreSQL (issue 7)."""
from __future__ import annotations

from sqlalchemy import create_engine, inspect, text

from bot.store.migrate import downgrade, upgrade
from bot.store.seed import seed_demo_customers
from tests.scale.services import fresh_database


def _tables(url: str) -> set[str]:
    engine = create_engine(url, future=True)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def test_migrations_up_down_up_on_postgres(postgres):
    with fresh_database("betaalhulp_migrations") as url:
        upgrade(url)
        tables = _tables(url)
        assert {"customers", "loans"} <= tables, tables
        assert seed_demo_customers(url) >= 5
        engine = create_engine(url, future=True)
        with engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM customers")).scalar_one() >= 5
        engine.dispose()

        downgrade(url)
        assert _tables(url) == set()

        upgrade(url)
        assert _tables(url) == tables
        from bot.store.db import engine_for

        engine_for(url).dispose()
