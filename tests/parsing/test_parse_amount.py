from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.parsing import parse_amount


def format_dutch(amount: Decimal, thousands: bool = True) -> str:
    """2100.5 -> "2.100,50": "." groups thousands, "," marks the cents."""
    whole, cents = f"{amount:.2f}".split(".")
    if thousands:
        groups = []
        while len(whole) > 3:
            groups.insert(0, whole[-3:])
            whole = whole[:-3]
        whole = ".".join([whole] + groups)
    return f"{whole},{cents}"


@pytest.mark.parametrize("text, expected", [
    ("ongeveer 2.100 euro", "2100"),
    ("€2100,50", "2100.50"),
    ("€ 2100,50", "2100.50"),
    ("2100.50", "2100.50"),
    ("2.100,50", "2100.50"),
    ("1850", "1850"),
    ("1850.", "1850"),
    ("rond de 900 per maand", "900"),
    ("EUR 1.234", "1234"),
    ("eur 1.234,-", "1234"),
    ("1.850,-", "1850"),
    ("€ 1.850,--", "1850"),
    ("1,5k", "1500"),
    ("1.5 duizend", "1500"),
    ("2 duizend", "2000"),
    ("0,5 k", "500"),
    ("nul", "0"),
    ("niks", "0"),
    ("niets", "0"),
    ("geen", "0"),
    ("geen inkomen", "0"),
    ("0", "0"),
    ("€ 0,01", "0.01"),
    ("100,5", "100.50"),
    ("tweehonderd", "200"),
    ("twee duizend vijfhonderd euro", "2500"),
    ("vijftienhonderd", "1500"),
    ("1.000.000", "1000000"),
    ("1.234.567", None),
    ("2,100.50", "2100.50"),  # English style, unambiguous
    # English (issue 27): a comma before three digits groups thousands, as a Dutch dot does.
    ("about 2,100 a month", "2100.00"),
    ("2,555", "2555.00"),
    ("€2100.50", "2100.50"),
    ("two thousand", "2000.00"),
    ("1.5 thousand", "1500.00"),
    ("nothing", "0.00"),
    ("zero", "0.00"),
    ("ik heb 2 kinderen en verdien 1850 euro", "1850"),
    ("sinds 2020 krijg ik €1.450", "1450"),
    ("+500", "500"),
    ("ongeveer 1200 😅", "1200"),
])
def test_recognised(text, expected):
    result = parse_amount(text)
    if expected is None:
        assert result is None
    else:
        assert result == Decimal(expected)
        assert result.as_tuple().exponent == -2


@pytest.mark.parametrize("text", [
    "", "weet ik niet", "geen idee", "veel", "een baan", "no idea", "I don't know", "not sure",
    "-500", "€ -500", "€-500", "-€500", "min 500", "minus 500", "−500",
    "900-1000", "tussen 900 en 1000", "900 of 1000", "2000 a 2100",
    "1.000.001", "2 miljoen", "5000k",
    "2.1000", "12.34.567", "1.234.567,89", "1,555k",
    "50%",
    "/affirm{\"x\":1}", "/inform{\"amount\":100}",
])
def test_rejected(text):
    assert parse_amount(text) is None


@given(st.decimals(min_value=0, max_value=1_000_000, places=2,
                   allow_nan=False, allow_infinity=False))
def test_round_trip_dutch_format(amount):
    assert parse_amount(format_dutch(amount)) == amount


@given(
    st.decimals(min_value=0, max_value=1_000_000, places=2,
                allow_nan=False, allow_infinity=False),
    st.sampled_from(["{}", "€{}", "€ {}", "EUR {}", "{} euro", "ongeveer {} per maand",
                     "rond de {} netto"]),
    st.booleans(),
)
def test_round_trip_with_context(amount, template, thousands):
    assert parse_amount(template.format(format_dutch(amount, thousands))) == amount


@given(st.integers(min_value=0, max_value=1_000_000))
def test_whole_euros(amount):
    assert parse_amount(str(amount)) == amount
    assert parse_amount(format_dutch(Decimal(amount)).replace(",00", ",-")) == amount


@given(st.decimals(min_value=Decimal("0.01"), max_value=1_000_000, places=2,
                   allow_nan=False, allow_infinity=False))
def test_negative_is_rejected(amount):
    assert parse_amount("-" + format_dutch(amount)) is None
    assert parse_amount("€ -" + format_dutch(amount)) is None


@given(st.decimals(min_value=Decimal("1000000.01"), max_value=10**12, places=2,
                   allow_nan=False, allow_infinity=False))
def test_implausibly_large_is_rejected(amount):
    assert parse_amount(format_dutch(amount)) is None
