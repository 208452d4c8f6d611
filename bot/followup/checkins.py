"""Promised contact (R29; issue 21 §3): a payment pause's confirmation says "Op {datum} nemen we
contact met je op", so that message is planned here, for the arrangement's `checkin_on` (the
offer's check-in date, stored when the customer agreed).

It is planned when its day comes into view, like the reminders (the daily planning, and every
pass for arrangements agreed since), at send_time on the promised day. A promised day on which
nothing may go (a Sunday or a public holiday) brings it on the last open day before it: a
promise kept a day early, not broken by a day. At the moment it would go the engine's rules
decide as for every unprompted message (bot/followup/rules.py): quiet hours, contact pressure,
opt-out and the WhatsApp window; and not when the arrangement no longer runs.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy import bindparam, select

from bot.followup import calendar
from bot.followup.plan import Plan, each_in
from bot.followup.policy import Policy
from bot.formatting import format_date_nl
from bot.store.idlists import id_list, in_list
from bot.store.models import Arrangement

KIND = "checkin"
ARRANGEMENT = Arrangement.__table__.c

_PROMISED = (select(ARRANGEMENT.id, ARRANGEMENT.customer_id, ARRANGEMENT.sender_id, ARRANGEMENT.contact_person,
                    ARRANGEMENT.solution, ARRANGEMENT.starts_on, ARRANGEMENT.ends_on, ARRANGEMENT.checkin_on)
             .where(ARRANGEMENT.status == "active",
                    ARRANGEMENT.checkin_on.between(bindparam("first"), bindparam("last"))))
_PROMISED_OF = _PROMISED.where(in_list(ARRANGEMENT.id, id_list()))


def logical(arrangement_id: int) -> str:
    return f"a{arrangement_id}:{KIND}"


def promised_moment(day: date, starts_on: date, now: datetime, policy: Policy) -> datetime:
    """send_time on the promised day; when that day is closed, on the last open day before it
    (not before the arrangement began, and never in the past: then the first allowed moment)."""
    meant = day
    while calendar.day_closed(meant, policy) and meant > starts_on:
        meant -= timedelta(days=1)
    if calendar.day_closed(meant, policy):
        meant = day  # no open day between agreement and promise: the first open moment after
    return max(calendar.planned_moment(meant, policy), calendar.next_allowed(now, policy))


def plan_checkins(plan: Plan, days: list[date], *, arrangement_ids: list[int] | None = None) -> None:
    """The promised contact of running arrangements (of the kind's solutions) whose moment falls on
    one of `days`. A closed promised day is reached from the open day before it, so the look
    reaches a week beyond the last day in view."""
    if KIND not in plan.policy.kinds or not days:
        return
    policy, session = plan.policy, plan.session
    solutions = set(policy.kind(KIND)["solutions"])
    wanted = set(days)
    params = {"first": min(days), "last": max(days) + timedelta(days=7)}
    if arrangement_ids is None:
        found = session.execute(_PROMISED, params).all()
    else:
        found = list(each_in(session, _PROMISED_OF, sorted(arrangement_ids), **params))
    rows = []
    for row in found:
        if row.solution not in solutions:
            continue
        moment = promised_moment(row.checkin_on, row.starts_on, plan.now, policy)
        if calendar.local_today(moment) in wanted:
            rows.append((row, moment))
    if not rows:
        return
    plan.existing(KIND, arrangement_ids=[row.id for row, _ in rows])
    book = plan.book.ensure([row.customer_id for row, _ in rows], [row.sender_id for row, _ in rows if row.sender_id])
    for row, moment in rows:
        plan.add(logical=logical(row.id), kind=KIND, customer_id=row.customer_id,
                 address=book.planned_address(row.customer_id, row.sender_id, policy), moment=moment,
                 facts={"promised_for": row.checkin_on.isoformat(),
                        "meant_for": calendar.local_today(moment).isoformat(), "solution": row.solution,
                        "pause_ends_on": row.ends_on.isoformat()},
                 slots={"pause_end_date": format_date_nl(row.ends_on), "contact_person": row.contact_person},
                 arrangement_id=row.id)
