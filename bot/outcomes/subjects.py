"""The subjects the outcome KPIs count (bot/outcomes/kpis.py) as SQL over the event log:
arrangements (described by their first `solution_accepted`), cases (one pass over their events)
and the facts built on them (due instalments, ended arrangements, satisfaction questions), shared
by the KPIs and the group monitor.
"""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import Text, and_, case, cast, func, not_, select, union_all
from sqlalchemy.orm import aliased
from sqlalchemy.sql import Select, Subquery

from bot.outcomes.figures import DIMENSIONS, Filters, KpiConfig
from bot.outcomes.sqltools import month_of, unindexed, utc_date, within_months
from bot.store.models import OutcomeEvent

E = OutcomeEvent
# Events of the conversation itself: they carry the case's channel. A follow-up `contacted` or a
# satisfaction answer may name the case but reach the customer on another channel.
CONVERSATION_KINDS = ("conversation_started", "verified", "cause_recorded", "solution_offered", "solution_accepted",
                      "solution_declined", "handed_over")


def in_period(day: Any, filters: Filters) -> list[Any]:
    conditions = []
    if filters.start:
        conditions.append(day >= filters.start.isoformat())
    if filters.end:
        conditions.append(day <= filters.end.isoformat())
    return conditions


def _selected(subject: Subquery, filters: Filters) -> list[Any]:
    return [subject.c[name] == value for name, value in
            (("channel", filters.channel), ("loan_type", filters.loan_type), ("cause", filters.cause)) if value]


# -- the subjects: arrangements and cases --------------------------------------------------------
def _segment(event: Any, name: str) -> Any:
    return event.data[("segment", name)].as_string()


def _needs_description(filters: Filters) -> bool:
    """Loan type and cause live in data.segment (and cause_recorded): read only when asked."""
    return bool(filters.loan_type or filters.cause)


def arrangements(filters: Filters | None = None, *, described: bool = True) -> Subquery:
    """One row per selected arrangement: its first solution_accepted event (a writer that ran
    twice cannot count an arrangement twice)."""
    filters = filters or Filters()
    accepted = aliased(E, name="acceptance")
    first = (select(func.min(E.id)).where(E.kind == "solution_accepted", E.arrangement_id.isnot(None))
             .group_by(E.arrangement_id))
    columns = [accepted.arrangement_id, accepted.customer_id, accepted.case_id,
               utc_date(accepted.at).label("accepted_on"),
               func.coalesce(_segment(accepted, "channel"), accepted.channel).label("channel")]
    if described or _needs_description(filters):
        columns += [_segment(accepted, "loan_type").label("loan_type"), _segment(accepted, "cause").label("cause"),
                    _segment(accepted, "age_band").label("age_band"),
                    _segment(accepted, "vulnerable").label("vulnerable")]
    subject = (select(*columns).where(accepted.kind == "solution_accepted", accepted.id.in_(first))
               .subquery("arrangement_all"))
    return select(subject).where(*_selected(subject, filters)).subquery("arrangement")


def by_id(column: Any, event_id: Any) -> Any:
    """One column of the event with this id (a primary-key lookup per row, never a join that
    PostgreSQL would answer by hashing the whole log)."""
    event = aliased(E, name=f"{column.key}_by_id")
    return select(getattr(event, column.key)).where(event.id == event_id).scalar_subquery()


def _first(kind: str, value: Any, *conditions: Any) -> Any:
    return func.min(case((and_(E.kind == kind, *conditions), value)))


def _described(name: str) -> Any:
    # Only events that have a segment are parsed: most events of a case have none.
    has_segment = cast(E.data, Text).like('%"segment"%')
    return func.max(case((has_segment, _segment(E, name)))).label(name)


def case_select(filters: Filters | None = None, *, described: bool = True) -> Select:
    """One row per selected case, in one pass over its events: its channel (that of its
    conversation events, CONVERSATION_KINDS), its customer, and the moments the case KPIs start
    from (first conversation_started, first of conversation_started/verified, first
    solution_accepted, first handed_over, first answer 1..5 to each satisfaction question).
    Described: also what any data.segment in it says, and its cause (the reason of its last
    cause_recorded, else the segment's cause)."""
    filters = filters or Filters()
    described = described or _needs_description(filters)
    columns = [
        E.case_id, func.min(case((E.kind.in_(CONVERSATION_KINDS), E.channel))).label("channel"),
        func.max(E.customer_id).label("customer_id"),
        _first("conversation_started", E.at).label("started_at"),
        func.min(case((E.kind.in_(("conversation_started", "verified")), E.at))).label("start_at"),
        _first("solution_accepted", E.at).label("solved_at"),
        _first("handed_over", E.id).label("handover_id"),
        _first("handed_over", E.at).label("handed_at"),
        _first("satisfaction_answered", E.id, E.reason == "after_solution", E.value.between(1, 5))
        .label("solution_answer_id"),
        _first("satisfaction_answered", E.id, E.reason == "after_handover", E.value.between(1, 5))
        .label("handover_answer_id")]
    if described:
        columns += [_described("loan_type"), _described("age_band"), _described("vulnerable"),
                    _described("cause").label("segment_cause"),
                    func.max(case((E.kind == "cause_recorded", E.id))).label("last_cause_id")]
    summary = select(*columns).where(E.case_id.isnot(None)).group_by(E.case_id).subquery("case_summary")
    # The date of the first moment is the first of the dates: converted once per case.
    dated = [*[c for c in summary.c if c.name not in ("segment_cause", "last_cause_id")],
             utc_date(summary.c.started_at).label("started_on"), utc_date(summary.c.solved_at).label("solved_on"),
             utc_date(summary.c.handed_at).label("handed_on")]
    if not described:
        subject = select(*dated).subquery("case_dated")
        return select(subject).where(*_selected(subject, filters))
    subject = (select(*dated, func.coalesce(by_id(E.reason, summary.c.last_cause_id), summary.c.segment_cause)
                      .label("cause")).subquery("case_described"))
    return select(subject).where(*_selected(subject, filters))


def dimension_columns(subject: Any) -> list[Any]:
    return [subject.c[name] for name in DIMENSIONS]


# -- facts: one row per counted thing, shared by the KPIs and the group monitor -------------------
def instalment_facts(config: KpiConfig, filters: Filters, today: date) -> Subquery:
    """Due instalments of selected arrangements whose grace period has passed; kept = paid in
    full within it. One pass over the instalment events, grouped per instalment (no join: the
    due and the paid event of an instalment meet in the same group)."""
    is_due, is_paid = E.kind == "instalment_due", E.kind == "instalment_paid"
    kept = and_(is_paid, E.data["days_late"].as_integer() <= config.grace_days)
    per_instalment = (select(E.instalment_id, func.min(E.arrangement_id).label("arrangement_id"),
                             func.min(case((is_due, E.data["due_on"].as_string()))).label("due_on"),
                             func.max(case((kept, 1), else_=0)).label("kept"))
                      .where(E.kind.in_(("instalment_due", "instalment_paid")), E.instalment_id.isnot(None))
                      .group_by(E.instalment_id).subquery("instalment"))
    subject = arrangements(filters, described=False)
    settled_until = (today - timedelta(days=config.grace_days + 1)).isoformat()
    due_on = per_instalment.c.due_on
    return (select(per_instalment.c.instalment_id, per_instalment.c.arrangement_id, due_on,
                   month_of(due_on).label("month"), per_instalment.c.kept)
            .where(due_on.isnot(None), due_on <= settled_until, *in_period(due_on, filters),
                   per_instalment.c.arrangement_id.in_(select(subject.c.arrangement_id)))
            .subquery("instalment_fact"))


def ended_facts(config: KpiConfig, filters: Filters, today: date) -> Subquery:
    """Ended selected arrangements with their cohort month, relapsed_N (the first arrears_again
    linked to the arrangement, on or after its end, within N months) and elapsed_N (the
    N-month window is over)."""
    ended_at = (select(E.arrangement_id, func.min(E.at).label("ended_at"))
                .where(E.kind == "arrangement_ended", E.arrangement_id.isnot(None))
                .group_by(E.arrangement_id).subquery("ended_at"))
    again = aliased(E, name="arrears_event")
    first = (select(ended_at.c.arrangement_id, func.min(utc_date(again.at)).label("relapse_on")).select_from(ended_at)
             .join(again, and_(again.arrangement_id == ended_at.c.arrangement_id,
                               unindexed(again.kind) == "arrears_again",
                               utc_date(again.at) >= utc_date(ended_at.c.ended_at)))
             .group_by(ended_at.c.arrangement_id).subquery("first_relapse"))
    subject = arrangements(filters, described=False)
    ended = (select(ended_at.c.arrangement_id, utc_date(ended_at.c.ended_at).label("ended_on"), first.c.relapse_on)
             .select_from(ended_at).outerjoin(first, first.c.arrangement_id == ended_at.c.arrangement_id)
             .where(ended_at.c.arrangement_id.in_(select(subject.c.arrangement_id))).subquery("ended"))
    selected = select(ended).where(*in_period(ended.c.ended_on, filters)).subquery("ended_selected")
    today_text = today.isoformat()
    windows = []
    for months in config.relapse_windows:
        windows.append(case((within_months(selected.c.relapse_on, selected.c.ended_on, months), 1), else_=0)
                       .label(f"relapsed_{months}"))
        windows.append(case((not_(within_months(today_text, selected.c.ended_on, months)), 1), else_=0)
                       .label(f"elapsed_{months}"))
    return (select(selected.c.arrangement_id, selected.c.ended_on, month_of(selected.c.ended_on).label("cohort"),
                   selected.c.relapse_on, *windows).subquery("ended_fact"))


def satisfaction_questions(subject: Any, filters: Filters, *, described: bool) -> Subquery:
    """One row per question asked in a selected case (after a solution accepted, after a
    handover), with the id of the first answer to it (1 to 5), if any."""
    common = [func.coalesce(subject.c.customer_id, -subject.c.case_id).label("person")]
    if described:
        common += dimension_columns(subject)
    asked = union_all(
        select(subject.c.case_id, subject.c.solved_on.label("asked_on"),
               subject.c.solution_answer_id.label("answer_id"), *common)
        .where(subject.c.solved_on.isnot(None), *in_period(subject.c.solved_on, filters)),
        select(subject.c.case_id, subject.c.handed_on.label("asked_on"),
               subject.c.handover_answer_id.label("answer_id"), *common)
        .where(subject.c.handed_on.isnot(None), *in_period(subject.c.handed_on, filters)),
    ).subquery("asked")
    return (select(asked, month_of(asked.c.asked_on).label("month"),
                   by_id(E.value, asked.c.answer_id).label("value")).subquery("satisfaction_fact"))


def satisfaction_facts(filters: Filters, *, described: bool = False) -> Subquery:
    return satisfaction_questions(case_select(filters, described=described).cte("case_subject"), filters, described=described)
