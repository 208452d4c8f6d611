"""The schedule the policy asks for, computed here independently of the engine's planner and
calendar (plain rules for a month without public holidays: Sundays and quiet hours only)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

NL = ZoneInfo("Europe/Amsterdam")
SEND, QUIET_END = time(9), time(7)
DAYS_BEFORE, GRACE, AFTER_MISSED = 3, 3, 2


def moment(day: date) -> datetime:
    """09:00 that day; a Sunday moves to Monday when the quiet hours end (07:00)."""
    if day.weekday() == 6:
        return datetime.combine(day + timedelta(days=1), QUIET_END, NL).astimezone(timezone.utc)
    return datetime.combine(day, SEND, NL).astimezone(timezone.utc)


def schedule(population, start: date, until: datetime) -> dict[str, datetime]:
    """logical key -> the moment it is due, for messages due by `until`, for an engine whose first
    pass is on `start` (it plans `start` and the day after; nothing meant for earlier days)."""
    expected: dict[str, datetime] = {}
    for arrangement_id, lines in population.arrangements.items():
        unpaid = [(iid, due) for iid, due, paid in lines if not paid]
        for instalment_id, due in unpaid:
            reminder_day = due - timedelta(days=DAYS_BEFORE)
            today_moment = moment(due)
            missed_day = today_moment.astimezone(NL).date() + timedelta(days=1)
            for kind, day, at in (("reminder_before", reminder_day, moment(reminder_day)),
                                  ("reminder_today", due, today_moment),
                                  ("missed", missed_day, moment(missed_day))):
                if day >= start and at <= until and not (kind == "reminder_before" and at.astimezone(NL).date() >= due):
                    expected[f"a{arrangement_id}:i{instalment_id}:{kind}:{due.isoformat()}"] = at
        if len(unpaid) >= AFTER_MISSED:
            # Missed after the grace days: known when that day is closed, said the day after.
            second_due = sorted(due for _, due in unpaid)[AFTER_MISSED - 1]
            at = moment(second_due + timedelta(days=GRACE + 2))
            if at <= until:
                expected[f"a{arrangement_id}:reassessment"] = at
    for customer_id in population.preventive:
        # Planned on the day the signal was observed (or the first day, when that was earlier).
        day = max(start, population.signal_on)
        expected[f"c{customer_id}:preventive:{day.isoformat()}"] = moment(day)
    return expected


def allowed(at: datetime) -> bool:
    here = at.astimezone(NL)
    return here.weekday() != 6 and time(7) <= here.time() < time(20)
