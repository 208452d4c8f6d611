"""The group-outcome monitor: exactly the one disadvantaged group raises an alert (on the
dashboard's data and in the log, without personal data); small groups are "te klein" without
figures, and no small group can be recovered as "the whole minus the rest"."""
from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest

from bot.outcomes import kpis, monitor
from bot.store.db import session_scope
from tests.outcomes import seeded

CONFIG = replace(kpis.load_config(), min_customers=10, margins={"adherence": 0.1, "relapse": 0.1, "satisfaction": 0.5},
                 monitor_relapse_window=6)


@pytest.fixture(autouse=True)
def _fresh_log_memory():
    monitor._logged.clear()
    yield
    monitor._logged.clear()


def _evaluate(url: str, **kwargs) -> monitor.MonitorResult:
    with session_scope(url) as session:
        return monitor.evaluate(session, config=CONFIG, today=seeded.TODAY, **kwargs)


def _group(result: monitor.MonitorResult, metric: str, dimension: str, value: str) -> monitor.Group:
    groups = next(m for m in result.metrics if m.metric == metric).groups
    return next(g for g in groups if g.dimension == dimension and g.value == value)


def test_exactly_the_one_disadvantaged_group_raises_an_alert(database_url, caplog):
    with session_scope(database_url) as session:
        seeded.one_disadvantaged_group().write(session)
    with caplog.at_level(logging.WARNING, logger="bot.outcomes.monitor"):
        result = _evaluate(database_url)

    assert [(a.metric, a.dimension, a.value) for a in result.alerts] == [seeded.DISADVANTAGED]
    alert = result.alerts[0]
    assert alert.figure == pytest.approx(0.25) and alert.whole == pytest.approx(0.65) and alert.customers == 36
    # The other figures are what the seeding says: nothing else is near the margin by accident.
    adherence = next(m for m in result.metrics if m.metric == "adherence")
    assert adherence.whole_customers == 180
    assert _group(result, "adherence", "channel", "sms").figure == pytest.approx(0.65)
    assert _group(result, "adherence", "age_band", "50-64").figure == pytest.approx(0.75)
    assert _group(result, "adherence", "vulnerable", "true").figure == pytest.approx(0.65)
    assert next(m for m in result.metrics if m.metric == "relapse").whole == pytest.approx(0.5)
    assert next(m for m in result.metrics if m.metric == "satisfaction").whole == pytest.approx(3.5)
    assert all(g.status == monitor.SHOWN for m in result.metrics for g in m.groups)

    lines = [r for r in caplog.records if r.name == "bot.outcomes.monitor"]
    assert len(lines) == 1 and lines[0].levelno == logging.WARNING
    message = lines[0].getMessage()
    assert "adherence" in message and "age_band=65+" in message and "0.250" in message and "0.650" in message
    # Group labels, rates and a count: no customer, case or arrangement id anywhere in the line.
    # (The log masking of bot/ops/logs.py may have folded the arguments into the message already.)
    assert lines[0].args in (None, ("adherence", "age_band", "65+", pytest.approx(0.25), pytest.approx(0.65), 0.1, 36))
    assert not re.search(r"\d{4,}", message)  # no id of any kind

    # A second look the same day does not repeat the log line.
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.outcomes.monitor"):
        assert len(_evaluate(database_url).alerts) == 1
    assert not [r for r in caplog.records if r.name == "bot.outcomes.monitor"]


def test_a_small_group_shows_no_figures_and_cannot_be_recovered_from_the_rest(sqlite_url):
    log = seeded.one_disadvantaged_group()
    # One customer alone on the widget channel, doing badly on everything.
    seeded.add_customer(log, 1000, channel="widget", age_band="35-49", cause="job_loss", vulnerable=False, kept=0,
                        relapses=True, score=1)
    with session_scope(sqlite_url) as session:
        log.write(session)
    result = _evaluate(sqlite_url)

    widget = _group(result, "adherence", "channel", "widget")
    assert (widget.status, widget.customers, widget.figure, widget.alert) == (monitor.TOO_SMALL, None, None, False)
    channels = [g for g in next(m for m in result.metrics if m.metric == "adherence").groups if g.dimension == "channel"]
    hidden = [g for g in channels if g.status == monitor.HIDDEN]
    # 1 hidden customer is fewer than 10: the smallest shown channel is hidden as well.
    assert len(hidden) == 1 and hidden[0].figure is None and hidden[0].customers is None
    assert sum(1 for g in channels if g.status == monitor.SHOWN) == 2
    # Age band 35-49 now has 37 customers: big enough, so shown with its figure.
    assert _group(result, "adherence", "age_band", "35-49").status == monitor.SHOWN
    assert [(a.metric, a.dimension, a.value) for a in result.alerts] == [seeded.DISADVANTAGED]


def test_too_few_customers_overall_compares_nothing(sqlite_url):
    log = seeded.EventLog()
    for number in range(1, 6):
        seeded.add_customer(log, number, channel="sms", age_band="65+", cause="forgot", vulnerable=True, kept=0,
                            relapses=True, score=1)
    with session_scope(sqlite_url) as session:
        log.write(session)
    result = _evaluate(sqlite_url)
    assert result.alerts == ()
    assert all(not m.comparable and m.whole is None for m in result.metrics)
    assert all(g.status == monitor.TOO_SMALL and g.figure is None for m in result.metrics for g in m.groups)


def test_json_booleans_read_the_same_on_both_databases():
    assert monitor.normalise("vulnerable", 1) == monitor.normalise("vulnerable", "true") == "true"
    assert monitor.normalise("vulnerable", 0) == monitor.normalise("vulnerable", "false") == "false"
    assert monitor.normalise("vulnerable", None) is None and monitor.normalise("channel", "sms") == "sms"
