"""Whether staff are at work now, and when they are next (office_hours.yml)."""
from __future__ import annotations

from datetime import datetime, time, timedelta
from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

import yaml

HOURS_FILE = Path(__file__).with_name("office_hours.yml")


@lru_cache(maxsize=1)
def _hours() -> dict:
    raw = yaml.safe_load(HOURS_FILE.read_text(encoding="utf-8"))
    return {"zone": ZoneInfo(raw["timezone"]), "days": set(raw["days"]),
            "opens": time.fromisoformat(raw["opens"]), "closes": time.fromisoformat(raw["closes"])}


def within_office_hours(now: datetime) -> bool:
    hours = _hours()
    local = now.astimezone(hours["zone"])
    return local.weekday() in hours["days"] and hours["opens"] <= local.time() < hours["closes"]


def next_opening(now: datetime) -> datetime:
    """The next moment staff start work, in local time (now itself when they are at work)."""
    hours = _hours()
    local = now.astimezone(hours["zone"])
    if within_office_hours(now):
        return local
    day = local.date() if local.time() < hours["opens"] else local.date() + timedelta(days=1)
    while day.weekday() not in hours["days"]:
        day += timedelta(days=1)
    return datetime.combine(day, hours["opens"], tzinfo=hours["zone"])
