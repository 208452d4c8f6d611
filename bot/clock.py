"""One clock for the whole system, stored in UTC and shown in Europe/Amsterdam.

Tests and simulators replace it with `set_clock` so months can pass in seconds.
"""
from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Callable
from zoneinfo import ZoneInfo

AMSTERDAM = ZoneInfo("Europe/Amsterdam")

_clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc)  # noqa: E731


def set_clock(clock: Callable[[], datetime] | None) -> None:
    global _clock
    _clock = clock or (lambda: datetime.now(timezone.utc))


def utcnow() -> datetime:
    return _clock().astimezone(timezone.utc)


def today() -> date:
    """The date in the Netherlands, which is what a customer means by 'today'."""
    return utcnow().astimezone(AMSTERDAM).date()


def as_utc(moment: datetime | None) -> datetime | None:
    """A stored moment as an aware UTC datetime: SQLite hands timezone-aware columns back naive,
    and every time we store is UTC."""
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=timezone.utc)
