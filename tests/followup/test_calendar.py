"""Quiet hours, Sundays, Dutch public holidays and the two daylight-saving days (issue 10 §3)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import yaml

from bot.followup import calendar
from bot.followup.policy import POLICY_FILE, PolicyError, default, parse

NL = ZoneInfo("Europe/Amsterdam")
UTC = timezone.utc
POLICY = default()

# Easter Sunday as published (Gregorian), including the earliest and latest possible dates.
EASTER = {1943: date(1943, 4, 25), 2008: date(2008, 3, 23), 2011: date(2011, 4, 24), 2019: date(2019, 4, 21),
          2024: date(2024, 3, 31), 2025: date(2025, 4, 20), 2026: date(2026, 4, 5), 2027: date(2027, 3, 28),
          2028: date(2028, 4, 16), 2029: date(2029, 4, 1), 2030: date(2030, 4, 21), 2038: date(2038, 4, 25),
          2285: date(2285, 3, 22)}


@pytest.mark.parametrize("year", sorted(EASTER))
def test_easter_by_the_anonymous_gregorian_algorithm(year):
    assert calendar.easter(year) == EASTER[year]


def test_the_holidays_of_2027():
    assert calendar.holidays(2027, good_friday=True, liberation_day="lustrum") == {
        date(2027, 1, 1): "Nieuwjaarsdag",
        date(2027, 3, 26): "Goede Vrijdag",
        date(2027, 3, 28): "1e Paasdag",
        date(2027, 3, 29): "2e Paasdag",
        date(2027, 4, 27): "Koningsdag",
        date(2027, 5, 6): "Hemelvaartsdag",
        date(2027, 5, 16): "1e Pinksterdag",
        date(2027, 5, 17): "2e Pinksterdag",
        date(2027, 12, 25): "1e Kerstdag",
        date(2027, 12, 26): "2e Kerstdag",
    }


@pytest.mark.parametrize("year,expected", [(2014, date(2014, 4, 26)), (2025, date(2025, 4, 26)),
                                           (2031, date(2031, 4, 26)), (2026, date(2026, 4, 27)),
                                           (2027, date(2027, 4, 27))])
def test_kings_day_moves_to_saturday_when_the_27th_is_a_sunday(year, expected):
    assert date(year, 4, 27).weekday() == 6 or expected == date(year, 4, 27)
    assert calendar.kings_day(year) == expected
    assert calendar.holidays(year)[expected] == "Koningsdag"


def test_liberation_day_every_year_or_each_lustrum_and_good_friday_switchable():
    assert date(2025, 5, 5) in calendar.holidays(2025, liberation_day="lustrum")
    assert date(2026, 5, 5) not in calendar.holidays(2026, liberation_day="lustrum")
    assert date(2026, 5, 5) in calendar.holidays(2026, liberation_day="every_year")
    assert date(2025, 5, 5) not in calendar.holidays(2025, liberation_day="never")
    assert date(2027, 3, 26) not in calendar.holidays(2027, good_friday=False)


def test_local_times_on_both_daylight_saving_days():
    # 28 March 2027: 02:00 -> 03:00 (the last Sunday of March); 31 October 2027: 03:00 -> 02:00.
    assert calendar.at_local(date(2027, 3, 27), time(9)) == datetime(2027, 3, 27, 8, tzinfo=UTC)
    assert calendar.at_local(date(2027, 3, 28), time(9)) == datetime(2027, 3, 28, 7, tzinfo=UTC)
    assert calendar.at_local(date(2027, 10, 30), time(9)) == datetime(2027, 10, 30, 7, tzinfo=UTC)
    assert calendar.at_local(date(2027, 10, 31), time(9)) == datetime(2027, 10, 31, 8, tzinfo=UTC)
    # 02:30 does not exist in March (it becomes 03:30) and exists twice in October (the first).
    assert calendar.at_local(date(2027, 3, 28), time(2, 30)) == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)
    assert calendar.at_local(date(2027, 10, 31), time(2, 30)) == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def _independent_allowed(moment: datetime) -> bool:
    here = moment.astimezone(NL)
    closed = here.weekday() == 6 or here.date() in calendar.holidays(here.year)
    return not closed and time(7) <= here.time() < time(20)


@pytest.mark.parametrize("first_day", [date(2027, 3, 22), date(2027, 10, 25), date(2026, 12, 21)])
def test_quiet_hours_minute_grid_over_the_daylight_saving_and_christmas_weeks(first_day):
    start = datetime.combine(first_day, time(0), UTC)
    step = timedelta(minutes=5)
    grid = [start + step * n for n in range(int(timedelta(days=9) / step))]
    verdicts = [_independent_allowed(m) for m in grid]
    assert [calendar.allowed(m, POLICY) for m in grid] == verdicts
    for n, moment in enumerate(grid[:-300]):
        found = calendar.next_allowed(moment, POLICY)
        assert found >= moment and calendar.allowed(found, POLICY)
        # Nothing allowed on the grid between the moment and what next_allowed found.
        later = next(i for i in range(n, len(grid)) if verdicts[i])
        assert grid[later] >= found > grid[later] - step


def test_planned_moments_move_forward_out_of_closed_days():
    # A Sunday: Monday at 07:00, when the quiet hours end.
    assert calendar.planned_moment(date(2027, 6, 6), POLICY) == datetime(2027, 6, 7, 5, tzinfo=UTC)
    # Easter Sunday 2027 is also the day the clocks go forward, then 2e Paasdag: Tuesday 07:00 CEST.
    assert calendar.planned_moment(date(2027, 3, 28), POLICY) == datetime(2027, 3, 30, 5, tzinfo=UTC)
    # Christmas 2026 (Friday, Saturday) and the Sunday after: Monday 28 December, 07:00 CET.
    assert calendar.planned_moment(date(2026, 12, 25), POLICY) == datetime(2026, 12, 28, 6, tzinfo=UTC)
    # The Saturday before the October change: 09:00 CEST as usual.
    assert calendar.planned_moment(date(2027, 10, 30), POLICY) == datetime(2027, 10, 30, 7, tzinfo=UTC)
    # In the evening, the next morning.
    assert calendar.next_allowed(datetime(2027, 6, 8, 18, 30, tzinfo=UTC), POLICY) == \
        datetime(2027, 6, 9, 5, tzinfo=UTC)


def test_quiet_hours_sundays_and_holidays_are_configurable():
    relaxed = POLICY.with_changes(no_sundays=False, no_holidays=False)
    assert calendar.allowed(datetime(2027, 6, 6, 10, tzinfo=UTC), relaxed)
    assert calendar.allowed(datetime(2027, 12, 25, 10, tzinfo=UTC), relaxed)
    daytime_quiet = POLICY.with_changes(quiet_start=time(12), quiet_end=time(13))
    assert not calendar.allowed(datetime(2027, 6, 8, 10, 30, tzinfo=UTC), daytime_quiet)
    assert calendar.next_allowed(datetime(2027, 6, 8, 10, 30, tzinfo=UTC), daytime_quiet) == \
        datetime(2027, 6, 8, 11, tzinfo=UTC)


def test_the_policy_file_is_checked():
    data = yaml.safe_load(POLICY_FILE.read_text(encoding="utf-8"))
    assert parse(data).version == POLICY.version
    for broken in ({"send_time": "nine"}, {"kinds": {**data["kinds"], "birthday": {"response": "utter_x"}}},
                   {"pressure": {"max_messages": 0, "window_days": 7}},
                   {"holidays": {"liberation_day": "sometimes"}}):
        with pytest.raises(PolicyError):
            parse({**data, **broken})
    assert POLICY.milestones(6) == [3, 6] and POLICY.milestones(1) == [1] and POLICY.milestones(5) == [3, 5]
