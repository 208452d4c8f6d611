"""The group-outcome monitor (issue 11): does any group of customers do worse than the whole?

Adherence, relapse and satisfaction are sliced by channel, age band, cause and vulnerability
signal (kpis.yml: monitor.dimensions). A group with at least `min_customers` distinct customers
that does worse than the whole by more than the metric's margin raises an alert, shown on the
dashboard and written to the log (group labels and rates only, never a person).

Groups smaller than the minimum are shown as "te klein" without any figure. So that a small
group's figures cannot be worked out from the whole minus the other groups, more groups of the
same slicing are hidden (smallest first) until the hidden customers together reach the minimum.

The monitor compares within the dashboard's period over all channels, loan types and causes:
"the whole" is everyone in the period.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import func, literal, select
from sqlalchemy.orm import Session

from bot import clock
from bot.outcomes import kpis, subjects
from bot.outcomes.figures import DIMENSIONS, Filters, KpiConfig

log = logging.getLogger(__name__)

METRICS = {  # name -> (Dutch label, the direction that is worse)
    "adherence": ("Regeling nagekomen", "lower"),
    "relapse": ("Terugval", "higher"),
    "satisfaction": ("Tevredenheid", "lower"),
}
SHOWN, TOO_SMALL, HIDDEN = "shown", "too_small", "hidden"
# Alerts already logged today in this process: a page view does not repeat a log line.
_logged: set[tuple[Any, ...]] = set()


@dataclass(frozen=True)
class Group:
    dimension: str
    value: str | None         # None: not known for these customers ("Onbekend")
    status: str               # shown | too_small | hidden
    customers: int | None     # only when shown
    figure: float | None      # rate (adherence, relapse) or mean score (satisfaction); only when shown
    alert: bool


@dataclass(frozen=True)
class MetricGroups:
    metric: str
    whole: float | None
    whole_customers: int
    comparable: bool          # the whole itself has enough customers
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class Alert:
    metric: str
    dimension: str
    value: str
    figure: float | None      # None when the group's figures are hidden (see module doc)
    whole: float
    margin: float
    customers: int | None


@dataclass(frozen=True)
class MonitorResult:
    filters: Filters
    min_customers: int
    relapse_window: int
    metrics: tuple[MetricGroups, ...]
    alerts: tuple[Alert, ...]


def normalise(dimension: str, value: Any) -> str | None:
    """One spelling per group on both databases (SQLite gives 1/0 for JSON true/false)."""
    if value is None:
        return None
    if dimension == "vulnerable":
        return "true" if str(value).lower() in ("1", "true") else "false"
    return str(value)


# -- the rows: (dimension values, person, numerator, denominator) per counted subject ------------
# Arrangements are described once (their solution_accepted segment) and joined to their
# per-arrangement figures here, by id: one reading of the segments for both metrics.
def _described_arrangements(session: Session, filters: Filters) -> dict[int, tuple]:
    subject = subjects.arrangements(filters, described=True)
    return {row[0]: tuple(row[1:]) for row in session.execute(
        select(subject.c.arrangement_id, *subjects.dimension_columns(subject), subject.c.customer_id))}


def _adherence_rows(session: Session, config: KpiConfig, filters: Filters, today: date,
                    described: dict[int, tuple]) -> list[tuple]:
    facts = subjects.instalment_facts(config, filters, today)
    per_arrangement = session.execute(select(facts.c.arrangement_id, func.sum(facts.c.kept), func.count())
                                      .group_by(facts.c.arrangement_id))
    return [(*described[arrangement], kept, due) for arrangement, kept, due in per_arrangement
            if arrangement in described]


def _relapse_rows(session: Session, config: KpiConfig, filters: Filters, today: date,
                  described: dict[int, tuple]) -> list[tuple]:
    months = config.monitor_relapse_window
    facts = subjects.ended_facts(config, filters, today)
    # Not filtered in SQL: PostgreSQL cannot estimate a condition on computed dates and then
    # plans nested loops that take seconds; a few thousand rows are filtered here instead.
    ended = session.execute(select(facts.c.arrangement_id, facts.c[f"relapsed_{months}"],
                                   facts.c[f"elapsed_{months}"]))
    return [(*described[arrangement], relapsed, 1) for arrangement, relapsed, elapsed in ended
            if elapsed and arrangement in described]


def _satisfaction_rows(session: Session, config: KpiConfig, filters: Filters, today: date,
                       described: dict[int, tuple]) -> list[tuple]:
    facts = subjects.satisfaction_facts(filters, described=True)
    return session.execute(select(*subjects.dimension_columns(facts), facts.c.person, facts.c.value, literal(1))
                           .where(facts.c.value.isnot(None))).all()


ROWS = {"adherence": _adherence_rows, "relapse": _relapse_rows, "satisfaction": _satisfaction_rows}


# -- groups ----------------------------------------------------------------------------------------
@dataclass
class _Tally:
    numerator: int = 0
    denominator: int = 0
    people: set | None = None

    @property
    def figure(self) -> float | None:
        return self.numerator / self.denominator if self.denominator else None

    @property
    def customers(self) -> int:
        return len(self.people or ())


def _tallies(rows: list[tuple], dimensions: tuple[str, ...]) -> tuple[_Tally, dict[str, dict[str | None, _Tally]]]:
    """The whole and every group of every slicing. Rows are first summed per combination of
    dimension values, so the per-dimension work is per combination, not per row."""
    width = len(DIMENSIONS)
    combinations: dict[tuple, list] = {}
    for row in rows:
        key = row[:width]
        entry = combinations.get(key)
        if entry is None:
            entry = combinations[key] = [0, 0, set()]
        entry[0] += int(row[width + 1] or 0)
        entry[1] += int(row[width + 2] or 0)
        entry[2].add(row[width])
    whole = _Tally(people=set())
    tallies: dict[str, dict[str | None, _Tally]] = {d: {} for d in dimensions}
    positions = {name: i for i, name in enumerate(DIMENSIONS)}
    for key, (numerator, denominator, people) in combinations.items():
        whole.numerator += numerator
        whole.denominator += denominator
        whole.people |= people
        for dimension in dimensions:
            value = normalise(dimension, key[positions[dimension]])
            tally = tallies[dimension].get(value)
            if tally is None:
                tally = tallies[dimension][value] = _Tally(people=set())
            tally.numerator += numerator
            tally.denominator += denominator
            tally.people |= people
    return whole, tallies


def _worse(metric: str, figure: float, whole: float, margin: float) -> bool:
    direction = METRICS[metric][1]
    return figure > whole + margin if direction == "higher" else figure < whole - margin


def _slice(metric: str, dimension: str, tallies: dict[str | None, _Tally], whole: _Tally, config: KpiConfig,
           comparable: bool) -> list[Group]:
    minimum, margin = config.min_customers, config.margins[metric]
    small = {value for value, tally in tallies.items() if tally.customers < minimum}
    hidden: set[str | None] = set()
    hidden_customers = sum(tallies[value].customers for value in small)
    # Secondary suppression: never leave one small group recoverable as "whole minus the rest".
    for value in sorted((v for v in tallies if v not in small), key=lambda v: (tallies[v].customers, str(v))):
        if not small or hidden_customers >= minimum:
            break
        hidden.add(value)
        hidden_customers += tallies[value].customers
    groups = []
    for value in sorted(tallies, key=lambda v: (v is None, str(v))):
        tally = tallies[value]
        status = TOO_SMALL if value in small else HIDDEN if value in hidden else SHOWN
        alert = (comparable and value is not None and status != TOO_SMALL and tally.figure is not None
                 and whole.figure is not None and _worse(metric, tally.figure, whole.figure, margin))
        shown = status == SHOWN
        groups.append(Group(dimension, value, status, tally.customers if shown else None,
                            tally.figure if shown else None, alert))
    return groups


def evaluate(session: Session, filters: Filters | None = None, *, config: KpiConfig | None = None,
             today: date | None = None, write_log: bool = True) -> MonitorResult:
    config = config or kpis.load_config()
    filters = (filters or Filters()).period_only()
    today = today or clock.today()
    kpis.tune(session)
    described = _described_arrangements(session, filters)
    metrics, alerts = [], []
    for metric, rows_of in ROWS.items():
        whole, tallies = _tallies(rows_of(session, config, filters, today, described), config.dimensions)
        comparable = whole.customers >= config.min_customers and whole.figure is not None
        groups: list[Group] = []
        for dimension in config.dimensions:
            groups += _slice(metric, dimension, tallies[dimension], whole, config, comparable)
        metrics.append(MetricGroups(metric, whole.figure if comparable else None, whole.customers, comparable,
                                    tuple(groups)))
        for group in groups:
            if group.alert:
                alerts.append(Alert(metric, group.dimension, str(group.value), group.figure, whole.figure,
                                    config.margins[metric], group.customers))
    result = MonitorResult(filters, config.min_customers, config.monitor_relapse_window, tuple(metrics), tuple(alerts))
    if write_log:
        _log(result, today)
    return result


def _log(result: MonitorResult, today: date) -> None:
    period = (result.filters.start, result.filters.end)
    for alert in result.alerts:
        key = (today, period, alert.metric, alert.dimension, alert.value)
        if key in _logged:
            continue
        _logged.add(key)
        if alert.figure is None:
            log.warning("outcome monitor alert: %s worse for %s=%s than for all customers by more than %s "
                        "(figures hidden to protect a smaller group)", alert.metric, alert.dimension, alert.value,
                        alert.margin)
        else:
            log.warning("outcome monitor alert: %s for %s=%s is %.3f against %.3f for all customers "
                        "(margin %s, %d customers in the group)", alert.metric, alert.dimension, alert.value,
                        alert.figure, alert.whole, alert.margin, alert.customers)
