"""Whether staff are at work now, and when they are next (office_hours.yml).

Public holidays come from the follow-up engine's calendar (bot/followup/calendar.py), so the
bot never promises a person on Christmas Day or counts Easter Monday as open, and one holiday
list serves both.
"""
from __future__ import annotations

from datetime import date, datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

from bot.followup.calendar import holidays

HOURS_FILE = Path(__file__).with_name("office_hours.yml")
LIBERATION_DAY = ("every_year", "lustrum", "never")


@lru_cache(maxsize=1)
def _hours() -> dict:
    raw = yaml.safe_load(HOURS_FILE.read_text(encoding="utf-8"))
    liberation = str(raw.get("liberation_day", "lustrum"))
    if liberation not in LIBERATION_DAY:
        raise ValueError(f"office_hours.yml: liberation_day is one of {', '.join(LIBERATION_DAY)}")
    return {"zone": ZoneInfo(raw["timezone"]), "days": set(raw["days"]),
            "opens": time.fromisoformat(raw["opens"]), "closes": time.fromisoformat(raw["closes"]),
            "holidays": bool(raw.get("closed_on_holidays", True)), "good_friday": bool(raw.get("good_friday", False)),
            "liberation_day": liberation}


def holiday_name(day: date) -> str | None:
    """The public holiday staff are off on this day, if any."""
    hours = _hours()
    if not hours["holidays"]:
        return None
    return holidays(day.year, hours["good_friday"], hours["liberation_day"]).get(day)


def open_on(day: date) -> bool:
    return day.weekday() in _hours()["days"] and holiday_name(day) is None


def within_office_hours(now: datetime) -> bool:
    hours = _hours()
    local = now.astimezone(hours["zone"])
    return open_on(local.date()) and hours["opens"] <= local.time() < hours["closes"]


def next_opening(now: datetime) -> datetime:
    """The next moment staff start work, in local time (now itself when they are at work)."""
    hours = _hours()
    local = now.astimezone(hours["zone"])
    if within_office_hours(now):
        return local
    day = local.date() if local.time() < hours["opens"] else local.date() + timedelta(days=1)
    for _ in range(60):  # a closed stretch this long is a broken file, not a calendar
        if open_on(day):
            return datetime.combine(day, hours["opens"], tzinfo=hours["zone"])
        day += timedelta(days=1)
    raise ValueError("office_hours.yml: no opening within 60 days")
