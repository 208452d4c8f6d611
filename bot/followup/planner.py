"""Planning: which follow-ups are due, as rows in the follow-up outbox (FollowUp), each once.

Every row has a unique key: the message it is (`logical`: arrangement, instalment, kind and the
due date it is about; for aftercare and preventive contact the customer and the period) and the
channel it goes to. Planning the same message again inserts nothing: existing rows for the same
message (on any channel) are looked up first, and the insert itself is `ON CONFLICT DO NOTHING`
on SQLite and PostgreSQL, so two engines planning at once cannot make a second row either.

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
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.addresses import sms_to
from bot.followup import calendar
from bot.followup.optout import opted_out
from bot.followup.policy import Policy
from bot.followup.rules import Address, addresses
from bot.formatting import format_date_nl
from bot.money import format_euro
from bot.policy.dates import add_months
from bot.store.models import (
    Arrangement,
    Case,
    Customer,
    FollowUp,
    FollowUpDay,
    Instalment,
    Loan,
    OutcomeEvent,
    RiskSignal,
)

INSTALMENT_KINDS = ("reminder_before", "reminder_today", "missed")
CHUNK = 2000
# One number for PostgreSQL's advisory lock that makes planning one engine at a time.
PLAN_LOCK = 70_202_610


def chunks(items: list, size: int = CHUNK) -> Iterable[list]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def ids_param(name: str = "ids"):
    """An IN list given at execution: the statement is built (and its SQL cached) once, not
    for every chunk of ids (SQLAlchemy checks each literal of an inline list one by one)."""
    return bindparam(name, expanding=True)


def each_in(session: Session, statement, ids: list, size: int = CHUNK, **params: Any) -> Iterable[Any]:
    """The rows of `statement` (with an `ids_param()`) for all of `ids`, a chunk at a time."""
    for part in chunks(ids, size):
        yield from session.execute(statement, {"ids": part, **params})


def logical_of(key: str) -> str:
    return key.split("|", 1)[0]


def make_key(logical: str, channel: str) -> str:
    return f"{logical}|{channel}"


def instalment_logical(arrangement_id: int, instalment_id: int, kind: str, due_on: date) -> str:
    return f"a{arrangement_id}:i{instalment_id}:{kind}:{due_on.isoformat()}"


# -- addresses -------------------------------------------------------------------------------------
_CASES = (select(Case.customer_id, Case.sender_id).where(Case.customer_id.in_(ids_param()))
          .order_by(Case.customer_id, Case.id.desc()))
_PHONES = select(Customer.id, Customer.phone).where(Customer.id.in_(ids_param()))


class AddressBook:
    """Where customers can be reached (their conversations, newest first, and their phone) and
    which addresses opted out; loaded for the customers of a pass as they come up."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.cases: dict[int, list[str]] = defaultdict(list)
        self.phones: dict[int, str | None] = {}
        self.opted_out: set[str] = set()
        self._checked: set[str] = set()

    def ensure(self, customer_ids: Iterable[int], extra_senders: Iterable[str] = ()) -> "AddressBook":
        new = sorted(set(customer_ids).difference(self.phones))
        cases, phones = self.cases, self.phones
        for customer_id, sender_id in each_in(self.session, _CASES, new):
            if sender_id and sender_id not in cases[customer_id]:
                cases[customer_id].append(sender_id)
        phones.update(each_in(self.session, _PHONES, new))
        every = set(extra_senders)
        for customer_id in new:
            every.update(cases.get(customer_id, ()))
            if phones.get(customer_id):
                every.add(sms_to(phones[customer_id]))
        every -= self._checked
        every.discard("")
        for part in chunks(sorted(every)):
            self.opted_out |= opted_out(self.session, part)
        self._checked |= every
        return self

    def senders(self, customer_id: int) -> list[str]:
        found = list(self.cases.get(customer_id, []))
        if self.phones.get(customer_id):
            found.append(sms_to(self.phones[customer_id]))
        return found

    def candidates(self, customer_id: int, planned: str | None, arrangement_sender: str | None,
                   policy: Policy) -> list[Address]:
        return addresses(planned, arrangement_sender, self.cases.get(customer_id, []), self.phones.get(customer_id),
                         policy)

    def planned_address(self, customer_id: int, arrangement_sender: str | None, policy: Policy) -> Address | None:
        """Where a new message is planned to go: the first address that may get outreach at all
        (the WhatsApp window is judged when it is sent)."""
        for address in self.candidates(customer_id, None, arrangement_sender, policy):
            if address.sender_id not in self.opted_out and address.channel not in policy.never_channels:
                return address
        return None


# -- inserting --------------------------------------------------------------------------------------
def insert_ignoring_duplicates(session: Session, rows: list[dict[str, Any]]) -> None:
    """INSERT ... ON CONFLICT (key) DO NOTHING, in key order (two engines never wait on each
    other in opposite orders)."""
    if not rows:
        return
    rows = sorted(rows, key=lambda r: r["key"])
    dialect = session.get_bind().dialect.name
    table = FollowUp.__table__
    if dialect == "postgresql":
        statement = postgresql.insert(table).on_conflict_do_nothing(index_elements=["key"])
    elif dialect == "sqlite":
        statement = sqlite.insert(table).on_conflict_do_nothing(index_elements=["key"])
    else:  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"follow-up planning supports SQLite and PostgreSQL, not {dialect}")
    for part in chunks(rows, 500):
        session.execute(statement, part)


def insert_day_marker(session: Session, day: date, now: datetime, name: str) -> bool:
    """Claims a day for closing: True for exactly one engine (the others wait, then get False)."""
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    statement = module.insert(FollowUpDay.__table__).values(
        day=day, closed_at=now, closed_by=name[:64], due=0, missed=0, ended=0, planned=0
    ).on_conflict_do_nothing(index_elements=["day"])
    return session.execute(statement).rowcount == 1


def lock_planning(session: Session) -> None:
    """One planner at a time on PostgreSQL (SQLite's BEGIN IMMEDIATE already is one writer)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(func.pg_advisory_xact_lock(PLAN_LOCK)))


def _keys_by(column):
    return select(FollowUp.key).where(column.in_(ids_param()), FollowUp.kind == bindparam("kind"))


_KEYS_BY_INSTALMENT = _keys_by(FollowUp.instalment_id)
_KEYS_BY_ARRANGEMENT = _keys_by(FollowUp.arrangement_id)
_KEYS_BY_CUSTOMER = _keys_by(FollowUp.customer_id)


class Plan:
    """Rows to plan in one pass; `add` skips messages that already have a row (any channel)."""

    def __init__(self, session: Session, policy: Policy, now: datetime) -> None:
        self.session, self.policy, self.now = session, policy, now
        self.rows: list[dict[str, Any]] = []
        self._seen: set[str] = set()
        self.book = AddressBook(session)

    def existing(self, kind: str, *, instalment_ids: Iterable[int] = (), arrangement_ids: Iterable[int] = (),
                 customer_ids: Iterable[int] = ()) -> None:
        """Loads the messages of this kind that already have a row, for the candidates."""
        for statement, ids in ((_KEYS_BY_INSTALMENT, instalment_ids), (_KEYS_BY_ARRANGEMENT, arrangement_ids),
                               (_KEYS_BY_CUSTOMER, customer_ids)):
            self._seen.update(logical_of(key) for key, in each_in(self.session, statement, sorted(set(ids)), kind=kind))

    def add(self, *, logical: str, kind: str, customer_id: int, address: Address | None, moment: datetime,
            facts: dict[str, Any], slots: dict[str, Any], arrangement_id: int | None = None,
            instalment_id: int | None = None) -> bool:
        if logical in self._seen:
            return False
        self._seen.add(logical)
        spec = self.policy.kind(kind)
        channel, sender_id = (address.channel, address.sender_id) if address else ("none", "")
        self.rows.append({
            "key": make_key(logical, channel), "customer_id": customer_id, "arrangement_id": arrangement_id,
            "instalment_id": instalment_id, "kind": kind, "channel": channel, "sender_id": sender_id,
            "response": spec.response, "slots": slots, "rule": spec.rule, "policy_version": self.policy.version,
            "facts": facts, "not_before": moment, "status": "pending", "attempts": 0, "created_at": self.now})
        return True

    def save(self) -> int:
        insert_ignoring_duplicates(self.session, self.rows)
        return len(self.rows)


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


_COUNTS = (select(Instalment.arrangement_id, func.count(), func.sum(case((Instalment.status == "paid", 1), else_=0)),
                  func.sum(case((and_(Instalment.status != "paid", Instalment.due_on < bindparam("today")), 1),
                                else_=0)))
           .where(Instalment.arrangement_id.in_(ids_param())).group_by(Instalment.arrangement_id))


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


def plan_instalments(plan: Plan, days: list[date], *, arrangement_ids: list[int] | None = None) -> None:
    """Reminders before and on the due date, and the missed message, meant for one of `days`."""
    policy, session = plan.policy, plan.session
    today = calendar.local_today(plan.now)
    for kind in _offsets(policy):
        due_dates = due_dates_for(kind, days, policy)
        if not due_dates:
            continue
        query = (select(Instalment.id, Instalment.arrangement_id, Instalment.number, Instalment.due_on,
                        Instalment.amount_cents, Instalment.paid_cents, Instalment.status, Arrangement.customer_id,
                        Arrangement.sender_id, Arrangement.contact_person, Arrangement.starts_on)
                 .join(Arrangement, Arrangement.id == Instalment.arrangement_id)
                 .where(Arrangement.status == "active", Instalment.status != "paid", Instalment.due_on.in_(due_dates)))
        if arrangement_ids is not None:
            query = query.where(Instalment.arrangement_id.in_(arrangement_ids))
        candidates = []
        for row in session.execute(query):
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


def plan_success(plan: Plan, since: datetime) -> None:
    """Small successes (R23): when the count of paid instalments reaches a milestone (half, last),
    for arrangements with an instalment paid since `since`."""
    if "success" not in plan.policy.kinds:
        return
    policy, session = plan.policy, plan.session
    # The newest payment per arrangement, taken in Python: with GROUP BY in SQL, SQLite walks every
    # instalment in arrangement order instead of the few paid since (the paid_at index).
    last_paid: dict[int, datetime] = {}
    for arrangement_id, paid_at in session.execute(select(Instalment.arrangement_id, Instalment.paid_at)
                                                   .where(Instalment.paid_at >= since)):
        if arrangement_id not in last_paid or paid_at > last_paid[arrangement_id]:
            last_paid[arrangement_id] = paid_at
    if not last_paid:
        return
    arrangements = session.execute(
        select(Arrangement.id, Arrangement.customer_id, Arrangement.sender_id, Arrangement.contact_person,
               Arrangement.status)
        .where(Arrangement.id.in_(list(last_paid)), Arrangement.status != "cancelled")).all()
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


def customers_in_arrears(session: Session, customer_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for part in chunks(sorted(set(customer_ids))):
        found |= set(session.execute(select(Loan.customer_id).where(Loan.customer_id.in_(part),
                                                                     Loan.arrears_cents > 0)).scalars())
    return found


def customers_in_arrangement(session: Session, customer_ids: list[int]) -> set[int]:
    found: set[int] = set()
    for part in chunks(sorted(set(customer_ids))):
        # The status is filtered here, not in SQL: with it SQLite would walk the status index.
        found |= {customer_id for customer_id, status in session.execute(
            select(Arrangement.customer_id, Arrangement.status).where(Arrangement.customer_id.in_(part)))
            if status == "active"}
    return found


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
    for part in chunks(sorted(ids)):
        for customer_id, key in session.execute(select(FollowUp.customer_id, FollowUp.key)
                                                .where(FollowUp.customer_id.in_(part), FollowUp.kind == "preventive")):
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
    until = calendar.start_of_day(day)  # what happened before this day: the question is the morning after
    solved = session.execute(
        select(OutcomeEvent.case_id, OutcomeEvent.customer_id, Case.sender_id)
        .join(Case, Case.id == OutcomeEvent.case_id)
        .where(OutcomeEvent.kind == "solution_accepted", OutcomeEvent.at >= since, OutcomeEvent.at < until,
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
