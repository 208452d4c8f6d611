"""Jobs the follow-up engine runs once a day (issue 21 §3): the retention job (conversations
deleted after BETAALHULP_RETENTION_DAYS, bot/privacy/retention.py) and the group-outcome monitor
(bot/outcomes/monitor.py). Times and limits: bot/followup/daily_jobs.yml.

Exactly once with several engines, as the days are closed (bot/followup/plan.py
insert_day_marker): a `daily_jobs` row (job, local day) is claimed first, by an INSERT that only
one engine's succeeds, and committed; only the engine that claimed it runs the job, then marks it
`done` with its counts (or `failed` with the error's type). The job itself cannot share that
transaction (retention deletes from Rasa's tracker store, another database), so a claim that
was never finished (the engine died) is taken over once its lease is over, and a failed job is
tried again after `retry_minutes`; both by a conditional UPDATE that one engine wins. Retention
and the monitor are safe to run again after a crash half-way: both only look at what is there.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable

import yaml
from sqlalchemy import or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from bot import clock
from bot.followup import calendar
from bot.store.models import DailyJob

log = logging.getLogger(__name__)
JOBS_FILE = Path(__file__).with_name("daily_jobs.yml")
D = DailyJob.__table__.c


def run_retention(session: Session, now: datetime) -> dict[str, Any]:
    from bot.privacy.retention import apply_retention

    return apply_retention(session, now)


def run_outcome_monitor(session: Session, now: datetime) -> dict[str, Any]:
    from bot.outcomes import monitor

    result = monitor.evaluate(session, today=calendar.local_today(now))
    return {"alerts": len(result.alerts)}


JOBS: dict[str, Callable[[Session, datetime], dict[str, Any]]] = {
    "retention": run_retention, "outcome_monitor": run_outcome_monitor}


@dataclass(frozen=True)
class Schedule:
    version: str
    at: dict[str, time]
    lease: timedelta
    retry: timedelta
    max_attempts: int


def load(path: Path | str = JOBS_FILE) -> Schedule:
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    at = {}
    for name, spec in (data.get("jobs") or {}).items():
        if name not in JOBS:
            raise ValueError(f"{path}: unknown job {name!r} (known: {', '.join(JOBS)})")
        try:
            at[name] = time.fromisoformat(str(spec["at"]))  # "02:30" (or "02:30:15")
        except ValueError as error:
            raise ValueError(f"{path}: jobs.{name}.at must be a time like 02:30") from error
    return Schedule(version=str(data["version"]), at=at, lease=timedelta(minutes=int(data["lease_minutes"])),
                    retry=timedelta(minutes=int(data["retry_minutes"])), max_attempts=int(data["max_attempts"]))


@lru_cache(maxsize=1)
def default() -> Schedule:
    return load()


class DailyJobs:
    """Runs the jobs due at a moment, each claimed first; `session` makes the engine's sessions."""

    def __init__(self, session: Callable[[], Session], engine_name: str, schedule: Schedule | None = None,
                 jobs: dict[str, Callable[[Session, datetime], dict[str, Any]]] | None = None) -> None:
        self.session = session
        self.name = engine_name[:64]
        self.schedule = schedule or default()
        self.jobs = jobs or JOBS
        self._done: set[tuple[str, date]] = set()  # done (by any engine): no need to ask the database again
        self._told: set[tuple[str, date]] = set()  # "another engine has it" logged once

    def run_due(self, now: datetime) -> list[str]:
        """The jobs whose time has come today and that this engine claimed and ran."""
        local = calendar.local(now)
        ran = []
        for name, at in self.schedule.at.items():
            day = local.date()
            if local.time() < at or (name, day) in self._done:
                continue
            if not self._claim(name, day, now):
                continue
            self._run(name, day, now)
            ran.append(name)
        return ran

    def _claim(self, name: str, day: date, now: datetime) -> bool:
        with self.session() as session, session.begin():
            dialect = session.get_bind().dialect.name
            module = postgresql if dialect == "postgresql" else sqlite
            inserted = session.execute(module.insert(DailyJob.__table__).values(
                name=name, day=day, status="running", claimed_by=self.name, claimed_at=now, attempts=1, result={}
            ).on_conflict_do_nothing(index_elements=["name", "day"])).rowcount == 1
            if inserted:
                return True
            taken = session.execute(
                update(DailyJob.__table__)
                .where(D.name == name, D.day == day, D.attempts < self.schedule.max_attempts,
                       or_((D.status == "running") & (D.claimed_at < now - self.schedule.lease),
                           (D.status == "failed") & (D.claimed_at < now - self.schedule.retry)))
                .values(status="running", claimed_by=self.name, claimed_at=now, attempts=D.attempts + 1,
                        finished_at=None)).rowcount == 1
            if not taken:
                holder = session.execute(select(D.status, D.claimed_by).where(D.name == name, D.day == day)).first()
                if holder is not None and holder.status == "done":
                    self._done.add((name, day))
                if holder is not None and holder.claimed_by != self.name and (name, day) not in self._told:
                    self._told.add((name, day))
                    log.info("daily job %s for %s: engine %s has it", name, day, holder.claimed_by)
            return taken

    def _run(self, name: str, day: date, now: datetime) -> None:
        try:
            with self.session() as session, session.begin():
                result = self.jobs[name](session, now)
            status = "done"
        except Exception as error:  # noqa: BLE001 - recorded, tried again later; the engine goes on
            log.exception("daily job %s for %s failed", name, day)
            result, status = {"error": type(error).__name__}, "failed"
        with self.session() as session, session.begin():
            session.execute(update(DailyJob.__table__).where(D.name == name, D.day == day, D.claimed_by == self.name)
                            .values(status=status, finished_at=max(now, clock.utcnow()), result=result))
        if status == "done":
            self._done.add((name, day))
            log.info("daily job %s for %s done: %s", name, day, result)
