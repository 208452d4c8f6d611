"""Values written the way a Dutch reader expects them in a message."""
from __future__ import annotations

from datetime import date, datetime

from bot.money import format_euro

MONTHS_NL = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september",
             "oktober", "november", "december")


def format_date_nl(day: date | str | None) -> str | None:
    if day is None:
        return None
    if isinstance(day, str):
        day = date.fromisoformat(day)
    return f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}"


def euros(amount: int | None) -> str | None:
    """Whole euros from the policy engine, written as "€ 1.150"."""
    return None if amount is None else format_euro(amount * 100)


WEEKDAYS_NL = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")


def format_moment_nl(moment: datetime) -> str:
    """"maandag 23 november om 9:00", in the moment's own (local) time."""
    return f"{WEEKDAYS_NL[moment.weekday()]} {format_date_nl(moment.date()).rsplit(' ', 1)[0]} om {moment:%-H:%M}"
