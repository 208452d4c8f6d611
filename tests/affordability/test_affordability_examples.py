"""Worked examples for the living-cost norms and capacity (R13)."""
from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from bot.affordability import Finances, assess, load_norms
from bot.affordability.norms import DEFAULT_NORMS_PATH, parse_norms


@pytest.mark.parametrize(
    "household, children, income, housing, fixed, norm, floor, reserve, capacity",
    [
        ("single", 0, 2400, 900, 400, 800, 618, 50, 250),
        ("couple", 0, 3500, 1200, 500, 1150, 855, 75, 575),
        ("single_parent", 2, 3000, 1000, 450, 1450, 1083, 75, 25),
        ("couple_with_children", 3, 4500, 1300, 600, 2050, 1482, 100, 450),
    ],
)
def test_worked_example_per_household_type(household, children, income, housing, fixed,
                                           norm, floor, reserve, capacity):
    result = assess(Finances(income, housing, fixed, household, children))
    assert (result.living_norm, result.floor, result.reserve) == (norm, floor, reserve)
    assert result.monthly_capacity == capacity
    assert result.norm_version == load_norms().version
    assert result.explanation["code"] == "capacity_available"


def test_no_capacity_is_zero_never_negative():
    result = assess(Finances(1500, 900, 400, "couple", 0))
    assert result.monthly_capacity == 0
    assert result.explanation["code"] == "below_floor"
    assert result.explanation["shortfall"] == 1150 + 75 - 200


def test_single_parent_counts_at_least_one_child():
    # A missing child count must not lower what the household keeps.
    result = assess(Finances(3000, 1000, 450, "single_parent", 0))
    assert result.living_norm == 850 + 300
    assert result.explanation["children_counted"] == 1


def test_cents_are_rounded_in_the_customers_favour():
    # Income rounded down, costs rounded up: capacity 2400 - 900 - 401 - 800 - 50.
    result = assess(Finances(Decimal("2400.99"), Decimal("899.01"), Decimal("400.50"), "single"))
    assert result.monthly_capacity == 249
    assert isinstance(result.monthly_capacity, int)


def test_float_money_is_refused():
    with pytest.raises(TypeError):
        Finances(2400.0, 900, 400, "single")


@pytest.mark.parametrize("bad", [{"household_type": "family"}, {"children": -1}, {"housing_costs": -5}])
def test_invalid_finances_are_refused(bad):
    values = dict(net_monthly_income=2000, housing_costs=800, other_fixed_costs=300,
                  household_type="single", children=0)
    values.update(bad)
    with pytest.raises(ValueError):
        Finances(**values)


def test_norms_file_is_readable_policy():
    raw = yaml.safe_load(Path(DEFAULT_NORMS_PATH).read_text(encoding="utf-8"))
    for key in ("version", "source", "date"):
        assert raw[key]
    assert "NIBUD" in raw["source"]


def test_a_norm_below_the_floor_is_rejected():
    raw = yaml.safe_load(Path(DEFAULT_NORMS_PATH).read_text(encoding="utf-8"))
    raw["living_norm"]["single"] = 100
    with pytest.raises(ValueError, match="below floor"):
        parse_norms(raw)


def test_alternative_norms_file_changes_the_result(tmp_path):
    raw = yaml.safe_load(Path(DEFAULT_NORMS_PATH).read_text(encoding="utf-8"))
    raw["living_norm"]["single"] = 900
    raw["version"] = "test"
    path = tmp_path / "norms.yml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    result = assess(Finances(2400, 900, 400, "single"), load_norms(path))
    assert (result.monthly_capacity, result.norm_version) == (150, "test")
