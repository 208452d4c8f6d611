"""A log with exactly one disadvantaged group, for the group-outcome monitor.

Every combination of channel (3) x age band (5) x cause (3) x vulnerability (2) has two
customers, so every channel, cause and vulnerability group holds the same mix of everything
else. Each customer has one arrangement of four instalments that ended in early 2025, and:
- keeps 3 of 4 instalments, except customers aged 65+, who keep 1 of 4;
- the first of each pair is in arrears again within 6 months, the second never;
- the first answers 4 on satisfaction, the second 3.
So adherence is 0.75 everywhere but 0.25 for 65+ (the whole: 0.65); relapse is 0.5 and
satisfaction 3.5 in every group. With a 0.10 margin only "adherence, age band 65+" is worse
than the whole by more than the margin.
"""
from __future__ import annotations

import itertools
from datetime import date, datetime, timedelta, timezone

from bot.outcomes.synthetic import EventLog, segment

CHANNELS = ("whatsapp", "sms", "telegram")
AGE_BANDS = ("18-24", "25-34", "35-49", "50-64", "65+")
CAUSES = ("job_loss", "illness", "forgot")
DISADVANTAGED = ("adherence", "age_band", "65+")
TODAY = date(2026, 11, 22)


def _at(day: date, hour: int = 12) -> datetime:
    return datetime.combine(day, datetime.min.time(), timezone.utc).replace(hour=hour)


def add_customer(log: EventLog, number: int, *, channel: str, age_band: str, cause: str, vulnerable: bool,
                 kept: int, relapses: bool, score: int, start: date = date(2025, 1, 6)) -> None:
    case = arrangement = number
    ids = {"customer_id": number, "case_id": case, "channel": channel}
    log.add("conversation_started", _at(start, 9), **ids)
    log.add("verified", _at(start, 9) + timedelta(minutes=2), **ids)
    log.add("cause_recorded", _at(start, 9) + timedelta(minutes=4), reason=cause, **ids)
    log.add("solution_accepted", _at(start, 9) + timedelta(minutes=20), arrangement_id=arrangement,
            reason="payment_arrangement", value=4,
            segment=segment(channel=channel, loan_type="personal_loan", cause=cause, age_band=age_band,
                            signals=["illness"] if vulnerable else []), **ids)
    log.add("satisfaction_answered", _at(start + timedelta(days=1)), reason="after_solution", value=score, **ids)
    for i in range(4):
        due = start + timedelta(days=30 * (i + 1))
        instalment = number * 10 + i
        fields = {"customer_id": number, "arrangement_id": arrangement, "instalment_id": instalment}
        log.add("instalment_due", _at(due, 21), value=10000, due_on=due.isoformat(), **fields)
        if i < kept:
            log.add("instalment_paid", _at(due, 8), value=10000, days_late=0, due_on=due.isoformat(), **fields)
    ended = start + timedelta(days=130)
    log.add("arrangement_ended", _at(ended, 21), customer_id=number, arrangement_id=arrangement, reason="completed")
    if relapses:
        log.add("arrears_again", _at(ended + timedelta(days=60)), customer_id=number, arrangement_id=arrangement,
                reason="personal_loan")


def one_disadvantaged_group(first_customer: int = 1) -> EventLog:
    log = EventLog()
    number = first_customer
    for channel, age_band, cause, vulnerable in itertools.product(CHANNELS, AGE_BANDS, CAUSES, (False, True)):
        for first in (True, False):
            add_customer(log, number, channel=channel, age_band=age_band, cause=cause, vulnerable=vulnerable,
                         kept=1 if age_band == "65+" else 3, relapses=first, score=4 if first else 3)
            number += 1
    return log
