"""The follow-up engine: closes the days, plans follow-ups and sends each one exactly once.

One pass (`Engine.tick`):

1. every local day that has passed and is not yet closed: `ledger.close_day` and the planning of
   the next days, in one transaction together with a `follow_up_days` row for that day, so each
   day is closed exactly once however many engines run (the second waits, then finds the row);
2. planning for arrangements agreed since, and small successes for recent payments;
3. sending: due rows are claimed in batches (PostgreSQL `SELECT ... FOR UPDATE SKIP LOCKED`,
   SQLite `BEGIN IMMEDIATE`) and marked `sending` with the engine's name and a lease
   (`claim_expires_at`); the rules are applied (bot/followup/deciding.py; on SQLite in the
   claim's own transaction, on PostgreSQL in the next); then each message is sent and marked
   `sent` with its rule, policy version and facts, and a `contacted` outcome event
   (bot/followup/marking.py). Rows whose customer already has messages being sent by another
   engine are left for it, so the contact-pressure count is never raced.

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
import sqlite3
import time
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Callable

from sqlalchemy import and_, bindparam, create_engine, event, func, or_, select, update
from sqlalchemy.engine import Engine as SqlEngine
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool

from bot import clock
from bot.followup import calendar, deciding, ledger, marking, plan, planner
from bot.followup.daily_jobs import DailyJobs, Schedule
from bot.followup.deciding import Send
from bot.followup.links import PaymentLinks
from bot.followup.policy import Policy
from bot.followup.policy import default as default_policy
from bot.followup.report import TickReport
from bot.followup.sending import Delivery, Sender, SendFailed, SendLater
from bot.store.db import JSON_CODEC, core, engine_for
from bot.store.idlists import id_list, in_list
from bot.store.models import (
    Arrangement,
    Customer,
    FollowUp,
    FollowUpDay,
)

log = logging.getLogger(__name__)

F = FollowUp.__table__.c


# -- database --------------------------------------------------------------------------------------------
@lru_cache(maxsize=8)
def database(url: str, journal: str | None = None) -> SqlEngine:
    """The engine's own connection pool. On SQLite every transaction starts with BEGIN IMMEDIATE
    (the write lock up front: no two writers ever both read and then both try to write).

    `journal` is for a SQLite database the simulator writes: "wal" when others read it meanwhile
    (the demo database), synced only at checkpoints (a power cut may lose the last commits, never
    corrupts the file); "memory" for a scratch file thrown away after the run (a rollback journal
    in memory, never synced: a third of WAL's page writes, but a crash leaves it corrupt)."""
    if not url.startswith("sqlite"):
        return engine_for(url)
    if journal not in (None, "wal", "memory"):
        raise ValueError(f"journal must be 'wal' or 'memory', not {journal!r}")
    if url.startswith("sqlite:///"):
        Path(url.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
    # Last in, first out: sessions one after another get the same connection, whose page cache
    # stays valid (in WAL mode a connection drops its whole cache when another one wrote).
    engine = create_engine(url, future=True, poolclass=QueuePool, pool_size=2, pool_use_lifo=True,
                           connect_args={"timeout": 60}, **JSON_CODEC)

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, _record) -> None:  # pragma: no cover - trivial
        dbapi_connection.isolation_level = None  # we say BEGIN ourselves
        dbapi_connection.execute("PRAGMA foreign_keys=ON")
        if journal and url not in ("sqlite://", "sqlite:///:memory:"):  # a database in memory keeps no journal
            # Not synced at every commit (a simulated year commits tens of thousands of times, and
            # each fsync would cost more than the work), a larger page cache, reads without a copy
            # per page.
            try:
                mode = dbapi_connection.execute(f"PRAGMA journal_mode={journal}").fetchone()[0]
            except sqlite3.OperationalError as error:  # leaving WAL needs the file to itself
                mode = f"unchanged ({error})"
            if mode != journal:
                raise RuntimeError(f"{url}: journal_mode stayed {mode}: another connection holds the database")
            dbapi_connection.execute("PRAGMA synchronous=" + ("NORMAL" if journal == "wal" else "OFF"))
            dbapi_connection.execute("PRAGMA cache_size=-131072")
            dbapi_connection.execute("PRAGMA mmap_size=1073741824")

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


# -- the engine --------------------------------------------------------------------------------------------
class Engine:
    def __init__(self, database_url: str | None = None, *, sender: Sender, policy: Policy | None = None,
                 name: str | None = None, links: PaymentLinks | None = None, mark_every: int = 1,
                 after_send: Callable[[Delivery], None] | None = None, journal: str | None = None,
                 batch_size: int | None = None, daily_jobs: Schedule | None = None) -> None:
        from bot.config import settings

        self.url = database_url or settings().database_url
        self.db = database(self.url, journal)
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
        self._arrears_checked: datetime | None = None  # first contact: episodes seen since (R24)
        self.timings: Counter = Counter()  # seconds per phase, for the simulator's figures
        self._live = False
        self.dialect = self.db.dialect.name
        # Retention and the group-outcome monitor, once a day over all engines (`run` with the real clock).
        self.daily_jobs = DailyJobs(self.session, self.name, daily_jobs) if daily_jobs is not None else None

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
        if self.daily_jobs is not None:
            self.daily_jobs.run_due(now)
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
            last = core(session).execute(_LAST_CLOSED).scalar_one_or_none()
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
            fresh = list(core(session).execute(_FRESH, {"seen": self._seen_arrangement}).scalars())
            # Payments since the last look (with a margin for transactions still committing then).
            paid_since = now - timedelta(hours=36)
            if self._paid_checked is not None:
                paid_since = max(paid_since, self._paid_checked - timedelta(minutes=10))
            # Arrears seen since the last look (with the same margin); at start, the last few days.
            arrears_since = self._arrears_checked - timedelta(minutes=10) if self._arrears_checked else None
            planned = planner.plan_recent(session, now, self.policy, new_arrangements=fresh, paid_since=paid_since,
                                          arrears_seen_since=arrears_since)
            if fresh:
                self._seen_arrangement = max(fresh)
        self._paid_checked = now
        self._arrears_checked = now
        return planned

    # -- sending ------------------------------------------------------------------------------------------
    def send_due(self, now: datetime, report: TickReport | None = None, *, max_batches: int | None = None) -> TickReport:
        report = report if report is not None else TickReport()
        batches = 0
        while max_batches is None or batches < max_batches:
            if self.dialect == "sqlite":
                # One transaction for claim and decisions: BEGIN IMMEDIATE already makes it the only
                # writer, so one begin and commit per batch will do. (On PostgreSQL the claim
                # commits first: whole customers locked, then decided with a fresh count.)
                with self.session() as session, session.begin():
                    claimed = self._claim(session, now, self.batch_size)
                    sends = self._decide_in(session, claimed, now, report) if claimed else []
            else:
                claimed = self.claim(now)
                sends = self._decide(claimed, now, report) if claimed else []
            if not claimed:
                break
            batches += 1
            self._send_and_mark(sends, now, report)
        return report

    def has_due(self, now: datetime) -> bool:
        """Whether a pass at `now` would find a row to claim (pending and due, or `sending` with
        an expired lease); one indexed look-up."""
        with self.session() as session:
            return core(session).execute(_ANY_DUE, {"now": now}).first() is not None

    def claim(self, now: datetime, limit: int | None = None) -> list[int]:
        """Takes up to `limit` due rows (pending and due, or `sending` with an expired lease):
        marks them `sending` with this engine's name and a lease, and commits."""
        with self.session() as session, session.begin():
            return self._claim(session, now, limit or self.batch_size)

    def _claim(self, session: Session, now: datetime, limit: int) -> list[int]:
        lease_until = now + timedelta(seconds=self.policy.lease_seconds)
        params = {"now": now, "limit": limit}
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
            ids = [r.id for r in core(session).execute(_DUE, params).all()]
        if ids:
            core(session).execute(_CLAIM, {"ids": ids, "me": self.name, "lease": lease_until})
        return ids

    # -- sending and marking ----------------------------------------------------------------------------
    def _send_and_mark(self, sends: list[Send], now: datetime, report: TickReport) -> None:
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
            if not (done or later or failed):
                continue
            started = time.perf_counter()
            sent_at = max(now, clock.utcnow()) if self._live else now
            with self.session() as session, session.begin():
                marking.mark(session, done, later, failed, now=now, sent_at=sent_at, engine_name=self.name,
                             dialect=self.dialect, policy=self.policy, report=report)
            self.timings["mark"] += time.perf_counter() - started

    # -- deciding --------------------------------------------------------------------------------------
    def _decide(self, ids: list[int], now: datetime, report: TickReport) -> list[Send]:
        """The rules applied to claimed rows in a transaction of their own (bot/followup/deciding.py)."""
        with self.session() as session, session.begin():
            return self._decide_in(session, ids, now, report)

    def _decide_in(self, session: Session, ids: list[int], now: datetime, report: TickReport) -> list[Send]:
        started = time.perf_counter()
        sends = deciding.decide(session, ids, now, policy=self.policy, engine_name=self.name, links=self.links,
                                report=report)
        self.timings["decide"] += time.perf_counter() - started
        return sends
