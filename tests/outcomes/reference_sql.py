"""A second computation of every KPI, written from docs/KPIS.md in plain SQL text and sharing no
code with bot/outcomes: correlated subqueries where the dashboard uses grouped joins, window
functions for the percentiles, the window end dates worked out as dates (SQLite: start of month
plus N months, clipped to the last day; PostgreSQL: date + interval, which clips the same way).

Only a handful of fragments differ between SQLite and PostgreSQL (the dialect table below)."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

DIALECT = {
    "sqlite": {
        "day": "strftime('%Y-%m-%d', {0})",
        "json": "json_extract({0}, '$.{1}')",
        "seconds": "CAST(round((julianday({1}) - julianday({0})) * 86400) AS INTEGER)",
        # the last day of the month N months after the month of the date, and that month's same
        # day when it exists: the earlier of the two
        "plus_months": ("min(date({0}, 'start of month', '+{1} months', '+' || (CAST(strftime('%d', {0}) AS INTEGER) - 1)"
                        " || ' days'), date({0}, 'start of month', '+{2} months', '-1 day'))"),
        "month_end": "date({0} || '-01', '+1 month', '-1 day')",
    },
    "postgresql": {
        "day": "to_char(({0}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')",
        "json": "({0} #>> '{{{1}}}')",
        "seconds": "CAST(round(extract(epoch FROM ({1} - {0}))) AS INTEGER)",
        "plus_months": "to_char(CAST({0} AS date) + interval '{1} months', 'YYYY-MM-DD')",
        "month_end": "to_char(CAST({0} || '-01' AS date) + interval '1 month' - interval '1 day', 'YYYY-MM-DD')",
    },
}


class Sql:
    def __init__(self, session: Session) -> None:
        self.session = session
        self.d = DIALECT[session.get_bind().dialect.name]

    def day(self, column: str) -> str:
        return self.d["day"].format(column)

    def json(self, column: str, *path: str) -> str:
        separator = "." if "json_extract" in self.d["json"] else ","
        return self.d["json"].format(column, separator.join(path))

    def plus_months(self, day: str, months: int) -> str:
        return self.d["plus_months"].format(day, months, months + 1)

    def rows(self, sql: str, **params: Any) -> list[tuple]:
        return [tuple(row) for row in self.session.execute(text(sql), params).all()]


def _params(filters: Any, today: date, **extra: Any) -> dict[str, Any]:
    return {"start": filters.start.isoformat() if filters.start else None,
            "end": filters.end.isoformat() if filters.end else None,
            "channel": filters.channel, "loan_type": filters.loan_type, "cause": filters.cause,
            "today": today.isoformat(), **extra}


PERIOD = "(:start IS NULL OR {0} >= :start) AND (:end IS NULL OR {0} <= :end)"
CHOSEN = ("(:channel IS NULL OR {0}.channel = :channel) AND (:loan_type IS NULL OR {0}.loan_type = :loan_type) "
          "AND (:cause IS NULL OR {0}.cause = :cause)")


def _arrangements(q: Sql) -> str:
    """Each arrangement described by its first solution_accepted."""
    seg = lambda name: q.json("a.data", "segment", name)  # noqa: E731
    return f"""
      SELECT a.arrangement_id, a.customer_id, {q.day('a.at')} AS accepted_on,
             coalesce({seg('channel')}, a.channel) AS channel, {seg('loan_type')} AS loan_type, {seg('cause')} AS cause
      FROM outcome_events a
      WHERE a.kind = 'solution_accepted' AND a.arrangement_id IS NOT NULL
        AND a.id = (SELECT min(b.id) FROM outcome_events b
                    WHERE b.kind = 'solution_accepted' AND b.arrangement_id = a.arrangement_id)"""


def _cases(q: Sql) -> str:
    """Each case: the channel of its conversation events, loan type from any segment, cause of the
    last cause_recorded."""
    return f"""
      SELECT k.case_id,
        (SELECT min(e.channel) FROM outcome_events e WHERE e.case_id = k.case_id
         AND e.kind IN ('conversation_started', 'verified', 'cause_recorded', 'solution_offered',
                        'solution_accepted', 'solution_declined', 'handed_over')) AS channel,
        (SELECT max(e.customer_id) FROM outcome_events e WHERE e.case_id = k.case_id) AS customer_id,
        (SELECT max({q.json('e.data', 'segment', 'loan_type')}) FROM outcome_events e WHERE e.case_id = k.case_id)
          AS loan_type,
        coalesce((SELECT e.reason FROM outcome_events e WHERE e.case_id = k.case_id AND e.kind = 'cause_recorded'
                  ORDER BY e.id DESC LIMIT 1),
                 (SELECT max({q.json('e.data', 'segment', 'cause')}) FROM outcome_events e
                  WHERE e.case_id = k.case_id)) AS cause
      FROM (SELECT DISTINCT case_id FROM outcome_events WHERE case_id IS NOT NULL) k"""


def adherence(session: Session, filters: Any, today: date, grace: int) -> dict[str, tuple[int, int]]:
    """month -> (kept, due)"""
    q = Sql(session)
    due_on = q.json("i.data", "due_on")
    rows = q.rows(f"""
      WITH arr AS ({_arrangements(q)}),
      inst AS (
        SELECT DISTINCT i.instalment_id, i.arrangement_id, {due_on} AS due_on
        FROM outcome_events i WHERE i.kind = 'instalment_due' AND i.instalment_id IS NOT NULL)
      SELECT substr(inst.due_on, 1, 7),
             sum(CASE WHEN EXISTS (SELECT 1 FROM outcome_events p WHERE p.kind = 'instalment_paid'
                                   AND p.instalment_id = inst.instalment_id
                                   AND CAST({q.json('p.data', 'days_late')} AS INTEGER) <= :grace)
                      THEN 1 ELSE 0 END),
             count(*)
      FROM inst JOIN arr ON arr.arrangement_id = inst.arrangement_id
      WHERE inst.due_on < :settled_before
        AND {PERIOD.format('inst.due_on')} AND {CHOSEN.format('arr')}
      GROUP BY substr(inst.due_on, 1, 7)""",
        **_params(filters, today, grace=grace, settled_before=_minus_days(today, grace)))
    return {month: (int(kept), int(due)) for month, kept, due in rows}


def _minus_days(day: date, days: int) -> str:
    # due_on + grace < today  <=>  due_on < today - grace
    return (day - timedelta(days=days)).isoformat()


def relapse(session: Session, filters: Any, today: date, windows: tuple[int, ...]) -> dict[str, tuple]:
    """cohort -> (ended, {window: relapsed}, {window: complete})"""
    q = Sql(session)
    flags = ", ".join(
        f"sum(CASE WHEN r.first_relapse IS NOT NULL AND r.first_relapse <= {q.plus_months('r.ended_on', n)} "
        f"THEN 1 ELSE 0 END), "
        f"max(CASE WHEN :today > {q.plus_months(q.d['month_end'].format('substr(r.ended_on, 1, 7)'), n)} "
        f"THEN 1 ELSE 0 END)" for n in windows)
    rows = q.rows(f"""
      WITH arr AS ({_arrangements(q)}),
      ended AS (
        SELECT e.arrangement_id, min({q.day('e.at')}) AS ended_on
        FROM outcome_events e WHERE e.kind = 'arrangement_ended' AND e.arrangement_id IS NOT NULL
        GROUP BY e.arrangement_id),
      r AS (
        SELECT ended.arrangement_id, ended.ended_on,
          (SELECT min({q.day('x.at')}) FROM outcome_events x WHERE x.kind = 'arrears_again'
             AND x.arrangement_id = ended.arrangement_id AND {q.day('x.at')} >= ended.ended_on) AS first_relapse
        FROM ended JOIN arr ON arr.arrangement_id = ended.arrangement_id
        WHERE {PERIOD.format('ended.ended_on')} AND {CHOSEN.format('arr')})
      SELECT substr(r.ended_on, 1, 7), count(*), {flags}
      FROM r GROUP BY substr(r.ended_on, 1, 7)""", **_params(filters, today))
    result = {}
    for row in rows:
        values = row[2:]
        result[row[0]] = (int(row[1]), {n: int(values[2 * i]) for i, n in enumerate(windows)},
                          {n: bool(values[2 * i + 1]) for i, n in enumerate(windows)})
    return result


def cure(session: Session, filters: Any, today: date, months: int) -> dict[str, tuple[int, int]]:
    """acceptance month -> (cured, eligible)"""
    q = Sql(session)
    window_end = q.plus_months("arr.accepted_on", months)
    rows = q.rows(f"""
      WITH arr AS ({_arrangements(q)})
      SELECT substr(arr.accepted_on, 1, 7),
        sum(CASE WHEN NOT EXISTS (
                   SELECT 1 FROM outcome_events x WHERE x.kind = 'arrears_again' AND x.customer_id = arr.customer_id
                     AND {q.day('x.at')} > arr.accepted_on AND {q.day('x.at')} <= {window_end})
                  AND NOT EXISTS (
                   SELECT 1 FROM outcome_events b WHERE b.kind = 'arrangement_ended' AND b.reason = 'broken'
                     AND b.arrangement_id = arr.arrangement_id AND {q.day('b.at')} <= {window_end})
                 THEN 1 ELSE 0 END),
        count(*)
      FROM arr
      WHERE :today > {window_end} AND {PERIOD.format('arr.accepted_on')} AND {CHOSEN.format('arr')}
      GROUP BY substr(arr.accepted_on, 1, 7)""", **_params(filters, today))
    return {month: (int(cured), int(count)) for month, cured, count in rows}


def satisfaction(session: Session, filters: Any, today: date) -> dict[str, tuple[int, int, int, tuple[int, ...]]]:
    """month -> (asked, answered, score sum, answers per score 1..5)"""
    q = Sql(session)
    rows = q.rows(f"""
      WITH c AS ({_cases(q)}),
      asked AS (
        SELECT e.case_id, e.kind, min({q.day('e.at')}) AS asked_on
        FROM outcome_events e WHERE e.kind IN ('solution_accepted', 'handed_over') AND e.case_id IS NOT NULL
        GROUP BY e.case_id, e.kind),
      answered AS (
        SELECT asked.case_id, asked.asked_on,
          (SELECT a.value FROM outcome_events a
           WHERE a.kind = 'satisfaction_answered' AND a.case_id = asked.case_id AND a.value BETWEEN 1 AND 5
             AND a.reason = CASE asked.kind WHEN 'solution_accepted' THEN 'after_solution' ELSE 'after_handover' END
           ORDER BY a.id LIMIT 1) AS score
        FROM asked JOIN c ON c.case_id = asked.case_id
        WHERE {PERIOD.format('asked.asked_on')} AND {CHOSEN.format('c')})
      SELECT substr(asked_on, 1, 7), count(*), count(score), coalesce(sum(score), 0),
             sum(CASE WHEN score = 1 THEN 1 ELSE 0 END), sum(CASE WHEN score = 2 THEN 1 ELSE 0 END),
             sum(CASE WHEN score = 3 THEN 1 ELSE 0 END), sum(CASE WHEN score = 4 THEN 1 ELSE 0 END),
             sum(CASE WHEN score = 5 THEN 1 ELSE 0 END)
      FROM answered GROUP BY substr(asked_on, 1, 7)""", **_params(filters, today))
    return {row[0]: (int(row[1]), int(row[2]), int(row[3]), tuple(int(v) for v in row[4:])) for row in rows}


def time_to_solution(session: Session, filters: Any, today: date) -> tuple[int, float | None, float | None]:
    """(count, median, 90th percentile by nearest rank), in whole seconds"""
    q = Sql(session)
    rows = q.rows(f"""
      WITH c AS ({_cases(q)}),
      solved AS (
        SELECT s.case_id, min(s.at) AS solved_at FROM outcome_events s
        WHERE s.kind = 'solution_accepted' AND s.case_id IS NOT NULL GROUP BY s.case_id),
      spans AS (
        SELECT {q.d['seconds'].format(
            "(SELECT min(b.at) FROM outcome_events b WHERE b.case_id = solved.case_id "
            "AND b.kind IN ('conversation_started', 'verified') AND b.at <= solved.solved_at)", 'solved.solved_at')}
          AS seconds
        FROM solved JOIN c ON c.case_id = solved.case_id
        WHERE EXISTS (SELECT 1 FROM outcome_events b WHERE b.case_id = solved.case_id
                      AND b.kind IN ('conversation_started', 'verified') AND b.at <= solved.solved_at)
          AND {PERIOD.format(q.day('solved.solved_at'))} AND {CHOSEN.format('c')}),
      ranked AS (
        SELECT seconds, ROW_NUMBER() OVER (ORDER BY seconds) AS rn, COUNT(*) OVER () AS n FROM spans)
      SELECT (SELECT count(*) FROM spans),
             (SELECT avg(seconds * 1.0) FROM ranked WHERE rn IN ((n + 1) / 2, (n + 2) / 2)),
             (SELECT seconds FROM ranked WHERE rn = (9 * n + 9) / 10)""", **_params(filters, today))
    count, median, p90 = rows[0]
    return int(count), (float(median) if median is not None else None), (float(p90) if p90 is not None else None)


def handovers(session: Session, filters: Any, today: date) -> tuple[int, int, dict[str, int]]:
    """(handed over, cases, reason -> handovers)"""
    q = Sql(session)
    rows = q.rows(f"""
      WITH c AS ({_cases(q)}),
      started AS (
        SELECT s.case_id FROM outcome_events s WHERE s.kind = 'conversation_started' AND s.case_id IS NOT NULL
        GROUP BY s.case_id HAVING {PERIOD.format(f"min({q.day('s.at')})")}),
      chosen AS (
        SELECT started.case_id,
          (SELECT coalesce(h.reason, 'unknown') FROM outcome_events h WHERE h.kind = 'handed_over'
           AND h.case_id = started.case_id ORDER BY h.id LIMIT 1) AS reason,
          EXISTS (SELECT 1 FROM outcome_events h WHERE h.kind = 'handed_over' AND h.case_id = started.case_id)
            AS handed
        FROM started JOIN c ON c.case_id = started.case_id WHERE {CHOSEN.format('c')})
      SELECT CASE WHEN handed THEN reason END, count(*) FROM chosen GROUP BY CASE WHEN handed THEN reason END""",
        **_params(filters, today))
    reasons = {reason: int(n) for reason, n in rows if reason is not None}
    return sum(reasons.values()), sum(int(n) for _, n in rows), reasons


def preventive(session: Session, filters: Any, today: date, kinds: tuple[str, ...]) -> tuple[int, int, int]:
    q = Sql(session)
    kind_list = ", ".join(f"'{kind}'" for kind in kinds)
    rows = q.rows(f"""
      WITH signalled AS (
        SELECT s.customer_id, min({q.day('s.at')}) AS signalled_on FROM outcome_events s
        WHERE s.kind = 'risk_signalled' AND s.customer_id IS NOT NULL AND {PERIOD.format(q.day('s.at'))}
        GROUP BY s.customer_id),
      reached AS (
        SELECT signalled.customer_id,
          (SELECT min({q.day('c.at')}) FROM outcome_events c WHERE c.kind = 'contacted'
           AND c.customer_id = signalled.customer_id AND {q.json('c.data', 'kind')} IN ({kind_list})
           AND {q.day('c.at')} >= signalled.signalled_on) AS contacted_on
        FROM signalled)
      SELECT count(*), count(contacted_on),
        coalesce(sum(CASE WHEN contacted_on IS NOT NULL AND EXISTS (
          SELECT 1 FROM outcome_events a WHERE a.kind = 'solution_accepted' AND a.customer_id = reached.customer_id
          AND {q.day('a.at')} >= reached.contacted_on) THEN 1 ELSE 0 END), 0)
      FROM reached""", **_params(filters, today))
    return tuple(int(v) for v in rows[0])
