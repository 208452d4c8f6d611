from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing import parse_birth_date

TODAY = date(2025, 6, 1)

MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli",
          "augustus", "september", "oktober", "november", "december"]
ABBREVIATIONS = ["jan", "feb", "mrt", "apr", "mei", "jun", "jul", "aug",
                 "sep", "okt", "nov", "dec"]
UNITS = ["een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen"]
TEENS = ["tien", "elf", "twaalf", "dertien", "veertien", "vijftien", "zestien",
         "zeventien", "achttien", "negentien"]


def dutch_day(n: int) -> str:
    # Written the official way, with the diaeresis ("tweeëntwintig").
    if n < 10:
        return UNITS[n - 1]
    if n < 20:
        return TEENS[n - 10]
    tens = "twintig" if n < 30 else "dertig"
    if n % 10 == 0:
        return tens
    unit = UNITS[n % 10 - 1]
    joiner = "\u00ebn" if unit.endswith("e") else "en"
    return unit + joiner + tens


FORMATS = [
    lambda d: f"{d.day:02d}-{d.month:02d}-{d.year}",
    lambda d: f"{d.day}-{d.month}-{d.year}",
    lambda d: f"{d.day}/{d.month}/{d.year % 100:02d}",
    lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    lambda d: f"{d.day:02d}.{d.month:02d}.{d.year}",
    lambda d: f"{d.day}.{d.month}.{d.year % 100:02d}",
    lambda d: f"{d.day} {MONTHS[d.month - 1]} {d.year}",
    lambda d: f"{d.day} {MONTHS[d.month - 1].capitalize()} {d.year}",
    lambda d: f"{d.day} {ABBREVIATIONS[d.month - 1]} {d.year}",
    lambda d: f"{d.day} {ABBREVIATIONS[d.month - 1]}. '{d.year % 100:02d}",
    lambda d: f"{dutch_day(d.day)} {MONTHS[d.month - 1]} {d.year}",
    lambda d: d.isoformat(),
    lambda d: f"geboren op {d.day} {MONTHS[d.month - 1]} {d.year}",
    lambda d: f"mijn geboortedatum is {d.day:02d}-{d.month:02d}-{d.year}.",
    lambda d: f"{d.day:02d}{d.month:02d}{d.year}",
]


@pytest.mark.parametrize("text, expected", [
    ("12-04-1988", date(1988, 4, 12)),
    ("12-4-1988", date(1988, 4, 12)),
    ("12/4/88", date(1988, 4, 12)),
    ("12.04.1988", date(1988, 4, 12)),
    ("12 april 1988", date(1988, 4, 12)),
    ("12 apr 1988", date(1988, 4, 12)),
    ("12 Apr. 1988", date(1988, 4, 12)),
    ("twaalf april 1988", date(1988, 4, 12)),
    ("1988-04-12", date(1988, 4, 12)),
    ("geboren op 3 november 1979", date(1979, 11, 3)),
    ("3 nov. '79", date(1979, 11, 3)),
    ("3 sept 1979", date(1979, 9, 3)),
    ("3 maart 1979", date(1979, 3, 3)),
    ("3 mrt 1979", date(1979, 3, 3)),
    ("1e januari 1980", date(1980, 1, 1)),
    ("12-april-1988", date(1988, 4, 12)),
    ("12 / 04 / 1988", date(1988, 4, 12)),
    ("12 04 1988", date(1988, 4, 12)),
    ("drieëntwintig oktober 1970", date(1970, 10, 23)),
    ("29-02-2000", date(2000, 2, 29)),
    ("12-04-1988 12-04-1988", date(1988, 4, 12)),
    # Two-digit years: the century that makes the customer 16 to 115.
    ("1-5-09", date(2009, 5, 1)),
    ("1-6-10", date(1910, 6, 1)),
    ("1-1-50", date(1950, 1, 1)),
    # Boundaries: exactly 16 today, exactly 115 today.
    ("01-06-2009", date(2009, 6, 1)),
    ("02-06-1909", date(1909, 6, 2)),
])
def test_recognised(text, expected):
    assert parse_birth_date(text, today=TODAY) == expected


@pytest.mark.parametrize("text", [
    "", "weet ik niet", "12 april", "april 1988", "1988",
    "31-02-1990", "29-02-2001", "32-01-1990", "12-13-1990", "00-01-1990",
    "02-06-2009",      # turns 16 tomorrow
    "01-06-1909",      # 116 today
    "01-01-2030",      # future
    "12-04-1988 of 13-04-1988",
    "04/12/1988 13/12/1988",
    "/affirm{\"x\":1}",
    "12 aprilletje 1988",
])
def test_rejected(text):
    assert parse_birth_date(text, today=TODAY) is None


def test_default_today_is_used():
    assert parse_birth_date("12-04-1988") == date(1988, 4, 12)
    assert parse_birth_date(f"01-01-{date.today().year + 1}") is None


@given(
    born=st.dates(min_value=date(1909, 6, 2), max_value=date(2009, 6, 1)),
    fmt=st.sampled_from(FORMATS),
)
def test_round_trip(born, fmt):
    assert parse_birth_date(fmt(born), today=TODAY) == born


@given(born=st.dates(min_value=date(2009, 6, 2), max_value=date(2200, 1, 1)),
       fmt=st.sampled_from(FORMATS))
def test_too_young_or_future_is_rejected(born, fmt):
    # Two-digit years may legitimately map to 19xx, so only 4-digit formats.
    text = fmt(born)
    if f"{born.year}" in text:
        assert parse_birth_date(text, today=TODAY) is None


@given(born=st.dates(min_value=date(1700, 1, 1), max_value=date(1909, 6, 1)))
def test_too_old_is_rejected(born):
    assert parse_birth_date(born.isoformat(), today=TODAY) is None
    assert parse_birth_date(f"{born.day}-{born.month}-{born.year}", today=TODAY) is None


def test_leap_day_birthday_age():
    # Born 29 Feb 2008: 16 on 1 March 2024 (no 29 Feb in a non-leap year).
    assert parse_birth_date("29-02-2008", today=date(2024, 2, 28)) is None
    assert parse_birth_date("29-02-2008", today=date(2024, 2, 29)) == date(2008, 2, 29)
    assert parse_birth_date("29-02-2008", today=date(2025, 3, 1)) == date(2008, 2, 29)
    assert parse_birth_date("29-02-2008", today=date(2008, 2, 29) + timedelta(days=1)) is None
