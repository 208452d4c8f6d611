"""The JSON of our JSON columns and id lists (bot/store/jsoncodec.py)."""
from __future__ import annotations

import json
from datetime import date, datetime, timezone

from sqlalchemy import select

from bot.store import jsoncodec
from bot.store.db import engine_for, session_scope
from bot.store.migrate import upgrade
from bot.store.models import OutcomeEvent

FACTS = {"due_on": "2027-01-07", "instalment": 1, "open_cents": 100500, "signals": {"bounced_debit": 2},
         "moved_from": None, "ratio": 0.25, "keys": ["a1:i2|sms"], "amount": "€ 1.005"}


def test_what_it_writes_the_standard_library_reads_back_unchanged():
    text = jsoncodec.dumps(FACTS)
    assert json.loads(text) == FACTS
    assert "€ 1.005" in text  # UTF-8 as itself, not \u20ac


def test_it_reads_rows_the_standard_library_wrote_before():
    assert jsoncodec.loads(json.dumps(FACTS)) == FACTS
    assert jsoncodec.loads(json.dumps(FACTS).encode()) == FACTS


def test_dates_are_written_as_iso_text():
    assert jsoncodec.loads(jsoncodec.dumps({"on": date(2027, 2, 28)})) == {"on": "2027-02-28"}


def test_json_columns_go_through_it_on_sqlite(tmp_path):
    url = f"sqlite:///{tmp_path}/codec.db"
    upgrade(url)
    with session_scope(url) as session:
        session.add(OutcomeEvent(at=datetime(2027, 1, 4, tzinfo=timezone.utc), kind="contacted",
                                 data={"amount": "€ 5", "n": [1, 2]}))
    with engine_for(url).connect() as connection:
        stored = connection.exec_driver_sql("SELECT data FROM outcome_events").scalar_one()
    assert stored == '{"amount":"€ 5","n":[1,2]}'
    with session_scope(url) as session:
        assert session.execute(select(OutcomeEvent.data)).scalar_one() == {"amount": "€ 5", "n": [1, 2]}
