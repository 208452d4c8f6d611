"""Planning: which follow-ups are due, as rows in the follow-up outbox (FollowUp), each once
(keys, the address book and inserting: bot/followup/plan.py).

`not_before` is the policy's moment (send_time on the day the message is meant for) moved
forward out of quiet hours, Sundays and public holidays; stored in UTC.

All queries are set-based (one per kind per pass), so a simulated year of 10,000 arrangements
plans in seconds.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timedelta
from typing import Any, Iterable

from sqlalchemy import and_, bindparam, case, func, select
from sqlalchemy.orm import Session

from bot.followup import calendar
from bot.followup.plan import (
    Plan,
    each_in,
    instalment_logical,
    lock_planning,
    logical_of,
)
from bot.followup.policy import Policy
from bot.formatting import format_date_nl
from bot.money import format_euro
from bot.outcomes.sqltools import unindexed
from bot.policy.dates import add_months
from bot.store.idlists import id_list, in_list
from bot.store.models import (
    Arrangement,
    Case,
    FollowUp,
    Instalment,
    Loan,
    OutcomeEvent,
    RiskSignal,
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


def plan_instalments(plan: Plan, days: list[date], *, arrangement_ids: list[int] | None = None) -> None:
    """Reminders before and on the due date, and the missed message, meant for one of `days`."""
    policy, session = plan.policy, plan.session
    today = calendar.local_today(plan.now)
    for kind in _offsets(policy):
        due_dates = due_dates_for(kind, days, policy)
        if not due_dates:
            continue
        if arrangement_ids is None:
            found = session.execute(_DUE_ON, {"dues": due_dates})
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
    for arrangement_id, paid_at in session.execute(_PAID_SINCE, {"since": since}):
        if arrangement_id not in last_paid or paid_at > last_paid[arrangement_id]:
            last_paid[arrangement_id] = paid_at
    if not last_paid:
        return
    arrangements = list(each_in(session, _NOT_CANCELLED, sorted(last_paid)))
    if not arrangements:
        return
    counts = instalment_counts(session, [a.id for a in arrangements], calendar.local_today(plan.now))
    # Most payments reach no milestone: only those that do need their rows and addresses looked up.
    reached_by = {}
    for arrangement in arrangements:
        total, paid, _ = counts.get(arrangement.id, (0, 0, 0))
        reached = [m for m in policy.milestones(total) if m <= paid]
        if reached:
            reached_by[arrangement.id] = reached
    arrangements = [a for a in arrangements if a.id in reached_by]
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


def plan_aftercare(plan: Plan, day: date) -> None:
    """A monthly check-in for `months` months after an arrangement ended (completed or broken, as
    configured): all of them planned when the end is first seen, one per customer per month."""
    if "aftercare" not in plan.policy.kinds:
        return
    policy, session = plan.policy, plan.session
    spec = policy.kind("aftercare")
    # ended_at is compared coarsely (stored times differ per database); what counts is that no
    # aftercare row exists yet for the arrangement.
    since = calendar.start_of_day(day - timedelta(days=4))
    # The status is checked here rather than in SQL, so SQLite walks the ended_at index (a few
    # rows a day) and not every arrangement that ever ended.
    rows = [row for row in session.execute(
        select(Arrangement.id, Arrangement.customer_id, Arrangement.sender_id, Arrangement.contact_person,
               Arrangement.status)
        .where(Arrangement.ended_at >= since)
        .where(~select(FollowUp.id).where(FollowUp.arrangement_id == Arrangement.id,
                                          FollowUp.kind == "aftercare").exists()))
        if row.status in spec["after"]]
    if not rows:
        return
    plan.existing("aftercare", customer_ids=[r.customer_id for r in rows])
    book = plan.book.ensure([r.customer_id for r in rows], [r.sender_id for r in rows if r.sender_id])
    months = int(spec["months"])
    for row in rows:
        address = book.planned_address(row.customer_id, row.sender_id, policy)
        for month in range(1, months + 1):
            meant_for = add_months(day, month)
            plan.add(logical=f"c{row.customer_id}:aftercare:{meant_for:%Y-%m}", kind="aftercare",
                     customer_id=row.customer_id, address=address, moment=calendar.planned_moment(meant_for, policy),
                     facts={"month": month, "of_months": months, "ended_as": row.status,
                            "meant_for": meant_for.isoformat()},
                     slots={"contact_person": row.contact_person}, arrangement_id=row.id)


_IN_ARREARS = select(Loan.__table__.c.customer_id).where(in_list(Loan.__table__.c.customer_id, id_list()),
                                                         Loan.__table__.c.arrears_cents > 0)
# The status is filtered in Python, not in SQL: with it SQLite would walk the status index.
_ARRANGEMENT_STATUSES = select(ARRANGEMENT.customer_id, ARRANGEMENT.status).where(
    in_list(ARRANGEMENT.customer_id, id_list()))
_PREVENTIVE_KEYS = select(FollowUp.__table__.c.customer_id, FollowUp.__table__.c.key).where(
    in_list(FollowUp.__table__.c.customer_id, id_list()), FollowUp.__table__.c.kind == "preventive")


def customers_in_arrears(session: Session, customer_ids: list[int]) -> set[int]:
    return {customer_id for customer_id, in each_in(session, _IN_ARREARS, sorted(set(customer_ids)))}


def customers_in_arrangement(session: Session, customer_ids: list[int]) -> set[int]:
    return {customer_id for customer_id, status in each_in(session, _ARRANGEMENT_STATUSES, sorted(set(customer_ids)))
            if status == "active"}


def plan_preventive(plan: Plan, day: date) -> None:
    """Early contact (R22) for customers with a recent risk signal, no arrears and no running
    arrangement: once per new signal, at most once per `min_days_between` days."""
    if "preventive" not in plan.policy.kinds:
        return
    policy, session = plan.policy, plan.session
    spec = policy.kind("preventive")
    oldest = day - timedelta(days=int(spec["signal_max_age_days"]))
    signals: dict[int, list[tuple[str, date]]] = defaultdict(list)
    for customer_id, kind, observed_on in session.execute(
            select(RiskSignal.customer_id, RiskSignal.kind, RiskSignal.observed_on)
            .where(RiskSignal.observed_on >= oldest, RiskSignal.observed_on <= day)):
        signals[customer_id].append((kind, observed_on))
    if not signals:
        return
    ids = list(signals)
    excluded = customers_in_arrears(session, ids) | customers_in_arrangement(session, ids)
    ids = [c for c in ids if c not in excluded]
    if not ids:
        return
    last_contact: dict[int, date] = {}
    for customer_id, key in each_in(session, _PREVENTIVE_KEYS, sorted(ids)):
        logical = logical_of(key)
        plan._seen.add(logical)
        planned_for = date.fromisoformat(logical.rsplit(":", 1)[1])
        last_contact[customer_id] = max(planned_for, last_contact.get(customer_id, planned_for))
    due = []
    for customer_id in sorted(ids):
        last = last_contact.get(customer_id)
        newest = max(observed for _, observed in signals[customer_id])
        if last is None or ((day - last).days >= int(spec["min_days_between"]) and newest > last):
            due.append((customer_id, last, newest))
    if not due:
        return
    book = plan.book.ensure([customer_id for customer_id, _, _ in due])
    for customer_id, last, newest in due:
        kinds: dict[str, int] = defaultdict(int)
        for kind, _ in signals[customer_id]:
            kinds[kind] += 1
        plan.add(logical=f"c{customer_id}:preventive:{day.isoformat()}", kind="preventive", customer_id=customer_id,
                 address=book.planned_address(customer_id, None, policy), moment=calendar.planned_moment(day, policy),
                 facts={"signals": dict(sorted(kinds.items())), "newest_signal_on": newest.isoformat(),
                        "signal_age_days": (day - newest).days,
                        "days_since_last_contact": (day - last).days if last else None, "arrears_cents": 0},
                 slots={})


def plan_satisfaction(plan: Plan, day: date) -> None:
    """The satisfaction question (R21, issue 11), once per case: after a solution was agreed
    (its `solution_accepted` event) and after staff resolved a handed-over case. The customer's
    answer is read by the dialogue (slot `awaiting_satisfaction`)."""
    if "satisfaction" not in plan.policy.kinds:
        return
    policy, session = plan.policy, plan.session
    since = calendar.start_of_day(day - timedelta(days=int(policy.kind("satisfaction")["look_back_days"])))
    # The events of the look-back days by the index on `at`: the one on `kind` would walk every
    # solution ever accepted, every day.
    until = calendar.start_of_day(day)  # what happened before this day: the question is the morning after
    solved = session.execute(
        select(OutcomeEvent.case_id, OutcomeEvent.customer_id, Case.sender_id)
        .join(Case, Case.id == OutcomeEvent.case_id)
        .where(unindexed(OutcomeEvent.kind) == "solution_accepted", OutcomeEvent.at >= since, OutcomeEvent.at < until,
               OutcomeEvent.customer_id.is_not(None))).all()
    resolved = session.execute(
        select(Case.id, Case.customer_id, Case.sender_id)
        .where(Case.resolved_at >= since, Case.resolved_at < until, Case.handed_over_at.is_not(None),
               Case.customer_id.is_not(None))).all()
    asked = [(row, "after_solution") for row in solved] + [(row, "after_handover") for row in resolved]
    if not asked:
        return
    plan.existing("satisfaction", customer_ids=[row[1] for row, _ in asked])
    book = plan.book.ensure([row[1] for row, _ in asked], [row[2] for row, _ in asked if row[2]])
    for (case_id, customer_id, sender_id), context in asked:
        plan.add(logical=f"case{case_id}:satisfaction:{context}", kind="satisfaction", customer_id=customer_id,
                 address=book.planned_address(customer_id, sender_id, policy),
                 moment=calendar.planned_moment(day, policy),
                 facts={"case": case_id, "after": context, "meant_for": day.isoformat()},
                 slots={"awaiting_satisfaction": True, "satisfaction_context": context})


# -- the passes ----------------------------------------------------------------------------------------
def plan_day(session: Session, day: date, now: datetime, policy: Policy, *, first: bool = False) -> int:
    """The daily planning, right after the day before `day` was closed: instalment messages meant
    for `day + plan_days_ahead` (the day that just came into view; on the engine's very first day
    also the days before it), reassessments, aftercare for arrangements that just ended, and
    preventive contact."""
    lock_planning(session)
    plan = Plan(session, policy, now)
    ahead = policy.plan_days_ahead
    plan_instalments(plan, [day + timedelta(days=n) for n in range(0 if first else ahead, ahead + 1)])
    plan_reassessment(plan, day)
    plan_aftercare(plan, day)
    plan_preventive(plan, day)
    plan_satisfaction(plan, day)
    return plan.save()


def plan_recent(session: Session, now: datetime, policy: Policy, *, new_arrangements: list[int],
                paid_since: datetime) -> int:
    """The planning of every pass: instalment messages of arrangements agreed since the last
    daily planning (meant for today onwards), and small successes for recent payments."""
    lock_planning(session)
    plan = Plan(session, policy, now)
    if new_arrangements:
        today = calendar.local_today(now)
        plan_instalments(plan, [today + timedelta(days=n) for n in range(policy.plan_days_ahead + 1)],
                         arrangement_ids=new_arrangements)
    plan_success(plan, paid_since)
    return plan.save()
