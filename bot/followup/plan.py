"""The outbox rows of one planning pass (FollowUp), each message once, and what planning shares
with sending: keys, chunked id lists, the address book, inserting without duplicates.

Every row has a unique key: the message it is (`logical`: arrangement, instalment, kind and the
due date it is about; for aftercare and preventive contact the customer and the period) and the
channel it goes to. Planning the same message again inserts nothing: existing rows for the same
message (on any channel) are looked up first (`Plan.existing`), and the insert itself is
`ON CONFLICT DO NOTHING` on SQLite and PostgreSQL, so two engines planning at once cannot make a
second row either.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any, Iterable

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot.addresses import sms_to
from bot.followup.optout import opted_out
from bot.followup.policy import Policy
from bot.followup.rules import PAID, Address, addresses
from bot.store.bulk import BulkStatement
from bot.store.db import IN_LIST_SIZE, chunks, core
from bot.store.idlists import id_list, in_list
from bot.store.models import Case, Customer, FollowUp, FollowUpDay

INSTALMENT_KINDS = ("reminder_before", "reminder_today", "missed")
F = FollowUp.__table__.c
# One number for PostgreSQL's advisory lock that makes planning one engine at a time.
PLAN_LOCK = 70_202_610


def each_in(session: Session, statement, ids: list, size: int = IN_LIST_SIZE, **params: Any) -> Iterable[Any]:
    """The rows of `statement` (with an `id_list()` named ids) for all of `ids`, a chunk at a time
    (each chunk fetched at once: row by row, SQLAlchemy's per-row fetch costs more than SQLite's)."""
    for part in chunks(ids, size):
        yield from core(session).execute(statement, {"ids": part, **params}).all()


def logical_of(key: str) -> str:
    return key.split("|", 1)[0]


def make_key(logical: str, channel: str) -> str:
    return f"{logical}|{channel}"


def instalment_logical(arrangement_id: int, instalment_id: int, kind: str, due_on: date) -> str:
    return f"a{arrangement_id}:i{instalment_id}:{kind}:{due_on.isoformat()}"


# -- addresses -------------------------------------------------------------------------------------
# Table columns: plain rows, without the ORM's loading (the book is read for every batch).
_CASES = (select(Case.__table__.c.customer_id, Case.__table__.c.sender_id)
          .where(in_list(Case.__table__.c.customer_id, id_list()))
          .order_by(Case.__table__.c.customer_id, Case.__table__.c.id.desc()))
_PHONES = select(Customer.__table__.c.id, Customer.__table__.c.phone).where(in_list(Customer.__table__.c.id, id_list()))


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
    other in opposite orders). Every row carries the columns of the first."""
    if not rows:
        return
    rows = sorted(rows, key=lambda r: r["key"])
    dialect = session.get_bind().dialect.name
    if dialect not in ("postgresql", "sqlite"):  # pragma: no cover - only the two supported databases
        raise RuntimeError(f"follow-up planning supports SQLite and PostgreSQL, not {dialect}")
    columns = tuple(rows[0])
    if (dialect, columns) not in _INSERTS:
        module = postgresql if dialect == "postgresql" else sqlite
        _INSERTS[dialect, columns] = BulkStatement(
            module.insert(FollowUp.__table__).on_conflict_do_nothing(index_elements=["key"]), columns)
    for part in chunks(rows, 500):
        _INSERTS[dialect, columns].execute(session, part)


_INSERTS: dict[tuple[str, tuple[str, ...]], BulkStatement] = {}  # a planned row's columns, a moved row's


# Looked up by instalment, and updated by id alone: with the status in the condition SQLite
# walks every pending row (ix_follow_ups_due) instead of the few rows of these instalments. On
# PostgreSQL the rows are locked as read, so a row read as pending is still pending when it is
# updated; rows an engine is claiming or marking are skipped, not waited for (that engine finds
# the instalment paid). SQLite's transaction already holds the write lock.
_INSTALMENT_ROWS = (select(F.id, F.status).where(in_list(F.instalment_id, id_list()), F.kind.in_(INSTALMENT_KINDS))
                    .with_for_update(skip_locked=True))
_SKIP_PAID = update(FollowUp.__table__).where(in_list(F.id, id_list())).values(status="skipped", outcome=PAID)


def skip_paid(session: Session, instalment_ids: list[int]) -> None:
    """The reminders and missed messages still waiting for instalments just paid in full are
    skipped at once (the reason the engine would give when they came up): the console's list of
    upcoming follow-ups shows none for a paid instalment, and no engine claims them. Rows being
    sent stay with their engine, which finds the instalment paid."""
    waiting = [row_id for row_id, status in each_in(session, _INSTALMENT_ROWS, sorted(instalment_ids))
               if status == "pending"]
    for part in chunks(waiting):
        core(session).execute(_SKIP_PAID, {"ids": part})


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
    return select(FollowUp.key).where(in_list(column, id_list()), FollowUp.kind == bindparam("kind"))


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

    def has(self, logical: str) -> bool:
        """Whether this message already has a row (after `existing`) or was added in this pass."""
        return logical in self._seen

    def add(self, *, logical: str, kind: str, customer_id: int, address: Address | None, moment: datetime,
            facts: dict[str, Any], slots: dict[str, Any], arrangement_id: int | None = None,
            instalment_id: int | None = None, response: str | None = None) -> bool:
        """`response`: when the kind says several things (a payment notice per status), which."""
        if logical in self._seen:
            return False
        self._seen.add(logical)
        spec = self.policy.kind(kind)
        channel, sender_id = (address.channel, address.sender_id) if address else ("none", "")
        self.rows.append({
            "key": make_key(logical, channel), "customer_id": customer_id, "arrangement_id": arrangement_id,
            "instalment_id": instalment_id, "kind": kind, "channel": channel, "sender_id": sender_id,
            "response": response or spec.response, "slots": slots, "rule": spec.rule, "policy_version": self.policy.version,
            "facts": facts, "not_before": moment, "status": "pending", "attempts": 0, "created_at": self.now})
        return True

    def save(self) -> int:
        insert_ignoring_duplicates(self.session, self.rows)
        return len(self.rows)
