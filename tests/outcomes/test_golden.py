"""Every KPI against values worked out by hand from a hand-written event log (golden.py), on
real SQLite and real PostgreSQL."""
from __future__ import annotations

import pytest

from bot.outcomes import figures, kpis
from bot.store.db import session_scope
from tests.outcomes import golden


@pytest.fixture
def golden_db(database_url: str) -> str:
    with session_scope(database_url) as session:
        golden.write(session)
    return database_url


def _compute(url: str, filters: kpis.Filters) -> kpis.Dashboard:
    with session_scope(url) as session:
        return kpis.compute(session, filters, config=golden.GOLDEN_CONFIG, today=golden.TODAY)


@pytest.mark.parametrize("name", list(golden.EXPECTED))
def test_every_kpi_matches_the_hand_computed_value(golden_db, name):
    expected = golden.EXPECTED[name]
    d = _compute(golden_db, expected["filters"])

    (kept, due), months = expected["adherence"]
    assert (d.adherence.total.numerator, d.adherence.total.denominator) == (kept, due)
    assert [(m, r.numerator, r.denominator) for m, r in d.adherence.months] == months

    cohorts = {c.month: c for c in d.relapse.cohorts}
    assert set(cohorts) == set(expected["relapse"])
    for month, (ended, relapsed, complete) in expected["relapse"].items():
        cohort = cohorts[month]
        assert (cohort.ended, cohort.relapsed) == (ended, relapsed), month
        assert cohort.complete == {3: complete, 6: complete, 12: complete}, month
        for n in (3, 6, 12):
            assert cohort.rate(n) == (relapsed[n] / ended if complete else None)
    for n, (relapsed, ended) in expected["relapse_pooled"].items():
        assert (d.relapse.pooled(n).numerator, d.relapse.pooled(n).denominator) == (relapsed, ended), n

    (cured, eligible), cure_months = expected["cure"]
    assert (d.cure.total.numerator, d.cure.total.denominator) == (cured, eligible)
    assert [(m, r.numerator, r.denominator) for m, r in d.cure.by_month] == cure_months

    asked, answered, score_sum, distribution, satisfaction_months = expected["satisfaction"]
    s = d.satisfaction
    assert (s.asked, s.answered, s.score_sum, s.distribution) == (asked, answered, score_sum, distribution)
    assert [(m.month, m.asked, m.answered, m.score_sum) for m in s.months] == satisfaction_months
    assert s.mean == (score_sum / answered if answered else None)
    assert s.response.rate == (answered / asked if asked else None)

    assert (d.time_to_solution.count, d.time_to_solution.median_seconds,
            d.time_to_solution.p90_seconds) == expected["time"]

    handed, cases, reasons = expected["handovers"]
    assert (d.handovers.handed_over, d.handovers.cases, list(d.handovers.reasons)) == (handed, cases, reasons)

    assert (d.preventive.signalled, d.preventive.contacted, d.preventive.accepted) == expected["preventive"]


def test_the_headline_figures_of_the_golden_set(golden_db):
    """The same numbers as the page shows them: 10 of 13 instalments kept, relapse within a year
    4 of 5, 2 of 5 cured, satisfaction 24/7 with a response of 7 of 12."""
    d = _compute(golden_db, kpis.Filters())
    assert d.adherence.total.rate == pytest.approx(10 / 13)
    assert d.relapse.pooled(12).rate == pytest.approx(0.8)
    assert d.cure.total.rate == pytest.approx(0.4)
    assert d.satisfaction.mean == pytest.approx(24 / 7)
    assert d.satisfaction.response.rate == pytest.approx(7 / 12)
    assert d.handovers.rate.rate == pytest.approx(1 / 3)


def test_an_empty_log_gives_empty_figures_not_errors(sqlite_url):
    d = _compute(sqlite_url, kpis.Filters())
    assert d.adherence.total.rate is None and d.relapse.cohorts == () and d.cure.total.rate is None
    assert d.satisfaction.mean is None and d.satisfaction.response.rate is None
    assert d.time_to_solution == kpis.TimeToSolution(0, None, None)
    assert d.handovers.rate.rate is None and d.preventive == kpis.PreventiveReach(0, 0, 0)


def test_percentiles_by_the_documented_rules():
    assert kpis.median([]) is None and kpis.percentile([], 0.9) is None
    assert kpis.median([5]) == 5 and kpis.percentile([5], 0.9) == 5
    assert kpis.median([1, 2, 3, 10]) == 2.5 and kpis.percentile([1, 2, 3, 10], 0.9) == 10
    values = list(range(1, 21))  # 20 values: rank ceil(18) = 18
    assert kpis.percentile(values, 0.9) == 18 and kpis.median(values) == 10.5


def test_the_versioned_configuration_loads_and_is_checked():
    config = kpis.load_config()
    assert config.relapse_windows == (3, 6, 12) and config.monitor_relapse_window in config.relapse_windows
    assert config.min_customers >= 2 and set(config.margins) == {"adherence", "relapse", "satisfaction"}
    bad = {"version": "x", "adherence": {"grace_days": 5}, "relapse": {"windows_months": [3, 6]},
           "cure": {"months": 12}, "preventive": {"contact_kinds": ["preventive"]},
           "monitor": {"min_customers": 10, "margins": {"adherence": 0.1, "relapse": 0.1, "satisfaction": 0.5},
                       "relapse_window_months": 12, "dimensions": ["channel"]}}
    with pytest.raises(ValueError, match="relapse_window_months"):
        figures.parse_config(bad)
