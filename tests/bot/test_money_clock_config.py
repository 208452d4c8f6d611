from datetime import datetime, timezone
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot import clock
from bot.config import settings
from bot.money import cents_to_euros, euros_to_cents, format_euro


def test_format_euro_the_dutch_way():
    assert format_euro(21000) == "€ 210"
    assert format_euro(230000) == "€ 2.300"
    assert format_euro(210050) == "€ 2.100,50"
    assert format_euro(5) == "€ 0,05"
    assert format_euro(-1500) == "-€ 15"


@given(st.integers(min_value=0, max_value=10**9))
def test_cents_round_trip(cents):
    assert euros_to_cents(cents_to_euros(cents)) == cents


def test_euros_to_cents_rounds_half_up():
    assert euros_to_cents(Decimal("2100.505")) == 210051
    assert euros_to_cents("0.1") == 10


def test_today_is_the_date_in_amsterdam():
    # 23:30 UTC on 31 March is already 1 April in Amsterdam (summer time).
    clock.set_clock(lambda: datetime(2026, 3, 31, 23, 30, tzinfo=timezone.utc))
    try:
        assert clock.today().isoformat() == "2026-04-01"
    finally:
        clock.set_clock(None)


def test_settings_come_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("BETAALHULP_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("BETAALHULP_DATABASE_URL", raising=False)
    monkeypatch.setenv("RASA_PORT", "6005")
    settings.cache_clear()
    try:
        config = settings()
        assert config.database_url == f"sqlite:///{tmp_path / 'betaalhulp.db'}"
        assert config.rasa_url == "http://127.0.0.1:6005"
        assert config.max_verification_attempts == 3
    finally:
        settings.cache_clear()


def test_as_utc_reads_stored_moments_as_utc():
    from datetime import datetime, timedelta, timezone

    from bot.clock import as_utc

    assert as_utc(datetime(2027, 1, 4, 9, 0)) == datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)  # SQLite: naive
    amsterdam = datetime(2027, 1, 4, 10, 0, tzinfo=timezone(timedelta(hours=1)))
    assert as_utc(amsterdam) is amsterdam and as_utc(None) is None
