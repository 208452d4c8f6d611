"""Arrangements and their instalments: started when a customer agrees, paid, missed, ended.

Every change writes its outcome event in the same transaction (R21), and every function is safe
to call twice: a retried action, webhook or daily pass changes nothing a second time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import bindparam, exists, func, insert, or_, select, update
from sqlalchemy.orm import Session

from bot import clock
from bot.followup.plan import each_in, skip_paid
from bot.outcomes import events
from bot.store.bulk import BulkStatement
from bot.store.db import chunks, core
from bot.store.idlists import id_list, in_list
from bot.store.models import Arrangement, Case, Customer, Instalment, Loan, RiskSignal

# Solutions that run over months and so are followed up; pay-now is settled at once.
FOLLOWED_SOLUTIONS = ("payment_arrangement", "partial_payment", "remission_arrangement", "payment_pause",
                      "debt_help_referral", "interest_freeze", "restructuring")


@dataclass(frozen=True)
class DayClosed:
    due: int
    missed: int
    ended: int


def _schedule(offer: dict[str, Any], starts_on: date) -> list[tuple[date, int]]:
    """(due date, amount in cents) per month with something to pay. An offer stored before
    offers carried their schedule gets equal months from next month on."""
    lines = offer.get("schedule")
    if lines is None and offer.get("arrangement_amount") and offer.get("arrangement_months") \
            and not offer.get("pause_months"):
        lines = monthly_schedule(int(offer["arrangement_amount"]), int(offer["arrangement_months"]),
                                 starts_on + relativedelta(months=1))
    return [(date.fromisoformat(line["due"]), int(line["amount"]) * 100)
            for line in lines or [] if int(line["amount"]) > 0]


def planned_instalments(offer: dict[str, Any], starts_on: date) -> list[StartedInstalment]:
    """The instalments start_arrangement makes for an offer (without ids), and in that order."""
    return [StartedInstalment(0, number, due_on, cents)
            for number, (due_on, cents) in enumerate(_schedule(offer, starts_on), start=1)]


def ends_on_for(offer: dict[str, Any], starts_on: date) -> date:
    return _ends_on(offer, starts_on)


def _ends_on(offer: dict[str, Any], starts_on: date) -> date:
    if offer.get("end_date"):
        return date.fromisoformat(offer["end_date"])
    months = offer.get("pause_months") or offer.get("debt_help_pause_months") or offer.get("arrangement_months") or 1
    return starts_on + relativedelta(months=int(months))


def _checkin_on(offer: dict[str, Any]) -> date | None:
    """The check-in date the customer was told (None when the offer has none)."""
    return date.fromisoformat(offer["checkin_date"]) if offer.get("checkin_date") else None


def monthly_schedule(amount_euros: int, months: int, first_due: date) -> list[dict[str, Any]]:
    """A plain schedule of equal months, for an offer staff adjusted in the console."""
    return [{"month": month, "due": (first_due + relativedelta(months=month - 1)).isoformat(), "amount": amount_euros}
            for month in range(1, months + 1)]


def case_segment(customer: Customer, loan: Loan, case: Case | None) -> dict[str, Any]:
    return events.segment(birth_date=customer.birth_date, loan_type=loan.loan_type,
                          cause=case.cause if case else None,
                          signals=[s["name"] for s in (case.signals or [])] if case else (),
                          channel=case.channel if case else None)


def start_arrangement(session: Session, *, customer: Customer, loan: Loan, offer: dict[str, Any],
                      contact_person: str, case: Case | None = None, sender_id: str | None = None,
                      channel: str | None = None, starts_on: date | None = None) -> Arrangement | None:
    """The arrangement for an agreed offer; the same case never gets a second one."""
    if offer.get("solution") not in FOLLOWED_SOLUTIONS:
        return None
    if case is not None:
        existing = session.execute(select(Arrangement).where(Arrangement.case_id == case.id)).scalar_one_or_none()
        if existing is not None:
            return existing
    starts_on = starts_on or clock.today()
    arrangement = Arrangement(
        customer_id=customer.id, loan_id=loan.id, case_id=case.id if case else None, solution=offer["solution"],
        policy_version=str(offer.get("policy_version") or "unknown"), status="active", starts_on=starts_on,
        ends_on=_ends_on(offer, starts_on), checkin_on=_checkin_on(offer), contact_person=contact_person,
        sender_id=sender_id or (case.sender_id if case else None), channel=channel or (case.channel if case else None))
    for number, (due_on, cents) in enumerate(_schedule(offer, starts_on), start=1):
        arrangement.instalments.append(Instalment(number=number, due_on=due_on, amount_cents=cents))
    session.add(arrangement)
    session.flush()
    events.record(session, "solution_accepted", customer_id=customer.id, case_id=arrangement.case_id,
                  arrangement_id=arrangement.id, channel=arrangement.channel, reason=arrangement.solution,
                  value=len(arrangement.instalments), segment=case_segment(customer, loan, case))
    return arrangement


@dataclass(frozen=True)
class StartedInstalment:
    id: int
    number: int
    due_on: date
    amount_cents: int


@dataclass(frozen=True)
class StartedArrangement:
    id: int
    customer_id: int
    loan_id: int
    ends_on: date
    instalments: list[StartedInstalment]


def start_arrangements(session: Session, items: list[dict[str, Any]]) -> list[StartedArrangement | None]:
    """start_arrangement for many agreed offers at once (the simulator's population): the same
    rows and the same `solution_accepted` events, in the same order, written in a few statements
    instead of ORM objects per row. Each item holds start_arrangement's keyword arguments
    (customer and loan need only the attributes used here: id, birth_date, loan_type). On SQLite
    the ids are handed out here (the transaction holds the write lock); elsewhere each
    arrangement is inserted with RETURNING."""
    session.flush()
    results: list[StartedArrangement | None] = [None] * len(items)
    case_ids = [item["case"].id for item in items if item.get("case") is not None]
    existing: dict[int, Arrangement] = {}
    for part in chunks(sorted(set(case_ids))):
        existing.update((a.case_id, a) for a in session.execute(
            select(Arrangement).where(Arrangement.case_id.in_(part))).scalars())
    today = clock.today()
    arrangements, instalments, solution_events, planned = [], [], [], []
    first_of_case: dict[int, int] = {}
    again: dict[int, int] = {}
    for index, item in enumerate(items):
        offer, customer, loan, case = item["offer"], item["customer"], item["loan"], item.get("case")
        if offer.get("solution") not in FOLLOWED_SOLUTIONS:
            continue
        if case is not None and case.id in existing:
            found = existing[case.id]
            results[index] = StartedArrangement(
                found.id, found.customer_id, found.loan_id, found.ends_on,
                [StartedInstalment(i.id, i.number, i.due_on, i.amount_cents) for i in found.instalments])
            continue
        if case is not None and case.id in first_of_case:
            again[index] = first_of_case[case.id]  # the same case twice: its one arrangement
            continue
        if case is not None:
            first_of_case[case.id] = index
        starts_on = item.get("starts_on") or today
        sender_id, channel = item.get("sender_id"), item.get("channel")
        row = {"customer_id": customer.id, "loan_id": loan.id, "case_id": case.id if case else None,
               "solution": offer["solution"], "policy_version": str(offer.get("policy_version") or "unknown"),
               "status": "active", "starts_on": starts_on, "ends_on": _ends_on(offer, starts_on),
               "checkin_on": _checkin_on(offer),
               "contact_person": item["contact_person"],
               "sender_id": sender_id or (case.sender_id if case else None),
               "channel": channel or (case.channel if case else None)}
        schedule = _schedule(offer, starts_on)
        planned.append((index, row, row["case_id"], schedule, case_segment(customer, loan, case)))
    if not planned:
        return [results[again[i]] if i in again else r for i, r in enumerate(results)]
    table, lines = Arrangement.__table__, Instalment.__table__
    sqlite = session.get_bind().dialect.name == "sqlite"
    if sqlite:
        next_arrangement = session.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one() + 1
        next_instalment = session.execute(select(func.coalesce(func.max(lines.c.id), 0))).scalar_one() + 1
    for index, row, case_id, schedule, segment in planned:
        if sqlite:
            row["id"], next_arrangement = next_arrangement, next_arrangement + 1
            arrangements.append(row)
        else:
            row["id"] = session.execute(insert(table).values(**row).returning(table.c.id)).scalar_one()
        started = []
        for number, (due_on, cents) in enumerate(schedule, start=1):
            line = {"arrangement_id": row["id"], "number": number, "due_on": due_on, "amount_cents": cents}
            if sqlite:
                line["id"], next_instalment = next_instalment, next_instalment + 1
                instalments.append(line)
            else:
                line["id"] = session.execute(insert(lines).values(**line).returning(lines.c.id)).scalar_one()
            started.append(StartedInstalment(line["id"], number, due_on, cents))
        results[index] = StartedArrangement(row["id"], row["customer_id"], row["loan_id"], row["ends_on"], started)
        solution_events.append(_event_row("solution_accepted", clock.utcnow(), customer_id=row["customer_id"],
                                          case_id=case_id, arrangement_id=row["id"], channel=row["channel"],
                                          reason=row["solution"], value=len(schedule), segment=segment))
    for part in chunks(arrangements, 500):
        session.execute(insert(table), part)
    for part in chunks(instalments, 500):
        session.execute(insert(lines), part)
    events.record_many(session, solution_events)
    for index, first in again.items():
        results[index] = results[first]
    return results


def record_payment(session: Session, instalment: Instalment, cents: int, at: datetime | None = None) -> bool:
    """Adds a payment to an instalment; True when this payment made it paid in full."""
    if instalment.status == "paid" or cents <= 0:
        return False
    at = at or clock.utcnow()
    instalment.paid_cents += cents
    if instalment.paid_cents < instalment.amount_cents:
        return False
    instalment.status, instalment.paid_at = "paid", at
    arrangement = instalment.arrangement
    paid_on = at.astimezone(clock.AMSTERDAM).date()
    events.record(session, "instalment_paid", at=at, customer_id=arrangement.customer_id,
                  arrangement_id=arrangement.id, instalment_id=instalment.id, value=instalment.paid_cents,
                  days_late=max(0, (paid_on - instalment.due_on).days), due_on=instalment.due_on.isoformat())
    skip_paid(session, [instalment.id])
    return True


_INSTALMENT, _ARRANGEMENT = Instalment.__table__.c, Arrangement.__table__.c
_PAYABLE = (select(_INSTALMENT.id, _INSTALMENT.status, _INSTALMENT.paid_cents, _INSTALMENT.amount_cents,
                   _INSTALMENT.due_on, _INSTALMENT.paid_at, _INSTALMENT.arrangement_id, _ARRANGEMENT.customer_id,
                   _ARRANGEMENT.status.label("arrangement_status"))
            .join(Arrangement.__table__, _ARRANGEMENT.id == _INSTALMENT.arrangement_id)
            .where(in_list(_INSTALMENT.id, id_list())))


_PAY = BulkStatement(update(Instalment.__table__).where(Instalment.__table__.c.id == bindparam("b_id")).values(
    paid_cents=bindparam("b_paid_cents"), status=bindparam("b_status"), paid_at=bindparam("b_paid_at")),
    ("b_id", "b_paid_cents", "b_status", "b_paid_at"))


def record_payments(session: Session, payments: list[tuple[int, int, datetime]], *,
                    active_only: bool = False) -> int:
    """record_payment for many (instalment id, cents, at) at once, in the given order (the
    simulator's customers paying): the same changes and `instalment_paid` events, as a few
    statements. With `active_only`, payments to an arrangement that no longer runs are left out
    (the money goes elsewhere). Returns how many instalments became paid in full."""
    session.flush()
    ids = sorted({instalment_id for instalment_id, _, _ in payments})
    state: dict[int, dict[str, Any]] = {}
    for row in each_in(session, _PAYABLE, ids):
        state[row.id] = dict(row._mapping)
    changed: dict[int, dict[str, Any]] = {}
    paid_events = []
    for instalment_id, cents, at in payments:
        row = state.get(instalment_id)
        if row is None or (active_only and row["arrangement_status"] != "active"):
            continue
        if row["status"] == "paid" or cents <= 0:
            continue
        at = at or clock.utcnow()
        row["paid_cents"] += cents
        changed[instalment_id] = row
        if row["paid_cents"] < row["amount_cents"]:
            continue
        row["status"], row["paid_at"] = "paid", at
        paid_on = at.astimezone(clock.AMSTERDAM).date()
        paid_events.append(_event_row("instalment_paid", at, customer_id=row["customer_id"],
                                      arrangement_id=row["arrangement_id"], instalment_id=instalment_id,
                                      value=row["paid_cents"], days_late=max(0, (paid_on - row["due_on"]).days),
                                      due_on=row["due_on"].isoformat()))
    if changed:
        _PAY.execute(session, [{"b_id": i, "b_paid_cents": r["paid_cents"], "b_status": r["status"],
                                "b_paid_at": r["paid_at"]} for i, r in changed.items()])
        _forget(session, Instalment, set(changed), ["paid_cents", "status", "paid_at"])
    events.record_many(session, paid_events)
    skip_paid(session, [event["instalment_id"] for event in paid_events])
    return len(paid_events)


def open_instalment(session: Session, arrangement_id: int) -> Instalment | None:
    """The first instalment not yet paid, the one a reminder or the plan page is about."""
    return session.execute(select(Instalment).where(Instalment.arrangement_id == arrangement_id,
                                                    Instalment.status != "paid")
                           .order_by(Instalment.number).limit(1)).scalar_one_or_none()


def _end(session: Session, arrangement: Arrangement, status: str, at: datetime) -> None:
    arrangement.status, arrangement.ended_at = status, at
    events.record(session, "arrangement_ended", at=at, customer_id=arrangement.customer_id,
                  arrangement_id=arrangement.id, reason=status, solution=arrangement.solution)


def _event_row(kind: str, at: datetime, *, customer_id: int | None = None, case_id: int | None = None,
               arrangement_id: int | None = None, instalment_id: int | None = None, channel: str | None = None,
               reason: str | None = None, value: int | None = None, **data: Any) -> dict[str, Any]:
    if kind not in events.KINDS:  # pragma: no cover - the kinds below are all known
        raise ValueError(f"unknown outcome event {kind!r}")
    return {"at": at.astimezone(timezone.utc), "kind": kind, "customer_id": customer_id, "case_id": case_id,
            "arrangement_id": arrangement_id, "instalment_id": instalment_id, "channel": channel,
            "reason": reason, "value": value, "data": data}


def _forget(session: Session, model: type, ids: set[int], attributes: list[str]) -> None:
    """Objects of these rows already in the session see the bulk UPDATE on their next access."""
    if not ids:
        return
    for obj in list(session.identity_map.values()):
        if isinstance(obj, model) and obj.id in ids:
            session.expire(obj, attributes)


# The daily close's statements, built once (plain columns, lists as one parameter).
_DAY_COLUMNS = (_INSTALMENT.id, _INSTALMENT.arrangement_id, _INSTALMENT.amount_cents, _INSTALMENT.due_on,
                _ARRANGEMENT.customer_id)
_WITH_ARRANGEMENT = Instalment.__table__.join(Arrangement.__table__, _ARRANGEMENT.id == _INSTALMENT.arrangement_id)
_DUE_UNLOGGED = (select(*_DAY_COLUMNS).select_from(_WITH_ARRANGEMENT)
                 .where(_INSTALMENT.due_on <= bindparam("day"), _INSTALMENT.due_logged.is_(False)))
_PAST_GRACE = (select(*_DAY_COLUMNS).select_from(_WITH_ARRANGEMENT)
               .where(_ARRANGEMENT.status == "active", _INSTALMENT.status == "open",
                      _INSTALMENT.due_on < bindparam("before")))
_LOG_DUE = update(Instalment.__table__).where(in_list(_INSTALMENT.id, id_list())).values(due_logged=True)
_MARK_MISSED = update(Instalment.__table__).where(in_list(_INSTALMENT.id, id_list())).values(status="missed")
# Only arrangements that can end on the day are looked at: enough missed instalments, or past
# the end with nothing open.
_BROKEN = (select(_INSTALMENT.arrangement_id).select_from(_WITH_ARRANGEMENT)
           .where(_ARRANGEMENT.status == "active", _INSTALMENT.status == "missed")
           .group_by(_INSTALMENT.arrangement_id).having(func.count() >= bindparam("broken_after")).correlate(None))
_DONE = select(_ARRANGEMENT.id).where(_ARRANGEMENT.status == "active", _ARRANGEMENT.ends_on <= bindparam("day"),
                                      ~exists().where(_INSTALMENT.arrangement_id == _ARRANGEMENT.id,
                                                      _INSTALMENT.status == "open")).correlate(None)
_MAY_END = (select(_ARRANGEMENT.id, _ARRANGEMENT.customer_id, _ARRANGEMENT.ends_on, _ARRANGEMENT.solution)
            .where(_ARRANGEMENT.status == "active", or_(_ARRANGEMENT.id.in_(_BROKEN), _ARRANGEMENT.id.in_(_DONE)))
            .order_by(_ARRANGEMENT.id))
_STATUSES = select(_INSTALMENT.arrangement_id, _INSTALMENT.status).where(in_list(_INSTALMENT.arrangement_id, id_list()))


def close_day(session: Session, day: date, *, grace_days: int, broken_after_missed: int) -> DayClosed:
    """The daily pass: instalments due today are logged, unpaid ones past the grace period are
    missed, and arrangements that are done (all paid, or the pause is over) or broken end.

    Set-based (a day with 10,000 running arrangements stays quick): each step is one SELECT of
    plain columns, UPDATEs by id and one executemany of its outcome events."""
    at = datetime.combine(day, datetime.min.time().replace(hour=23, minute=59), clock.AMSTERDAM)
    session.flush()  # changes made through the ORM before the close count
    due = core(session).execute(_DUE_UNLOGGED, {"day": day}).all()
    for part in chunks([row.id for row in due]):
        core(session).execute(_LOG_DUE, {"ids": part})
    events.record_many(session, [_event_row("instalment_due", at, customer_id=row.customer_id,
                                            arrangement_id=row.arrangement_id, instalment_id=row.id,
                                            value=row.amount_cents, due_on=row.due_on.isoformat())
                                 for row in due])
    _forget(session, Instalment, {row.id for row in due}, ["due_logged"])
    missed = core(session).execute(_PAST_GRACE, {"before": day - timedelta(days=grace_days)}).all()
    for part in chunks([row.id for row in missed]):
        core(session).execute(_MARK_MISSED, {"ids": part})
    events.record_many(session, [_event_row("instalment_missed", at, customer_id=row.customer_id,
                                            arrangement_id=row.arrangement_id, instalment_id=row.id,
                                            value=row.amount_cents, due_on=row.due_on.isoformat())
                                 for row in missed])
    _forget(session, Instalment, {row.id for row in missed}, ["status"])
    candidates = core(session).execute(_MAY_END, {"day": day, "broken_after": broken_after_missed}).all()
    statuses: dict[int, list[str]] = {row.id: [] for row in candidates}
    for arrangement_id, status in each_in(session, _STATUSES, list(statuses)):
        statuses[arrangement_id].append(status)
    ended = []
    for row in candidates:
        found = statuses[row.id]
        if found.count("missed") >= broken_after_missed:
            ended.append((row, "broken"))
        elif row.ends_on <= day and "open" not in found:
            ended.append((row, "completed" if "missed" not in found else "broken"))
    if ended:
        table = Arrangement.__table__
        session.execute(update(table).where(table.c.id == bindparam("b_id"))
                        .values(status=bindparam("b_status"), ended_at=bindparam("b_at")),
                        [{"b_id": row.id, "b_status": status, "b_at": at} for row, status in ended])
        events.record_many(session, [_event_row("arrangement_ended", at, customer_id=row.customer_id,
                                                arrangement_id=row.id, reason=status, solution=row.solution)
                                     for row, status in ended])
        _forget(session, Arrangement, {row.id for row, _ in ended}, ["status", "ended_at"])
    return DayClosed(due=len(due), missed=len(missed), ended=len(ended))


def record_risk_signal(session: Session, customer_id: int, kind: str, observed_on: date,
                       detail: dict[str, Any] | None = None) -> None:
    """A risk signal from the lender's data (a bounced direct debit, a rising overdraft, a missed
    payment elsewhere): the row preventive contact plans from (R22) and its outcome event, which
    the preventive-reach figure counts."""
    session.add(RiskSignal(customer_id=customer_id, kind=kind, observed_on=observed_on, detail=detail or {}))
    events.record(session, "risk_signalled", at=datetime.combine(observed_on, datetime.min.time(), timezone.utc)
                  + timedelta(hours=8), customer_id=customer_id, reason=kind)
