"""A year of follow-up in seconds: demo customers with arrangements, run through the real engine
and database on the injectable clock, with the recording channel (issue 10, section 5).

Behaviours are drawn with the seed: most customers pay on time, some late, some miss and break
their arrangement, some say STOP, some write to us (opening WhatsApp's window), some get a
reply from staff (which counts for contact pressure), some fall into arrears again after their
arrangement ended (a relapse), and some customers without arrears show risk signals (preventive
contact). Customer names and numbers are made up (customer numbers from 900000).

    python -m bot.followup simulate --customers 500 --months 12 --seed 7 --database sqlite:///var/sim.db
"""
from __future__ import annotations

import gc
import heapq
import random
import time
from collections import defaultdict
from datetime import date, datetime, timedelta
from datetime import time as clock_time
from typing import Any, Callable

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from bot import addresses, clock
from bot.followup import calendar, episodes, ledger, optout
from bot.followup.contacts import contact_person_for
from bot.followup.engine import Engine, TickReport
from bot.followup.links import PaymentLinks
from bot.followup.plan_links import arrangement_link
from bot.followup.policy import Policy
from bot.followup.policy import default as default_policy
from bot.followup.sending import RecordingSender
from bot.followup.simulation_summary import Summary
from bot.policy.dates import add_months
from bot.store.db import engine_for
from bot.store.migrate import upgrade
from bot.store.models import (
    Arrangement,
    Case,
    ChannelOutbound,
    ChannelSender,
    Customer,
    FollowUp,
    Loan,
)

# When the simulated engine runs each day (local time): just after midnight it closes the day
# before and plans; the others send what is due (09:00 is the policy's send time, 07:00 catches
# messages moved off Sundays and holidays; 13:00 and 17:00 what was deferred or planned since).
# The real engine passes every 30 seconds; here a message can go out up to four hours late.
TICKS = (clock_time(0, 10), clock_time(7, 0), clock_time(9, 0), clock_time(13, 0), clock_time(17, 0))
# Rows the simulator's engine claims per batch (the policy's 200 is for engines that send over
# the network and share the work): one engine and an in-process channel, so fewer round trips.
SIMULATOR_BATCH = 2000
PROFILES = (("on_time", 0.70), ("late", 0.12), ("breaks", 0.08), ("stops", 0.04), ("early", 0.06))
CHANNEL_MIX = (("whatsapp", 0.45), ("sms", 0.20), ("widget", 0.15), ("telegram", 0.10), ("rest", 0.10))
SOLUTIONS = (("payment_arrangement", 0.75), ("partial_payment", 0.10), ("payment_pause", 0.10),
             ("remission_arrangement", 0.05))
SIGNALS = ("bounced_debit", "rising_overdraft", "missed_payment_elsewhere")
RELAPSE_CHANCE = {"on_time": 0.15, "early": 0.10, "late": 0.35, "stops": 0.25, "breaks": 0.55}


def pick(rng: random.Random, table: tuple[tuple[str, float], ...]) -> str:
    roll, total = rng.random(), 0.0
    for name, share in table:
        total += share
        if roll < total:
            return name
    return table[-1][0]


class Simulation:
    def __init__(self, database_url: str, *, customers: int, months: int = 12, seed: int = 1,
                 start: date = date(2027, 1, 4), policy: Policy | None = None, preventive_share: float = 0.1,
                 payment_links: bool = True, journal: str | None = "wal", engine_name: str = "simulator",
                 progress: Callable[[str], None] | None = None) -> None:
        self.url = database_url
        self.customers = customers
        self.months = months
        self.rng = random.Random(seed)
        self.start = start
        self.policy = policy or default_policy()
        self.preventive = int(customers * preventive_share)
        # Counts keys, keeps no deliveries: a year's 180,000 would stay alive for the garbage
        # collector to walk at every full collection.
        self.recorder = RecordingSender(keep=False)
        self.links = PaymentLinks() if payment_links else NoLinks()
        self.journal = journal  # see engine.database: "wal", "memory" (a scratch file) or None
        self.engine_name = engine_name
        self.progress = progress
        self.events: list[tuple[datetime, int, str, tuple]] = []  # a heap: (moment, seq, what, data)
        self._seq = 0
        self.summary = Summary()
        self._now = calendar.at_local(start, clock_time(0, 0))

    # -- the clock -------------------------------------------------------------------------------------
    def now(self) -> datetime:
        return self._now

    def _at(self, day: date, hour: int, minute: int = 0) -> datetime:
        return calendar.at_local(day, clock_time(hour, minute))

    def _event(self, moment: datetime, what: str, *data: Any) -> None:
        self._seq += 1
        heapq.heappush(self.events, (moment, self._seq, what, data))

    # -- the population ------------------------------------------------------------------------------
    def setup(self) -> None:
        started = time.perf_counter()
        upgrade(self.url)
        if self.journal == "memory":
            engine_for(self.url).dispose()  # the migration's pooled connections: leaving WAL needs the file alone
        engine = Engine(self.url, sender=self.recorder, policy=self.policy, name=self.engine_name,
                        links=self.links, mark_every=10_000, journal=self.journal, batch_size=SIMULATOR_BATCH)
        self.engine = engine
        clock.set_clock(self.now)
        with engine.session() as session, session.begin():
            first = int(session.execute(select(func.coalesce(func.max(Customer.id), 0))).scalar_one())
            self._insert_customers(session, first)
        with engine.session() as session, session.begin():
            self._start_arrangements(session, first)
        self.summary.setup_seconds = time.perf_counter() - started

    def _insert_customers(self, session: Session, first: int) -> None:
        rng = self.rng
        total = self.customers + self.preventive
        customers, loans, cases, senders = [], [], [], []
        self.primary: dict[int, str] = {}
        self.profile: dict[int, str] = {}
        for n in range(1, total + 1):
            customer_id = first + n
            number = 900000 + customer_id
            phone = f"+3161{customer_id:07d}"
            term = rng.choice((95, 120, 150, 185, 210, 250, 320, 450, 980))
            customers.append({"id": customer_id, "customer_number": str(number), "full_name": f"Klant {number}",
                              "birth_date": date(1950 + rng.randrange(55), 1 + rng.randrange(12), 1 + rng.randrange(28)),
                              "phone": phone, "created_at": self.now()})
            with_arrangement = n <= self.customers
            loans.append({"customer_id": customer_id, "reference": f"SIM-{number}",
                          "loan_type": rng.choice(("personal_loan", "revolving_credit", "mortgage")),
                          "monthly_term_cents": term * 100, "terms_behind": 0, "arrears_cents": 0, "costs_cents": 0,
                          "bounced_debits_quarter": 0})
            channel = pick(rng, CHANNEL_MIX)
            sender = {"whatsapp": f"twilio_whatsapp:{phone}", "sms": f"twilio_sms:{phone}",
                      "widget": f"web:sim{customer_id}", "telegram": f"telegram:{700000000 + customer_id}",
                      "rest": f"rest:sim{customer_id}"}[channel]
            self.primary[customer_id] = sender
            cases.append({"sender_id": sender, "channel": channel, "customer_id": customer_id, "status": "closed",
                          "opened_at": self.now(), "updated_at": self.now(), "answers": {}, "finances": {},
                          "signals": []})
            if rng.random() < 0.3:  # a second conversation on another channel
                other = rng.choice([c for c, _ in CHANNEL_MIX if c != channel])
                second = {"whatsapp": f"twilio_whatsapp:{phone}", "sms": f"twilio_sms:{phone}",
                          "widget": f"web:sim{customer_id}b", "telegram": f"telegram:{800000000 + customer_id}",
                          "rest": f"rest:sim{customer_id}b"}[other]
                cases.append({"sender_id": second, "channel": other, "customer_id": customer_id, "status": "closed",
                              "opened_at": self.now(), "updated_at": self.now(), "answers": {}, "finances": {},
                              "signals": []})
            if channel == "whatsapp":
                senders.append({"sender_id": sender, "last_inbound_at": self.now() - timedelta(hours=rng.randrange(1, 72))})
            if not with_arrangement:
                self._plan_preventive_customer(customer_id)
        session.execute(insert(Customer.__table__), customers)
        session.execute(insert(Loan.__table__), loans)
        session.execute(insert(Case.__table__), cases)
        if senders:
            session.execute(insert(ChannelSender.__table__), senders)
        self.summary.customers = total
        self.summary.preventive_customers = self.preventive

    def _plan_preventive_customer(self, customer_id: int) -> None:
        rng = self.rng
        days = self.months * 30
        for _ in range(rng.choice((1, 1, 2, 3))):
            day = self.start + timedelta(days=rng.randrange(days))
            self._event(self._at(day, 6), "signal", customer_id, rng.choice(SIGNALS), day)
        if rng.random() < 0.2:  # falls behind anyway, later on
            day = self.start + timedelta(days=rng.randrange(days))
            self._event(self._at(day, 8), "arrears", customer_id, None)

    def _start_arrangements(self, session: Session, first: int) -> None:
        """Every customer's arrangement through the ledger's bulk path (the same rows and events
        as ledger.start_arrangement per customer). The customers' behaviours are drawn as each
        arrangement is made up, so the seed gives the same population; their payments refer to
        instalments by a stand-in number until the ids are known."""
        rng = self.rng
        last = first + self.customers
        customers = session.execute(select(Customer.id, Customer.birth_date)
                                    .where(Customer.id > first, Customer.id <= last).order_by(Customer.id)).all()
        loans = {loan.customer_id: loan for loan in session.execute(
            select(Loan.id, Loan.customer_id, Loan.loan_type, Loan.monthly_term_cents)
            .where(Loan.customer_id > first, Loan.customer_id <= last).order_by(Loan.id))}
        end = add_months(self.start, self.months)
        items, stand_ins, loan_updates = [], [], []
        stand_in = 0
        for customer in customers:
            customer_id = customer.id
            loan = loans[customer_id]
            solution = pick(rng, SOLUTIONS)
            months = rng.choice((3, 4, 6, 6, 9, 12))
            first_due = self.start + timedelta(days=rng.randrange(3, 31))
            amount = max(25, loan.monthly_term_cents // 100 + rng.choice((0, 25, 50, 75)))
            schedule = [{"month": m, "due": add_months(first_due, m - 1).isoformat(), "amount": amount}
                        for m in range(1, months + 1)]
            # Arrears the instalments may be asked from (request_payment checks the amount).
            loan_updates.append({"b_id": loan.id, "b_arrears": amount * months * 100, "b_behind": max(1, months // 3)})
            offer = {"solution": solution, "policy_version": "simulator", "arrangement_months": months,
                     "end_date": add_months(first_due, months - 1).isoformat(), "schedule": schedule}
            items.append({"customer": customer, "loan": loan, "offer": offer,
                          "contact_person": contact_person_for(customer_id), "sender_id": self.primary[customer_id],
                          "channel": addresses.channel_of(self.primary[customer_id]), "starts_on": self.start})
            instalments = []
            for planned in ledger.planned_instalments(offer, self.start):
                stand_in -= 1  # negative: never an id
                instalments.append(ledger.StartedInstalment(stand_in, planned.number, planned.due_on,
                                                            planned.amount_cents))
            arrangement = ledger.StartedArrangement(0, customer_id, loan.id, ledger.ends_on_for(offer, self.start),
                                                    instalments)
            profile = pick(rng, PROFILES)
            stand_ins.append((arrangement, profile))
            self._plan_behaviour(arrangement, profile, customer_id, end)
        if loan_updates:
            session.execute(update(Loan.__table__).where(Loan.__table__.c.id == bindparam("b_id"))
                            .values(arrears_cents=bindparam("b_arrears"), terms_behind=bindparam("b_behind")),
                            loan_updates)
        started = ledger.start_arrangements(session, items)
        ids: dict[int, int] = {}
        for (planned_arrangement, profile), arrangement in zip(stand_ins, started):
            self.profile[arrangement.id] = profile
            for planned_instalment, instalment in zip(planned_arrangement.instalments, arrangement.instalments):
                ids[planned_instalment.id] = instalment.id
        self.events = [(at, seq, what, (ids[data[0]], *data[1:]) if what == "pay" and data[0] in ids else data)
                       for at, seq, what, data in self.events]
        heapq.heapify(self.events)
        self.summary.arrangements = len(customers)

    def _plan_behaviour(self, arrangement: ledger.StartedArrangement, profile: str, customer_id: int, end: date) -> None:
        rng = self.rng
        breaks_at = rng.randrange(1, max(2, len(arrangement.instalments))) if profile == "breaks" else None
        for instalment in arrangement.instalments:
            if breaks_at is not None and instalment.number > breaks_at:
                continue  # stops paying
            if profile == "on_time":
                day = instalment.due_on - timedelta(days=rng.choice((0, 0, 0, 1, 2)))
                hour = rng.choice((8, 10, 11, 14, 17, 20))
            elif profile == "early":
                day, hour = instalment.due_on - timedelta(days=rng.randrange(4, 10)), rng.randrange(8, 22)
            elif profile == "late":
                day, hour = instalment.due_on + timedelta(days=rng.randrange(1, 9)), rng.randrange(8, 22)
            else:  # stops (pays, but says STOP) and breaks (pays until it breaks)
                day, hour = instalment.due_on + timedelta(days=rng.choice((0, 0, 1, 3))), rng.randrange(8, 22)
            self._event(self._at(day, hour, rng.randrange(60)), "pay", instalment.id, instalment.amount_cents)
            if profile in ("on_time", "late") and rng.random() < 0.25:
                # A reply to a reminder: the customer writes, which opens WhatsApp's window.
                self._event(self._at(instalment.due_on - timedelta(days=3), 10), "inbound", customer_id)
        if profile == "stops":
            day = self.start + timedelta(days=rng.randrange(5, 120))
            self._event(self._at(day, rng.randrange(9, 21)), "stop", customer_id, self.primary[customer_id])
        if rng.random() < 0.05:
            day = self.start + timedelta(days=rng.randrange(1, 300))
            self._event(self._at(day, rng.randrange(9, 17)), "staff_reply", customer_id, self.primary[customer_id])
        if rng.random() < RELAPSE_CHANCE[profile]:
            last_due = arrangement.instalments[-1].due_on if arrangement.instalments else arrangement.ends_on
            day = last_due + timedelta(days=rng.randrange(20, 200))
            if day < end:
                self._event(self._at(day, 8), "arrears", customer_id, arrangement.loan_id)

    # -- running ---------------------------------------------------------------------------------------
    def run(self) -> Summary:
        started = time.perf_counter()
        # What exists now (the planned behaviour, the policy, SQLAlchemy's compiled statements)
        # lives through the run: kept out of the garbage collector's full collections, which
        # would otherwise walk it again and again (freed as usual once unreferenced).
        gc.collect()
        gc.freeze()
        try:
            return self._run(started)
        finally:
            gc.unfreeze()

    def _run(self, started: float) -> Summary:
        engine_time = 0.0
        last_day = add_months(self.start, self.months)
        day = self.start
        report = TickReport()
        while day < last_day:
            for at in TICKS:
                moment = calendar.at_local(day, at)
                paid = self._apply_until(moment)
                self._now = moment
                self.summary.ticks += 1
                before = time.perf_counter()
                if at != TICKS[0] and not paid and not self.engine.has_due(moment):
                    # A pass with nothing to do: no day to close (that is the first pass of the
                    # day), no payment since the last pass (so no small success to plan) and no
                    # message due. The next pass looks back over the payments since the last one.
                    self.summary.idle_ticks += 1
                else:
                    report.add(self.engine.tick(moment))
                engine_time += time.perf_counter() - before
            self.summary.days += 1
            if self.progress and self.summary.days % 30 == 0:
                self.progress(f"day {self.summary.days}: {report.sent} sent")
            day += timedelta(days=1)
        self.summary.run_seconds = time.perf_counter() - started
        self.summary.engine_seconds = engine_time
        self._collect(report)
        clock.set_clock(None)
        return self.summary

    def _apply_until(self, moment: datetime) -> bool:
        """What the customers did until `moment`; True when someone paid."""
        due: dict[str, list[tuple]] = defaultdict(list)
        while self.events and self.events[0][0] <= moment:
            at, _, what, data = heapq.heappop(self.events)
            due[what].append((at, *data))
        if not due:
            return False
        self._now = moment
        with self.engine.session() as session, session.begin():
            if due["pay"]:
                self._pay(session, due["pay"])
            inbound = [{"b_sender": self.primary[customer_id], "b_at": at} for at, customer_id in due["inbound"]
                       if self.primary.get(customer_id, "").startswith("twilio_whatsapp:")]
            if inbound:
                session.execute(update(ChannelSender.__table__)
                                .where(ChannelSender.__table__.c.sender_id == bindparam("b_sender"))
                                .values(last_inbound_at=bindparam("b_at")), inbound)
            for at, customer_id, sender in due["stop"]:
                if optout.opt_out(session, sender, "customer_stop", customer_id):
                    self.summary.opt_outs += 1
            for at, customer_id, sender in due["staff_reply"]:
                session.execute(insert(ChannelOutbound.__table__).values(
                    sender_id=sender, source="staff_reply", outcome="sent", ref=f"sim-{customer_id}",
                    created_at=at, delivered_at=at))
            for at, customer_id, kind, observed_on in due["signal"]:
                ledger.record_risk_signal(session, customer_id, kind, observed_on, {"simulated": True})
                self.summary.risk_signals += 1
            for at, customer_id, _loan_id in due["arrears"]:
                loan = session.execute(select(Loan).where(Loan.customer_id == customer_id)).scalars().first()
                if loan is None:
                    continue
                # The lender's books show a term unpaid: recorded as the books import records it
                # (an episode for first contact, R24; a relapse after an ended arrangement, R21).
                before = loan.arrears_cents
                loan.arrears_cents += loan.monthly_term_cents
                loan.terms_behind += 1
                if episodes.arrears_changed(session, loan, before, calendar.local_today(at), at=at).relapse:
                    self.summary.relapses += 1
        return bool(due["pay"])

    def _pay(self, session: Session, payments: list[tuple]) -> None:
        # An arrangement broken or ended meanwhile takes no more: the money goes elsewhere.
        self.summary.payments += ledger.record_payments(
            session, [(instalment_id, cents, at) for at, instalment_id, cents in payments], active_only=True)

    def _collect(self, report: TickReport) -> None:
        with self.engine.session() as session:
            for kind, channel, count in session.execute(
                    select(FollowUp.kind, FollowUp.channel, func.count()).where(FollowUp.status == "sent")
                    .group_by(FollowUp.kind, FollowUp.channel)):
                self.summary.sent_by_kind[kind] += count
                self.summary.sent_by_channel[channel] += count
            for outcome, count in session.execute(select(FollowUp.outcome, func.count())
                                                  .where(FollowUp.status == "skipped").group_by(FollowUp.outcome)):
                self.summary.skipped_by_reason[outcome] += count
            for status, count in session.execute(select(Arrangement.status, func.count()).group_by(Arrangement.status)):
                self.summary.arrangements_by_status[status] = count
            self.summary.duplicate_keys_db = session.execute(
                select(func.count()).select_from(select(FollowUp.key).group_by(FollowUp.key)
                                                 .having(func.count() > 1).subquery())).scalar_one()
        self.summary.deferred_by_reason.update(report.deferred)
        self.summary.engine_phases = {k: round(v, 1) for k, v in self.engine.timings.items()}
        self.summary.recorded = self.recorder.count
        self.summary.duplicate_keys_sent = sum(1 for count in self.recorder.keys.values() if count > 1)


class NoLinks(PaymentLinks):
    """For what-if runs only: the plan page as the link, no payment rows."""

    def link(self, session: Session, *, arrangement: Arrangement, **_: Any) -> tuple[str | None, str | None]:
        return arrangement_link(arrangement, session=session), None


def simulate(database_url: str, *, customers: int, months: int = 12, seed: int = 1, start: date | None = None,
             payment_links: bool = True, progress: Callable[[str], None] | None = None) -> Summary:
    simulation = Simulation(database_url, customers=customers, months=months, seed=seed,
                            start=start or date(2027, 1, 4), payment_links=payment_links, progress=progress)
    simulation.setup()
    return simulation.run()
