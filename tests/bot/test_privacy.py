import json
import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import create_engine, select, text

from bot import cases
from bot.privacy.erasure import erase_customer, export_customer
from bot.privacy.logfilter import PersonalDataFilter, mask
from bot.privacy.retention import apply_retention
from bot.store.db import session_scope
from bot.store.models import AuditEntry, Case, Customer

NOW = datetime(2026, 11, 22, 12, tzinfo=timezone.utc)


def tracker_with(tmp_path, conversations: dict[str, datetime]):
    engine = create_engine(f"sqlite:///{tmp_path / 'tracker.db'}", future=True)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE events (id INTEGER PRIMARY KEY, sender_id TEXT, type_name TEXT, "
                                "timestamp REAL, intent_name TEXT, action_name TEXT, data TEXT)"))
        for sender, last in conversations.items():
            for minutes in (10, 0):
                connection.execute(text("INSERT INTO events (sender_id, type_name, timestamp, data) "
                                        "VALUES (:s, 'user', :t, :d)"),
                                   {"s": sender, "t": (last - timedelta(minutes=minutes)).timestamp(),
                                    "d": json.dumps({"event": "user", "text": "hoi"})})
    return engine


def count(engine, sender):
    with engine.connect() as connection:
        return connection.execute(text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender}).scalar()


def test_masking_covers_what_ties_a_line_to_a_person():
    line = "klant 100001, geboren 12-04-1988, NL91 ABNA 0417 1643 00, € 210,00, +31612345001, a@b.nl"
    masked = mask(line)
    for secret in ("100001", "12-04-1988", "ABNA", "210", "612345001", "a@b.nl"):
        assert secret not in masked


def test_the_filter_masks_arguments_too(caplog):
    logger = logging.getLogger("test.privacy")
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "customer %s paid %s", ("100002", "€ 750"), None)
    PersonalDataFilter().filter(record)
    assert record.getMessage() == "customer [number] paid [amount]"
    assert logger  # the filter works on any record, whichever logger made it


def test_retention_deletes_old_conversations_but_keeps_open_cases(database, tmp_path):
    tracker = tracker_with(tmp_path, {"rest:old": NOW - timedelta(days=120), "rest:open": NOW - timedelta(days=120),
                                      "rest:recent": NOW - timedelta(days=10)})
    with session_scope() as session:
        cases.record(session, "rest:open", "rest")  # still open: its conversation stays
        old = cases.record(session, "rest:closed", "rest", status="closed")
        old.updated_at = NOW - timedelta(days=200)
    with session_scope() as session:
        counts = apply_retention(session, NOW, days=90, tracker=tracker)
    assert counts["conversations"] == 1 and counts["conversation_events"] == 2 and counts["cases"] == 1
    assert (count(tracker, "rest:old"), count(tracker, "rest:open"), count(tracker, "rest:recent")) == (0, 2, 2)
    with session_scope() as session:
        assert session.execute(select(Case.sender_id)).scalars().all() == ["rest:open"]
        run = session.execute(select(AuditEntry).where(AuditEntry.action == "retention_run")).scalar_one()
        assert run.detail["conversations"] == 1


def test_export_and_erasure_reach_every_store(database, tmp_path):
    tracker = tracker_with(tmp_path, {"rest:sanne": NOW, "rest:someone-else": NOW})
    with session_scope() as session:
        sanne = session.execute(select(Customer.id).where(Customer.customer_number == "100001")).scalar_one()
        cases.record(session, "rest:sanne", "rest", customer_id=sanne, answers={"cause_description": "vergeten"})
    with session_scope() as session:
        exported = export_customer(session, "100001", tracker=tracker)
    assert exported["customer"][0]["full_name"] == "Sanne de Vries"
    assert list(exported["conversations"]) == ["rest:sanne"] and exported["cases"][0]["answers"]
    with session_scope() as session:
        counts = erase_customer(session, "100001", tracker=tracker)
    assert counts["customers"] == 1 and counts["cases"] == 1 and counts["conversation_events"] == 2
    assert count(tracker, "rest:sanne") == 0 and count(tracker, "rest:someone-else") == 2
    with session_scope() as session:
        assert export_customer(session, "100001", tracker=tracker) is None
        assert session.execute(select(Customer).where(Customer.customer_number == "100001")).first() is None
