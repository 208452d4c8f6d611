"""The lender's data (issue 21 §2): the demo database (tests/conftest.py `database`, seeded on
2026-11-22) on a fixed clock a few days later, and a way to send it a batch of records."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

import pytest

from bot import clock
from bot.intake import schema
from bot.intake.service import Outcome, take_in_batch

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=timezone.utc)  # Wednesday 10:00 in the Netherlands
TODAY = date(2026, 11, 25)


@pytest.fixture
def lender(database, monkeypatch):
    monkeypatch.setenv("BETAALHULP_WEB_SECRET", "intake-tests-secret")
    clock.set_clock(lambda: NOW)
    yield database
    clock.set_clock(None)


def send(url: str, *records: dict, via: str = "file") -> Outcome:
    """One batch, as the file import and the endpoint take it (JSON lines)."""
    lines = [json.dumps(record) for record in records]
    return take_in_batch(schema.parse_lines(lines, clock.today()), via=via, database_url=url)
