"""When a message may go: Dutch public holidays (computed, not a list), Sundays and quiet hours,
in Europe/Amsterdam local time; every moment handed in or out is an aware datetime in UTC.

Local times are turned into UTC through the time zone database, so the last Sundays of March
(23 hours) and October (25 hours) shift nothing: 09:00 is 09:00 on both.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from functools import lru_cache

from bot.clock import AMSTERDAM
from bot.followup.policy import Policy


def easter(year: int) -> date:
    """Easter Sunday: the anonymous Gregorian algorithm (Meeus/Jones/Butcher)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    ell = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * ell) // 451
    month, day = divmod(h + ell - 7 * m + 114, 31)
    return date(year, month, day + 1)


def kings_day(year: int) -> date:
    """27 April, or the 26th when the 27th is a Sunday."""
    day = date(year, 4, 27)
    return day - timedelta(days=1) if day.weekday() == 6 else day


@lru_cache(maxsize=256)
def holidays(year: int, good_friday: bool = True, liberation_day: str = "lustrum") -> dict[date, str]:
    """The Dutch public holidays of a year, date -> name."""
    e = easter(year)
    found = {
        date(year, 1, 1): "Nieuwjaarsdag",
        e: "1e Paasdag",
        e + timedelta(days=1): "2e Paasdag",
        kings_day(year): "Koningsdag",
        e + timedelta(days=39): "Hemelvaartsdag",
        e + timedelta(days=49): "1e Pinksterdag",
        e + timedelta(days=50): "2e Pinksterdag",
        date(year, 12, 25): "1e Kerstdag",
        date(year, 12, 26): "2e Kerstdag",
    }
    if good_friday:
        found[e - timedelta(days=2)] = "Goede Vrijdag"
    if liberation_day == "every_year" or (liberation_day == "lustrum" and year % 5 == 0):
        found[date(year, 5, 5)] = "Bevrijdingsdag"
    return found


def holiday_name(day: date, policy: Policy) -> str | None:
    return holidays(day.year, policy.good_friday, policy.liberation_day).get(day)


def local(moment: datetime) -> datetime:
    return moment.astimezone(AMSTERDAM)


def at_local(day: date, clock_time: time) -> datetime:
    """`day` at `clock_time` in the Netherlands, as UTC. A time that does not exist (in the hour
    skipped in March) lands just after the jump; one that exists twice (October) is the first."""
    # fold=0: in the skipped hour zoneinfo applies the winter offset, so 02:30 becomes 03:30 CEST.
    return datetime.combine(day, clock_time).replace(tzinfo=AMSTERDAM, fold=0).astimezone(timezone.utc)


def start_of_day(day: date) -> datetime:
    return at_local(day, time(0, 0))


def day_closed(day: date, policy: Policy) -> bool:
    """True on a day nothing goes out at all (a Sunday or a public holiday, as configured)."""
    return (policy.no_sundays and day.weekday() == 6) or (policy.no_holidays and holiday_name(day, policy) is not None)


def in_quiet_time(clock_time: time, policy: Policy) -> bool:
    start, end = policy.quiet_start, policy.quiet_end
    if start > end:  # over midnight, like 20:00-07:00
        return clock_time >= start or clock_time < end
    return start <= clock_time < end


def allowed(moment: datetime, policy: Policy) -> bool:
    """May an unprompted message go at this moment?"""
    here = local(moment)
    return not day_closed(here.date(), policy) and not in_quiet_time(here.time(), policy)


def next_allowed(moment: datetime, policy: Policy) -> datetime:
    """`moment` itself when a message may go then, else the first moment after it that may (UTC)."""
    moment = moment.astimezone(timezone.utc)
    for _ in range(400):  # a year of closed days cannot happen; this only guards a broken policy
        if allowed(moment, policy):
            return moment
        here = local(moment)
        day = here.date()
        if day_closed(day, policy):
            moment = at_local(day + timedelta(days=1), time(0, 0))
            continue
        start, end = policy.quiet_start, policy.quiet_end
        clock_time = here.time()
        if start > end:
            # In the evening part the quiet ends tomorrow morning, in the early part this morning.
            moment = at_local(day + timedelta(days=1) if clock_time >= start else day, end)
        else:
            moment = at_local(day, end)
    raise ValueError("the policy allows no moment at all: check quiet_hours")


@lru_cache(maxsize=4096)
def planned_moment(day: date, policy: Policy, clock_time: time | None = None) -> datetime:
    """The policy's moment for a message meant for `day` (at send_time), moved forward out of
    quiet hours, Sundays and holidays."""
    return next_allowed(at_local(day, clock_time or policy.send_time), policy)


def local_today(moment: datetime) -> date:
    return local(moment).date()
