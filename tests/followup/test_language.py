"""The follow-up engine writes to each customer in their language (issue 27)."""
from __future__ import annotations

import asyncio
from datetime import date
from pathlib import Path

from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker

from bot import customer_language
from bot.followup.engine import Engine
from bot.followup.policy import default
from bot.followup.sending import RecordingSender
from bot.rasa_ext.nlg import LanguageNLG
from bot.store.db import session_scope
from tests.followup.helpers import add_arrangement, add_customer, run_days

ROOT = Path(__file__).resolve().parents[2]


def said(delivery) -> str:
    """The delivery as Rasa says it: its slots set in the conversation, then the response."""
    domain = Domain.load(str(ROOT / "domain"))
    tracker = DialogueStateTracker.from_events(delivery.sender_id,
                                               [SlotSet(k, v) for k, v in delivery.slots.items()], domain.slots)
    return asyncio.run(LanguageNLG(None, domain).generate(delivery.response, tracker, "rest"))["text"]


def test_an_english_customer_gets_an_english_reminder_and_a_dutch_one_a_dutch_one(db):
    english, loan_en = add_customer(db, 1, senders=["rest:emma"])
    dutch, loan_nl = add_customer(db, 2, senders=["rest:daan"])
    with session_scope(db) as session:
        customer_language.remember(session, english, "en")
    for customer, loan, sender in ((english, loan_en, "rest:emma"), (dutch, loan_nl, "rest:daan")):
        add_arrangement(db, customer, loan, [date(2027, 6, 8), date(2027, 7, 8)], amount=1250,
                        sender_id=sender, starts_on=date(2027, 6, 1))
    recording = RecordingSender()
    run_days(Engine(db, sender=recording, policy=default()), date(2027, 6, 1), date(2027, 6, 6))
    first = {d.sender_id: d for d in reversed(recording.deliveries) if d.kind == "reminder_before"}
    assert first["rest:emma"].slots["language"] == "en" and "language" not in first["rest:daan"].slots
    english_text, dutch_text = said(first["rest:emma"]), said(first["rest:daan"])
    assert english_text.startswith(("Hi! On 8 June 2027 your payment of €1,250 is due.",
                                    "A small reminder: on 8 June 2027 you pay €1,250."))
    assert "8 juni 2027" in dutch_text and "€ 1.250" in dutch_text
