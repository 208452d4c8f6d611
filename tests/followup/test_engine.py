"""The follow-up engine on a real SQLite database with the recording channel (issue 10 §1-3)."""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

import httpx
import pytest
from sqlalchemy import select, text, update

from bot import clock
from bot.followup import deciding, ledger, optout
from bot.followup import engine as engine_module
from bot.followup.engine import Engine
from bot.followup.outreach import anchors_for
from bot.followup.policy import default
from bot.followup.sending import Delivery, RasaSender, RecordingSender, SendFailed, SendLater
from bot.policy.dates import add_months
from bot.rasa_api import RasaApi
from bot.store.db import engine_for as store_engine_for
from bot.store.db import session_scope
from bot.store.migrate import upgrade
from bot.store.models import Arrangement, FollowUp, Instalment, OutcomeEvent
from tests.followup.helpers import (
    add_arrangement,
    add_customer,
    add_signal,
    aware,
    customer_wrote,
    local,
    pay,
    rows,
    run_days,
    sent,
    staff_replied,
)
from tests.scale.services import check_postgres, fresh_database

POLICY = default()


def engine_for(url: str, sender=None, **kwargs) -> Engine:
    return Engine(url, sender=sender or RecordingSender(), policy=kwargs.pop("policy", POLICY), **kwargs)


def test_a_arrangement_through_reminders_a_miss_a_success_and_aftercare(db):
    customer, loan = add_customer(db, 1, phone="+31611111111", senders=["rest:anna"])
    arrangement = add_arrangement(db, customer, loan, [date(2027, 6, 8), date(2027, 7, 8), date(2027, 8, 9)],
                                  sender_id="rest:anna", starts_on=date(2027, 6, 1))
    payments = {local(date(2027, 6, 6), 12): 1, local(date(2027, 8, 9), 12): 3}

    def customer_pays(moment):
        for at in [at for at in payments if at <= moment]:
            pay(db, arrangement, payments.pop(at), at)

    engine = engine_for(db)
    run_days(engine, date(2027, 6, 1), date(2027, 9, 12), before=customer_pays)
    assert sent(db) == [
        ("reminder_before", "rest", datetime(2027, 6, 5, 9, 0)),    # Saturday, 3 days before
        # paid on the 6th: no reminder on the 8th
        ("reminder_before", "rest", datetime(2027, 7, 5, 9, 0)),
        ("reminder_today", "rest", datetime(2027, 7, 8, 9, 0)),
        ("missed", "rest", datetime(2027, 7, 9, 9, 0)),
        ("reminder_before", "rest", datetime(2027, 8, 6, 9, 0)),
        ("reminder_today", "rest", datetime(2027, 8, 9, 9, 0)),
        ("success", "rest", datetime(2027, 8, 9, 13, 0)),           # 2 of 3 paid: the half-way mark
        # Ended with one instalment missed: broken, so it says so (R28), never "klaar" (no aftercare);
        # the morning after, deferred by the pressure limit (3 messages since 6 August).
        ("arrangement_broken", "rest", datetime(2027, 8, 13, 13, 0)),
    ]
    by_kind = {r.kind: r for r in rows(db) if r.status == "sent"}
    success = by_kind["success"]
    assert success.slots == {"paid_count": "2", "instalment_count": "3", "contact_person": "Anouk"}
    assert success.facts["milestone"] == 2 and success.facts["milestone_name"] == "half"
    reminder = by_kind["reminder_today"]
    assert reminder.slots["instalment_amount"] == "€ 100" and reminder.slots["due_date"] == "9 augustus 2027"
    assert reminder.slots["payment_link"].startswith("http") and reminder.slots["payment_qr_url"].endswith(".png")
    assert reminder.rule == "R23.reminder_today" and reminder.policy_version == POLICY.version
    missed = by_kind["missed"]
    assert missed.facts["days_overdue"] == 1 and missed.facts["behind_count"] == 1
    assert set(missed.slots) == {"instalment_amount", "payment_link", "payment_qr_url", "contact_person"}
    # Every sent follow-up wrote its `contacted` outcome event: rule, channel, kind.
    with session_scope(db) as session:
        contacted = session.execute(select(OutcomeEvent).where(OutcomeEvent.kind == "contacted")).scalars().all()
        assert sorted((e.reason, e.channel, e.data["kind"]) for e in contacted) == sorted(
            (r.rule, r.channel, r.kind) for r in rows(db) if r.status == "sent")
        # The same link for every message about one instalment (idempotency key instalment:<id>).
        links = {r.instalment_id: set() for r in rows(db) if r.instalment_id}
        for r in rows(db):
            if r.status == "sent" and r.instalment_id:
                links[r.instalment_id].add(r.slots["payment_link"])
        assert all(len(found) == 1 for found in links.values() if found)


def test_two_missed_instalments_bring_a_reassessment_and_break_at_three(db):
    customer, loan = add_customer(db, 2, senders=["telegram:42"])
    dues = [date(2027, 6, 8), date(2027, 7, 8), date(2027, 8, 9), date(2027, 9, 8)]
    add_arrangement(db, customer, loan, dues, sender_id="telegram:42", starts_on=date(2027, 6, 1))
    run_days(db_engine := engine_for(db), date(2027, 6, 1), date(2027, 8, 20))
    kinds = [k for k, _, _ in sent(db)]
    assert kinds.count("reassessment") == 1
    reassessment = next(r for r in rows(db) if r.kind == "reassessment")
    # The second instalment (8 July) is missed after 3 days' grace: known on the 12th, said on the 13th.
    assert aware(reassessment.sent_at) == local(date(2027, 7, 13), 9)
    assert reassessment.facts["missed_count"] == 2 and reassessment.slots == {"contact_person": "Anouk"}
    # The third miss breaks it: no reminders for September.
    assert not [r for r in rows(db) if r.facts.get("due_on") == "2027-09-08"]
    assert db_engine.tick(local(date(2027, 8, 21), 9)).sent == 0


def test_never_more_than_three_unprompted_messages_in_seven_days_staff_replies_included(db):
    customer, loan = add_customer(db, 3, senders=["rest:busy"])
    # Two arrangements due on the same days: six messages would come in four days.
    add_arrangement(db, customer, loan, [date(2027, 6, 9)], sender_id="rest:busy", starts_on=date(2027, 6, 1))
    add_arrangement(db, customer, loan, [date(2027, 6, 10)], sender_id="rest:busy", starts_on=date(2027, 6, 1))
    staff_replied(db, "rest:busy", local(date(2027, 6, 4), 15))
    run_days(engine_for(db), date(2027, 6, 1), date(2027, 6, 30))
    moments = sorted([aware(r.sent_at) for r in rows(db) if r.status == "sent"] + [local(date(2027, 6, 4), 15)])
    for moment in moments:
        assert sum(1 for m in moments if moment - timedelta(days=7) < m <= moment) <= 3
    deferred = [r for r in rows(db) if r.facts.get("pressure_before") is not None and r.status == "sent"]
    assert all(r.facts["pressure_before"] < 3 for r in deferred)
    # Deferred, not dropped, while it still matters: the missed messages still go.
    assert sum(1 for k, _, _ in sent(db) if k == "missed") == 2


def test_opted_out_address_is_never_used_and_the_message_moves_to_another_channel(db):
    customer, loan = add_customer(db, 4, phone="+31644444444", senders=["telegram:44"])
    arrangement = add_arrangement(db, customer, loan, [date(2027, 6, 9)], sender_id="telegram:44",
                                  starts_on=date(2027, 6, 1))
    with session_scope(db) as session:
        optout.opt_out(session, "telegram:44", "telegram_403", customer)
    recorder = RecordingSender()
    run_days(engine_for(db, recorder), date(2027, 6, 1), date(2027, 6, 12))
    assert {d.sender_id for d in recorder.deliveries} == {"twilio_sms:+31644444444"}
    assert {d.output_channel for d in recorder.deliveries} == {"twilio_signed"}
    # Planned for SMS straight away (the opt-out was known when planning).
    assert {r.channel for r in rows(db) if r.arrangement_id == arrangement} == {"sms"}
    with session_scope(db) as session:
        optout.opt_out(session, "twilio_sms:+31644444444", "customer_stop", customer)
    add_arrangement(db, customer, loan, [date(2027, 6, 22)], sender_id="telegram:44", starts_on=date(2027, 6, 12))
    before = len(recorder.deliveries)
    run_days(engine_for(db, recorder), date(2027, 6, 13), date(2027, 6, 25))
    assert len(recorder.deliveries) == before
    assert {r.outcome for r in rows(db) if r.status == "skipped" and r.kind != "arrangement_broken"} == {"opted_out"}
    # The first arrangement broke (its one instalment missed) while the second ran: nothing to add.
    assert {r.outcome for r in rows(db) if r.kind == "arrangement_broken"} == {"arrangement_running"}


def test_whatsapp_outside_the_window_only_as_an_approved_template_else_another_channel(db, monkeypatch):
    whatsapp = "twilio_whatsapp:+31655555555"
    customer, loan = add_customer(db, 5, phone="+31655555555", senders=[whatsapp])
    add_arrangement(db, customer, loan, [date(2027, 6, 9), date(2027, 7, 9)], sender_id=whatsapp,
                    starts_on=date(2027, 6, 1))
    customer_wrote(db, whatsapp, local(date(2027, 6, 5), 20))  # window open on the 6th until 20:00
    recorder = RecordingSender()
    run_days(engine_for(db, recorder), date(2027, 6, 1), date(2027, 6, 10))
    by_kind = {r.kind: r for r in rows(db) if r.status == "sent"}
    # reminder_before on Sunday the 6th? No: a Sunday; Monday the 7th 07:00, the window has closed.
    assert by_kind["reminder_before"].channel == "whatsapp"
    assert by_kind["reminder_before"].facts["whatsapp_template"] == "followup_reminder"
    # Without an approved template for the response, never free-form: SMS instead.
    monkeypatch.setattr(deciding, "whatsapp_templates", lambda: {})
    run_days(engine_for(db, recorder), date(2027, 6, 11), date(2027, 7, 12))
    july = [r for r in rows(db) if r.facts.get("due_on") == "2027-07-09"]
    assert {r.channel for r in july if r.status == "sent"} == {"sms"}
    assert {r.outcome for r in july if r.status == "skipped"} == {"window_closed_no_template; moved to sms"}
    # Inside the window free text is fine.
    customer_wrote(db, whatsapp, local(date(2027, 7, 12), 10))
    engine = engine_for(db, recorder)
    add_arrangement(db, customer, loan, [date(2027, 7, 13)], sender_id=whatsapp, starts_on=date(2027, 7, 12))
    clock.set_clock(lambda: local(date(2027, 7, 12), 10))
    engine.tick(local(date(2027, 7, 12), 10))
    engine.tick(local(date(2027, 7, 13), 9))
    today = next(r for r in rows(db) if r.facts.get("due_on") == "2027-07-13" and r.kind == "reminder_today")
    assert today.channel == "whatsapp" and today.status == "sent" and "whatsapp_template" not in today.facts
    assert recorder.deliveries[-1].sender_id == whatsapp


def test_preventive_contact_once_per_new_signal_at_most_every_thirty_days(db):
    quiet, _ = add_customer(db, 6, phone="+31666666666", senders=["rest:fatima"])
    behind, _ = add_customer(db, 7, senders=["rest:kees"], arrears_cents=18500)
    add_signal(db, quiet, "bounced_debit", date(2027, 6, 2))
    add_signal(db, behind, "bounced_debit", date(2027, 6, 2))
    engine = engine_for(db)

    def signals(moment):
        if moment == local(date(2027, 6, 12), 0, 10):
            add_signal(db, quiet, "bounced_debit", date(2027, 6, 11))   # 9 days later: too soon
        if moment == local(date(2027, 7, 20), 0, 10):
            add_signal(db, quiet, "rising_overdraft", date(2027, 7, 19))

    run_days(engine, date(2027, 6, 1), date(2027, 8, 3), before=signals)
    preventive = [r for r in rows(db) if r.kind == "preventive"]
    # Known on the day it was observed (the daily planning just after midnight), said at 09:00; the
    # signal of 11 June waits until 30 days after the first contact, the one of 19 July until 30
    # days after that (1 August, a Sunday: Monday 07:00). The customer in arrears gets none.
    assert [(r.customer_id, aware(r.sent_at)) for r in preventive] == [
        (quiet, local(date(2027, 6, 2), 9)), (quiet, local(date(2027, 7, 2), 9)), (quiet, local(date(2027, 8, 2), 7))]
    assert preventive[0].slots == {} and preventive[0].rule == "R22.preventive"
    assert preventive[1].facts["signals"] == {"bounced_debit": 2}
    assert preventive[2].facts["signals"] == {"bounced_debit": 2, "rising_overdraft": 1}  # the last 60 days
    assert preventive[2].facts["days_since_last_contact"] == 30


class Killed(BaseException):
    """Stands for SIGKILL between a send and its mark: nothing after it runs."""


def die(_delivery):
    raise Killed


def reminder_for_killing(db) -> None:
    """One arrangement with one instalment (due Wednesday 9 June 2027), whose reminder before is
    meant for Sunday the 6th and so goes on Monday the 7th at 07:00."""
    customer, loan = add_customer(db, 8, senders=["rest:kill"])
    add_arrangement(db, customer, loan, [date(2027, 6, 9)], sender_id="rest:kill", starts_on=date(2027, 6, 1))


def test_a_kill_between_send_and_mark_resends_with_the_same_key_once_the_lease_expires(db):
    reminder_for_killing(db)
    recorder = RecordingSender()
    doomed = engine_for(db, recorder, after_send=die)
    run_days(doomed, date(2027, 6, 1), date(2027, 6, 5), times=((0, 10),))
    clock.set_clock(lambda: local(date(2027, 6, 6), 9))
    assert doomed.tick(local(date(2027, 6, 6), 9)).sent == 0   # meant for Sunday the 6th: Monday 07:00
    with pytest.raises(Killed):
        doomed.tick(local(date(2027, 6, 7), 7))
    row = next(r for r in rows(db) if r.kind == "reminder_before")
    assert row.status == "sending" and row.claimed_by == doomed.name
    survivor = engine_for(db, recorder)
    assert survivor.tick(local(date(2027, 6, 7), 7, 2)).sent == 0          # the lease still runs
    assert survivor.tick(local(date(2027, 6, 7), 7, 6)).sent == 1          # expired: sent again
    row = next(r for r in rows(db) if r.kind == "reminder_before")
    assert row.status == "sent" and row.attempts == 2 and row.claimed_by == survivor.name
    assert [d.key for d in recorder.deliveries] == [row.key, row.key]
    with session_scope(db) as session:
        assert session.execute(select(OutcomeEvent).where(OutcomeEvent.kind == "contacted")).scalars().all()[0] \
            .data["key"] == row.key


def test_killed_twice_on_the_same_message_gives_one_copy_per_kill_and_one_mark(db):
    # The next engine takes the expired message first, so a second kill can land on it again
    # (what the kill test met once in CI): each kill adds one copy, the database marks it once.
    reminder_for_killing(db)
    recorder = RecordingSender()
    first = engine_for(db, recorder, after_send=die)
    run_days(first, date(2027, 6, 1), date(2027, 6, 5), times=((0, 10),))
    clock.set_clock(lambda: local(date(2027, 6, 7), 7))
    with pytest.raises(Killed):
        first.tick(local(date(2027, 6, 7), 7))
    second = engine_for(db, recorder, after_send=die)
    with pytest.raises(Killed):
        second.tick(local(date(2027, 6, 7), 7, 6))
    survivor = engine_for(db, recorder)
    assert survivor.tick(local(date(2027, 6, 7), 7, 12)).sent == 1
    row = next(r for r in rows(db) if r.kind == "reminder_before")
    assert row.status == "sent" and row.attempts == 3 and row.claimed_by == survivor.name
    assert [d.key for d in recorder.deliveries] == [row.key] * 3
    with session_scope(db) as session:
        contacted = session.execute(select(OutcomeEvent).where(OutcomeEvent.kind == "contacted")).scalars().all()
    assert [event.data["key"] for event in contacted] == [row.key]


def test_two_engines_on_one_database_share_the_work_without_doubles(db):
    recorder = RecordingSender()
    for n in range(30):
        customer, loan = add_customer(db, 100 + n, senders=[f"rest:c{n}"])
        add_arrangement(db, customer, loan, [date(2027, 6, 9 + n % 5)], sender_id=f"rest:c{n}",
                        starts_on=date(2027, 6, 1))
    small = POLICY.with_changes(batch_size=7)
    first, second = engine_for(db, recorder, policy=small), engine_for(db, recorder, policy=small)
    day = date(2027, 6, 1)
    while day <= date(2027, 6, 20):
        for hour in (0, 7, 9, 13):
            moment = local(day, hour, 10)
            clock.set_clock(lambda moment=moment: moment)
            # Interleaved claims: each engine takes one batch at a time.
            first.close_days(moment), second.close_days(moment)
            first.plan_recent(moment), second.plan_recent(moment)
            while first.send_due(moment, max_batches=1).sent + second.send_due(moment, max_batches=1).sent:
                pass
        day += timedelta(days=1)
    keys = [d.key for d in recorder.deliveries]
    # 30 x (reminder before, of the day, missed, and that the arrangement stopped: R28)
    assert len(keys) == len(set(keys)) == sum(1 for r in rows(db) if r.status == "sent") == 120
    assert {r.claimed_by for r in rows(db) if r.status == "sent"} == {first.name, second.name}


def test_no_address_at_all_is_skipped_with_the_reason(db):
    customer, loan = add_customer(db, 9)
    add_arrangement(db, customer, loan, [date(2027, 6, 9)], starts_on=date(2027, 6, 1))
    run_days(engine_for(db), date(2027, 6, 1), date(2027, 6, 10))
    assert {(r.channel, r.status, r.outcome) for r in rows(db)} == {("none", "skipped", "no_channel")}
    assert len(rows(db)) == 3


def test_rasa_sender_says_the_response_on_the_named_output_channel(db):
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append((request.method, request.url.path, dict(request.url.params), request.content))
        if "fail" in request.url.path:
            return httpx.Response(503)
        if "refuse" in request.url.path:
            return httpx.Response(404, json={"message": "unknown"})
        if "collect" in request.url.path:
            # what Rasa answers when no connected channel took the message
            return httpx.Response(200, json={"tracker": {}, "messages": [{"text": "..."}]})
        return httpx.Response(200, json={"tracker": {}})

    sender = RasaSender(RasaApi("http://rasa.test", token="", transport=httpx.MockTransport(handler)))
    delivery = Delivery(key="a1:i1:reminder_today:2027-06-09|telegram", customer_id=1, kind="reminder_today",
                        sender_id="telegram:42", output_channel="telegram_secret",
                        response="utter_followup_reminder_today", slots={"instalment_amount": "€ 100"})
    sender.send(delivery)
    # a GET of the tracker may come first (a conversation with no history starts its session first)
    posts = [call for call in calls if call[0] == "POST"]
    (_, slots_path, slot_params, slot_body), (_, execute_path, execute_params, execute_body) = posts[:2]
    assert slots_path == "/conversations/telegram:42/tracker/events" and "output_channel" not in slot_params
    assert b"followup_key" in slot_body and b"a1:i1:reminder_today" in slot_body
    assert execute_path == "/conversations/telegram:42/execute"
    assert execute_params["output_channel"] == "telegram_secret"
    assert b"utter_followup_reminder_today" in execute_body
    calls.clear()
    with pytest.raises(SendLater):
        sender.send(Delivery(**{**delivery.__dict__, "sender_id": "rest:fail"}))
    with pytest.raises(SendFailed):
        sender.send(Delivery(**{**delivery.__dict__, "sender_id": "rest:refuse"}))
    with pytest.raises(SendFailed, match="no connected channel"):
        sender.send(Delivery(**{**delivery.__dict__, "sender_id": "rest:collect", "output_channel": "rest"}))
    sender.close()


def test_rasa_away_keeps_the_message_for_later_then_sends_it(db):
    customer, loan = add_customer(db, 10, senders=["rest:later"])
    add_arrangement(db, customer, loan, [date(2027, 6, 9)], sender_id="rest:later", starts_on=date(2027, 6, 1))
    down = {"now": True}

    class Flaky(RecordingSender):
        def send(self, delivery):
            if down["now"]:
                raise SendLater("rasa unavailable: ConnectError")
            super().send(delivery)

    recorder = Flaky()
    engine = engine_for(db, recorder)
    run_days(engine, date(2027, 6, 1), date(2027, 6, 7))
    row = next(r for r in rows(db) if r.kind == "reminder_before")
    assert row.status == "pending" and row.outcome.startswith("retry") and row.facts["send_failures"] >= 1
    down["now"] = False
    run_days(engine, date(2027, 6, 8), date(2027, 6, 8))
    row = next(r for r in rows(db) if r.kind == "reminder_before")
    assert row.status == "sent" and len(recorder.deliveries) >= 1
    assert all(d.key == row.key for d in recorder.deliveries if d.kind == "reminder_before")


def test_sent_rows_keep_their_reasons_without_personal_data(db):
    customer, loan = add_customer(db, 11, phone="+31611110000", senders=["rest:why"])
    add_arrangement(db, customer, loan, [date(2027, 6, 9)], sender_id="rest:why", starts_on=date(2027, 6, 1))
    run_days(engine_for(db), date(2027, 6, 1), date(2027, 6, 9))
    for row in rows(db):
        if row.status != "sent":
            continue
        assert row.rule.startswith("R23.") and row.policy_version == POLICY.version
        text = repr(row.facts)
        assert "+316" not in text and "Test 11" not in text and "rest:why" not in text
        assert {"pressure_before", "pressure_limit", "channel", "attempt"} <= set(row.facts)


def test_followup_rows_are_unique_per_key(db):
    customer, loan = add_customer(db, 12, senders=["rest:u"])
    add_arrangement(db, customer, loan, [date(2027, 6, 9)], sender_id="rest:u", starts_on=date(2027, 6, 1))
    engine = engine_for(db)
    moment = local(date(2027, 6, 5), 0, 10)
    clock.set_clock(lambda: moment)
    engine.tick(moment)
    before = len(rows(db))
    # Planning the same day again (a second engine, a retried pass) adds nothing.
    from bot.followup import planner

    with engine.session() as session, session.begin():
        planner.plan_day(session, date(2027, 6, 5), moment, POLICY, first=True)
    with engine.session() as session, session.begin():
        planner.plan_day(session, date(2027, 6, 5), moment, POLICY, first=True)
    assert len(rows(db)) == before
    assert len({r.key for r in rows(db)}) == len(rows(db))
    assert datetime.now(timezone.utc)  # the real clock is back after the test (autouse fixture)


_ = FollowUp


def test_paying_in_full_skips_the_instalments_waiting_messages_at_once(db):
    paying_in_full_skips_waiting_messages(db)


def test_paying_in_full_skips_waiting_messages_on_postgresql_without_waiting_for_an_engine(tmp_path, monkeypatch):
    check_postgres()
    with fresh_database("betaalhulp_paid") as url:
        upgrade(url)
        monkeypatch.setenv("BETAALHULP_WEB_SECRET", "followup-tests-secret")
        monkeypatch.setenv("BETAALHULP_DATA_DIR", str(tmp_path))
        try:
            paying_in_full_skips_waiting_messages(url, engine_holds_a_lock=True)
        finally:
            engine_module.database(url).dispose()
            store_engine_for(url).dispose()


def paying_in_full_skips_waiting_messages(db: str, engine_holds_a_lock: bool = False) -> None:
    customer, loan = add_customer(db, 1, phone="+31611111111", senders=["rest:anna"])
    dues = [date(2027, 6, 18), date(2027, 7, 19), date(2027, 8, 18)]
    arrangement = add_arrangement(db, customer, loan, dues, sender_id="rest:anna", starts_on=date(2027, 6, 1))
    with session_scope(db) as session:
        first, second, third = [i.id for i in sorted(session.get(Arrangement, arrangement).instalments,
                                                      key=lambda i: i.number)]
    engine = engine_for(db)
    passed = [date(2027, 6, 1)]

    def reminder_waiting_for(due: date) -> FollowUp:
        """Passes until the first of the day before `due`: the day's reminder is planned and waits."""
        run_days(engine, passed[0], due - timedelta(days=2))
        run_days(engine, due - timedelta(days=1), due - timedelta(days=1), times=((0, 10),))
        passed[0] = due
        return next(r for r in rows(db) if r.status == "pending" and r.kind == "reminder_today")

    def the_day_before(due: date, hour: int) -> datetime:
        return aware(datetime.combine(due - timedelta(days=1), datetime.min.time()).replace(hour=hour))

    reminder = reminder_waiting_for(dues[0])
    assert reminder.instalment_id == first
    with session_scope(db) as session:  # a part paid skips nothing
        assert not ledger.record_payment(session, session.get(Instalment, first), 4000, the_day_before(dues[0], 8))
    assert {r.id: r.status for r in rows(db)}[reminder.id] == "pending"
    pay(db, arrangement, 1, the_day_before(dues[0], 9))
    assert [(r.status, r.outcome) for r in rows(db) if r.id == reminder.id] == [("skipped", "paid_already")]

    # A row an engine holds is that engine's to decide.
    held = reminder_waiting_for(dues[1])
    assert held.instalment_id == second
    with session_scope(db) as session:
        session.execute(update(FollowUp).where(FollowUp.id == held.id).values(status="sending", claimed_by="other"))
    pay(db, arrangement, 2, the_day_before(dues[1], 9))
    assert [r.status for r in rows(db) if r.id == held.id] == ["sending"]

    if engine_holds_a_lock:
        # An engine's transaction holds the row (claiming it): the payment neither waits nor
        # skips it; the engine finds the instalment paid when it decides.
        reminder = reminder_waiting_for(dues[2])
        with store_engine_for(db).connect() as engine_connection, engine_connection.begin():
            engine_connection.execute(select(FollowUp.id).where(FollowUp.id == reminder.id).with_for_update())
            with session_scope(db) as session:
                session.execute(text("SET LOCAL lock_timeout = '2s'"))
                assert ledger.record_payment(session, session.get(Instalment, third), 10_000,
                                             the_day_before(dues[2], 9))
        assert [r.status for r in rows(db) if r.id == reminder.id] == ["pending"]
        return

    # The simulator's bulk path does the same.
    reminder = reminder_waiting_for(dues[2])
    assert reminder.instalment_id == third
    with session_scope(db) as session:
        assert ledger.record_payments(session, [(third, 10_000, the_day_before(dues[2], 9))]) == 1
    assert [(r.status, r.outcome) for r in rows(db) if r.id == reminder.id] == [("skipped", "paid_already")]


def test_the_missed_message_is_planned_only_once_its_due_date_is_over(db):
    customer, loan = add_customer(db, 31, senders=["rest:late"])
    paid_in_time = add_arrangement(db, customer, loan, [date(2027, 6, 9)], sender_id="rest:late",
                                   starts_on=date(2027, 6, 1))
    customer, loan = add_customer(db, 32, senders=["rest:never"])
    add_arrangement(db, customer, loan, [date(2027, 6, 9)], sender_id="rest:never", starts_on=date(2027, 6, 1))
    engine = engine_for(db)
    run_days(engine, date(2027, 6, 1), date(2027, 6, 9))
    pay(db, paid_in_time, 1, local(date(2027, 6, 9), 18))  # on the due date, in the evening
    # On the due date the reminders are planned, the missed message not yet.
    assert not [r for r in rows(db) if r.kind == "missed"]
    engine.tick(local(date(2027, 6, 10), 0, 10))  # the due date closed: planned now, for the unpaid one only
    missed = [r for r in rows(db) if r.kind == "missed"]
    assert [(r.sender_id, r.status, aware(r.not_before)) for r in missed] == [
        ("rest:never", "pending", local(date(2027, 6, 10), 9))]
    engine.tick(local(date(2027, 6, 10), 9))
    assert [k for k, c, _ in sent(db) if c == "rest"].count("missed") == 1


def test_aftercare_check_ins_are_planned_one_month_at_a_time_as_each_comes_into_view(db):
    customer, loan = add_customer(db, 33, senders=["rest:after"])
    arrangement = add_arrangement(db, customer, loan, [date(2027, 6, 8)], sender_id="rest:after",
                                  starts_on=date(2027, 6, 1))
    pay(db, arrangement, 1, local(date(2027, 6, 7), 12))
    policy = POLICY.with_changes(kinds={**POLICY.kinds, "aftercare": replace(
        POLICY.kind("aftercare"), options={**POLICY.kind("aftercare").options, "months": 3})})
    engine = engine_for(db, policy=policy)
    most_pending = 0

    def watch(moment):
        nonlocal most_pending
        most_pending = max(most_pending, sum(1 for r in rows(db) if r.kind == "aftercare" and r.status == "pending"))

    run_days(engine, date(2027, 6, 1), date(2027, 10, 20), times=((0, 10), (9, 0)), before=watch)
    with session_scope(db) as session:
        began = session.execute(select(Arrangement.aftercare_from)).scalar_one()
    assert began == date(2027, 6, 9)  # ended with its last instalment (8 June), seen the next morning
    assert [(k, t) for k, _, t in sent(db) if k == "aftercare"] == [
        ("aftercare", datetime(2027, 7, 9, 9, 0)), ("aftercare", datetime(2027, 8, 9, 9, 0)),
        ("aftercare", datetime(2027, 9, 9, 9, 0))]
    assert most_pending == 1  # never a year of check-ins waiting: the next one only, a day ahead
    assert [r.facts["month"] for r in rows(db) if r.kind == "aftercare"] == [1, 2, 3]


def test_aftercare_planned_all_at_once_before_the_change_is_kept_and_not_planned_again(db):
    customer, loan = add_customer(db, 34, senders=["rest:old"])
    arrangement = add_arrangement(db, customer, loan, [date(2027, 6, 8)], sender_id="rest:old",
                                  starts_on=date(2027, 6, 1))
    pay(db, arrangement, 1, local(date(2027, 6, 7), 12))
    engine = engine_for(db)
    run_days(engine, date(2027, 6, 1), date(2027, 6, 8), times=((0, 10),))
    with session_scope(db) as session:  # a check-in row as the engine planned them before migration 0012
        session.add(FollowUp(key="c34:aftercare:2027-07|rest", customer_id=customer, arrangement_id=arrangement,
                             kind="aftercare", channel="rest", sender_id="rest:old", response="utter_followup_aftercare",
                             slots={}, rule="R23.aftercare", policy_version="old", facts={"month": 1},
                             not_before=local(date(2027, 7, 9), 9), status="pending", created_at=local(date(2027, 6, 8), 0)))
    run_days(engine, date(2027, 6, 9), date(2027, 8, 20), times=((0, 10), (9, 0)))
    with session_scope(db) as session:
        assert session.execute(select(Arrangement.aftercare_from)).scalar_one() is None
    assert [r.key for r in rows(db) if r.kind == "aftercare"] == ["c34:aftercare:2027-07|rest"]


@pytest.mark.parametrize(("meant_for", "month", "anchors"), [
    (date(2027, 7, 9), 1, [date(2027, 6, 9)]),
    (date(2027, 2, 28), 1, [date(2027, 1, 28), date(2027, 1, 29), date(2027, 1, 30), date(2027, 1, 31)]),
    (date(2028, 2, 29), 1, [date(2028, 1, 29), date(2028, 1, 30), date(2028, 1, 31)]),
    (date(2028, 2, 28), 12, [date(2027, 2, 28)]),
    (date(2028, 2, 29), 12, []),  # 28 February 2027 plus a year is the 28th
    (date(2027, 3, 30), 1, []),  # no 30 February: 30 January reaches 28 February
    (date(2027, 12, 30), 3, [date(2027, 9, 30)]),
    (date(2027, 12, 31), 3, []),
])
def test_the_days_aftercare_may_have_begun_on_for_a_check_in(meant_for, month, anchors):
    assert anchors_for(meant_for, month) == anchors
    assert all(add_months(anchor, month) == meant_for for anchor in anchors)


def test_small_successes_come_once_per_milestone_passed_even_when_paid_ahead(db):
    customer, loan = add_customer(db, 35, senders=["rest:steady"])
    dues = [date(2027, 6, 8), date(2027, 7, 8), date(2027, 8, 9), date(2027, 9, 8), date(2027, 10, 8),
            date(2027, 11, 8)]
    arrangement = add_arrangement(db, customer, loan, dues, sender_id="rest:steady", starts_on=date(2027, 6, 1))
    payments = {local(date(2027, 6, 7), 12): [1], local(date(2027, 7, 7), 12): [2],
                # the third and fourth at once: half-way (3 of 6) passed on the way, only the count said
                local(date(2027, 8, 6), 12): [3, 4], local(date(2027, 10, 7), 12): [5],
                local(date(2027, 11, 5), 12): [6]}

    def customer_pays(moment):
        for at in [at for at in payments if at <= moment]:
            for number in payments.pop(at):
                pay(db, arrangement, number, at)

    run_days(engine_for(db), date(2027, 6, 1), date(2027, 11, 10), before=customer_pays)
    successes = [r for r in rows(db) if r.kind == "success"]
    assert [(r.facts["milestone"], r.facts["paid_count"], r.status) for r in successes] == [
        (3, 4, "sent"), (6, 6, "sent")]
