"""The dashboard's figures equal a second, independent computation in plain SQL
(reference_sql.py), exactly, on real SQLite and real PostgreSQL: on the golden log and on a
generated log of a few thousand events, unfiltered and under every filter."""
from __future__ import annotations

from datetime import date

import pytest

from bot.outcomes import kpis, synthetic
from bot.store.db import session_scope
from tests.outcomes import golden, reference_sql

FILTERS = [
    kpis.Filters(),
    kpis.Filters(channel="sms"),
    kpis.Filters(loan_type="mortgage"),
    kpis.Filters(cause="job_loss"),
    kpis.Filters(start=date(2025, 6, 1), end=date(2026, 3, 31)),
    kpis.Filters(start=date(2025, 9, 1), channel="whatsapp", loan_type="personal_loan", cause="illness"),
]


def _assert_same(url: str, filters: kpis.Filters, config: kpis.KpiConfig, today: date) -> kpis.Dashboard:
    with session_scope(url) as session:
        d = kpis.compute(session, filters, config=config, today=today)
        adherence = reference_sql.adherence(session, filters, today, config.grace_days)
        relapse = reference_sql.relapse(session, filters, today, config.relapse_windows)
        cure = reference_sql.cure(session, filters, today, config.cure_months)
        satisfaction = reference_sql.satisfaction(session, filters, today)
        time_to_solution = reference_sql.time_to_solution(session, filters, today)
        handovers = reference_sql.handovers(session, filters, today)
        preventive = reference_sql.preventive(session, filters, today, config.preventive_kinds)

    assert {m: (r.numerator, r.denominator) for m, r in d.adherence.months} == adherence
    assert {c.month: (c.ended, c.relapsed, c.complete) for c in d.relapse.cohorts} == relapse
    assert {m: (r.numerator, r.denominator) for m, r in d.cure.by_month} == cure
    months = {m.month: (m.asked, m.answered, m.score_sum) for m in d.satisfaction.months}
    assert months == {m: v[:3] for m, v in satisfaction.items()}
    assert d.satisfaction.distribution == {score: sum(v[3][score - 1] for v in satisfaction.values())
                                           for score in kpis.SCORES}
    assert (d.time_to_solution.count, d.time_to_solution.median_seconds,
            d.time_to_solution.p90_seconds) == time_to_solution
    assert (d.handovers.handed_over, d.handovers.cases, dict(d.handovers.reasons)) == handovers
    assert (d.preventive.signalled, d.preventive.contacted, d.preventive.accepted) == preventive
    return d


@pytest.mark.parametrize("filters", FILTERS, ids=lambda f: "-".join(f"{k}={v}" for k, v in f.as_dict().items()) or "all")
def test_golden_log_matches_plain_sql(database_url, filters):
    with session_scope(database_url) as session:
        golden.write(session)
    _assert_same(database_url, filters, golden.GOLDEN_CONFIG, golden.TODAY)


def test_generated_log_matches_plain_sql(database_url):
    today = date(2026, 11, 22)
    log = synthetic.generate(6000, seed=3, start=date(2025, 1, 1), today=today)
    with session_scope(database_url) as session:
        log.write(session)
    config = kpis.load_config()
    seen = []
    for filters in FILTERS:
        d = _assert_same(database_url, filters, config, today)
        seen.append(d)
    everything = seen[0]
    # The comparison means something: every KPI has data in the unfiltered log.
    assert everything.adherence.total.denominator > 100 and everything.cure.total.denominator > 10
    assert any(c.complete[12] for c in everything.relapse.cohorts) and everything.satisfaction.answered > 20
    assert everything.time_to_solution.count > 20 and everything.handovers.handed_over > 10
    assert everything.preventive.accepted > 0
