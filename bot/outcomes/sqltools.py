"""The few SQL pieces the KPI queries need that SQLite and PostgreSQL spell differently.

Every date the KPIs reason about is a UTC calendar date as ISO text ('2026-11-22'): the same
text on both databases, compared as text, cut into year, month and day with substr. Month
arithmetic is done on those parts, so both databases agree to the day (see `within_months`).
"""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Float, Integer, String, and_, cast, func, or_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class utc_date(FunctionElement):  # noqa: N801 - reads like the SQL function it renders
    """The UTC calendar date of a timestamp column, as 'YYYY-MM-DD' text."""

    type = String()
    name = "utc_date"
    inherit_cache = True


@compiles(utc_date, "sqlite")
def _utc_date_sqlite(element: utc_date, compiler: Any, **kw: Any) -> str:
    # SQLite keeps DateTime columns as 'YYYY-MM-DD HH:MM:SS.ffffff' text in UTC.
    return f"strftime('%Y-%m-%d', {compiler.process(element.clauses, **kw)})"


@compiles(utc_date, "postgresql")
def _utc_date_postgresql(element: utc_date, compiler: Any, **kw: Any) -> str:
    return f"to_char(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC', 'YYYY-MM-DD')"


@compiles(utc_date)
def _utc_date_other(element: utc_date, compiler: Any, **kw: Any) -> str:
    raise NotImplementedError(f"outcome KPIs support SQLite and PostgreSQL, not {compiler.dialect.name}")


class unindexed(FunctionElement):  # noqa: N801
    """A column the database must not look up by index here. SQLite has no statistics unless
    someone runs ANALYZE, and then may pick the index on `kind` (16 values) over the one on
    `arrangement_id` or `customer_id` for a lookup that names both, turning a join into a scan
    per row. The unary plus is SQLite's documented way to rule an index out; PostgreSQL plans
    with its own statistics and gets the plain column."""

    name = "unindexed"
    inherit_cache = True

    def __init__(self, column: Any) -> None:
        super().__init__(column)
        self.type = column.type


@compiles(unindexed, "sqlite")
def _unindexed_sqlite(element: unindexed, compiler: Any, **kw: Any) -> str:
    return f"+{compiler.process(element.clauses, **kw)}"


@compiles(unindexed)
def _unindexed_other(element: unindexed, compiler: Any, **kw: Any) -> str:
    return compiler.process(element.clauses, **kw)


class seconds_between(FunctionElement):  # noqa: N801
    """Seconds from the first timestamp to the second, as a number (no datetime parsing)."""

    type = Float()
    name = "seconds_between"
    inherit_cache = True


@compiles(seconds_between, "sqlite")
def _seconds_sqlite(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


@compiles(seconds_between, "postgresql")
def _seconds_postgresql(element: seconds_between, compiler: Any, **kw: Any) -> str:
    start, end = (compiler.process(clause, **kw) for clause in element.clauses)
    return f"extract(epoch FROM ({end}) - ({start}))"


def month_of(day: Any) -> Any:
    """'2026-11' from '2026-11-22'."""
    return func.substr(day, 1, 7)


def _month_index(day: Any) -> Any:
    return cast(func.substr(day, 1, 4), Integer) * 12 + cast(func.substr(day, 6, 2), Integer)


def _day_of_month(day: Any) -> Any:
    return cast(func.substr(day, 9, 2), Integer)


def within_months(day: Any, start: Any, months: int) -> Any:
    """True when `day` (not before `start`) is on or before `start` plus `months` calendar
    months, clipped to the end of the month as dateutil does (31 Jan + 1 month = 28 Feb).

    Why this is exact: with d = month difference, the day is inside when d < months, outside
    when d > months, and when d == months inside exactly when its day of month is at most the
    start's day of month (clipping never matters: a day always fits in its own month)."""
    difference = _month_index(day) - _month_index(start)
    return or_(difference < months, and_(difference == months, _day_of_month(day) <= _day_of_month(start)))


def iso(day: date) -> str:
    return day.isoformat()
