"""Fixtures for the follow-up engine: a migrated SQLite database per test (copied from one made
once by the real migrations, so a test pays milliseconds, not an Alembic run), the policy, and
a way to build customers and arrangements."""
from __future__ import annotations

import shutil

import pytest

from bot import clock
from bot.config import settings
from bot.followup import engine as engine_module
from bot.store.db import engine_for
from bot.store.migrate import upgrade


@pytest.fixture(scope="session")
def template_database(tmp_path_factory):
    path = tmp_path_factory.mktemp("followup-template") / "template.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    engine_for(url).dispose()
    return path


@pytest.fixture
def db(template_database, tmp_path, monkeypatch) -> str:
    """A fresh, migrated, empty SQLite database (the configured one for this test)."""
    target = tmp_path / "followup.db"
    shutil.copy(template_database, target)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("BETAALHULP_DATABASE_URL", url)
    monkeypatch.setenv("BETAALHULP_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BETAALHULP_WEB_SECRET", "followup-tests-secret")
    settings.cache_clear()
    yield url
    engine_module.database(url).dispose()
    engine_for(url).dispose()
    settings.cache_clear()


@pytest.fixture(autouse=True)
def _real_clock_after():
    yield
    clock.set_clock(None)
