"""Shared fixtures: a real, migrated and seeded SQLite database per test that asks for one."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot import clock
from bot.config import settings
from bot.store.migrate import upgrade
from bot.store.seed import seed_demo_customers

FIXED_NOW = datetime(2026, 11, 22, 10, 0, tzinfo=timezone.utc)


@pytest.fixture
def database(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'betaalhulp.db'}"
    monkeypatch.setenv("BETAALHULP_DATABASE_URL", url)
    settings.cache_clear()
    upgrade(url)
    seed_demo_customers(url, today=date(2026, 11, 22))
    yield url
    settings.cache_clear()


@pytest.fixture
def fixed_clock():
    clock.set_clock(lambda: FIXED_NOW)
    yield FIXED_NOW
    clock.set_clock(None)
