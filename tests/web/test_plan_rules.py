"""The plan page's rules without HTTP (issue 10, section 4): moving an instalment, paying one,
and the payment hook that counts a paid webhook towards its instalment exactly once."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from bot.followup import ledger
from bot.followup.plan_links import PlanPolicy, load_policy
from bot.payments.local import LocalProvider
from bot.payments.providers import ProviderStatus
from bot.payments.service import apply_status
from bot.payments.webhook import process_webhook
from bot.store.db import session_scope
from bot.store.models import Arrangement, Customer, Instalment, OutcomeEvent, Payment
from bot.web import plan_routes, plan_rules
from bot.web.plan_rules import PlanRefused, instalment_key, move_instalment, pay_instalment
from tests.payments.conftest import loan_state

pytestmark = pytest.mark.timeout(60)
TODAY = date(2026, 11, 22)  # the date of tests/conftest.py's fixed clock
DUE = (date(2026, 12, 1), date(2027, 1, 1), date(2027, 2, 1))


def make_arrangement(database: str, number: str = "100002", *, amounts=(250, 250, 250), due=DUE,
                     sender: str | None = "rest:plan-klant", starts_on: date = TODAY) -> int:
    """An arrangement as the conversation makes it (ledger.start_arrangement), with whole-euro
    instalments on the given dates. 100002 is 3 terms of EUR 250 behind."""
    offer = {"solution": "payment_arrangement", "policy_version": "test",
             "schedule": [{"due": d.isoformat(), "amount": a} for d, a in zip(due, amounts)]}
    with session_scope(database) as session:
        customer = session.execute(select(Customer).where(Customer.customer_number == number)).scalar_one()
        arrangement = ledger.start_arrangement(session, customer=customer, loan=customer.loans[0], offer=offer,
                                               contact_person="Anouk", sender_id=sender, channel="rest",
                                               starts_on=starts_on)
        return arrangement.id


def instalments(database: str, arrangement_id: int) -> list[Instalment]:
    with session_scope(database) as session:
        rows = session.execute(select(Instalment).where(Instalment.arrangement_id == arrangement_id)
                               .order_by(Instalment.number)).scalars().all()
        session.expunge_all()
        return rows


def outcome_events(database: str, kind: str) -> list[OutcomeEvent]:
    with session_scope(database) as session:
        rows = session.execute(select(OutcomeEvent).where(OutcomeEvent.kind == kind)
                               .order_by(OutcomeEvent.id)).scalars().all()
        session.expunge_all()
        return rows


def move(database: str, arrangement_id: int, instalment_id: int, days, **kwargs):
    with session_scope(database) as session:
        return move_instalment(session, arrangement_id, instalment_id, days, today=TODAY, **kwargs)


def set_status(database: str, instalment_id: int, status: str) -> None:
    with session_scope(database) as session:
        session.get(Instalment, instalment_id).status = status


@pytest.fixture
def plan(database, fixed_clock) -> int:
    return make_arrangement(database)


# -- moving ----------------------------------------------------------------------------------------
def test_the_policy_is_data_and_says_14_days_once():
    rules = load_policy()
    assert (rules.move_max_days, rules.moves_per_arrangement, rules.link_valid_days) == (14, 1, 30)


def test_an_open_instalment_moves_up_to_14_days_and_the_change_is_recorded(database, plan):
    first = instalments(database, plan)[0]
    moved = move(database, plan, first.id, 14)
    assert (moved.before, moved.after, moved.days, moved.number) == (DUE[0], DUE[0] + timedelta(days=14), 14, 1)
    row = instalments(database, plan)[0]
    assert (row.due_on, row.original_due_on, row.status) == (date(2026, 12, 15), DUE[0], "open")
    assert row.moved_at is not None
    [event] = outcome_events(database, "plan_changed")
    assert (event.reason, event.arrangement_id, event.instalment_id, event.value) == ("instalment_moved", plan,
                                                                                      first.id, 14)
    assert event.data["due_on_before"] == "2026-12-01" and event.data["due_on_after"] == "2026-12-15"
    assert event.data["policy_version"] == load_policy().version


@pytest.mark.parametrize("days", [15, 0, -3, None, 365])
def test_more_than_14_days_or_no_days_is_refused(database, plan, days):
    first = instalments(database, plan)[0]
    with pytest.raises(PlanRefused) as refused:
        move(database, plan, first.id, days)
    assert refused.value.reason == "too_far"
    assert instalments(database, plan)[0].due_on == DUE[0] and not outcome_events(database, "plan_changed")


def test_a_second_move_is_refused_for_any_instalment(database, plan):
    first, second, _ = instalments(database, plan)
    move(database, plan, first.id, 3)
    for instalment_id in (first.id, second.id):
        with pytest.raises(PlanRefused) as refused:
            move(database, plan, instalment_id, 2)
        assert refused.value.reason == "no_moves_left"
    assert instalments(database, plan)[1].due_on == DUE[1]
    assert len(outcome_events(database, "plan_changed")) == 1


def test_two_moves_when_the_policy_allows_two(database, plan):
    first, second, _ = instalments(database, plan)
    rules = PlanPolicy("test", 30, 14, 2, 10, {})
    move(database, plan, first.id, 3, rules=rules)
    move(database, plan, second.id, 5, rules=rules)
    with pytest.raises(PlanRefused):
        move(database, plan, first.id, 1, rules=rules)  # each instalment moves once at most


def test_a_paid_instalment_is_refused(database, plan):
    first = instalments(database, plan)[0]
    with session_scope(database) as session:
        ledger.record_payment(session, session.get(Instalment, first.id), 25000)
    with pytest.raises(PlanRefused) as refused:
        move(database, plan, first.id, 5)
    assert refused.value.reason == "paid"


def test_missed_past_due_ended_and_foreign_instalments_are_refused(database, plan):
    first, second, third = instalments(database, plan)
    set_status(database, second.id, "missed")
    with pytest.raises(PlanRefused) as refused:
        move(database, plan, second.id, 5)
    assert refused.value.reason == "not_open"
    with session_scope(database) as session:  # the date has passed, the instalment is still in its grace days
        assert move_instalment(session, plan, first.id, 5, today=date(2026, 12, 1)).days == 5
    with pytest.raises(PlanRefused) as refused:
        with session_scope(database) as session:
            move_instalment(session, plan, third.id, 5, today=date(2027, 2, 2))
    assert refused.value.reason == "past_due"
    other = make_arrangement(database, "100001", amounts=(210,), due=DUE[:1])
    with pytest.raises(PlanRefused) as refused:
        move(database, other, third.id, 5)
    assert refused.value.reason == "unknown"
    with session_scope(database) as session:
        session.get(Arrangement, other).status = "broken"
    [theirs] = instalments(database, other)
    with pytest.raises(PlanRefused) as refused:
        move(database, other, theirs.id, 5)
    assert refused.value.reason == "ended"


def test_a_past_due_open_instalment_is_refused(database, plan):
    first = instalments(database, plan)[0]
    with pytest.raises(PlanRefused) as refused:
        with session_scope(database) as session:
            move_instalment(session, plan, first.id, 5, today=DUE[0] + timedelta(days=1))
    assert refused.value.reason == "past_due"


def test_the_update_itself_refuses_when_a_racing_request_moved_one_first(database, plan, monkeypatch):
    """The check before the UPDATE can be overtaken; the conditional UPDATE is the guard."""
    first, second, _ = instalments(database, plan)
    move(database, plan, first.id, 3)
    monkeypatch.setattr(plan_rules, "moves_used_on", lambda session, arrangement_id: 0)
    with pytest.raises(PlanRefused) as refused:
        move(database, plan, second.id, 3)
    assert refused.value.reason == "no_moves_left"
    assert instalments(database, plan)[1].due_on == DUE[1]


# -- paying ------------------------------------------------------------------------------------------
@pytest.fixture
def local(database) -> LocalProvider:
    return LocalProvider(public_url="http://localhost:8080", database_url=database)


def ask(database, arrangement_id, instalment_id, provider) -> str:
    with session_scope(database) as session:
        return pay_instalment(session, arrangement_id, instalment_id, provider=provider)


def payment(database, public_id) -> Payment:
    with session_scope(database) as session:
        return session.execute(select(Payment).where(Payment.public_id == public_id)).scalar_one()


def pay_on_the_test_page(database, local, public_id, cents=None):
    """What the local provider's page does: complete the link, then the webhook (by id only)."""
    provider_id = payment(database, public_id).provider_id
    local.complete(provider_id, "pay", cents)
    return process_webhook("local", provider_id, provider_factory=lambda name: local, database_url=database)


def test_paying_an_instalment_asks_one_payment_for_what_is_open(database, plan, local):
    first = instalments(database, plan)[0]
    public_id = ask(database, plan, first.id, local)
    row = payment(database, public_id)
    assert (row.idempotency_key, row.amount_cents, row.sender_id) == (f"instalment:{first.id}", 25000,
                                                                       "rest:plan-klant")
    assert row.checkout_url == f"http://localhost:8080/pay/{public_id}"
    assert instalments(database, plan)[0].payment_public_id == public_id
    assert ask(database, plan, first.id, local) == public_id  # pressed twice: the same payment


def test_a_replayed_paid_webhook_counts_once(database, plan, local):
    first = instalments(database, plan)[0]
    public_id = ask(database, plan, first.id, local)
    results = [pay_on_the_test_page(database, local, public_id)]
    provider_id = payment(database, public_id).provider_id
    for _ in range(3):  # the provider retries, a late duplicate arrives
        results.append(process_webhook("local", provider_id, provider_factory=lambda name: local,
                                       database_url=database))
    assert [r.outcome.changed for r in results] == [True, False, False, False]
    row = instalments(database, plan)[0]
    assert (row.status, row.paid_cents) == ("paid", 25000) and row.paid_at is not None
    assert len(outcome_events(database, "instalment_paid")) == 1
    # this instalment is exactly the regular term (EUR 250): it keeps the loan from falling further
    # behind, and none of it is arrears
    assert loan_state(database, payment(database, public_id).loan_id) == (75000, 3)
    with pytest.raises(PlanRefused) as refused:
        ask(database, plan, first.id, local)
    assert refused.value.reason == "paid"


def test_apply_status_replayed_directly_counts_once(database, plan, local):
    first = instalments(database, plan)[0]
    public_id = ask(database, plan, first.id, local)
    for _ in range(2):
        with session_scope(database) as session:
            row = session.execute(select(Payment).where(Payment.public_id == public_id)).scalar_one()
            apply_status(session, row, ProviderStatus("paid", 25000))
    assert instalments(database, plan)[0].paid_cents == 25000


def test_partial_payments_add_up_to_a_paid_instalment(database, plan, local):
    first = instalments(database, plan)[0]
    part = ask(database, plan, first.id, local)
    assert pay_on_the_test_page(database, local, part, 10000).outcome.changed
    row = instalments(database, plan)[0]
    assert (row.status, row.paid_cents) == ("open", 10000)
    assert not outcome_events(database, "instalment_paid")

    rest = ask(database, plan, first.id, local)
    assert rest != part
    assert (payment(database, rest).idempotency_key, payment(database, rest).amount_cents) == (
        instalment_key(first.id, part), 15000)
    assert ask(database, plan, first.id, local) == rest  # a double click after a partial payment: one payment
    pay_on_the_test_page(database, local, rest)
    row = instalments(database, plan)[0]
    assert (row.status, row.paid_cents, row.payment_public_id) == ("paid", 25000, rest)
    [paid] = outcome_events(database, "instalment_paid")
    assert (paid.instalment_id, paid.value) == (first.id, 25000)


def test_a_cancelled_payment_counts_nothing_and_the_next_press_makes_a_new_one(database, plan, local):
    first = instalments(database, plan)[0]
    cancelled = ask(database, plan, first.id, local)
    provider_id = payment(database, cancelled).provider_id
    local.complete(provider_id, "cancel")
    process_webhook("local", provider_id, provider_factory=lambda name: local, database_url=database)
    assert instalments(database, plan)[0].paid_cents == 0
    again = ask(database, plan, first.id, local)
    assert again != cancelled and payment(database, again).amount_cents == 25000


def test_an_older_payment_of_the_instalment_paid_late_still_counts(database, plan, local, fixed_clock):
    """A link older than the link lifetime is replaced; if the old one is paid after all, the
    idempotency key still ties it to its instalment."""
    first = instalments(database, plan)[0]
    old = ask(database, plan, first.id, local)
    with session_scope(database) as session:
        session.execute(select(Payment).where(Payment.public_id == old)).scalar_one().created_at = (
            fixed_clock - timedelta(days=15))
    new = ask(database, plan, first.id, local)
    assert new != old
    with session_scope(database) as session:
        row = session.execute(select(Payment).where(Payment.public_id == old)).scalar_one()
        apply_status(session, row, ProviderStatus("paid", 25000))
    assert (instalments(database, plan)[0].status, instalments(database, plan)[0].paid_cents) == ("paid", 25000)


def test_a_payment_for_no_instalment_changes_no_instalment(database, plan, local):
    from bot.payments.service import request_payment

    with session_scope(database) as session:
        made = request_payment(session, customer_id=session.get(Arrangement, plan).customer_id,
                               loan_id=session.get(Arrangement, plan).loan_id, amount_cents=25000,
                               sender_id="rest:chat", channel="rest", idempotency_key="case-1-25000-0",
                               provider=local)
    pay_on_the_test_page(database, local, made.public_id)
    assert [i.paid_cents for i in instalments(database, plan)] == [0, 0, 0]


def test_an_ended_arrangement_asks_no_payment(database, plan, local):
    with session_scope(database) as session:
        session.get(Arrangement, plan).status = "broken"
        session.get(Arrangement, plan).ended_at = datetime(2026, 11, 22, tzinfo=timezone.utc)
    with pytest.raises(PlanRefused) as refused:
        ask(database, plan, instalments(database, plan)[0].id, local)
    assert refused.value.reason == "ended"


def test_an_instalment_larger_than_the_arrears_can_be_paid(database, fixed_clock, local):
    """A payment arrangement's instalment is the regular term plus a part of the arrears (bot/policy
    schedule lines): Sanne is EUR 210 behind and pays EUR 280 a month."""
    arrangement = make_arrangement(database, "100001", amounts=(280, 280), due=DUE[:2])
    first = instalments(database, arrangement)[0]
    public_id = ask(database, arrangement, first.id, local)
    assert payment(database, public_id).amount_cents == 28000
    pay_on_the_test_page(database, local, public_id)
    assert (instalments(database, arrangement)[0].status, instalments(database, arrangement)[0].paid_cents) == (
        "paid", 28000)
    # the term (EUR 210) first, the catch-up (EUR 70) off the arrears: EUR 140 and one term behind
    assert loan_state(database, payment(database, public_id).loan_id) == (14000, 1)


def test_a_payment_the_follow_up_engine_asked_is_found_and_counted(database, plan, local):
    """The engine asks `instalment:<id>` for its reminders without naming the payment on the
    instalment: the plan page reuses it, and when it is over, asks a new one (no loop)."""
    from bot.payments.service import request_payment

    first = instalments(database, plan)[0]
    with session_scope(database) as session:
        arrangement = session.get(Arrangement, plan)
        reminder = request_payment(session, customer_id=arrangement.customer_id, loan_id=arrangement.loan_id,
                                   amount_cents=25000, sender_id="rest:plan-klant", channel="rest",
                                   idempotency_key=f"instalment:{first.id}", provider=local).public_id
    assert ask(database, plan, first.id, local) == reminder
    local.complete(payment(database, reminder).provider_id, "cancel")
    process_webhook("local", payment(database, reminder).provider_id, provider_factory=lambda name: local,
                    database_url=database)
    again = ask(database, plan, first.id, local)
    assert again != reminder and payment(database, again).idempotency_key == instalment_key(first.id, reminder)

    second = instalments(database, plan)[1]
    with session_scope(database) as session:
        arrangement = session.get(Arrangement, plan)
        paid_from_a_reminder = request_payment(
            session, customer_id=arrangement.customer_id, loan_id=arrangement.loan_id, amount_cents=25000,
            sender_id="rest:plan-klant", channel="rest", idempotency_key=f"instalment:{second.id}",
            provider=local).public_id
    pay_on_the_test_page(database, local, paid_from_a_reminder)
    assert instalments(database, plan)[1].status == "paid"


def test_a_double_click_makes_one_payment(database, plan):
    """Two presses at the same moment: the unique idempotency key lets one payment in; the other
    press finds it on its second try."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    from bot.followup.plan_links import PlanAccess
    from bot.web.app import create_app

    app = create_app(database_url=database, run_retry_loop=False)
    access = PlanAccess(plan, datetime(2026, 12, 22, tzinfo=timezone.utc))
    first = instalments(database, plan)[0]
    together = threading.Barrier(2)

    def press(_):
        together.wait()
        return plan_routes._pay(app, access, first.id)

    with ThreadPoolExecutor(2) as pool:
        made = list(pool.map(press, range(2)))
    assert made[0] == made[1]
    with session_scope(database) as session:
        assert len(session.execute(select(Payment.id)).all()) == 1


def test_partial_payments_of_an_instalment_take_off_the_same_arrears_as_one_payment(database, fixed_clock, local):
    """EUR 280 = term 210 + catch-up 70, paid as 100 and 180: 0 and then 70 off the arrears."""
    arrangement = make_arrangement(database, "100001", amounts=(280, 280), due=DUE[:2])
    first = instalments(database, arrangement)[0]
    part = ask(database, arrangement, first.id, local)
    pay_on_the_test_page(database, local, part, 10000)
    assert loan_state(database, payment(database, part).loan_id) == (21000, 1)
    rest = ask(database, arrangement, first.id, local)
    pay_on_the_test_page(database, local, rest)
    assert loan_state(database, payment(database, rest).loan_id) == (14000, 1)
    assert instalments(database, arrangement)[0].status == "paid"


def test_a_remission_instalment_goes_wholly_to_the_arrears(database, fixed_clock, local):
    with session_scope(database) as session:
        customer = session.execute(select(Customer).where(Customer.customer_number == "100004")).scalar_one()
        arrangement = ledger.start_arrangement(
            session, customer=customer, loan=customer.loans[0], contact_person="Anouk", starts_on=TODAY,
            offer={"solution": "remission_arrangement", "policy_version": "test",
                   "schedule": [{"due": DUE[0].isoformat(), "amount": 50}]}).id
    public_id = ask(database, arrangement, instalments(database, arrangement)[0].id, local)
    pay_on_the_test_page(database, local, public_id)
    assert loan_state(database, payment(database, public_id).loan_id) == (37000 - 5000, 2)
