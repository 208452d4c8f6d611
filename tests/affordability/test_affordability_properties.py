"""Properties of the capacity computation (R13)."""
import math
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.affordability import HOUSEHOLD_TYPES, Finances, assess

euros = st.integers(min_value=0, max_value=20_000)
cents = st.decimals(min_value=0, max_value=20_000, places=2, allow_nan=False, allow_infinity=False)
households = st.sampled_from(HOUSEHOLD_TYPES)
children = st.integers(min_value=0, max_value=8)


@given(euros, euros, euros, households, children)
def test_capacity_is_never_negative(income, housing, fixed, household, kids):
    capacity = assess(Finances(income, housing, fixed, household, kids)).monthly_capacity
    assert isinstance(capacity, int) and capacity >= 0


@given(cents, cents, cents, households, children)
def test_what_is_left_never_falls_below_the_floor(income, housing, fixed, household, kids):
    result = assess(Finances(income, housing, fixed, household, kids))
    if result.monthly_capacity > 0:
        assert income - housing - fixed - result.monthly_capacity >= result.floor
        assert income - housing - fixed - result.monthly_capacity >= result.living_norm


@given(euros, euros, euros, households, children, st.integers(min_value=0, max_value=5_000))
def test_more_income_never_gives_less_capacity(income, housing, fixed, household, kids, extra):
    lower = assess(Finances(income, housing, fixed, household, kids)).monthly_capacity
    higher = assess(Finances(income + extra, housing, fixed, household, kids)).monthly_capacity
    assert higher >= lower


@given(euros, euros, euros, households, children, st.integers(min_value=0, max_value=5_000))
def test_more_costs_never_give_more_capacity(income, housing, fixed, household, kids, extra):
    base = assess(Finances(income, housing, fixed, household, kids)).monthly_capacity
    assert assess(Finances(income, housing + extra, fixed, household, kids)).monthly_capacity <= base
    assert assess(Finances(income, housing, fixed + extra, household, kids)).monthly_capacity <= base


@given(cents, cents, cents, households, children)
def test_rounding_is_in_the_customers_favour(income, housing, fixed, household, kids):
    result = assess(Finances(income, housing, fixed, household, kids))
    exact = income - housing - fixed - result.living_norm - result.reserve
    # Never more than the exact amount; the whole-euro rounding costs the lender < 3 euros.
    assert result.monthly_capacity <= max(Decimal(0), exact)
    assert result.monthly_capacity >= max(0, math.floor(exact) - 2)


@given(euros, euros, euros, households, children)
def test_whole_euro_input_gives_the_exact_difference(income, housing, fixed, household, kids):
    result = assess(Finances(income, housing, fixed, household, kids))
    exact = income - housing - fixed - result.living_norm - result.reserve
    assert result.monthly_capacity == max(0, exact)
