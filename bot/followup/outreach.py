"""Planning the messages about the customer rather than an instalment (bot/followup/planner.py
plans the rest): aftercare after an arrangement completed, the message that a broken one
stopped (R5, R28), preventive contact on risk signals (R22) and the satisfaction question (R21).
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.orm import Session

from bot.followup import calendar
from bot.followup.plan import Plan, each_in, logical_of
from bot.money import format_euro
from bot.outcomes.sqltools import unindexed
from bot.policy.dates import add_months
from bot.store.idlists import id_list, in_list
from bot.store.models import Arrangement, Case, FollowUp, Instalment, Loan, OutcomeEvent, RiskSignal

ARRANGEMENT, INSTALMENT, LOAN = Arrangement.__table__.c, Instalment.__table__.c, Loan.__table__.c


def plan_aftercare(plan: Plan, day: date, days: list[date]) -> None:
    """A monthly check-in for `months` months after an arrangement ended (completed or broken, as
    configured), one per customer per month. Aftercare begins on the day its end is first seen
    (`aftercare_from`); check-in m is meant for that day plus m months and is planned when its day
    comes into view (one of `days`, as the reminders are): it goes to the address the customer has
    then, under the policy of then, and the console's upcoming list holds next month's, not a year."""
    if "aftercare" not in plan.policy.kinds:
        return
    policy, session = plan.policy, plan.session
    spec = policy.kind("aftercare")
    begin_aftercare(session, day, spec["after"])
    months = int(spec["months"])
    months_by_anchor: dict[date, list[tuple[int, date]]] = defaultdict(list)
    for meant_for in days:
        for month in range(1, months + 1):
            for anchor in anchors_for(meant_for, month):
                months_by_anchor[anchor].append((month, meant_for))
    rows = [row for row in session.execute(_AFTERCARE_FROM, {"anchors": sorted(months_by_anchor)})
            if row.status in spec["after"]]
    if not rows:
        return
    plan.existing("aftercare", customer_ids=[r.customer_id for r in rows])
    book = plan.book.ensure([r.customer_id for r in rows], [r.sender_id for r in rows if r.sender_id])
    for row in rows:
        address = book.planned_address(row.customer_id, row.sender_id, policy)
        for month, meant_for in months_by_anchor[row.aftercare_from]:
            plan.add(logical=f"c{row.customer_id}:aftercare:{meant_for:%Y-%m}", kind="aftercare",
                     customer_id=row.customer_id, address=address, moment=calendar.planned_moment(meant_for, policy),
                     facts={"month": month, "of_months": months, "ended_as": row.status,
                            "meant_for": meant_for.isoformat()},
                     slots={"contact_person": row.contact_person}, arrangement_id=row.id)


def anchors_for(meant_for: date, month: int) -> list[date]:
    """The days aftercare may have begun on for check-in `month` to be meant for `meant_for`
    (several at a month's end: 29, 30 and 31 January all reach 28 February)."""
    base = add_months(meant_for, -month)
    return [anchor for anchor in (base + timedelta(days=n) for n in range(4))
            if add_months(anchor, month) == meant_for]


_AFTERCARE_FROM = (select(ARRANGEMENT.id, ARRANGEMENT.customer_id, ARRANGEMENT.sender_id, ARRANGEMENT.contact_person,
                          ARRANGEMENT.status, ARRANGEMENT.aftercare_from)
                   .where(ARRANGEMENT.aftercare_from.in_(bindparam("anchors", expanding=True))))


def begin_aftercare(session: Session, day: date, after: list[str]) -> None:
    """Arrangements that ended lately (as `after` lists: completed) by paying begin aftercare on
    `day`: a pause that ran out has no instalments and is not "klaar" (its arrears still stand).
    Those with check-ins already (all planned at once before migration 0012) keep those and get
    no more."""
    # ended_at is compared coarsely (stored times differ per database); the status is checked here
    # rather than in SQL, and aftercare_from's index is ruled out, so SQLite walks the ended_at
    # index (a few rows a day), not every arrangement still running or ever ended.
    since = calendar.start_of_day(day - timedelta(days=4))
    ended = [row.id for row in session.execute(
        select(ARRANGEMENT.id, ARRANGEMENT.status)
        .where(ARRANGEMENT.ended_at >= since, unindexed(ARRANGEMENT.aftercare_from).is_(None))
        .where(~select(FollowUp.id).where(FollowUp.arrangement_id == ARRANGEMENT.id,
                                          FollowUp.kind == "aftercare").exists())
        .where(select(INSTALMENT.id).where(INSTALMENT.arrangement_id == ARRANGEMENT.id).exists()))
        if row.status in after]
    if ended:
        session.execute(update(Arrangement.__table__).where(ARRANGEMENT.id.in_(ended)).values(aftercare_from=day))


BROKEN = "arrangement_broken"
# Arrangements broken lately (ended_at: the coarse window begin_aftercare uses), with the loan's
# arrears and their missed instalments' open amount and count.
_BROKEN_LATELY = (select(ARRANGEMENT.id, ARRANGEMENT.customer_id, ARRANGEMENT.sender_id, ARRANGEMENT.contact_person,
                         ARRANGEMENT.solution, LOAN.arrears_cents, func.count(INSTALMENT.id),
                         func.sum(INSTALMENT.amount_cents - INSTALMENT.paid_cents))
                  .join(Loan.__table__, LOAN.id == ARRANGEMENT.loan_id)
                  .join(Instalment.__table__, INSTALMENT.arrangement_id == ARRANGEMENT.id)
                  .where(ARRANGEMENT.ended_at >= bindparam("since"), ARRANGEMENT.status == "broken",
                         INSTALMENT.status == "missed")
                  .group_by(ARRANGEMENT.id, ARRANGEMENT.customer_id, ARRANGEMENT.sender_id,
                            ARRANGEMENT.contact_person, ARRANGEMENT.solution, LOAN.arrears_cents))


def plan_broken(plan: Plan, day: date) -> None:
    """The message that an arrangement stopped (R5, R28), once, the morning after it broke: that
    payments did not come in, what is open now (the loan's arrears, at least the missed
    instalments), and what the customer can still do. Never "klaar": that is aftercare's, for
    arrangements completed by paying."""
    if BROKEN not in plan.policy.kinds:
        return
    policy, session = plan.policy, plan.session
    rows = session.execute(_BROKEN_LATELY, {"since": calendar.start_of_day(day - timedelta(days=4))}).all()
    if not rows:
        return
    plan.existing(BROKEN, arrangement_ids=[r[0] for r in rows])
    book = plan.book.ensure([r[1] for r in rows], [r[2] for r in rows if r[2]])
    for arrangement_id, customer_id, sender_id, contact_person, solution, arrears, missed, missed_open in rows:
        open_cents = max(int(arrears or 0), int(missed_open or 0))
        plan.add(logical=f"a{arrangement_id}:{BROKEN}", kind=BROKEN, customer_id=customer_id,
                 address=book.planned_address(customer_id, sender_id, policy),
                 moment=calendar.planned_moment(day, policy),
                 facts={"missed_count": int(missed), "open_cents": open_cents, "solution": solution,
                        "meant_for": day.isoformat()},
                 slots={"arrears_amount": format_euro(open_cents),
                        "contact_person": contact_person},
                 arrangement_id=arrangement_id)


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
