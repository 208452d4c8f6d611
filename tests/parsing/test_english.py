"""English answers read as well as Dutch ones (issue 27): dates day first, amounts, numbers, yes/no."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from bot.parsing import (
    parse_amount,
    parse_birth_date,
    parse_children,
    parse_household_type,
    parse_int,
    parse_payment_method,
    parse_yes_no,
)

TODAY = date(2026, 11, 22)


@pytest.mark.parametrize("text, expected", [
    ("3 November 1979", date(1979, 11, 3)),
    # Numeric dates are read the Dutch way, day first; the English question says so.
    ("03/11/1979", date(1979, 11, 3)),
    ("November 3, 1979", date(1979, 11, 3)),
    ("born on the 12th of April 1988", date(1988, 4, 12)),
    ("21st July 1965", date(1965, 7, 21)),
    ("May 5th 1975", date(1975, 5, 5)),
])
def test_english_birth_dates(text, expected):
    assert parse_birth_date(text, today=TODAY) == expected


@pytest.mark.parametrize("text, expected", [
    ("about 2,100 a month", "2100.00"), ("€2100.50", "2100.50"), ("roughly 1,850", "1850.00"),
    ("two thousand", "2000.00"), ("nothing", "0.00"), ("around 900 euros", "900.00"),
])
def test_english_amounts(text, expected):
    assert parse_amount(text) == Decimal(expected)


def test_english_number_words():
    assert parse_int("three") == 3
    assert parse_int("twenty-one") == 21
    assert parse_children("two kids") == 2
    assert parse_children("no children") == 0
    assert parse_children("one son and two daughters") == 3


@pytest.mark.parametrize("text, expected", [
    ("I live alone", "single"), ("with my partner", "couple"),
    ("me, my wife and the kids", "couple_with_children"), ("just me and my children", "single_parent"),
])
def test_english_households(text, expected):
    assert parse_household_type(text) == expected


@pytest.mark.parametrize("text, expected", [
    ("yeah", True), ("yes, my income is much lower", True), ("I earn less now", True),
    ("no, nothing changed", False), ("no other debts", False), ("it is the same", False),
    ("I don't know", None), ("yes no", None),
])
def test_english_yes_no(text, expected):
    assert parse_yes_no(text) is expected


def test_english_payment_methods():
    assert parse_payment_method("bank transfer") == "transfer"
    assert parse_payment_method("send me the payment link") == "link"
