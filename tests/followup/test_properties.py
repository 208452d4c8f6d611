"""Property tests (hypothesis) over random customers, schedules, payments, opt-outs, console
replies and WhatsApp windows, in weeks with a clock change or public holidays (issue 10, tests):

- every due instalment gets exactly the policy's messages (before, on the day, missed), each
  once, unless it was paid first;
- nothing in quiet hours, on Sundays or on public holidays, including both daylight-saving weeks;
- never over the contact-pressure limit (console replies counted);
- nothing to an address after it opted out;
- no free-form WhatsApp outside the 24-hour window (only responses with an approved template).

The expected messages and the quiet times are computed here from the policy's numbers, not with
the engine's planner or calendar.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import clock
from bot.config import settings as app_settings
from bot.followup import deciding, optout
from bot.followup import engine as engine_module
from bot.followup.engine import Engine
from bot.followup.policy import default
from bot.followup.sending import RecordingSender
from bot.store.db import engine_for, session_scope
from bot.store.models import Arrangement
from tests.followup.helpers import add_arrangement, add_customer, customer_wrote, pay, rows, staff_replied

NL = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc
POLICY = default()
# Weeks with both clock changes, Easter (Good Friday, the clock change on Easter Sunday itself),
# Christmas and New Year, King's Day and Ascension Day.
STARTS = (date(2027, 3, 15), date(2027, 10, 18), date(2026, 12, 14), date(2027, 4, 19))
HOLIDAYS = {date(2026, 12, 25), date(2026, 12, 26), date(2027, 1, 1), date(2027, 3, 26), date(2027, 3, 28),
            date(2027, 3, 29), date(2027, 4, 27), date(2027, 5, 6), date(2027, 5, 16), date(2027, 5, 17)}
DAYS = 28
TICK_HOURS = 3
RESPONSES = tuple(POLICY.kind(k).response for k in POLICY.enabled)


def allowed(at: datetime) -> bool:
    here = at.astimezone(NL)
    return here.weekday() != 6 and here.date() not in HOLIDAYS and time(7) <= here.time() < time(20)


def moment(day: date, at: time = time(9)) -> datetime:
    """`at` on `day`, moved to the first allowed moment (07:00 on the next open day)."""
    candidate = datetime.combine(day, at, NL).astimezone(UTC)
    while not allowed(candidate):
        here = candidate.astimezone(NL)
        if here.weekday() == 6 or here.date() in HOLIDAYS or here.time() >= time(20):
            candidate = datetime.combine(here.date() + timedelta(days=1), time(7), NL).astimezone(UTC)
        else:
            candidate = datetime.combine(here.date(), time(7), NL).astimezone(UTC)
    return candidate


@dataclass
class Scenario:
    start: date
    minute: int
    customers: list


def customers_strategy(whatsapp_share: bool):
    instalment = st.tuples(st.integers(1, DAYS - 2),                        # due: day offset
                           st.one_of(st.none(), st.tuples(st.integers(-6, 7), st.integers(0, 23))))  # paid
    arrangement = st.lists(instalment, min_size=1, max_size=3)
    event = st.tuples(st.integers(0, DAYS - 1), st.integers(0, 23))
    channel = st.sampled_from(("whatsapp", "whatsapp", "sms", "telegram", "rest", "widget")) if whatsapp_share \
        else st.sampled_from(("sms", "telegram", "rest", "widget", "whatsapp"))
    customer = st.fixed_dictionaries({
        "channel": channel, "second": st.one_of(st.none(), st.sampled_from(("telegram", "rest", "whatsapp"))),
        "phone": st.booleans(), "arrangements": st.lists(arrangement, min_size=1, max_size=2),
        "opt_outs": st.lists(st.tuples(st.integers(0, 2), *[st.integers(0, DAYS - 1), st.integers(0, 23)]),
                             max_size=2),
        "staff": st.lists(event, max_size=3), "inbound": st.lists(event, max_size=3)})
    return st.lists(customer, min_size=1, max_size=4)


def address(kind: str, n: int, second: bool = False) -> str:
    suffix = "b" if second else ""
    return {"whatsapp": f"twilio_whatsapp:+3163{n:06d}{1 if second else 0}", "sms": f"twilio_sms:+3164{n:06d}0",
            "telegram": f"telegram:{900000 + n}{suffix}", "rest": f"rest:h{n}{suffix}",
            "widget": f"web:h{n}{suffix}"}[kind]


def at(start: date, offset: int, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(start + timedelta(days=offset), time(hour, minute), NL).astimezone(UTC)


class TimedRecorder(RecordingSender):
    def __init__(self) -> None:
        super().__init__()
        self.times: list[datetime] = []

    def send(self, delivery) -> None:
        super().send(delivery)
        self.times.append(clock.utcnow())


def run_scenario(url: str, scenario: Scenario, policy, templated: dict | None = None):
    """Builds the customers and runs the engine every 3 hours over the weeks; returns what it
    needs for the checks."""
    start = scenario.start
    events = []   # (moment, what, data)
    expectations = []
    opt_outs = []
    staff = []
    inbound = []
    for n, spec in enumerate(scenario.customers, 1):
        primary = address(spec["channel"], n)
        senders = [primary] + ([address(spec["second"], n, second=True)] if spec["second"] else [])
        phone = f"+3165{n:06d}0" if spec["phone"] else None
        customer_id, loan_id = add_customer(url, 1000 + n, phone=phone, senders=senders)
        every = senders + ([f"twilio_sms:{phone}"] if phone else [])
        for lines in spec["arrangements"]:
            dues = sorted(start + timedelta(days=offset) for offset, _ in lines)
            arrangement_id = add_arrangement(url, customer_id, loan_id, dues, sender_id=primary, starts_on=start)
            with session_scope(url) as session:
                instalments = {i.number: (i.id, i.due_on) for i in session.get(Arrangement, arrangement_id).instalments}
            for number, (offset, paid) in enumerate(sorted(lines, key=lambda line: line[0]), 1):
                instalment_id, due = instalments[number]
                paid_at = None
                if paid is not None:
                    paid_at = at(due, paid[0], paid[1], 30)
                    events.append((paid_at, "pay", (arrangement_id, number)))
                expectations.append((arrangement_id, instalment_id, due, paid_at))
        for which, day, hour in spec["opt_outs"]:
            if which < len(every):
                when = at(start, day, hour, 20)
                events.append((when, "stop", (every[which], customer_id)))
                opt_outs.append((every[which], when))
        for day, hour in spec["staff"]:
            when = at(start, day, hour, 40)
            events.append((when, "staff", primary))
            staff.append((customer_id, when))
        for day, hour in spec["inbound"]:
            whatsapp = [s for s in senders if s.startswith("twilio_whatsapp:")]
            if whatsapp:
                events.append((at(start, day, hour, 50), "inbound", whatsapp[0]))
                inbound.append((whatsapp[0], at(start, day, hour, 50)))
    events.sort(key=lambda e: e[0])
    recorder = TimedRecorder()
    engine = Engine(url, sender=recorder, policy=policy)
    ticks = []
    tick = datetime.combine(start, time(0), NL).astimezone(UTC) + timedelta(minutes=scenario.minute)
    end = tick + timedelta(days=DAYS)
    while tick <= end:
        while events and events[0][0] <= tick:
            when, what, data = events.pop(0)
            if what == "pay":
                pay(url, data[0], data[1], when)
            elif what == "stop":
                with session_scope(url) as session:
                    optout.opt_out(session, data[0], "customer_stop", data[1])
            elif what == "staff":
                staff_replied(url, data, when)
            else:
                customer_wrote(url, data, when)
        clock.set_clock(lambda tick=tick: tick)
        engine.tick(tick)
        ticks.append(tick)
        tick += timedelta(hours=TICK_HOURS)
    return recorder, expectations, ticks, opt_outs, staff, inbound


def fresh(template_database, tmp_path_factory) -> str:
    target = tmp_path_factory.mktemp("prop") / "followup.db"
    shutil.copy(template_database, target)
    return f"sqlite:///{target}"


scenario_strategy = st.builds(Scenario, start=st.sampled_from(STARTS), minute=st.integers(0, 179),
                              customers=customers_strategy(whatsapp_share=False))
rules_strategy = st.builds(Scenario, start=st.sampled_from(STARTS), minute=st.integers(0, 179),
                           customers=customers_strategy(whatsapp_share=True))
SETTINGS = settings(max_examples=12, deadline=None, database=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                           HealthCheck.data_too_large])


@SETTINGS
@given(scenario=scenario_strategy)
def test_every_due_instalment_gets_exactly_the_policys_messages(scenario, template_database, tmp_path_factory,
                                                                 monkeypatch):
    url = fresh(template_database, tmp_path_factory)
    monkeypatch.setenv("BETAALHULP_WEB_SECRET", "followup-tests-secret")
    app_settings.cache_clear()
    for spec in scenario.customers:
        spec["opt_outs"] = []   # exactness without opt-outs and with the pressure limit out of the way
    policy = POLICY.with_changes(max_messages=100)
    try:
        recorder, expectations, ticks, _, _, _ = run_scenario(url, scenario, policy)
        sent = [r for r in rows(url) if r.status == "sent" and r.instalment_id]
        got: dict[tuple[int, str], int] = {}
        for row in sent:
            got[(row.instalment_id, row.kind)] = got.get((row.instalment_id, row.kind), 0) + 1
        want = set()
        for _arrangement, instalment_id, due, paid_at in expectations:
            today_moment = moment(due)
            missed_day = today_moment.astimezone(NL).date() + timedelta(days=1)
            for kind, day, when in (("reminder_before", due - timedelta(days=3), moment(due - timedelta(days=3))),
                                    ("reminder_today", due, today_moment),
                                    ("missed", missed_day, moment(missed_day))):
                if day < scenario.start or (kind == "reminder_before" and when.astimezone(NL).date() >= due):
                    continue
                tick = next((t for t in ticks if t >= when), None)
                if tick is None:
                    continue   # after the last pass
                if paid_at is None or paid_at > tick:
                    want.add((instalment_id, kind))
        assert set(got) == want, (sorted(want - set(got))[:5], sorted(set(got) - want)[:5])
        assert all(count == 1 for count in got.values())
        assert len({d.key for d in recorder.deliveries}) == len(recorder.deliveries)
    finally:
        clock.set_clock(None)
        engine_module.database(url).dispose()
        engine_for(url).dispose()


@SETTINGS
@given(scenario=rules_strategy, templated=st.sets(st.sampled_from(RESPONSES)))
def test_quiet_hours_pressure_opt_out_and_the_whatsapp_window_always_hold(scenario, templated, template_database,
                                                                          tmp_path_factory, monkeypatch):
    url = fresh(template_database, tmp_path_factory)
    monkeypatch.setenv("BETAALHULP_WEB_SECRET", "followup-tests-secret")
    app_settings.cache_clear()
    monkeypatch.setattr(deciding, "whatsapp_templates", lambda: {r: "template" for r in templated})
    try:
        recorder, _, _, opt_outs, staff, inbound = run_scenario(url, scenario, POLICY)
        sent = [r for r in rows(url) if r.status == "sent"]
        assert len(recorder.deliveries) == len(sent)
        # Quiet hours, Sundays, holidays (both clock changes included).
        for row in sent:
            assert allowed(row.sent_at.replace(tzinfo=UTC)), (row.kind, row.sent_at)
        # Contact pressure: at each follow-up, at most 3 contacts in the 7 days up to it.
        contacts: dict[int, list[datetime]] = {}
        for row in sent:
            contacts.setdefault(row.customer_id, []).append(row.sent_at.replace(tzinfo=UTC))
        replies: dict[int, list[datetime]] = {}
        for customer_id, when in staff:
            replies.setdefault(customer_id, []).append(when)
        for customer_id, moments in contacts.items():
            for row_moment in moments:
                window = [m for m in moments + replies.get(customer_id, [])
                          if row_moment - timedelta(days=7) < m <= row_moment]
                assert len(window) <= POLICY.max_messages, (customer_id, row_moment, sorted(window))
        # Opt-out: nothing to an address after it opted out.
        for delivery, when in zip(recorder.deliveries, recorder.times):
            for sender, stopped in opt_outs:
                assert not (delivery.sender_id == sender and when >= stopped), (sender, when, stopped)
        # WhatsApp: free-form only within 24 hours of the customer's last message; outside that
        # only a response with an approved template, and then it goes as the template.
        by_key = {r.key: r for r in sent}
        for delivery, when in zip(recorder.deliveries, recorder.times):
            if not delivery.sender_id.startswith("twilio_whatsapp:"):
                continue
            window_open = any(sender == delivery.sender_id and when - timedelta(hours=24) <= wrote <= when
                              for sender, wrote in inbound)
            facts = by_key[delivery.key].facts
            if window_open:
                assert "whatsapp_template" not in facts
            else:
                assert delivery.response in templated, (delivery.key, when)
                assert facts["whatsapp_template"] == "template"
    finally:
        clock.set_clock(None)
        engine_module.database(url).dispose()
        engine_for(url).dispose()
