"""Planning: which follow-ups are due, as rows in the follow-up outbox (FollowUp), each once
(keys, the address book and inserting: bot/followup/plan.py; aftercare, preventive contact and
the satisfaction question: bot/followup/outreach.py).

`not_before` is the policy's moment (send_time on the day the message is meant for) moved
forward out of quiet hours, Sundays and public holidays; stored in UTC.

All queries are set-based (one per kind per pass), so a simulated year of 10,000 arrangements
plans in seconds.
"""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from bot.followup import calendar, checkins, first_contact, notices, outreach
from bot.followup.plan import (
    Plan,
    each_in,
    instalment_logical,
    lock_planning,
)
from bot.followup.policy import Policy
from bot.formatting import format_date_nl
from bot.money import format_euro
from bot.store.db import core
from bot.store.idlists import id_list, in_list
from bot.store.models import (
    Arrangement,
    Instalment,
)


# -- the kinds ---------------------------------------------------------------------------------------
def _offsets(policy: Policy) -> dict[str, int]:
    """Days from the due date to the day each instalment message is meant for."""
    offsets = {}
    if "reminder_before" in policy.kinds:
        offsets["reminder_before"] = -int(policy.kind("reminder_before")["days_before"])
    if "reminder_today" in policy.kinds:
        offsets["reminder_today"] = 0
    if "missed" in policy.kinds:
        offsets["missed"] = int(policy.kind("missed")["days_after"])
    return offsets


INSTALMENT = Instalment.__table__.c  # table columns in statements run every pass: plain rows, no ORM loading
_COUNTS = (select(INSTALMENT.arrangement_id, func.count(), func.sum(case((INSTALMENT.status == "paid", 1), else_=0)),
                  func.sum(case((and_(INSTALMENT.status != "paid", INSTALMENT.due_on < bindparam("today")), 1),
                                else_=0)))
           .where(in_list(INSTALMENT.arrangement_id, id_list())).group_by(INSTALMENT.arrangement_id))


def instalment_counts(session: Session, arrangement_ids: Iterable[int], today: date) -> dict[int, tuple[int, int, int]]:
    """arrangement -> (instalments, paid, due before today and not paid), counted in SQL."""
    counts: dict[int, tuple[int, int, int]] = {}
    for arrangement_id, total, paid_count, behind_count in each_in(session, _COUNTS, sorted(set(arrangement_ids)),
                                                                   today=today):
        counts[arrangement_id] = (int(total), int(paid_count or 0), int(behind_count or 0))
    return counts


def meant_for(kind: str, due_on: date, policy: Policy) -> date | None:
    """The day an instalment message is meant for (its moment is send_time that day, moved out of
    quiet time); None when it is not sent at all for this due date.

    - reminder_before: `days_before` days earlier; not when moving it out of closed days would
      bring it to the due date itself (the reminder of the day says it then);
    - reminder_today: the due date;
    - missed: `days_after` days after the day the reminder of the due date actually went (a due
      date on a Sunday or holiday is reminded the next open day; missed comes the day after that).
    """
    if kind == "reminder_before":
        day = due_on - timedelta(days=int(policy.kind(kind)["days_before"]))
        return day if calendar.local_today(calendar.planned_moment(day, policy)) < due_on else None
    if kind == "reminder_today":
        return due_on
    if kind == "missed":
        base = calendar.local_today(calendar.planned_moment(due_on, policy)) if "reminder_today" in policy.kinds \
            else due_on
        return base + timedelta(days=int(policy.kind(kind)["days_after"]))
    raise ValueError(kind)


def instalment_slots(kind: str, amount_cents: int, paid_cents: int, due_on: date, contact_person: str) -> dict:
    slots: dict[str, Any] = {"instalment_amount": format_euro(amount_cents - paid_cents),
                             "contact_person": contact_person}
    if kind != "missed":
        slots["due_date"] = format_date_nl(due_on)
    return slots


def due_dates_for(kind: str, days: list[date], policy: Policy) -> list[date]:
    """The due dates whose `kind` message is meant for one of `days`."""
    offset = _offsets(policy)[kind]
    wanted = set(days)
    # Closed days only ever move the missed message later: look a week further back for it.
    back = 7 if kind == "missed" else 0
    first, last = min(days) - timedelta(days=offset + back), max(days) - timedelta(days=offset)
    found, due = [], first
    while due <= last:
        if meant_for(kind, due, policy) in wanted:
            found.append(due)
        due += timedelta(days=1)
    return found


ARRANGEMENT = Arrangement.__table__.c
# Open instalments of running arrangements due on some dates (of some arrangements).
_DUE_ON = (select(INSTALMENT.id, INSTALMENT.arrangement_id, INSTALMENT.number, INSTALMENT.due_on,
                  INSTALMENT.amount_cents, INSTALMENT.paid_cents, INSTALMENT.status, ARRANGEMENT.customer_id,
                  ARRANGEMENT.sender_id, ARRANGEMENT.contact_person, ARRANGEMENT.starts_on)
           .join(Arrangement.__table__, ARRANGEMENT.id == INSTALMENT.arrangement_id)
           .where(ARRANGEMENT.status == "active", INSTALMENT.status != "paid",
                  INSTALMENT.due_on.in_(bindparam("dues", expanding=True))))
_DUE_ON_OF = _DUE_ON.where(in_list(INSTALMENT.arrangement_id, id_list()))


REMINDERS = ("reminder_before", "reminder_today")


def plan_instalment_messages(plan: Plan, in_view: list[date], today: date, *,
                             arrangement_ids: list[int] | None = None) -> None:
    """Reminders meant for the days `in_view`; missed messages meant for `today` only.

    A missed message is planned only once the due date it is about is over (its day is at least
    the day after): most instalments are paid by then, and a row planned ahead would only wait
    to be skipped (the console would list it as upcoming meanwhile)."""
    plan_instalments(plan, in_view, kinds=REMINDERS, arrangement_ids=arrangement_ids)
    plan_instalments(plan, [today], kinds=("missed",), arrangement_ids=arrangement_ids)


def plan_instalments(plan: Plan, days: list[date], *, kinds: tuple[str, ...],
                     arrangement_ids: list[int] | None = None) -> None:
    """The instalment messages of `kinds` (reminders before and on the due date, the missed
    message) meant for one of `days`."""
    policy, session = plan.policy, plan.session
    today = calendar.local_today(plan.now)
    for kind in _offsets(policy):
        if kind not in kinds:
            continue
        due_dates = due_dates_for(kind, days, policy)
        if not due_dates:
            continue
        if arrangement_ids is None:
            found = core(session).execute(_DUE_ON, {"dues": due_dates}).all()
        else:
            found = each_in(session, _DUE_ON_OF, sorted(arrangement_ids), dues=due_dates)
        candidates = []
        for row in found:
            day = meant_for(kind, row.due_on, policy)
            if day < row.starts_on:
                continue  # meant for a day before the arrangement existed
            if kind == "reminder_before" and row.due_on <= today:
                continue
            if kind == "reminder_today" and (row.status != "open" or
                                             today > row.due_on + timedelta(days=policy.grace_days)):
                continue
            candidates.append((row, day))
        if not candidates:
            continue
        plan.existing(kind, instalment_ids=[r.id for r, _ in candidates])
        book = plan.book.ensure([r.customer_id for r, _ in candidates],
                                [r.sender_id for r, _ in candidates if r.sender_id])
        for row, day in candidates:
            facts = {"due_on": row.due_on.isoformat(), "instalment": row.number,
                     "open_cents": row.amount_cents - row.paid_cents}
            if kind == "reminder_before":
                facts["days_to_due"] = (row.due_on - day).days
            elif kind == "missed":
                facts["days_overdue"] = (day - row.due_on).days
            plan.add(logical=instalment_logical(row.arrangement_id, row.id, kind, row.due_on), kind=kind,
                     customer_id=row.customer_id, address=book.planned_address(row.customer_id, row.sender_id, policy),
                     moment=calendar.planned_moment(day, policy), facts=facts,
                     slots=instalment_slots(kind, row.amount_cents, row.paid_cents, row.due_on, row.contact_person),
                     arrangement_id=row.arrangement_id, instalment_id=row.id)


def plan_reassessment(plan: Plan, day: date) -> None:
    """Once per arrangement, when `after_missed` instalments are missed: a reassessment (R9) or
    a person. Looks at arrangements with an instalment missed recently."""
    if "reassessment" not in plan.policy.kinds:
        return
    policy, session = plan.policy, plan.session
    needed = int(policy.kind("reassessment")["after_missed"])
    recent = day - timedelta(days=policy.grace_days + 10)
    recently_missed = (select(Instalment.arrangement_id)
                       .where(Instalment.status == "missed", Instalment.due_on >= recent, Instalment.due_on < day)
                       .scalar_subquery())
    rows = session.execute(
        select(Arrangement.id, Arrangement.customer_id, Arrangement.sender_id, Arrangement.contact_person,
               func.count(Instalment.id))
        .join(Instalment, Instalment.arrangement_id == Arrangement.id)
        .where(Arrangement.id.in_(recently_missed), Arrangement.status.in_(("active", "broken")),
               Instalment.status == "missed")
        .group_by(Arrangement.id, Arrangement.customer_id, Arrangement.sender_id, Arrangement.contact_person)
        .having(func.count(Instalment.id) >= needed)).all()
    if not rows:
        return
    plan.existing("reassessment", arrangement_ids=[r[0] for r in rows])
    book = plan.book.ensure([r[1] for r in rows], [r[2] for r in rows if r[2]])
    for arrangement_id, customer_id, sender_id, contact_person, missed in rows:
        plan.add(logical=f"a{arrangement_id}:reassessment", kind="reassessment", customer_id=customer_id,
                 address=book.planned_address(customer_id, sender_id, policy),
                 moment=calendar.planned_moment(day, policy),
                 facts={"missed_count": int(missed), "threshold": needed},
                 slots={"contact_person": contact_person}, arrangement_id=arrangement_id)


_PAID_SINCE = select(INSTALMENT.arrangement_id, INSTALMENT.paid_at).where(INSTALMENT.paid_at >= bindparam("since"))
_NOT_CANCELLED = select(ARRANGEMENT.id, ARRANGEMENT.customer_id, ARRANGEMENT.sender_id, ARRANGEMENT.contact_person,
                        ARRANGEMENT.status).where(in_list(ARRANGEMENT.id, id_list()), ARRANGEMENT.status != "cancelled")


def plan_success(plan: Plan, since: datetime) -> None:
    """Small successes (R23): when the count of paid instalments reaches a milestone (half, last),
    for arrangements with an instalment paid since `since`."""
    if "success" not in plan.policy.kinds:
        return
    policy, session = plan.policy, plan.session
    # The newest payment per arrangement, taken in Python: with GROUP BY in SQL, SQLite walks every
    # instalment in arrangement order instead of the few paid since (the paid_at index).
    last_paid: dict[int, datetime] = {}
    paid_lately: Counter[int] = Counter()
    for arrangement_id, paid_at in core(session).execute(_PAID_SINCE, {"since": since}).all():
        paid_lately[arrangement_id] += 1
        if arrangement_id not in last_paid or paid_at > last_paid[arrangement_id]:
            last_paid[arrangement_id] = paid_at
    if not last_paid:
        return
    counts = instalment_counts(session, list(last_paid), calendar.local_today(plan.now))
    # Only a milestone passed by the instalments paid since `since` can be new (the window overlaps
    # the last pass's: a milestone seen twice has its row already). Most payments pass none, and
    # need no more look-ups.
    reached_by = {}
    for arrangement_id in last_paid:
        total, paid, _ = counts.get(arrangement_id, (0, 0, 0))
        before = paid - paid_lately[arrangement_id]
        reached = [m for m in policy.milestones(total) if before < m <= paid]
        if reached:
            reached_by[arrangement_id] = reached
    if not reached_by:
        return
    arrangements = list(each_in(session, _NOT_CANCELLED, sorted(reached_by)))
    if not arrangements:
        return
    plan.existing("success", arrangement_ids=[a.id for a in arrangements])
    book = plan.book.ensure([a.customer_id for a in arrangements], [a.sender_id for a in arrangements if a.sender_id])
    for arrangement in arrangements:
        total, paid, _ = counts.get(arrangement.id, (0, 0, 0))
        milestone = reached_by[arrangement.id][-1]  # several at once (paid ahead): only the highest is worth saying
        paid_at = last_paid[arrangement.id]
        moment = calendar.next_allowed(paid_at if paid_at.tzinfo else paid_at.replace(tzinfo=plan.now.tzinfo), policy)
        plan.add(logical=f"a{arrangement.id}:success:{milestone}", kind="success", customer_id=arrangement.customer_id,
                 address=book.planned_address(arrangement.customer_id, arrangement.sender_id, policy), moment=moment,
                 facts={"paid_count": paid, "instalment_count": total, "milestone": milestone,
                        "milestone_name": "last" if milestone == total else
                        "half" if milestone == -(-total // 2) else "count"},
                 slots={"paid_count": str(paid), "instalment_count": str(total),
                        "contact_person": arrangement.contact_person},
                 arrangement_id=arrangement.id)


# -- the passes ----------------------------------------------------------------------------------------
def plan_day(session: Session, day: date, now: datetime, policy: Policy, *, first: bool = False) -> int:
    """The daily planning, right after the day before `day` was closed: reminders meant for
    `day + plan_days_ahead` (the day that just came into view; on the engine's very first day
    also the days before it), missed messages meant for `day` itself, reassessments, the aftercare
    check-ins that came into view and preventive contact."""
    lock_planning(session)
    plan = Plan(session, policy, now)
    ahead = policy.plan_days_ahead
    in_view = [day + timedelta(days=n) for n in range(0 if first else ahead, ahead + 1)]
    plan_instalment_messages(plan, in_view, day)
    plan_reassessment(plan, day)
    checkins.plan_checkins(plan, in_view)
    outreach.plan_broken(plan, day)
    outreach.plan_aftercare(plan, day, in_view)
    outreach.plan_preventive(plan, day)
    outreach.plan_satisfaction(plan, day)
    first_contact.plan_new_arrears(plan)  # the last few days' episodes: what a pass missed is caught up
    return plan.save()


def plan_recent(session: Session, now: datetime, policy: Policy, *, new_arrangements: list[int],
                paid_since: datetime, arrears_seen_since: datetime | None = None) -> int:
    """The planning of every pass: instalment messages of arrangements agreed since the last
    daily planning (reminders meant for today onwards, missed messages for today), small
    successes for recent payments, payment notices the web app may not tell at once, and first
    contact on arrears seen since `arrears_seen_since`
    (None: the last few days, bot/followup/first_contact.py)."""
    lock_planning(session)
    plan = Plan(session, policy, now)
    if new_arrangements:
        today = calendar.local_today(now)
        in_view = [today + timedelta(days=n) for n in range(policy.plan_days_ahead + 1)]
        plan_instalment_messages(plan, in_view, today, arrangement_ids=new_arrangements)
        checkins.plan_checkins(plan, in_view, arrangement_ids=new_arrangements)
    plan_success(plan, paid_since)
    first_contact.plan_new_arrears(plan, seen_since=arrears_seen_since)
    notices.plan_payment_notices(plan)
    return plan.save()
