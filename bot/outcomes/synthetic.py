"""Outcome events without the whole system: a small builder for hand-written (golden) data and
a seeded generator of realistic volumes for the benchmark and demos.

The generator writes what the lead and the follow-up engine write (the contract in events.py),
straight into `outcome_events`; it does not replace the follow-up simulator, which runs the
real engine. Everything is deterministic for a given seed.
"""
from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Iterable

from dateutil.relativedelta import relativedelta
from sqlalchemy import insert
from sqlalchemy.orm import Session

from bot.outcomes.events import KINDS
from bot.store.models import OutcomeEvent

CHANNELS = ("whatsapp", "sms", "telegram", "widget")
LOAN_TYPES = ("personal_loan", "revolving_credit", "mortgage")
CAUSES = ("job_loss", "illness", "income_drop", "relationship_end", "one_off_expense", "payment_timing", "forgot",
          "other_debts", "business", "bereavement")
AGE_BANDS = ("18-24", "25-34", "35-49", "50-64", "65+")
HANDOVER_REASONS = ("customer_asked", "multiple_problems", "vulnerability", "not_understood", "crisis")
SOLUTIONS = ("payment_arrangement", "payment_pause", "partial_payment", "remission_arrangement", "debt_help_referral")
SIGNALS = ("bailiff", "illness", "language", "mental_health")


def utc(day: date, hour: int = 12, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), timezone.utc)


def segment(*, channel: str | None, loan_type: str | None, cause: str | None, age_band: str | None,
            signals: Iterable[str] = ()) -> dict[str, Any]:
    signals = sorted(set(signals))
    return {"age_band": age_band, "loan_type": loan_type, "cause": cause, "vulnerable": bool(signals),
            "signals": signals, "channel": channel}


class EventLog:
    """Rows for `outcome_events` in the order they are added (ids follow that order)."""

    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []

    def add(self, kind: str, at: datetime, /, *, customer_id: int | None = None, case_id: int | None = None,
            arrangement_id: int | None = None, instalment_id: int | None = None, channel: str | None = None,
            reason: str | None = None, value: int | None = None, **data: Any) -> dict[str, Any]:
        if kind not in KINDS:
            raise ValueError(f"unknown outcome event {kind!r}")
        if at.tzinfo is None:
            raise ValueError("event times are timezone-aware (UTC)")
        row = {"at": at.astimezone(timezone.utc), "kind": kind, "customer_id": customer_id, "case_id": case_id,
               "arrangement_id": arrangement_id, "instalment_id": instalment_id, "channel": channel,
               "reason": reason, "value": value, "data": data}
        self.rows.append(row)
        return row

    def __len__(self) -> int:
        return len(self.rows)

    def write(self, session: Session, chunk: int = 5000) -> int:
        """Inserts every row in order (one executemany per chunk)."""
        for start in range(0, len(self.rows), chunk):
            session.execute(insert(OutcomeEvent.__table__), self.rows[start:start + chunk])
        return len(self.rows)


class Generator:
    """Customers through a conversation, an arrangement, its instalments, its end and the year
    after, plus preventive outreach to customers with risk signals. Tuned to the pilot's shape
    (R21): most instalments paid on time, relapse within a year in the tens of percents."""

    def __init__(self, seed: int = 11, *, start: date = date(2025, 1, 1), today: date = date(2026, 11, 22),
                 grace_days: int = 5) -> None:
        self.rng = random.Random(seed)
        self.start, self.today, self.grace = start, today, grace_days
        self.log = EventLog()
        self.customer_id = self.case_id = self.arrangement_id = self.instalment_id = 0

    # -- one customer ----------------------------------------------------------------------------
    def customer(self, *, force_accept: bool = False, started: datetime | None = None) -> None:
        rng = self.rng
        self.customer_id += 1
        customer = self.customer_id
        profile = {"channel": rng.choice(CHANNELS), "loan_type": rng.choice(LOAN_TYPES), "cause": rng.choice(CAUSES),
                   "age_band": rng.choice(AGE_BANDS),
                   "signals": [rng.choice(SIGNALS)] if rng.random() < 0.2 else []}
        span = (self.today - timedelta(days=20) - self.start).days
        started = started or utc(self.start + timedelta(days=rng.randrange(span)), rng.randrange(7, 21),
                                 rng.randrange(60), rng.randrange(60))
        self.conversation(customer, profile, started, force_accept=force_accept)

    def conversation(self, customer: int, profile: dict[str, Any], started: datetime, *, force_accept: bool) -> None:
        rng, log = self.rng, self.log
        self.case_id += 1
        case, channel = self.case_id, profile["channel"]
        ids = {"customer_id": customer, "case_id": case, "channel": channel}
        log.add("conversation_started", started, **ids)
        at = started + timedelta(seconds=rng.randrange(40, 300))
        log.add("verified", at, **ids)
        at += timedelta(seconds=rng.randrange(60, 400))
        log.add("cause_recorded", at, reason=profile["cause"], **ids)
        vulnerable = bool(profile["signals"])
        if not force_accept and rng.random() < (0.35 if vulnerable else 0.2):
            at += timedelta(seconds=rng.randrange(30, 900))
            reason = "vulnerability" if vulnerable and rng.random() < 0.5 else rng.choice(HANDOVER_REASONS)
            log.add("handed_over", at, reason=reason, **ids)
            self.answer(at, case, customer, channel, "after_handover", 0.35, vulnerable)
            return
        solution = rng.choice(SOLUTIONS)
        at += timedelta(seconds=rng.randrange(120, 1500))
        log.add("solution_offered", at, reason=solution, **ids)
        at += timedelta(seconds=rng.randrange(30, 600))
        if not force_accept and rng.random() < 0.1:
            log.add("solution_declined", at, reason=solution, **ids)
            at += timedelta(seconds=rng.randrange(30, 300))
            log.add("handed_over", at, reason="customer_asked", **ids)
            self.answer(at, case, customer, channel, "after_handover", 0.35, vulnerable)
            return
        self.arrangement_id += 1
        arrangement = self.arrangement_id
        instalments = rng.randrange(3, 13)
        log.add("solution_accepted", at, arrangement_id=arrangement, reason=solution, value=instalments,
                segment=segment(channel=channel, loan_type=profile["loan_type"], cause=profile["cause"],
                                age_band=profile["age_band"], signals=profile["signals"]), **ids)
        self.answer(at, case, customer, channel, "after_solution", 0.45, vulnerable)
        self.instalments(customer, arrangement, channel, at.date(), instalments, vulnerable)

    def answer(self, asked: datetime, case: int, customer: int, channel: str, reason: str, share: float,
               vulnerable: bool) -> None:
        if self.rng.random() >= share:
            return
        at = asked + timedelta(hours=self.rng.randrange(1, 48))
        if at.date() >= self.today:
            return
        weights = (1, 2, 3, 5, 4) if not vulnerable else (2, 3, 3, 4, 3)
        score = self.rng.choices((1, 2, 3, 4, 5), weights=weights)[0]
        self.log.add("satisfaction_answered", at, customer_id=customer, case_id=case, channel=channel, reason=reason,
                     value=score)

    # -- an arrangement and the year after ------------------------------------------------------
    def instalments(self, customer: int, arrangement: int, channel: str, accepted: date, count: int,
                    vulnerable: bool) -> None:
        rng, log = self.rng, self.log
        day_of_month = rng.randrange(1, 29)
        first_due = (accepted + relativedelta(months=1)).replace(day=day_of_month)
        missed, ended_at = 0, None
        careful = rng.random() < (0.6 if vulnerable else 0.75)
        last_due = first_due
        for number in range(count):
            due_on = first_due + relativedelta(months=number)
            last_due = due_on
            if due_on >= self.today:
                return  # still running
            self.instalment_id += 1
            ids = {"customer_id": customer, "arrangement_id": arrangement, "instalment_id": self.instalment_id}
            log.add("contacted", utc(due_on - timedelta(days=3), 9), customer_id=customer, arrangement_id=arrangement,
                    channel=channel, reason="R23.reminder_before", kind="reminder_before")
            log.add("instalment_due", utc(due_on, 21, 59), value=25000, due_on=due_on.isoformat(), **ids)
            draw = rng.random()
            on_time, late = (0.8, 0.92) if careful else (0.55, 0.75)
            if draw < on_time:
                days_late = 0 if rng.random() < 0.8 else rng.randrange(1, self.grace + 1)
            elif draw < late:
                days_late = rng.randrange(self.grace + 1, 40)
            else:
                days_late = None
            if days_late is not None and due_on + timedelta(days=days_late) < self.today:
                log.add("instalment_paid", utc(due_on + timedelta(days=days_late), rng.randrange(8, 22)), value=25000,
                        days_late=days_late, due_on=due_on.isoformat(), **ids)
            if days_late is None or days_late > self.grace:
                missed_on = due_on + timedelta(days=self.grace + 1)
                if missed_on >= self.today:
                    return
                log.add("instalment_missed", utc(missed_on, 21, 59), value=25000, due_on=due_on.isoformat(), **ids)
                missed += 1
                if missed >= 2:
                    ended_at = utc(missed_on, 21, 59)
                    log.add("arrangement_ended", ended_at, customer_id=customer, arrangement_id=arrangement,
                            reason="broken")
                    break
        if ended_at is None:
            end_day = last_due + timedelta(days=self.grace + 1)
            if end_day >= self.today:
                return
            ended_at = utc(end_day, 21, 59)
            log.add("arrangement_ended", ended_at, customer_id=customer, arrangement_id=arrangement, reason="completed")
        self.after(customer, arrangement, channel, ended_at.date(), broken=missed >= 2, vulnerable=vulnerable)

    def after(self, customer: int, arrangement: int, channel: str, ended: date, *, broken: bool,
              vulnerable: bool) -> None:
        rng, log = self.rng, self.log
        relapse_day = None
        if rng.random() < (0.55 if broken else 0.25) + (0.1 if vulnerable else 0.0):
            relapse_day = ended + timedelta(days=rng.randrange(5, 420))
        for month in range(1, 13):
            day = ended + relativedelta(months=month)
            if day >= self.today or (relapse_day and day > relapse_day):
                break
            log.add("contacted", utc(day, 10), customer_id=customer, arrangement_id=arrangement, channel=channel,
                    reason="R23.aftercare", kind="aftercare")
        if relapse_day and relapse_day < self.today:
            log.add("arrears_again", utc(relapse_day, 11), customer_id=customer, arrangement_id=arrangement,
                    reason="personal_loan")
        if rng.random() < 0.03:
            log.add("opted_out", utc(ended + timedelta(days=3), 12), customer_id=customer, channel=channel,
                    reason="stop_word")

    # -- preventive outreach (R22) --------------------------------------------------------------
    def signalled_customer(self) -> None:
        rng, log = self.rng, self.log
        self.customer_id += 1
        customer = self.customer_id
        span = (self.today - timedelta(days=30) - self.start).days
        day = self.start + timedelta(days=rng.randrange(span))
        log.add("risk_signalled", utc(day, 6), customer_id=customer, reason="bounced_debit")
        if rng.random() < 0.7:
            contacted = day + timedelta(days=rng.randrange(1, 6))
            log.add("contacted", utc(contacted, 10), customer_id=customer, channel=rng.choice(CHANNELS),
                    reason="R22.preventive", kind="preventive")
            if rng.random() < 0.3:
                profile = {"channel": rng.choice(CHANNELS), "loan_type": rng.choice(LOAN_TYPES),
                           "cause": rng.choice(CAUSES), "age_band": rng.choice(AGE_BANDS), "signals": []}
                self.conversation(customer, profile, utc(contacted + timedelta(days=rng.randrange(0, 10)), 14),
                                  force_accept=True)

    def run(self, events: int) -> EventLog:
        """Customers until at least `events` events are written."""
        while len(self.log) < events:
            if self.rng.random() < 0.1:
                self.signalled_customer()
            else:
                self.customer()
        return self.log


def generate(events: int, *, seed: int = 11, start: date = date(2025, 1, 1), today: date = date(2026, 11, 22),
             grace_days: int = 5) -> EventLog:
    return Generator(seed, start=start, today=today, grace_days=grace_days).run(events)

