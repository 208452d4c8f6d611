"""The append-only log of outcome facts, written where each fact happens (R21).

Rows are only ever inserted. `segment` carries what the group-outcome monitor slices by, as it
was when the fact happened (age band, loan type, cause, vulnerability, channel), so a later
change to a customer never rewrites history.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from bot import clock
from bot.store.bulk import BulkStatement
from bot.store.models import OutcomeEvent

KINDS = (
    "conversation_started", "verified", "cause_recorded", "solution_offered", "solution_accepted",
    "solution_declined", "handed_over", "instalment_due", "instalment_paid", "instalment_missed",
    "arrangement_ended", "arrears_again", "contacted", "opted_out", "satisfaction_answered",
    "risk_signalled", "plan_changed",
)
AGE_BANDS = ((0, 25, "18-24"), (25, 35, "25-34"), (35, 50, "35-49"), (50, 65, "50-64"), (65, 200, "65+"))


def age_band(birth_date: date | None, on: date) -> str | None:
    if birth_date is None:
        return None
    age = on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))
    return next(label for low, high, label in AGE_BANDS if low <= age < high)


def segment(*, birth_date: date | None = None, loan_type: str | None = None, cause: str | None = None,
            signals: list[str] | tuple[str, ...] = (), channel: str | None = None) -> dict[str, Any]:
    """What the monitor groups by; never a name, number or amount."""
    return {"age_band": age_band(birth_date, clock.today()), "loan_type": loan_type, "cause": cause,
            "vulnerable": bool(signals), "signals": sorted(set(signals)), "channel": channel}


def record(session: Session, kind: str, *, at: datetime | None = None, customer_id: int | None = None,
           case_id: int | None = None, arrangement_id: int | None = None, instalment_id: int | None = None,
           channel: str | None = None, reason: str | None = None, value: int | None = None,
           **data: Any) -> OutcomeEvent:
    if kind not in KINDS:
        raise ValueError(f"unknown outcome event {kind!r}")
    # Always UTC: SQLite drops the zone, so a local time would be read back as UTC.
    event = OutcomeEvent(at=(at or clock.utcnow()).astimezone(timezone.utc), kind=kind, customer_id=customer_id, case_id=case_id,
                         arrangement_id=arrangement_id, instalment_id=instalment_id, channel=channel,
                         reason=reason, value=value, data=data)
    session.add(event)
    return event


# Many events at once (the daily close, the follow-up engine's `contacted`): rows with every column
# record() writes, `at` already in UTC.
COLUMNS = ("at", "kind", "customer_id", "case_id", "arrangement_id", "instalment_id", "channel", "reason", "value",
           "data")
_MANY = BulkStatement(insert(OutcomeEvent.__table__), COLUMNS)


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    _MANY.execute(session, rows)
