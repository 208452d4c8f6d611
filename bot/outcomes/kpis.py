"""Outcome KPIs computed from the append-only event log (issue 11, R21).

Every figure is a set-based SQL query over `outcome_events` (SQLAlchemy 2.0 style: select(),
Session.execute), the same on SQLite and PostgreSQL, over the subjects of
bot/outcomes/subjects.py. Definitions and formulas: docs/KPIS.md; the numbers that are policy
(grace period, relapse windows, ...) live in kpis.yml.

Two kinds of subject:
- an arrangement (adherence, relapse, cure): described by its `solution_accepted` event, whose
  data.segment says channel, loan type, cause, age band and vulnerability at that moment;
- a case, one conversation (satisfaction, time to solution, handovers): described by all of its
  events (channel, any data.segment in it) and its last `cause_recorded`.

Dates are UTC calendar dates; months are 'YYYY-MM'. Filters select by those descriptions; the
period selects each KPI by its own anchor date (written in docs/KPIS.md and on the dashboard).
"""
from __future__ import annotations

import math
from datetime import date
from typing import Any

from dateutil.relativedelta import relativedelta
from sqlalchemy import (
    Float,
    Integer,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal_column,
    not_,
    null,
    select,
    text,
    union_all,
)
from sqlalchemy.orm import Session, aliased

from bot import clock
from bot.outcomes.figures import (
    Adherence,
    Cohort,
    Cure,
    Dashboard,
    Filters,
    Handovers,
    KpiConfig,
    PreventiveReach,
    Ratio,
    Relapse,
    Satisfaction,
    SatisfactionMonth,
    TimeToSolution,
    load_config,
)
from bot.outcomes.sqltools import month_of, seconds_between, unindexed, utc_date, within_months
from bot.outcomes.subjects import (
    arrangements,
    by_id,
    case_select,
    ended_facts,
    in_period,
    instalment_facts,
    satisfaction_questions,
)
from bot.store.models import OutcomeEvent

E = OutcomeEvent
SCORES = (1, 2, 3, 4, 5)


# -- the KPIs ------------------------------------------------------------------------------------
def adherence(session: Session, config: KpiConfig, filters: Filters, today: date) -> Adherence:
    facts = instalment_facts(config, filters, today)
    rows = session.execute(select(facts.c.month, func.count(), func.sum(facts.c.kept))
                           .group_by(facts.c.month).order_by(facts.c.month)).all()
    months = tuple((month, Ratio(int(kept or 0), int(due))) for month, due, kept in rows)
    return Adherence(Ratio(sum(r.numerator for _, r in months), sum(r.denominator for _, r in months)), months)


def relapse(session: Session, config: KpiConfig, filters: Filters, today: date) -> Relapse:
    facts = ended_facts(config, filters, today)
    windows = config.relapse_windows
    rows = session.execute(select(facts.c.cohort, func.count(),
                                  *[func.sum(facts.c[f"relapsed_{n}"]) for n in windows])
                           .group_by(facts.c.cohort).order_by(facts.c.cohort)).all()
    cohorts = []
    for row in rows:
        month, ended = row[0], int(row[1])
        last_day = date.fromisoformat(f"{month}-01") + relativedelta(months=1, days=-1)
        cohorts.append(Cohort(month, ended, {n: int(row[2 + i] or 0) for i, n in enumerate(windows)},
                              {n: last_day + relativedelta(months=n) < today for n in windows}))
    return Relapse(windows, tuple(cohorts))


def cure(session: Session, config: KpiConfig, filters: Filters, today: date) -> Cure:
    months = config.cure_months
    subject = arrangements(filters, described=False)
    again = aliased(E, name="arrears_event")
    ended = aliased(E, name="end_event")
    relapsed = exists(select(again.id).where(
        again.customer_id == subject.c.customer_id, unindexed(again.kind) == "arrears_again",
        utc_date(again.at) > subject.c.accepted_on, within_months(utc_date(again.at), subject.c.accepted_on, months)))
    broken = exists(select(ended.id).where(
        ended.arrangement_id == subject.c.arrangement_id, unindexed(ended.kind) == "arrangement_ended",
        ended.reason == "broken", within_months(utc_date(ended.at), subject.c.accepted_on, months)))
    facts = (select(month_of(subject.c.accepted_on).label("month"),
                    case((and_(not_(relapsed), not_(broken)), 1), else_=0).label("cured"))
             .where(not_(within_months(today.isoformat(), subject.c.accepted_on, months)),
                    *in_period(subject.c.accepted_on, filters))
             .subquery("cure_fact"))
    rows = session.execute(select(facts.c.month, func.count(), func.sum(facts.c.cured))
                           .group_by(facts.c.month).order_by(facts.c.month)).all()
    by_month = tuple((month, Ratio(int(cured or 0), int(count))) for month, count, cured in rows)
    return Cure(months, Ratio(sum(r.numerator for _, r in by_month), sum(r.denominator for _, r in by_month)), by_month)


def case_figures(session: Session, config: KpiConfig, filters: Filters,
                 today: date) -> tuple[Satisfaction, TimeToSolution, Handovers]:
    """Satisfaction, time to solution and handovers in one statement: the three read the same
    case subject (one pass over the case events), written once as a CTE and shared by the parts
    of a UNION ALL with one row shape: (part, key, n, flag, total, answers per score 1..5)."""
    subject = case_select(filters, described=False).cte("case_subject")
    no_text, no_number, no_count = cast(null(), String), cast(null(), Float), cast(null(), Integer)

    def part(name: str) -> Any:
        return literal_column(f"'{name}'").label("part")

    questions = satisfaction_questions(subject, filters, described=False)
    scores = [func.sum(case((questions.c.value == score, 1), else_=0)).label(f"s{score}") for score in SCORES]
    satisfaction_part = (select(part("satisfaction"), questions.c.month.label("key"), func.count().label("n"),
                                func.count(questions.c.value).label("flag"),
                                cast(func.sum(questions.c.value), Float).label("total"), *scores)
                         .group_by(questions.c.month))
    handed = (select(case((subject.c.handover_id.isnot(None), 1), else_=0).label("handed"),
                     by_id(E.reason, subject.c.handover_id).label("reason"))
              .where(subject.c.started_on.isnot(None), *in_period(subject.c.started_on, filters))
              .subquery("handover_fact"))
    handover_part = (select(part("handover"), handed.c.reason.label("key"), func.count().label("n"),
                            handed.c.handed.label("flag"), no_number.label("total"),
                            *[no_count.label(f"s{score}") for score in SCORES])
                     .group_by(handed.c.handed, handed.c.reason))
    time_part = (select(part("time"), no_text.label("key"), literal_column("1").label("n"),
                        literal_column("0").label("flag"),
                        cast(seconds_between(subject.c.start_at, subject.c.solved_at), Float).label("total"),
                        *[no_count.label(f"s{score}") for score in SCORES])
                 .where(subject.c.solved_at.isnot(None), subject.c.start_at <= subject.c.solved_at,
                        *in_period(subject.c.solved_on, filters)))
    rows = session.execute(union_all(satisfaction_part, handover_part, time_part)).all()

    months = sorted((row for row in rows if row.part == "satisfaction"), key=lambda row: row.key)
    satisfaction = Satisfaction(
        asked=sum(int(r.n) for r in months), answered=sum(int(r.flag) for r in months),
        score_sum=sum(int(r.total or 0) for r in months),
        distribution={score: sum(int(getattr(r, f"s{score}") or 0) for r in months) for score in SCORES},
        months=tuple(SatisfactionMonth(r.key, int(r.n), int(r.flag), int(r.total or 0)) for r in months))
    seconds = sorted(round(float(row.total)) for row in rows if row.part == "time")
    reasons: dict[str, int] = {}
    for row in rows:
        if row.part == "handover" and row.flag:
            reasons[row.key or "unknown"] = reasons.get(row.key or "unknown", 0) + int(row.n)
    handover = Handovers(cases=sum(int(row.n) for row in rows if row.part == "handover"),
                         handed_over=sum(reasons.values()),
                         reasons=tuple(sorted(reasons.items(), key=lambda pair: (-pair[1], pair[0]))))
    return satisfaction, TimeToSolution(len(seconds), median(seconds), percentile(seconds, 0.9)), handover


def satisfaction(session: Session, config: KpiConfig, filters: Filters, today: date) -> Satisfaction:
    return case_figures(session, config, filters, today)[0]


def time_to_solution(session: Session, config: KpiConfig, filters: Filters, today: date) -> TimeToSolution:
    return case_figures(session, config, filters, today)[1]


def handovers(session: Session, config: KpiConfig, filters: Filters, today: date) -> Handovers:
    return case_figures(session, config, filters, today)[2]


def percentile(sorted_values: list[float], share: float) -> float | None:
    """Nearest rank: the smallest value with at least `share` of all values at or below it."""
    if not sorted_values:
        return None
    return float(sorted_values[max(1, math.ceil(share * len(sorted_values))) - 1])


def median(sorted_values: list[float]) -> float | None:
    """The middle value; the mean of the two middle values for an even count."""
    n = len(sorted_values)
    if not n:
        return None
    return float(sorted_values[n // 2]) if n % 2 else (sorted_values[n // 2 - 1] + sorted_values[n // 2]) / 2


def preventive_reach(session: Session, config: KpiConfig, filters: Filters, today: date) -> PreventiveReach:
    """Period only: a risk signal comes before any case, so channel, loan type and cause of a
    case do not describe it."""
    signalled = (select(E.customer_id, func.min(utc_date(E.at)).label("signalled_on"))
                 .where(E.kind == "risk_signalled", E.customer_id.isnot(None), *in_period(utc_date(E.at), filters))
                 .group_by(E.customer_id).subquery("signalled"))
    contact = aliased(E, name="contact_event")
    contacted_on = (select(func.min(utc_date(contact.at)))
                    .where(contact.customer_id == signalled.c.customer_id, unindexed(contact.kind) == "contacted",
                           contact.data["kind"].as_string().in_(config.preventive_kinds),
                           utc_date(contact.at) >= signalled.c.signalled_on).scalar_subquery())
    funnel = select(signalled.c.customer_id, contacted_on.label("contacted_on")).subquery("funnel")
    acceptance = aliased(E, name="acceptance_event")
    accepted = exists(select(acceptance.id).where(
        acceptance.customer_id == funnel.c.customer_id, unindexed(acceptance.kind) == "solution_accepted",
        utc_date(acceptance.at) >= funnel.c.contacted_on))
    row = session.execute(select(func.count(), func.count(funnel.c.contacted_on),
                                 func.sum(case((and_(funnel.c.contacted_on.isnot(None), accepted), 1), else_=0)))
                          ).one()
    return PreventiveReach(int(row[0]), int(row[1]), int(row[2] or 0))


CASE_KPIS = ("satisfaction", "time_to_solution", "handovers")  # computed together: case_figures
KPIS = {"adherence": adherence, "relapse": relapse, "cure": cure, "satisfaction": satisfaction,
        "time_to_solution": time_to_solution, "handovers": handovers, "preventive": preventive_reach}


def tune(session: Session) -> None:
    """PostgreSQL compiles a query to machine code (JIT) when its estimated cost is high, which
    the nested lookups here reach easily; for queries of tens of milliseconds that compilation
    costs far more than it saves (measured: 500 ms instead of 45 ms). Off for this transaction
    only. SQLite: a bigger page cache (measured: 566 ms to 481 ms for the whole dashboard)."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("SET LOCAL jit = off"))
        session.execute(text("SET LOCAL enable_nestloop = off"))
    elif dialect == "sqlite":
        # The KPIs read the log a few times over; SQLite's default page cache (2 MB) holds
        # little of it. A ceiling, not an allocation; it stays with this pooled connection.
        session.execute(text("PRAGMA cache_size = -65536"))


def compute(session: Session, filters: Filters | None = None, *, config: KpiConfig | None = None,
            today: date | None = None, names: tuple[str, ...] | None = None) -> Dashboard:
    """Every KPI for one selection (or only `names`; the others are None)."""
    config = config or load_config()
    filters = filters or Filters()
    today = today or clock.today()
    tune(session)
    wanted = tuple(KPIS) if names is None else names
    figures: dict[str, Any] = dict.fromkeys(KPIS)
    if any(name in wanted for name in CASE_KPIS):
        figures.update(zip(CASE_KPIS, case_figures(session, config, filters, today)))
    for name in wanted:
        if name not in CASE_KPIS:
            figures[name] = KPIS[name](session, config, filters, today)
    return Dashboard(config_version=config.version, today=today, filters=filters, **figures)


def options(session: Session) -> dict[str, list[str]]:
    """What the filter form offers: the values present in the log (arrangements' segments,
    conversation channels, recorded causes)."""
    subject = arrangements(described=True)
    described = session.execute(select(subject.c.channel, subject.c.loan_type, subject.c.cause).distinct()).all()
    channels = {c for (c,) in session.execute(select(E.channel).where(E.kind == "conversation_started").distinct())}
    causes = {c for (c,) in session.execute(select(E.reason).where(E.kind == "cause_recorded").distinct())}
    return {"channel": sorted(({c for c, _, _ in described} | channels) - {None}),
            "loan_type": sorted({t for _, t, _ in described} - {None}),
            "cause": sorted(({c for _, _, c in described} | causes) - {None})}
