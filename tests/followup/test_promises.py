"""Promises the bot makes are kept (issue 21 §3, R28, R29).

- A payment pause's confirmation says "Op {datum} nemen we contact met je op": from the
  conversation (the real actions) to the message the follow-up engine sends on that day, under
  the rules of every unprompted message.
- A broken arrangement ends with a message saying what changed and what can still be done;
  "Je regeling is klaar" (aftercare) only after an arrangement completed by paying.
- Payment notices go at once only as the answer to the customer's own action; an expired link,
  or a report the web app could not tell in time, goes through the follow-up engine's rules.
"""
from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta

import pytest
import yaml
from sqlalchemy import select

from actions.solution import ActionAcceptProposal, ActionProposeSolution
from bot import clock
from bot.followup import calendar, checkins, ledger, optout
from bot.followup.engine import Engine
from bot.followup.policy import POLICY_FILE, PolicyError, parse
from bot.followup.policy import default as default_policy
from bot.followup.sending import RecordingSender
from bot.formatting import format_date_nl
from bot.payments.local import LocalProvider
from bot.payments.notify import notify_customer, retry_unnotified
from bot.payments.providers import ProviderStatus
from bot.payments.service import apply_status, request_payment
from bot.rasa_api import RasaApi
from bot.store.db import session_scope
from bot.store.models import Arrangement, Customer, FollowUp, Loan, Payment
from tests.actions.conftest import make_tracker, responses, run
from tests.actions.test_solution import verified
from tests.followup.helpers import (
    AMSTERDAM,
    add_arrangement,
    add_customer,
    aware,
    local,
    pay,
    rows,
    run_days,
    staff_replied,
)
from tests.payments.http_server import closed_port_url

AGREED = local(date(2026, 11, 23), 10, 0)  # a Monday, the seed's day after
PAUSE = {"arrears_cause": "illness", "cause_structural": False, "cause_description": "ik ben ziek",
         "cause_followup": "ja over drie maanden", "recovery_months": 3, "customer_wish": "pause"}


def tick(engine: Engine, at: datetime) -> None:
    clock.set_clock(lambda: at)
    engine.tick(at)


def agree_to_a_pause(sender: str) -> dict:
    """Sanne asks for a pause because she is ill for a while, and agrees: the confirmation."""
    clock.set_clock(lambda: AGREED)
    slots = {**verified("100001", "12-04-1988"), **PAUSE}
    run(ActionProposeSolution(), make_tracker(slots, sender=sender))
    _, messages = run(ActionAcceptProposal(), make_tracker({**slots, "awaiting_agreement": True}, sender=sender))
    assert responses(messages)[0] == "utter_confirm_payment_pause"
    # No payments in a pause: no "a reminder before each payment" either (R28).
    assert responses(messages)[-1] == "utter_arrangement_followup_no_payments"
    return messages[0]


def checkin_rows(url: str) -> list[FollowUp]:
    with session_scope(url) as session:
        return list(session.execute(select(FollowUp).where(FollowUp.kind == "checkin")).scalars())


def test_a_pause_confirmation_promises_a_day_and_that_day_the_message_goes(database):
    confirmation = agree_to_a_pause("rest:sanne")
    with session_scope(database) as session:
        arrangement = session.execute(select(Arrangement)).scalar_one()
        promised, ends_on = arrangement.checkin_on, arrangement.ends_on
    # The day the customer was told is the day stored.
    assert confirmation["checkin_date"] == format_date_nl(promised) and promised == date(2027, 2, 9)
    sender = RecordingSender()
    engine = Engine(database, sender=sender)
    tick(engine, AGREED + timedelta(minutes=1))
    tick(engine, local(promised - timedelta(days=2), 0, 10))
    assert not checkin_rows(database)  # not planned a long way ahead: as its day comes into view
    tick(engine, local(promised - timedelta(days=1), 0, 10))
    (row,) = checkin_rows(database)
    assert row.status == "pending" and aware(row.not_before) == local(promised, 9, 0)
    tick(engine, local(promised, 8, 59))
    assert checkin_rows(database)[0].status == "pending"
    tick(engine, local(promised, 9, 0))
    (delivery,) = [d for d in sender.deliveries if d.kind == "checkin"]
    assert (delivery.response, delivery.sender_id) == ("utter_followup_checkin", "rest:sanne")
    assert delivery.slots["pause_end_date"] == format_date_nl(ends_on) and delivery.slots["contact_person"]
    (row,) = checkin_rows(database)
    assert row.status == "sent" and row.rule == "R29.checkin" and row.facts["promised_for"] == promised.isoformat()
    assert aware(row.sent_at).astimezone(AMSTERDAM).replace(tzinfo=None) == datetime(2027, 2, 9, 9, 0)


def test_a_promise_on_a_closed_day_is_kept_the_open_day_before():
    policy = default_policy()
    # Easter Monday 2027 (29 March): Sunday and Good Friday are closed too, so Saturday.
    moment = checkins.promised_moment(date(2027, 3, 29), date(2027, 1, 4), local(date(2027, 3, 1), 9, 0), policy)
    assert moment == local(date(2027, 3, 27), 9, 0)
    # An open day stays as it is, at the send time.
    assert checkins.promised_moment(date(2027, 3, 30), date(2027, 1, 4), local(date(2027, 3, 1), 9, 0),
                                    policy) == local(date(2027, 3, 30), 9, 0)
    # Never in the past, never before the arrangement began.
    assert checkins.promised_moment(date(2027, 3, 29), date(2027, 3, 29), local(date(2027, 3, 29), 12, 0),
                                    policy) == calendar.next_allowed(local(date(2027, 3, 29), 12, 0), policy)


def test_a_promised_contact_is_not_sent_for_an_arrangement_that_ended(database):
    """The arrangement no longer runs when the day comes: nothing goes, and the reason is kept."""
    agree_to_a_pause("rest:sanne")
    with session_scope(database) as session:
        promised = session.execute(select(Arrangement)).scalar_one().checkin_on
    engine = Engine(database, sender=RecordingSender())
    tick(engine, AGREED + timedelta(minutes=1))
    tick(engine, local(promised - timedelta(days=1), 0, 10))
    with session_scope(database) as session:
        session.execute(select(Arrangement)).scalar_one().status = "cancelled"
    tick(engine, local(promised, 9, 0))
    (row,) = checkin_rows(database)
    assert (row.status, row.outcome) == ("skipped", "arrangement_ended")


# -- a broken arrangement ends with what changed and what can still be done (R5, R28) ----------------
def test_a_broken_arrangement_says_what_changed_and_never_that_it_is_done(db):
    customer, loan = add_customer(db, 41, senders=["rest:broken"])
    dues = [date(2027, 6, 8), date(2027, 7, 8), date(2027, 8, 9), date(2027, 9, 8)]
    arrangement = add_arrangement(db, customer, loan, dues, sender_id="rest:broken", starts_on=date(2027, 6, 1))
    engine = Engine(db, sender=RecordingSender())
    run_days(engine, date(2027, 6, 1), date(2027, 11, 30), times=((0, 10), (9, 0), (13, 0)))
    with session_scope(db) as session:
        ended = session.get(Arrangement, arrangement)
        assert ended.status == "broken" and ended.aftercare_from is None
    # The third missed (9 August, 3 days' grace) at the close of 13 August: broken, said the next morning.
    (row,) = [r for r in rows(db) if r.kind == "arrangement_broken"]
    assert row.status == "sent" and row.rule == "R28.arrangement_broken"
    assert aware(row.sent_at).astimezone(AMSTERDAM).date() == date(2027, 8, 14)
    assert row.slots["arrears_amount"] == "€ 400" and row.facts["missed_count"] == 3
    assert row.response == "utter_followup_arrangement_broken"
    assert not [r for r in rows(db) if r.kind == "aftercare"]  # "Je regeling is klaar" never goes


def test_aftercare_only_follows_an_arrangement_completed_by_paying(db):
    paid_customer, paid_loan = add_customer(db, 42, senders=["rest:paid"])
    paid = add_arrangement(db, paid_customer, paid_loan, [date(2027, 6, 8)], sender_id="rest:paid",
                           starts_on=date(2027, 6, 1))
    pause_customer, pause_loan = add_customer(db, 43, arrears_cents=30000, senders=["rest:pause"])
    with session_scope(db) as session:
        pause = ledger.start_arrangement(
            session, customer=session.get(Customer, pause_customer), loan=session.get(Loan, pause_loan),
            offer={"solution": "payment_pause", "policy_version": "test", "pause_months": 1},
            contact_person="Daan", sender_id="rest:pause", starts_on=date(2027, 6, 1)).id
    pay(db, paid, 1, local(date(2027, 6, 7), 12))
    engine = Engine(db, sender=RecordingSender())
    run_days(engine, date(2027, 6, 1), date(2027, 8, 12), times=((0, 10), (9, 0)))
    with session_scope(db) as session:
        assert session.get(Arrangement, paid).status == session.get(Arrangement, pause).status == "completed"
    aftercare = [r for r in rows(db) if r.kind == "aftercare"]
    # The paid one: a check-in every month (9 July, 9 August). The pause that ran out on 1 July
    # (its check-in would be 2 August): its arrears still stand, so never "klaar".
    assert [(r.arrangement_id, r.status, r.facts["meant_for"]) for r in aftercare] == [
        (paid, "sent", "2027-07-09"), (paid, "sent", "2027-08-09")]
    assert not [r for r in rows(db) if r.kind == "arrangement_broken"]


def test_the_policy_refuses_aftercare_after_a_broken_arrangement():
    data = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    data["kinds"]["aftercare"]["after"] = ["completed", "broken"]
    with pytest.raises(PolicyError, match="completed"):
        parse(data)


# -- payment notices: at once only as the answer to the customer's own action -------------------------
FRIDAY = date(2027, 3, 5)


def link_reported(url: str, customer_id: int, loan_id: int, sender: str, status: ProviderStatus, at: datetime,
                  key: str) -> str:
    """A payment link made for this conversation, and the provider's report of it at `at`."""
    clock.set_clock(lambda: at - timedelta(days=14))
    with session_scope(url) as session:
        made = request_payment(session, customer_id=customer_id, loan_id=loan_id, amount_cents=20000,
                               sender_id=sender, channel=sender.split(":")[0], idempotency_key=key,
                               provider=LocalProvider(public_url="http://localhost:8080", database_url=url))
    clock.set_clock(lambda: at)
    with session_scope(url) as session:
        payment = session.execute(select(Payment).where(Payment.public_id == made.public_id)).scalar_one()
        apply_status(session, payment, status)
    return made.public_id


def notices_of(url: str) -> list[FollowUp]:
    return [r for r in rows(url) if r.kind == "payment_notice"]


def test_an_expired_link_is_told_by_the_engine_under_quiet_hours_not_at_once(db):
    customer, loan = add_customer(db, 51, arrears_cents=20000, senders=["rest:late"])
    engine = Engine(db, sender=RecordingSender())
    tick(engine, local(FRIDAY, 21, 0))
    # The link expires on Friday evening, 14 days after it was made: nobody acted just now.
    public_id = link_reported(db, customer, loan, "rest:late", ProviderStatus("expired"), local(FRIDAY, 22, 0), "x1")
    assert asyncio.run(notify_customer(public_id, rasa=RasaApi(base_url=closed_port_url()), database_url=db))
    tick(engine, local(FRIDAY, 22, 1))
    (row,) = notices_of(db)
    assert (row.status, row.response, row.rule) == ("pending", "utter_payment_expired", "R28.payment_notice")
    assert aware(row.not_before) == local(FRIDAY + timedelta(days=1), 7, 0)  # out of the quiet hours
    tick(engine, local(FRIDAY + timedelta(days=1), 7, 0))
    (row,) = notices_of(db)
    assert row.status == "sent" and row.sender_id == "rest:late" and row.slots == {"payment_amount": "€ 200"}
    assert row.facts["status"] == "expired" and row.facts["pressure_limit"] == 3


def test_a_late_notice_waits_for_the_pressure_limit_and_never_goes_to_an_opted_out_address(db):
    busy, busy_loan = add_customer(db, 52, arrears_cents=20000, senders=["rest:busy"])
    gone, gone_loan = add_customer(db, 53, arrears_cents=20000, senders=["rest:gone"])
    for hours in (1, 2, 3):
        staff_replied(db, "rest:busy", local(FRIDAY, 9, 0) - timedelta(hours=hours))
    with session_scope(db) as session:
        optout.opt_out(session, "rest:gone", "customer_stop", gone)
    engine = Engine(db, sender=RecordingSender())
    link_reported(db, busy, busy_loan, "rest:busy", ProviderStatus("expired"), local(FRIDAY, 10, 0), "x2")
    link_reported(db, gone, gone_loan, "rest:gone", ProviderStatus("expired"), local(FRIDAY, 10, 0), "x3")
    tick(engine, local(FRIDAY, 10, 1))
    by_customer = {r.customer_id: r for r in notices_of(db)}
    assert (by_customer[busy].status, by_customer[busy].outcome) == ("pending", "deferred:pressure")
    assert (by_customer[gone].status, by_customer[gone].outcome) == ("skipped", "opted_out")


def test_a_paid_report_the_web_app_could_not_tell_in_time_goes_through_the_engine_once(db):
    customer, loan = add_customer(db, 54, arrears_cents=20000, senders=["rest:paid"])
    engine = Engine(db, sender=RecordingSender())
    public_id = link_reported(db, customer, loan, "rest:paid", ProviderStatus("paid", 20000), local(FRIDAY, 10, 0),
                              "x4")
    tick(engine, local(FRIDAY, 10, 5))
    assert not notices_of(db)  # still the web app's: the answer to what the customer just did
    clock.set_clock(lambda: local(FRIDAY, 10, 11))  # Rasa was down until now: no longer immediate
    assert asyncio.run(retry_unnotified(rasa=RasaApi(base_url=closed_port_url()), database_url=db)) == 0
    assert asyncio.run(notify_customer(public_id, rasa=RasaApi(base_url=closed_port_url()), database_url=db))
    tick(engine, local(FRIDAY, 10, 13))
    (row,) = notices_of(db)
    assert (row.status, row.response) == ("sent", "utter_payment_received")
    tick(engine, local(FRIDAY, 11, 0))
    assert len(notices_of(db)) == 1
