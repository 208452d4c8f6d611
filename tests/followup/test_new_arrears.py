"""First contact on new arrears (issue 21 §2, R24, R25): the lender's books show arrears, and the
follow-up engine reminds the customer at once, kindly, with a payment link and QR code, under
the rules of every unprompted message.

Case book (written from R24/R25, seed 000 §3.1 and seed 002 V before the code):
| situation when the arrears are seen                    | what happens                                  |
| weekday 10:00, phone known                             | SMS within the pass: amount, link, QR          |
| Saturday 21:30                                         | Monday 07:00 (quiet hours, no Sundays)         |
| the customer chats with us (verified) before it goes   | skipped: in_conversation (they saw it there)   |
| an arrangement is running                              | skipped: arrangement_running (its own messages)|
| paid through the link before it goes                   | skipped: arrears_cleared                       |
| WhatsApp conversation, window closed                   | WhatsApp as the approved template              |
| WhatsApp opted out                                     | SMS instead; never the opted-out address       |
| only a web chat of weeks ago, no phone                 | skipped: no_channel (a closed tab reaches no one) |
| 3 unprompted messages in the last 7 days               | waits for the pressure window                  |
| arrears that began 120 days ago, first seen now        | not new: nothing planned                       |
| the engine was down for a week                         | skipped: no_longer_relevant                    |
| the arrears grow a term later                          | no second first contact                        |
"""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta

from sqlalchemy import select

from bot import clock
from bot.followup import optout
from bot.followup.engine import Engine
from bot.followup.policy import default as default_policy
from bot.followup.sending import RecordingSender
from bot.intake import schema
from bot.intake.service import take_in_batch
from bot.payments.providers import ProviderStatus
from bot.payments.service import apply_status
from bot.store.db import session_scope
from bot.store.models import Case, FollowUp, Loan, Payment
from tests.followup.helpers import add_arrangement, add_customer, customer_wrote, local, rows, staff_replied

TUESDAY = date(2027, 3, 2)


def books(url: str, at: datetime, number: int, cents: int, terms: int = 1, since: date | None = None,
          record: str | None = None) -> None:
    """The lender's books for loan T-<number>, taken in at `at` (as bot/intake does)."""
    clock.set_clock(lambda: at)
    figure = {"type": "loan", "id": record or f"BK-{number}-{at:%Y%m%d%H%M}", "loan_reference": f"T-{number}",
              "as_of": clock.today().isoformat(), "arrears_cents": cents, "terms_behind": terms}
    if since:
        figure["arrears_since"] = since.isoformat()
    outcome = take_in_batch(schema.parse_lines([json.dumps(figure)], clock.today()), via="file", database_url=url)
    assert outcome.accepted, outcome.as_dict()


def tick(engine: Engine, at: datetime) -> None:
    clock.set_clock(lambda: at)
    engine.tick(at)


def first_contacts(url: str) -> list[FollowUp]:
    return [r for r in rows(url) if r.kind == "new_arrears"]


def test_new_arrears_in_the_books_bring_a_kind_message_with_link_and_qr_at_once(db):
    customer, _ = add_customer(db, 1, phone="+31611110001")
    sender = RecordingSender()
    engine = Engine(db, sender=sender)
    tick(engine, local(TUESDAY, 9, 0))
    books(db, local(TUESDAY, 10, 0), 1, 20000, since=TUESDAY - timedelta(days=1))
    tick(engine, local(TUESDAY, 10, 0) + timedelta(seconds=30))
    (delivery,) = sender.deliveries
    assert (delivery.kind, delivery.response, delivery.sender_id, delivery.output_channel) == (
        "new_arrears", "utter_followup_new_arrears", "twilio_sms:+31611110001", "twilio_signed")
    slots = delivery.slots
    assert slots["arrears_amount"] == "€ 200" and "/pay/" in slots["payment_link"]
    assert slots["payment_qr_url"].endswith(".png") and "contact_person" not in slots
    with session_scope(db) as session:
        link = session.execute(select(Payment)).scalar_one()
    assert (link.amount_cents, link.customer_id) == (20000, customer) and link.idempotency_key.startswith("arrears:")
    assert slots["payment_link"].endswith(link.public_id) and link.public_id in slots["payment_qr_url"]
    (row,) = first_contacts(db)
    assert row.status == "sent" and row.rule == "R24.new_arrears" and row.policy_version == default_policy().version
    assert row.facts["arrears_began_on"] == "2027-03-01" and row.facts["days_since_arrears_began"] == 1
    # Once per episode: later passes, and the arrears growing a term, bring no second one.
    tick(engine, local(TUESDAY, 11, 0))
    books(db, local(TUESDAY + timedelta(days=30), 10, 0), 1, 40000, terms=2)
    tick(engine, local(TUESDAY + timedelta(days=30), 10, 1))
    assert len(sender.deliveries) == 1 and len(first_contacts(db)) == 1


def test_arrears_seen_on_a_saturday_evening_are_told_on_monday_morning(db):
    add_customer(db, 2, phone="+31611110002")
    engine = Engine(db, sender=RecordingSender())
    saturday = date(2027, 3, 6)
    books(db, local(saturday, 21, 30), 2, 20000)
    for moment in (local(saturday, 21, 31), local(saturday + timedelta(days=1), 12, 0),
                   local(saturday + timedelta(days=2), 7, 0)):
        tick(engine, moment)
    (row,) = first_contacts(db)
    assert row.status == "sent"
    assert row.sent_at.replace(tzinfo=None) == local(saturday + timedelta(days=2), 7, 0).replace(tzinfo=None)


def test_no_first_contact_for_who_talked_to_us_since_has_an_arrangement_or_paid(db):
    talked, _ = add_customer(db, 3, phone="+31611110003")
    arranged, arranged_loan = add_customer(db, 4, phone="+31611110004")
    add_arrangement(db, arranged, arranged_loan, [TUESDAY + timedelta(days=20)], starts_on=TUESDAY - timedelta(days=5))
    paying, _ = add_customer(db, 5, phone="+31611110005")
    engine = Engine(db, sender=RecordingSender())
    evening = local(TUESDAY, 22, 0)
    for number, cents in ((3, 20000), (4, 20000), (5, 20000)):
        books(db, evening, number, cents)
    tick(engine, evening + timedelta(minutes=1))  # planned for 07:00
    with session_scope(db) as session:
        # Customer 3 writes in the web chat at 23:00 and verifies: the bot shows the arrears there.
        session.add(Case(sender_id="web:abc", channel="widget", customer_id=talked, answers={}, finances={},
                         signals=[], opened_at=evening + timedelta(hours=1), updated_at=evening + timedelta(hours=1)))
        # Customer 5 pays the whole amount through a link the same evening.
        loan = session.execute(select(Loan).where(Loan.customer_id == paying)).scalar_one()
        from bot.payments.service import request_payment

        made = request_payment(session, customer_id=paying, loan_id=loan.id, amount_cents=20000, sender_id="web:x",
                               channel="widget", idempotency_key="evening")
        apply_status(session, session.execute(select(Payment).where(Payment.public_id == made.public_id)).scalar_one(),
                     ProviderStatus("paid", 20000))
    # Paid off: its first contact is skipped at once, so staff's list of planned messages drops it.
    assert {r.customer_id: r.status for r in first_contacts(db)}[paying] == "skipped"
    tick(engine, local(TUESDAY + timedelta(days=1), 7, 0))
    outcome = {r.customer_id: (r.status, r.outcome) for r in first_contacts(db)}
    assert outcome == {talked: ("skipped", "in_conversation"), arranged: ("skipped", "arrangement_running"),
                       paying: ("skipped", "arrears_cleared")}


def test_first_contact_picks_the_address_by_the_rules_of_every_message(db):
    on_whatsapp, _ = add_customer(db, 6, phone="+31611110006", senders=["twilio_whatsapp:+31611110006"])
    opted, _ = add_customer(db, 7, phone="+31611110007", senders=["twilio_whatsapp:+31611110007"])
    web_only, _ = add_customer(db, 8, senders=["web:old-tab"])
    busy, _ = add_customer(db, 9, phone="+31611110009")
    with session_scope(db) as session:
        optout.opt_out(session, "twilio_whatsapp:+31611110007", "customer_stop", opted)
    customer_wrote(db, "twilio_whatsapp:+31611110006", local(TUESDAY, 9, 0) - timedelta(days=3))  # window closed
    for hours in (50, 30, 10):
        staff_replied(db, "twilio_sms:+31611110009", local(TUESDAY, 10, 0) - timedelta(hours=hours))
    sender = RecordingSender()
    engine = Engine(db, sender=sender)
    for number in (6, 7, 8, 9):
        books(db, local(TUESDAY, 10, 0), number, 20000)
    tick(engine, local(TUESDAY, 10, 1))
    got = {d.customer_id: d.sender_id for d in sender.deliveries}
    assert got == {on_whatsapp: "twilio_whatsapp:+31611110006", opted: "twilio_sms:+31611110007"}
    found = {r.customer_id: r for r in first_contacts(db)}
    assert found[on_whatsapp].facts["whatsapp_template"] == "followup_new_arrears"
    assert (found[web_only].status, found[web_only].outcome) == ("skipped", "no_channel")
    assert (found[busy].status, found[busy].outcome) == ("pending", "deferred:pressure")


def test_old_arrears_are_not_new_and_a_week_late_is_too_late(db):
    add_customer(db, 10, phone="+31611110010")
    add_customer(db, 11, phone="+31611110011")
    engine = Engine(db, sender=RecordingSender())
    books(db, local(TUESDAY, 10, 0), 10, 20000, since=TUESDAY - timedelta(days=120))
    tick(engine, local(TUESDAY, 10, 1))
    assert first_contacts(db) == []
    # Seen on Tuesday evening, but no engine ran until the Tuesday after (R25: within days).
    books(db, local(TUESDAY, 22, 0), 11, 20000)
    other = Engine(db, sender=RecordingSender())
    tick(other, local(TUESDAY, 22, 1))
    tick(other, local(TUESDAY + timedelta(days=7), 10, 0))
    (row,) = first_contacts(db)
    assert (row.status, row.outcome) == ("skipped", "no_longer_relevant")


def test_the_demo_customers_in_arrears_each_get_one_planned_on_a_fresh_start(database):
    """`make run` on a fresh machine: seed, then the engine's first pass (its console page lists them)."""
    from bot.console.followups import followup_lists

    engine = Engine(database, sender=RecordingSender())
    quiet = local(date(2026, 11, 22), 22, 0)  # seeded that day; a Sunday evening: nothing goes yet
    tick(engine, quiet)
    with session_scope(database) as session:
        upcoming, _ = followup_lists(session)
        numbers = sorted(r["customer_number"] for r in upcoming if r["kind"] == "nieuwe achterstand")
        planned = session.execute(select(FollowUp).where(FollowUp.kind == "new_arrears")).scalars().all()
    assert numbers == ["100001", "100002", "100003", "100004"]
    assert {r.channel for r in planned} == {"sms"} and all(r.status == "pending" for r in planned)
