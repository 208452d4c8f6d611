"""The follow-up engine: closes the days, plans follow-ups and sends each one exactly once.

One pass (`Engine.tick`):

1. every local day that has passed and is not yet closed: `ledger.close_day` and the planning of
   the next days, in one transaction together with a `follow_up_days` row for that day, so each
   day is closed exactly once however many engines run (the second waits, then finds the row);
2. planning for arrangements agreed since, and small successes for recent payments;
3. sending: due rows are claimed in batches (PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED`,
   SQLite `BEGIN IMMEDIATE`) and marked `sending` with the engine's name and a lease
   (`claim_expires_at`); the rules are applied (bot/followup/rules.py); then each message is
   sent and marked `sent` with its rule, policy version and facts, and a `contacted` outcome
   event. Rows whose customer already has messages being sent by another engine are left for
   it, so the contact-pressure count is never raced.

Exactly once, precisely: a row is `sent` at most once in our database (the mark only succeeds
for the engine that still holds the lease). Towards the provider it is at-least-once: an engine
killed after handing a message to Rasa and before marking it leaves the row `sending`; when the
lease has expired another pass claims it and sends it again, with the same key (the
`followup_key` slot), so a channel could drop the copy. Nothing is ever lost: a row is only
`sent` after the send returned, and `skipped` only with the reason in `outcome`.
"""
from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import and_, bindparam, create_engine, event, func, insert, or_, select, update
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from bot import clock
from bot.followup import calendar, ledger, plan, planner, rules
from bot.followup.context import Context
from bot.followup.links import PaymentLinks
from bot.followup.policy import Policy
from bot.followup.policy import default as default_policy
from bot.followup.sending import Delivery, Sender, SendFailed, SendLater
from bot.formatting import format_date_nl
from bot.money import format_euro
from bot.outcomes import events
from bot.store.db import engine_for
from bot.store.idlists import id_list, in_list
from bot.store.models import (
    Arrangement,
    Customer,
    FollowUp,
    FollowUpDay,
    OutcomeEvent,
)

log = logging.getLogger(__name__)

# The outcome event every sent follow-up writes (bulk-inserted with the columns events.record
# uses: events.record cannot carry data.kind, its own first parameter being called kind).
if "contacted" not in events.KINDS:  # pragma: no cover
    raise ImportError("bot.outcomes.events knows no 'contacted' event")

F = FollowUp.__table__.c
LINK_KINDS = ("reminder_before", "reminder_today", "missed")


# -- database --------------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def database(url: str, wal: bool = False) -> SqlEngine:
    """The engine's own connection pool. On SQLite every transaction starts with BEGIN IMMEDIATE
    (the write lock up front: no two writers ever both read and then both try to write)."""
    if not url.startswith("sqlite"):
        return engine_for(url)
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # Last in, first out: sessions one after another get the same connection, whose page cache
    # stays valid (in WAL mode a connection drops its whole cache when another one wrote).
    engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=2, pool_use_lifo=True,
                           connect_args={"timeout": 60})

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        dbapi_connection.isolation_level = None  # we say BEGIN ourselves
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        if wal:
            # A database of its own (the simulator's, made again by running it again): write-ahead
            # log, never synced (a simulated year commits tens of thousands of times, and each
            # checkpoint's fsync would cost more than the work), and a larger page cache.
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA synchronous=OFF")
            dbapi_connection.execute("PRAGMA cache_size=-131072")
            dbapi_connection.execute("PRAGMA mmap_size=1073741824")  # reads without a copy per page

    @event.listens_for(engine, "begin")
    def _begin(connection) -> None:  # pragma: no cover - trivial
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


# Due rows (pending and due, or `sending` with an expired lease) of customers no engine is
# sending to, oldest first; built once (the engine asks every pass).
_BUSY = select(F.customer_id).where(F.status == "sending", F.claim_expires_at > bindparam("now")).scalar_subquery()
_IS_DUE = or_(and_(F.status == "pending", F.not_before <= bindparam("now")),
              and_(F.status == "sending", F.claim_expires_at <= bindparam("now")))
_ANY_DUE = select(F.id).where(_IS_DUE).limit(1)
_DUE = (select(F.id, F.customer_id).where(_IS_DUE, F.customer_id.not_in(_BUSY))
        .order_by(F.not_before, F.id).limit(bindparam("limit")))
_DUE_LOCKED = _DUE.with_for_update(skip_locked=True, of=FollowUp.__table__)
_CLAIM = update(FollowUp.__table__).where(in_list(F.id, id_list())).values(
    status="sending", claimed_by=bindparam("me"), claim_expires_at=bindparam("lease"), attempts=F.attempts + 1)
# The claimed rows of a batch that this engine still holds.
_CLAIMED = select(FollowUp.__table__).where(in_list(F.id, id_list()), F.status == "sending",
                                            F.claimed_by == bindparam("me"))
# PostgreSQL: the customers of a batch, locked for the claim (others' locked ones skipped), and
# those with rows another engine claimed and committed meanwhile.
_HOLD_CUSTOMERS = (select(Customer.__table__.c.id).where(in_list(Customer.__table__.c.id, id_list()))
                   .with_for_update(skip_locked=True, key_share=True))
_TAKEN = select(F.customer_id).where(in_list(F.customer_id, id_list()), F.status == "sending",
                                     F.claim_expires_at > bindparam("now"), ~in_list(F.id, id_list("batch")))
# A pass's other statements, built once.
_LAST_CLOSED = select(func.max(FollowUpDay.__table__.c.day))
_FRESH = select(Arrangement.__table__.c.id).where(Arrangement.__table__.c.id > bindparam("seen"),
                                                  Arrangement.__table__.c.status == "active")
_SKIP = update(FollowUp.__table__).where(F.id == bindparam("b_id"), F.claimed_by == bindparam("me")).values(
    status="skipped", outcome=bindparam("b_outcome"), claim_expires_at=None)
_DEFER = update(FollowUp.__table__).where(F.id == bindparam("b_id"), F.claimed_by == bindparam("me")).values(
    status="pending", not_before=bindparam("b_not_before"), outcome=bindparam("b_outcome"), claim_expires_at=None)
_MARK_SENT = update(FollowUp.__table__).where(F.id == bindparam("b_id")).values(
    status="sent", sent_at=bindparam("b_sent_at"), outcome="sent", claim_expires_at=None, channel=bindparam("b_channel"),
    sender_id=bindparam("b_sender"), slots=bindparam("b_slots"), facts=bindparam("b_facts"))
_CONTACTED = insert(OutcomeEvent.__table__)
_OWNED = select(F.id).where(in_list(F.id, id_list()), F.status == "sending", F.claimed_by == bindparam("me"))
_OWNED_LOCKED = _OWNED.with_for_update()


# -- reports ----------------------------------------------------------------------------------------------
@dataclass
class TickReport:
    days_closed: list[date] = field(default_factory=list)
    planned: int = 0
    sent: int = 0
    skipped: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    deferred: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    failed: int = 0
    retried: int = 0
    lease_lost: int = 0

    def add(self, other: "TickReport") -> None:
        self.days_closed += other.days_closed
        self.planned += other.planned
        self.sent += other.sent
        self.failed += other.failed
        self.retried += other.retried
        self.lease_lost += other.lease_lost
        for mine, theirs in ((self.skipped, other.skipped), (self.deferred, other.deferred)):
            for reason, count in theirs.items():
                mine[reason] += count


@dataclass
class _Send:
    row: dict[str, Any]
    delivery: Delivery
    facts: dict[str, Any]
    channel: str
    case_id: int | None


# -- the engine --------------------------------------------------------------------------------------------
class Engine:
    def __init__(self, database_url: str | None = None, *, sender: Sender, policy: Policy | None = None,
                 name: str | None = None, links: PaymentLinks | None = None, mark_every: int = 1,
                 after_send: Callable[[Delivery], None] | None = None, wal: bool = False,
                 batch_size: int | None = None) -> None:
        from bot.config import settings

        self.url = database_url or settings().database_url
        self.db = database(self.url, wal)
        self.sender = sender
        self.policy = policy or default_policy()
        self.name = (name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}")[:64]
        self.links = links if links is not None else PaymentLinks()
        # How many sent messages are marked in one transaction: 1 for Rasa (the smallest window
        # between a send and its mark); the simulator's in-process channel marks a batch at once.
        self.mark_every = max(1, mark_every)
        # Rows claimed per transaction: the policy's, unless the caller (the simulator, one engine
        # with an in-process channel) takes bigger batches for fewer round trips.
        self.batch_size = max(1, batch_size or self.policy.batch_size)
        self.after_send = after_send  # tests: a hook between send and mark (where a kill hurts most)
        self._seen_arrangement = 0
        self._paid_checked: datetime | None = None
        self.timings: Counter = Counter()  # seconds per phase, for the simulator's figures
        self._live = False
        self.dialect = self.db.dialect.name

    def session(self) -> Session:
        return Session(self.db, future=True, expire_on_commit=False)

    # -- one pass -----------------------------------------------------------------------------------------
    def tick(self, now: datetime | None = None) -> TickReport:
        """One pass at `now` (default: the clock; then messages are stamped when they were sent)."""
        self._live = now is None
        now = (now or clock.utcnow()).astimezone(timezone.utc)
        report = TickReport()
        started = time.perf_counter()
        report.days_closed = self.close_days(now, report)
        planned = time.perf_counter()
        report.planned += self.plan_recent(now)
        sending = time.perf_counter()
        self.send_due(now, report)
        self.timings["close_and_plan_days"] += planned - started
        self.timings["plan_recent"] += sending - planned
        self.timings["send"] += time.perf_counter() - sending
        return report

    # -- days -------------------------------------------------------------------------------------------
    def close_days(self, now: datetime, report: TickReport | None = None) -> list[date]:
        """Closes every local day before today not yet closed (oldest first), each with the
        planning of the days after it, in one transaction per day."""
        today = calendar.local_today(now)
        closed = []
        with self.session() as session:
            last = session.execute(_LAST_CLOSED).scalar_one_or_none()
        day = (last + timedelta(days=1)) if last else today - timedelta(days=1)
        while day < today:
            if self._close_day(day, now, report, first=last is None):
                closed.append(day)
            day += timedelta(days=1)
        return closed

    def _close_day(self, day: date, now: datetime, report: TickReport | None, first: bool = False) -> bool:
        with self.session() as session, session.begin():
            # The marker first: a second engine waits here until this transaction ends, then
            # inserts nothing and leaves the day alone.
            inserted = plan.insert_day_marker(session, day, now, self.name)
            if not inserted:
                return False
            started = time.perf_counter()
            result = ledger.close_day(session, day, grace_days=self.policy.grace_days,
                                      broken_after_missed=self.policy.broken_after_missed)
            self.timings["ledger_close_day"] += time.perf_counter() - started
            first = first or session.execute(select(func.count()).select_from(FollowUpDay)).scalar_one() == 1
            planned = planner.plan_day(session, day + timedelta(days=1), now, self.policy, first=first)
            session.execute(update(FollowUpDay).where(FollowUpDay.day == day).values(
                due=result.due, missed=result.missed, ended=result.ended, planned=planned))
        if report is not None:
            report.planned += planned
        log.info("follow-up: day %s closed (%d due, %d missed, %d ended), %d planned", day, result.due,
                 result.missed, result.ended, planned)
        return True

    def plan_recent(self, now: datetime) -> int:
        """Arrangements agreed since the engine last looked (meant for today onwards) and small
        successes for payments of the last 36 hours."""
        with self.session() as session, session.begin():
            if not self._seen_arrangement:
                # At start: what began yesterday or today may have been agreed after its day was planned.
                self._seen_arrangement = session.execute(select(func.coalesce(func.max(Arrangement.id), 0)).where(
                    Arrangement.starts_on < calendar.local_today(now) - timedelta(days=1))).scalar_one()
            fresh = list(session.execute(_FRESH, {"seen": self._seen_arrangement}).scalars())
            # Payments since the last look (with a margin for transactions still committing then).
            paid_since = now - timedelta(hours=36)
            if self._paid_checked is not None:
                paid_since = max(paid_since, self._paid_checked - timedelta(minutes=10))
            planned = planner.plan_recent(session, now, self.policy, new_arrangements=fresh, paid_since=paid_since)
            if fresh:
                self._seen_arrangement = max(fresh)
        self._paid_checked = now
        return planned

    # -- sending ------------------------------------------------------------------------------------------
    def send_due(self, now: datetime, report: TickReport | None = None, *, max_batches: int | None = None) -> TickReport:
        report = report if report is not None else TickReport()
        batches = 0
        while max_batches is None or batches < max_batches:
            claimed = self.claim(now)
            if not claimed:
                break
            batches += 1
            self._process(claimed, now, report)
        return report

    def has_due(self, now: datetime) -> bool:
        """Whether a pass at `now` would find a row to claim (pending and due, or `sending` with
        an expired lease); one indexed look-up."""
        with self.session() as session:
            return session.execute(_ANY_DUE, {"now": now}).first() is not None

    def claim(self, now: datetime, limit: int | None = None) -> list[int]:
        """Takes up to `limit` due rows (pending and due, or `sending` with an expired lease):
        marks them `sending` with this engine's name and a lease, and commits."""
        limit = limit or self.batch_size
        lease_until = now + timedelta(seconds=self.policy.lease_seconds)
        params = {"now": now, "limit": limit}
        with self.session() as session, session.begin():
            if self.dialect == "postgresql":
                rows = session.execute(_DUE_LOCKED, params).all()
                if not rows:
                    return []
                # Whole customers: their rows are claimed by one engine at a time, so two engines
                # never both count a customer's contacts (pressure) at the same moment.
                customers = sorted({r.customer_id for r in rows})
                held = set(session.execute(_HOLD_CUSTOMERS, {"ids": customers}).scalars())
                # Rows of these customers claimed by another engine that committed meanwhile.
                taken = set(session.execute(_TAKEN, {"ids": sorted(held), "now": now,
                                                     "batch": [r.id for r in rows]}).scalars())
                ids = [r.id for r in rows if r.customer_id in held and r.customer_id not in taken]
            else:
                ids = [r.id for r in session.execute(_DUE, params).all()]
            if ids:
                session.execute(_CLAIM, {"ids": ids, "me": self.name, "lease": lease_until})
        return ids

    # -- deciding --------------------------------------------------------------------------------------
    def _process(self, ids: list[int], now: datetime, report: TickReport) -> None:
        started = time.perf_counter()
        sends = self._decide(ids, now, report)
        self.timings["decide"] += time.perf_counter() - started
        for start in range(0, len(sends), self.mark_every):
            chunk = sends[start:start + self.mark_every]
            done, later, failed = [], [], []
            for item in chunk:
                try:
                    self.sender.send(item.delivery)
                except SendLater as error:
                    later.append((item, str(error)))
                    continue
                except SendFailed as error:
                    failed.append((item, str(error)))
                    continue
                if self.after_send is not None:
                    self.after_send(item.delivery)
                done.append(item)
            started = time.perf_counter()
            self._mark(done, later, failed, now, report)
            self.timings["mark"] += time.perf_counter() - started

    def _decide(self, ids: list[int], now: datetime, report: TickReport) -> list[_Send]:
        """Applies the rules to claimed rows; skips, defers and moves what may not go now (in
        one transaction) and returns what is to be sent."""
        policy = self.policy
        today = calendar.local_today(now)
        with self.session() as session, session.begin():
            rows = [r._asdict() for r in session.execute(_CLAIMED, {"ids": ids, "me": self.name})]
            if not rows:
                return []
            context = Context.load(session, rows, now, policy, whatsapp_templates())
            sends: list[_Send] = []
            skips: list[dict] = []
            defers: list[dict] = []
            fallbacks: list[dict] = []
            contacts = context.contacts
            quiet_until = rules.quiet_now(now, policy)
            priority = {name: spec.priority for name, spec in policy.kinds.items()}
            order = sorted(rows, key=lambda r: (r["customer_id"], priority.get(r["kind"], 99), r["not_before"], r["id"]))
            # The same for every row; only the response differs.
            refusal_checks = {"opted_out": context.book.opted_out, "window_open": context.window_open,
                              "templated": context.templated, "policy": policy}
            for row in order:
                facts = row["facts"] or {}  # the row's own copy, read from the database just now
                kind = row["kind"]
                instalment = context.instalments.get(row["instalment_id"])
                arrangement = context.arrangements.get(row["arrangement_id"])
                reason = rules.relevance(
                    kind, today, facts, policy,
                    instalment=rules.InstalmentState(instalment.status, instalment.due_on) if instalment else None,
                    arrangement=rules.ArrangementState(arrangement.status) if arrangement else None,
                    customer_has_arrears=row["customer_id"] in context.in_arrears,
                    customer_in_arrangement=row["customer_id"] in context.in_arrangement)
                if reason is not None:
                    skips.append({"b_id": row["id"], "b_outcome": reason})
                    report.skipped[reason] += 1
                    continue
                if quiet_until is not None:
                    defers.append({"b_id": row["id"], "b_not_before": quiet_until, "b_outcome": "deferred:quiet_hours"})
                    report.deferred["quiet_hours"] += 1
                    continue
                customer_contacts = contacts[row["customer_id"]]
                pressure = rules.pressure_count(customer_contacts, now, policy)
                if pressure >= policy.max_messages:  # rules.pressure_allows, counted once for the facts too
                    until = calendar.next_allowed(rules.pressure_frees_at(customer_contacts, now, policy), policy)
                    defers.append({"b_id": row["id"], "b_not_before": until, "b_outcome": "deferred:pressure"})
                    report.deferred["pressure"] += 1
                    continue
                checks = {"response": row["response"], **refusal_checks}
                logical = plan.logical_of(row["key"])
                own = rules.Address.of(row["sender_id"]) if row["sender_id"] else None
                if own is not None and own.channel in rules.OUTPUT_CHANNELS and \
                        rules.address_refusal(own, **checks) is None:
                    address, refusal = own, None
                else:
                    # The planned address may not be used now: the next of the customer's addresses,
                    # on a channel this message has not been tried on yet.
                    arrangement_sender = arrangement.sender_id if arrangement else None
                    candidates = context.book.candidates(row["customer_id"], row["sender_id"] or None,
                                                         arrangement_sender, policy)
                    tried = context.tried_for(session, row["customer_id"], row["kind"], logical) - {row["channel"]}
                    address, refusal = rules.choose_address(candidates, tried, **checks)
                if address is None:
                    skips.append({"b_id": row["id"], "b_outcome": refusal})
                    report.skipped[refusal] += 1
                    continue
                if address.sender_id != row["sender_id"]:
                    # Not on the planned address: this row is skipped with the reason, and the
                    # message moves to the next address as a row of its own (same message, that
                    # channel), claimed by us and sent now.
                    reason = refusal or "address_changed"
                    skips.append({"b_id": row["id"], "b_outcome": f"{reason}; moved to {address.channel}"})
                    report.skipped[f"{reason} (moved)"] += 1
                    context.tried_for(session, row["customer_id"], row["kind"], logical).update(
                        {row["channel"], address.channel})
                    moved = {k: v for k, v in row.items() if k != "id"}
                    moved.update(key=plan.make_key(logical, address.channel), channel=address.channel,
                                 sender_id=address.sender_id, status="sending", attempts=1, claimed_by=self.name,
                                 claim_expires_at=now + timedelta(seconds=policy.lease_seconds), outcome=None,
                                 created_at=now, facts={**facts, "moved_from": row["channel"], "moved_because": reason})
                    fallbacks.append(moved)
                    row = moved
                    facts = moved["facts"]
                slots = self._slots(session, row, instalment, arrangement, context, address)
                if arrangement is not None and arrangement.id in context.counts:
                    total, paid, behind = context.counts[arrangement.id]
                    facts.update(instalment_count=total, paid_count=paid, behind_count=behind)
                facts.update(pressure_before=pressure,
                             pressure_limit=policy.max_messages, pressure_window_days=policy.window_days,
                             channel=address.channel, attempt=int(row.get("attempts") or 1))
                if address.channel == "whatsapp" and address.sender_id not in context.window_open:
                    facts["whatsapp_template"] = context.templated_name(row["response"])
                customer_contacts.append(now)
                sends.append(_Send(row=row, facts=facts, channel=address.channel,
                                   case_id=arrangement.case_id if arrangement else None,
                                   delivery=Delivery(key=row["key"], customer_id=row["customer_id"], kind=kind,
                                                     sender_id=address.sender_id,
                                                     output_channel=rules.OUTPUT_CHANNELS[address.channel],
                                                     response=row["response"], slots=slots)))
            if skips:
                session.execute(_SKIP, [{**skip, "me": self.name} for skip in skips])
            if defers:
                session.execute(_DEFER, [{**defer, "me": self.name} for defer in defers])
            if fallbacks:
                plan.insert_ignoring_duplicates(session, fallbacks)
                keys = [f["key"] for f in fallbacks]
                mine = dict(session.execute(select(F.key, F.id).where(F.key.in_(keys), F.claimed_by == self.name,
                                                                      F.status == "sending")).all())
                kept = []
                for item in sends:
                    if "id" in item.row:
                        kept.append(item)
                    elif item.row["key"] in mine:
                        item.row["id"] = mine[item.row["key"]]
                        kept.append(item)
                sends = kept
        return sends

    def _slots(self, session: Session, row: dict, instalment: Any, arrangement: Any, context: Context,
               address: rules.Address) -> dict[str, Any]:
        kind = row["kind"]
        slots: dict[str, Any] = {}
        contact = arrangement.contact_person if arrangement else None
        if kind in LINK_KINDS and instalment is not None and arrangement is not None:
            slots["instalment_amount"] = format_euro(instalment.amount_cents - instalment.paid_cents)
            if kind != "missed":
                slots["due_date"] = format_date_nl(instalment.due_on)
            link, qr = self.links.link(session, instalment=instalment, arrangement=arrangement,
                                       sender_id=address.sender_id, channel=address.channel)
            slots["payment_link"] = link
            if qr:
                slots["payment_qr_url"] = qr
        elif kind == "success" and arrangement is not None:
            total, paid, _ = context.counts.get(arrangement.id, (0, 0, 0))
            slots.update(paid_count=str(paid), instalment_count=str(total))
        elif kind == "satisfaction":
            # The question's own slots (awaiting_satisfaction, its context) as planned.
            return dict(row["slots"] or {})
        if kind != "preventive":
            slots["contact_person"] = contact or (row["slots"] or {}).get("contact_person")
        return slots

    # -- marking ---------------------------------------------------------------------------------------
    def _mark(self, done: list[_Send], later: list[tuple[_Send, str]], failed: list[tuple[_Send, str]],
              now: datetime, report: TickReport) -> None:
        if not (done or later or failed):
            return
        sent_at = max(now, clock.utcnow()) if self._live else now
        with self.session() as session, session.begin():
            ids = [item.row["id"] for item in done] + [i.row["id"] for i, _ in later + failed]
            owned_query = _OWNED_LOCKED if self.dialect == "postgresql" else _OWNED
            owned = {row_id for row_id, in plan.each_in(session, owned_query, ids, me=self.name)}
            lost = [item for item in done if item.row["id"] not in owned]
            if lost:
                # Another engine took these over after our lease ran out; it sends and marks them.
                report.lease_lost += len(lost)
                log.warning("follow-up: lease lost for %d sent message(s) (ids %s)", len(lost),
                            [item.row["id"] for item in lost][:10])
            marked = [item for item in done if item.row["id"] in owned]
            if marked:
                session.execute(_MARK_SENT, [
                    {"b_id": item.row["id"], "b_sent_at": sent_at, "b_channel": item.row["channel"],
                     "b_sender": item.delivery.sender_id, "b_slots": item.delivery.slots, "b_facts": item.facts}
                    for item in marked])
                session.execute(_CONTACTED, [{
                    "at": sent_at, "kind": "contacted", "customer_id": item.row["customer_id"],
                    "case_id": item.case_id, "arrangement_id": item.row["arrangement_id"],
                    "instalment_id": item.row["instalment_id"], "channel": item.channel, "reason": item.row["rule"],
                    "value": None, "data": {"kind": item.row["kind"], "key": item.row["key"],
                                            "policy_version": item.row["policy_version"],
                                            "response": item.row["response"]}} for item in marked])
                report.sent += len(marked)
            retry = []
            for item, error in later:
                if item.row["id"] not in owned:
                    continue
                tries = int(item.facts.get("send_failures", 0)) + 1
                if tries >= self.policy.max_attempts:
                    failed.append((item, error))
                    continue
                retry.append({"b_id": item.row["id"], "b_not_before": now + timedelta(minutes=self.policy.retry_minutes),
                              "b_outcome": f"retry: {error}"[:64], "b_facts": {**item.facts, "send_failures": tries}})
            if retry:
                session.execute(update(FollowUp.__table__).where(F.id == bindparam("b_id")).values(
                    status="pending", not_before=bindparam("b_not_before"), outcome=bindparam("b_outcome"),
                    facts=bindparam("b_facts"), claim_expires_at=None), retry)
                report.retried += len(retry)
            gone = [{"b_id": item.row["id"], "b_outcome": f"failed: {error}"[:64]}
                    for item, error in failed if item.row["id"] in owned]
            if gone:
                session.execute(update(FollowUp.__table__).where(F.id == bindparam("b_id")).values(
                    status="failed", outcome=bindparam("b_outcome"), claim_expires_at=None), gone)
                report.failed += len(gone)


@lru_cache(maxsize=1)
def whatsapp_templates() -> dict[str, str]:
    """Domain response -> approved WhatsApp template (bot/channels/whatsapp_templates.yml): the
    responses that may go to WhatsApp outside the 24-hour window."""
    from bot.channels.twilio_templates import load_window_rules

    return {response: template for response, (template, _) in load_window_rules().responses.items()}
