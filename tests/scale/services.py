"""Real PostgreSQL and Redis for tests/scale: used when they answer, skipped with the reason when
they do not, and required (a failure, not a skip) when CI=true.

Addresses: BETAALHULP_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test, the login
database; each test makes its own database next to it) and BETAALHULP_TEST_REDIS (default
redis://127.0.0.1:6379/14).
"""
from __future__ import annotations

import os
import uuid
from contextlib import contextmanager
from typing import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

PG_URL = os.environ.get("BETAALHULP_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("BETAALHULP_TEST_REDIS", "redis://127.0.0.1:6379/14")


def required() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def unavailable(what: str, error: Exception) -> None:
    reason = f"{what} does not answer ({type(error).__name__}: {error}); set CI=true to require it"
    if required():
        pytest.fail(f"CI=true and {reason}", pytrace=False)
    pytest.skip(reason)


def check_postgres() -> None:
    try:
        engine = create_engine(PG_URL, future=True, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as error:  # noqa: BLE001 - any failure means "not there"
        unavailable(f"PostgreSQL at {make_url(PG_URL).render_as_string(hide_password=True)}", error)


def check_redis() -> None:
    try:
        import redis

        redis.Redis.from_url(REDIS_URL, socket_timeout=3).ping()
    except Exception as error:  # noqa: BLE001
        unavailable(f"Redis at {REDIS_URL}", error)


@contextmanager
def fresh_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL, future=True, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n AND pid <> pg_backend_pid()"),
                {"n": name})
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()
